/* Signals for a ppoll() loop: see sig.h. */
#include <signal.h>

#include "sig.h"

volatile sig_atomic_t plx_got_term, plx_got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		plx_got_hup = 1;
	else
		plx_got_term = 1;
}

void
plx_signals_setup(sigset_t *orig)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Signals for a reader's ppoll() loop.  SIGTERM, SIGINT and SIGHUP are
 * blocked, their handler only sets a flag, and they are let in only inside
 * ppoll(..., orig): a signal that comes just before the wait wakes it, and
 * is never lost between a check of the flags and the wait.  SIGPIPE is
 * ignored: a consumer gone is an EPIPE from write, which ends the reader. */
#ifndef PLX_SIG_H
#define PLX_SIG_H
#include <signal.h>

extern volatile sig_atomic_t plx_got_term;   /* SIGTERM or SIGINT: finish and exit */
extern volatile sig_atomic_t plx_got_hup;    /* SIGHUP: reopen (cleared by the reader) */

/* Installs the handlers and blocks the three; *orig is the mask for ppoll. */
void plx_signals_setup(sigset_t *orig);

#endif

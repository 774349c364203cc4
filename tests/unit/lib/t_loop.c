/* lib/loop.c: descriptors, timers in order, the three signals, stdout
 * queued and a consumer gone (EPIPE), the stop status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "unit.h"

struct app {
	int reads, ticks, hups, terms, stops, order[8], norder;
	int rfd, wfd;
	int64_t t0;
	char got[64];
	size_t ngot;
};

static void
on_read(struct plx_loop *l, int fd, short ev, void *arg)
{
	struct app *a = arg;
	ssize_t n = read(fd, a->got + a->ngot, sizeof a->got - 1 - a->ngot);

	a->reads++;
	if (n > 0)
		a->ngot += (size_t)n;
	if (n == 0)
		plx_loop_stop(l, 7);
}

static void tick_a(struct plx_loop *l, void *arg) { struct app *a = arg; a->order[a->norder++] = 1; }
static void tick_b(struct plx_loop *l, void *arg) { struct app *a = arg; a->order[a->norder++] = 2; }
static void
tick_every(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	if (++a->ticks == 3)
		plx_loop_stop(l, 3);
}
static void on_hup(struct plx_loop *l, void *arg) { ((struct app *)arg)->hups++; }
static void on_stop(struct plx_loop *l, void *arg) { ((struct app *)arg)->stops++; }
static void raise_hup(struct plx_loop *l, void *arg) { kill(getpid(), SIGHUP); }
static void raise_term(struct plx_loop *l, void *arg) { kill(getpid(), SIGTERM); }
static void
on_term(struct plx_loop *l, void *arg)
{
	((struct app *)arg)->terms++;
	plx_loop_stop(l, 0);
}
static void
put_many(struct plx_loop *l, void *arg)
{
	int i;

	for (i = 0; i < 1000 && !l->stopping; i++)
		plx_loop_put(l, "{\"a\":1}\n", 8, 1);
}

int
main(void)
{
	struct plx_loop l;
	struct app a;
	int p[2], st;
	pid_t pid;

	/* a descriptor: data, then EOF stops the run with the callback's status */
	memset(&a, 0, sizeof a);
	T(pipe(p) == 0, "pipe");
	plx_loop_init(&l, &a);
	plx_loop_fd(&l, p[0], POLLIN, on_read);
	T(write(p[1], "hello", 5) == 5, "write");
	close(p[1]);
	l.on_stop = on_stop;
	T(plx_loop_run(&l) == 7, "EOF: the callback's stop status (7)");
	T(a.ngot == 5 && !memcmp(a.got, "hello", 5), "the bytes were read");
	T(a.stops == 1, "on_stop ran once");
	plx_loop_free(&l);
	close(p[0]);

	/* timers: one-shot ones in order of their deadlines, a periodic one */
	memset(&a, 0, sizeof a);
	plx_loop_init(&l, &a);
	int64_t now = plx_mono_ms();
	plx_loop_timer(&l, now + 40, tick_b);
	plx_loop_timer(&l, now + 20, tick_a);
	plx_loop_every(&l, 30, tick_every);
	T(plx_loop_run(&l) == 3, "the periodic timer stopped the run on its third tick");
	T(plx_mono_ms() - now >= 90, "... after three periods (%lld ms)", (long long)(plx_mono_ms() - now));
	T(a.norder == 2 && a.order[0] == 1 && a.order[1] == 2, "one-shot timers ran once each, earliest first");
	plx_loop_free(&l);

	/* SIGHUP calls on_hup; SIGTERM calls on_term, which stops: status 0 */
	memset(&a, 0, sizeof a);
	plx_loop_init(&l, &a);
	l.on_hup = on_hup;
	l.on_term = on_term;
	l.on_stop = on_stop;
	plx_loop_timer(&l, plx_mono_ms() + 10, raise_hup);
	plx_loop_timer(&l, plx_mono_ms() + 30, raise_term);
	T(plx_loop_run(&l) == 0, "SIGTERM: exit status 0");
	T(a.hups == 1 && a.terms == 1 && a.stops == 1, "on_hup, on_term, on_stop: once each (%d %d %d)",
	  a.hups, a.terms, a.stops);
	T(l.signalled, "the stop is known to come from a signal");
	plx_loop_free(&l);

	/* a signal that comes while a callback runs (signals blocked) is not
	 * lost: it waits for the next wait */
	memset(&a, 0, sizeof a);
	plx_loop_init(&l, &a);
	kill(getpid(), SIGTERM);
	T(plx_loop_signalled(&l), "a pending SIGTERM is seen outside the wait");
	T(plx_loop_run(&l) == 0 && l.signalled, "... and ends the run (default on_term)");
	plx_loop_free(&l);

	/* a callback that waits on its own: the descriptor is readable while a
	 * SIGTERM waits; taking it runs on_term, once */
	memset(&a, 0, sizeof a);
	plx_loop_init(&l, &a);
	l.on_term = on_term;
	int tfd = plx_loop_term_fd();
	struct pollfd tp = { .fd = tfd, .events = POLLIN };
	T(tfd >= 0 && poll(&tp, 1, 0) == 0, "term fd: not readable while no signal waits");
	T(plx_loop_take_term(&l) == 0 && a.terms == 0, "nothing to take: on_term not run");
	kill(getpid(), SIGTERM);
	kill(getpid(), SIGHUP);
	T(poll(&tp, 1, 0) == 1, "term fd: readable while a SIGTERM waits");
	T(plx_loop_take_term(&l) == 1 && a.terms == 1 && l.signalled && l.stopping,
	  "taken: on_term ran, the run is stopping");
	T(poll(&tp, 1, 0) == 0 && plx_loop_take_term(&l) == 0 && a.terms == 1, "... once");
	l.stopping = 0;
	l.on_hup = on_hup;
	plx_loop_timer(&l, plx_mono_ms() + 10, raise_term);
	T(plx_loop_run(&l) == 0 && a.hups == 1, "the SIGHUP waited for the loop");
	close(tfd);
	plx_loop_free(&l);

	/* stdout: records queued and written; a consumer gone is EPIPE, the
	 * run stops with epipe_status */
	T(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		char buf[4096];
		close(p[1]);
		while (read(p[0], buf, sizeof buf) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	memset(&a, 0, sizeof a);
	plx_loop_init(&l, &a);
	plx_loop_output(&l, p[1], 0, 0);
	plx_loop_timer(&l, plx_mono_ms(), put_many);
	plx_loop_timer(&l, plx_mono_ms() + 50, raise_term);
	T(plx_loop_run(&l) == 0, "records queued, then SIGTERM: 0");
	T(l.out.records == 1000 && plx_out_pending(&l.out) == 0, "all 1000 written (%lu)", l.out.records);
	plx_loop_free(&l);
	close(p[1]);
	waitpid(pid, &st, 0);

	T(pipe(p) == 0, "pipe");
	close(p[0]);          /* nobody reads: EPIPE */
	memset(&a, 0, sizeof a);
	plx_loop_init(&l, &a);
	l.epipe_status = 5;
	plx_loop_output(&l, p[1], 0, 0);
	plx_loop_every(&l, 10, put_many);
	T(plx_loop_run(&l) == 5, "stdout gone (EPIPE): the run stops with epipe_status");
	plx_loop_free(&l);
	close(p[1]);
	UNIT_END();
}

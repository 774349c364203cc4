/* The event loop: see loop.h. */
#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "loop.h"

#define OVERRUN_SAY_MS 10000

static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

void
plx_loop_init(struct plx_loop *l, void *arg)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	memset(l, 0, sizeof *l);
	l->arg = arg;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &l->saved);
	/* the mask inside ppoll: as it was, with the three let in */
	l->orig = l->saved;
	sigdelset(&l->orig, SIGTERM);
	sigdelset(&l->orig, SIGINT);
	sigdelset(&l->orig, SIGHUP);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	got_term = got_hup = 0;
	l->overrun_said = -OVERRUN_SAY_MS;
}

void
plx_loop_free(struct plx_loop *l)
{
	if (l->has_out)
		plx_out_free(&l->out);
	l->has_out = 0;
	sigprocmask(SIG_SETMASK, &l->saved, NULL);
}

void
plx_loop_output(struct plx_loop *l, int fd, size_t max, int wait)
{
	if (plx_out_init(&l->out, fd, max) < 0)
		plx_die(EX_OSERR, "stdout:");
	l->out.wait = wait;
	l->has_out = 1;
}

void
plx_loop_stop(struct plx_loop *l, int status)
{
	if (l->stopping)
		return;
	l->stopping = 1;
	l->status = status;
}

/* SIGTERM or SIGINT: on_term, by default a stop with 0. */
static void
term(struct plx_loop *l)
{
	l->signalled = 1;
	if (l->on_term)
		l->on_term(l, l->arg);
	else
		plx_loop_stop(l, 0);
}

/* stdout failed: EPIPE is the consumer leaving (DESIGN §2). */
static void
out_failed(struct plx_loop *l, int err)
{
	int st;

	if (l->out_said)
		return;
	l->out_said = 1;
	if (err == EPIPE) {
		plx_info("stdout closed, exiting");
		st = l->epipe_status;
	} else {
		errno = err;
		plx_warn("write to stdout:");
		st = EX_IOERR;
	}
	l->stopping = 1;
	/* a stop for SIGTERM takes the whole pipeline down: the consumer
	 * may be gone first, and that is no failure */
	if (!l->status && !(err == EPIPE && plx_loop_signalled(l)))
		l->status = st;
}

int
plx_loop_put(struct plx_loop *l, const char *text, size_t len, int nrec)
{
	int r;

	if (l->out.err)
		return -1;
	if ((r = plx_out_put(&l->out, text, len, nrec)) < 0)
		out_failed(l, l->out.err ? l->out.err : errno);
	return r;
}

int
plx_loop_drain(struct plx_loop *l)
{
	if (!l->has_out)
		return 0;
	if (l->out.err)
		return -1;
	/* a stop by a signal drains for a while at most: a consumer that
	 * takes nothing must not hold the tool (out.h) */
	if (plx_out_drain(&l->out, l->signalled || plx_loop_signalled(l)) < 0) {
		out_failed(l, l->out.err ? l->out.err : errno);
		return -1;
	}
	return 0;
}

int
plx_loop_fd(struct plx_loop *l, int fd, short events, plx_fd_fn *fn)
{
	int h;

	for (h = 0; h < l->nw && l->w[h].fn; h++)
		;
	if (h == PLX_LOOP_FDS)
		plx_die(EX_SOFTWARE, "more than %d descriptors to watch", PLX_LOOP_FDS);
	if (h == l->nw)
		l->nw++;
	l->w[h].fd = fd;
	l->w[h].events = events;
	l->w[h].fn = fn;
	l->w[h].arg = l->arg;
	return h;
}

void
plx_loop_fd_set(struct plx_loop *l, int h, int fd, short events)
{
	l->w[h].fd = fd;
	l->w[h].events = events;
}

void
plx_loop_fd_arg(struct plx_loop *l, int h, void *arg)
{
	l->w[h].arg = arg;
}

static int
new_timer(struct plx_loop *l, int64_t due, int64_t period, plx_timer_fn *fn)
{
	int h;

	for (h = 0; h < PLX_LOOP_TIMERS && l->t[h].used; h++)
		;
	if (h == PLX_LOOP_TIMERS)
		plx_die(EX_SOFTWARE, "more than %d timers", PLX_LOOP_TIMERS);
	l->t[h].used = 1;
	l->t[h].due = due;
	l->t[h].period = period;
	l->t[h].fn = fn;
	l->t[h].arg = l->arg;
	return h;
}

int
plx_loop_timer(struct plx_loop *l, int64_t due, plx_timer_fn *fn)
{
	return new_timer(l, due, 0, fn);
}

int
plx_loop_every(struct plx_loop *l, int64_t period, plx_timer_fn *fn)
{
	return new_timer(l, period > 0 ? plx_mono_ms() + period : -1, period, fn);
}

void
plx_loop_arm(struct plx_loop *l, int h, int64_t due)
{
	l->t[h].due = due;
}

void
plx_loop_timer_arg(struct plx_loop *l, int h, void *arg)
{
	l->t[h].arg = arg;
}

void
plx_loop_ratelim(struct plx_loop *l, struct plx_ratelim *rl)
{
	if (l->nrl == PLX_LOOP_RATELIMS)
		plx_die(EX_SOFTWARE, "more than %d rate limits", PLX_LOOP_RATELIMS);
	l->rl[l->nrl++] = rl;
}

int
plx_loop_signalled(struct plx_loop *l)
{
	sigset_t set;

	if (got_term || l->signalled)
		return 1;
	return sigpending(&set) == 0 && (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1);
}

static void
term_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

int
plx_loop_term_fd(void)
{
	sigset_t set;

	term_set(&set);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
plx_loop_take_term(struct plx_loop *l)
{
	sigset_t set;

	term_set(&set);
	if (sigtimedwait(&set, NULL, &(struct timespec){ 0, 0 }) < 0)
		return 0;
	term(l);
	return 1;
}

/* Records dropped because stdout was too slow: said at most every 10 s
 * (always when final). */
static void
overruns(struct plx_loop *l, int final)
{
	int64_t now = plx_mono_ms();

	if (!l->has_out || l->out.overruns == l->overruns_told)
		return;
	if (!final && now - l->overrun_said < OVERRUN_SAY_MS)
		return;
	plx_warn("stdout too slow: dropped %lu records (%lu in all)",
	         l->out.overruns - l->overruns_told, l->out.overruns);
	l->overruns_told = l->out.overruns;
	l->overrun_said = now;
}

/* The earliest armed timer, or -1. */
static int64_t
next_due(const struct plx_loop *l)
{
	int64_t due = -1, d;
	int h;

	for (h = 0; h < PLX_LOOP_TIMERS; h++)
		if (l->t[h].used && l->t[h].due >= 0 && (due < 0 || l->t[h].due < due))
			due = l->t[h].due;
	for (h = 0; h < l->nrl; h++)
		if (l->rl[h]->held && (d = (l->rl[h]->second + 1) * 1000) >= 0 && (due < 0 || d < due))
			due = d;
	return due;
}

static void
run_timers(struct plx_loop *l)
{
	int64_t now = plx_mono_ms();
	int h;

	for (h = 0; h < PLX_LOOP_TIMERS && !l->stopping; h++) {
		if (!l->t[h].used || l->t[h].due < 0 || l->t[h].due > now)
			continue;
		if (l->t[h].period > 0) {
			/* the next tick from the schedule; from now when far behind */
			l->t[h].due += l->t[h].period;
			if (l->t[h].due <= now)
				l->t[h].due = now + l->t[h].period;
		} else {
			l->t[h].due = -1;
		}
		l->t[h].fn(l, l->t[h].arg);
	}
}

static void
signals(struct plx_loop *l)
{
	if (got_hup) {
		got_hup = 0;
		if (l->on_hup)
			l->on_hup(l, l->arg);
		else
			plx_info("SIGHUP: nothing to reopen");
	}
	if (got_term) {
		got_term = 0;
		term(l);
	}
}

/* One wait: until the nearest deadline, for the watched descriptors and
 * stdout; then what came, in order: signals, descriptors, stdout, timers. */
static void
step(struct plx_loop *l)
{
	struct pollfd pf[PLX_LOOP_FDS + 1];
	int map[PLX_LOOP_FDS + 1];
	struct timespec ts;
	int64_t until = next_due(l), mine, wait;
	int n = 0, i, out_at = -1;

	if (l->prepare && (mine = l->prepare(l, l->arg)) >= 0 && (until < 0 || mine < until))
		until = mine;
	if (l->stopping)
		return;
	for (i = 0; i < l->nw; i++)
		if (l->w[i].fn && l->w[i].fd >= 0 && l->w[i].events) {
			pf[n] = (struct pollfd){ .fd = l->w[i].fd, .events = l->w[i].events };
			map[n++] = i;
		}
	if (l->has_out && plx_out_pending(&l->out)) {
		out_at = n;
		pf[n++] = (struct pollfd){ .fd = l->out.fd, .events = POLLOUT };
	}
	wait = until < 0 ? -1 : until - plx_mono_ms();
	if (until >= 0 && wait < 0)
		wait = 0;
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000;
	if (ppoll(pf, (nfds_t)n, wait < 0 ? NULL : &ts, &l->orig) < 0) {
		if (errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		n = 0;
	}
	signals(l);
	for (i = 0; i < n && !l->stopping; i++)
		if (i != out_at && pf[i].revents && l->w[map[i]].fd == pf[i].fd)
			l->w[map[i]].fn(l, pf[i].fd, pf[i].revents, l->w[map[i]].arg);
	if (l->has_out && plx_out_pending(&l->out) && plx_out_flush(&l->out) < 0)
		out_failed(l, l->out.err);
	run_timers(l);
	for (i = 0; i < l->nrl; i++)
		plx_ratelim_flush(l->rl[i], 0);
	overruns(l, 0);
}

int
plx_loop_run(struct plx_loop *l)
{
	int r;

	while (!l->stopping)
		step(l);
	if (l->on_stop && !l->out.err)
		l->on_stop(l, l->arg);
	plx_loop_drain(l);
	for (r = 0; r < l->nrl; r++)
		plx_ratelim_flush(l->rl[r], 1);
	overruns(l, 1);
	return l->status;
}

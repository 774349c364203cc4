/* modbus-read: one connection, polled by a thread of its own.
 *
 * Why a thread per connection: a libmodbus call blocks until the answer
 * comes or the response timeout passes.  Polled from one thread, a unit
 * that answers in 2 s (within a 3 s timeout) held every other device for
 * those 2 s, each poll: all of them were polled at the slow one's pace.
 * Here each connection - a TCP device, or a serial line with all its units
 * - has a thread and a modbus_t of its own and keeps the schedule of its
 * own requests, so devices on separate connections never wait for one
 * another.  Units sharing one connection still take turns: on an RS-485
 * line that is the bus (one frame at a time), and a Modbus TCP server
 * answers a connection's requests in order.  (The other way, non-blocking
 * I/O driven by the main loop, would mean writing the TCP and RTU framing
 * again beside libmodbus, whose calls cannot be split.)
 *
 * A thread only talks to its device: it opens it, backing off when it
 * cannot, waits for its next due request, sends it (retrying; on a serial
 * line under the line's lock, taken for the request alone: lib/mbdev.c),
 * and hands what happened to the main thread as events (conn.h): a ring of
 * CONN_EVENTS under the connection's mutex, and an eventfd that wakes the
 * main thread's loop.  Records, messages about requests, counters and
 * stdout are the main thread's (poll.c): one owner for the output and the
 * rate limit.  A full ring makes the thread wait for the main thread: when
 * stdout is slow, the polls wait for it (a poll source can wait).  The
 * thread's own lines on stderr - a device that cannot be opened (said by
 * lib/backoff's plx_reopen, once per reason) or a port that refuses its
 * RS-485 mode - are whole lines (stdio locks stderr).
 *
 * The schedule: a request is due n intervals after its first poll on the
 * monotonic clock, so it never drifts, and a poll that overruns skips slots
 * rather than bunching up.  A unit that gets no answer (after the device's
 * retries) is left alone for a backoff, 1 s doubling to 60 s: a dead slave
 * costs one timeout per backoff, and the connection's other units keep
 * their schedule.  An exception answer (illegal address...) is an answer:
 * no backoff, and exceptions 1-3 are not retried.  After a timeout on TCP
 * the connection is opened again at once, so that a late answer cannot be
 * taken for the next request's.
 *
 * Stopping (SIGTERM, SIGHUP, the end of --once): the request in hand is
 * finished (at most a response timeout an attempt), its events handed over,
 * then the device closed, and EV_DONE is the thread's last event. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "log.h"

#define UNIT_BACKOFF_MIN 1000
#define UNIT_BACKOFF_MAX 60000
#define REOPEN_MAX       60000  /* longest wait between attempts to open */
#define LOST_REOPEN_MS   100    /* a connection lost is tried again after */
#define STACK            (512 * 1024)   /* getaddrinfo's needs, with room */

/* Bytes of e worth copying: the registers only as far as it has them. */
static size_t
ev_size(const struct ev *e)
{
	return offsetof(struct ev, regs) + (e->kind == EV_ANSWER ? (size_t)e->n * sizeof e->regs[0] : 0);
}

/* A new event in k->out (its registers, if any, are already there). */
static void
event(struct conn *k, enum ev_kind kind, int req)
{
	k->out.kind = kind;
	k->out.req = req;
	k->out.err = k->out.last = k->out.n = 0;
	k->out.ts = 0;
}

/* Told to stop (by the main thread, or inline by the caller's signals). */
static int
stopped(struct conn *k)
{
	return atomic_load(&k->stop) || (k->stopped && k->stopped(k->arg));
}

static int
stopped_cb(void *k)
{
	return stopped(k);
}

/* Hands k->out to the main thread, waiting for room in the ring. */
static void
emit(struct conn *k)
{
	uint64_t one = 1;
	ssize_t w;
	int wake = 0;

	if (k->deliver) {
		k->deliver(k, &k->out, k->arg);
		return;
	}
	pthread_mutex_lock(&k->mu);
	while (k->count == CONN_EVENTS && !k->discard)
		pthread_cond_wait(&k->cv, &k->mu);
	if (!k->discard) {
		memcpy(&k->ev[(k->head + k->count) % CONN_EVENTS], &k->out, ev_size(&k->out));
		k->count++;
		/* the main thread takes every event there is when it wakes: one
		 * wake-up until it has, none for a connection opened (counted
		 * when the next event comes) */
		if (!k->woken && k->out.kind != EV_OPENED)
			wake = k->woken = 1;
	}
	pthread_mutex_unlock(&k->mu);
	if (wake) {
		w = write(k->wake, &one, sizeof one);
		(void)w;
	}
}

/* Waits until the monotonic ms `at`: 1, or 0 when told to stop first. */
static int
wait_until(struct conn *k, int64_t at)
{
	struct timespec ts;
	int64_t now, until;

	pthread_mutex_lock(&k->mu);
	while (!stopped(k) && (now = plx_mono_ms()) < at) {
		/* a stopped() of the caller's is asked 10 times a second */
		until = k->stopped && now + 100 < at ? now + 100 : at;
		ts = (struct timespec){ .tv_sec = until / 1000, .tv_nsec = (until % 1000) * 1000000 };
		pthread_cond_timedwait(&k->cv, &k->mu, &ts);
	}
	pthread_mutex_unlock(&k->mu);
	return !stopped(k);
}

/* The device could not be locked or opened (why): --once gives it up for
 * the run, a daemon tries again after a backoff. */
static void
unable(struct conn *k, const char *why)
{
	if (k->once) {
		plx_warn("%s: unable to open: %s", k->c->dev[k->dev].name, why);
		k->ro.at = INT64_MAX;       /* not again in this run */
	} else {
		plx_reopen_failed(&k->ro, why);
	}
}

/* For a request: the serial line locked (mbdev.c: held for the request
 * and its retries, then let go, so that other processes - a cron run, a
 * write - take their turns), and the device open, or opened now if an
 * attempt is due: 1, else 0 (nothing held). */
static int
ensure_open(struct conn *k)
{
	const struct mb_device *d = &k->c->dev[k->dev];
	char why[300];

	if (!k->d.ctx && !plx_reopen_due(&k->ro, plx_mono_ms()))
		return 0;
	if (mb_dev_lock(&k->d, d, k->lock_wait_ms, stopped_cb, k, why, sizeof why) < 0) {
		if (errno == ECANCELED)
			return 0;
		if (!k->d.ctx || k->once)
			unable(k, why);
		else if (!k->lock_said++)   /* open, but another process keeps the line */
			plx_warn("%s: %s; requests not sent until it lets go", d->name, why);
		return 0;
	}
	if (k->lock_said) {
		plx_warn("%s: the line is free again", d->name);
		k->lock_said = 0;
	}
	if (k->d.ctx)
		return 1;
	if (mb_dev_open(&k->d, d, why, sizeof why) < 0) {
		mb_dev_unlock(&k->d);
		unable(k, why);
		return 0;
	}
	plx_reopen_ok(&k->ro);
	event(k, EV_OPENED, -1);
	emit(k);
	if (d->pause_connect_ms)
		wait_until(k, plx_mono_ms() + d->pause_connect_ms);
	return 1;
}

/* Errors after which the connection is no good. */
static int
conn_lost(int e)
{
	return e == ECONNRESET || e == EPIPE || e == EBADF || e == ECONNREFUSED || e == ENOTCONN ||
	       e == ECONNABORTED || e == EIO || e == ENXIO;
}

/* Polls request i of k (retrying), saying each outcome as an event. */
static void
poll_attempts(struct conn *k, int i)
{
	const struct mb_req *r = &k->p->req[k->req[i]];
	const struct mb_device *d = &k->c->dev[k->dev];
	int u = k->unit[i], attempt, rc, e = 0, exc, last;

	if (k->down[u] > plx_mono_ms()) {
		if (k->once) {              /* its unit did not answer: a failure of this run */
			event(k, EV_SKIPPED, k->req[i]);
			emit(k);
		}
		return;
	}
	for (attempt = 0;; attempt++) {
		if (!ensure_open(k)) {
			event(k, EV_NOT_SENT, k->req[i]);
			emit(k);
			return;
		}
		if (d->pause_request_ms && k->last_req)
			wait_until(k, k->last_req + d->pause_request_ms);
		rc = mb_dev_read(&k->d, r->func, r->unit_id, r->addr, r->count, k->out.regs);
		e = rc < 0 ? errno : EMBBADDATA;    /* a short answer is a bad one */
		k->last_req = plx_mono_ms();
		if (rc == r->count) {
			event(k, EV_ANSWER, k->req[i]);
			k->out.ts = plx_now_ms();
			k->out.n = rc;
			emit(k);
			plx_backoff_reset(&k->ub[u]);
			k->down[u] = 0;
			return;
		}
		exc = mb_exception(e);
		last = attempt >= d->retries || (exc >= 1 && exc <= 3) || conn_lost(e) || stopped(k);
		event(k, EV_FAILED, k->req[i]);
		k->out.err = e;
		k->out.last = last;
		emit(k);
		if (conn_lost(e)) {
			mb_dev_close(&k->d);
			if (k->once)
				k->ro.at = INT64_MAX;
			else
				plx_reopen_lost(&k->ro, modbus_strerror(e), LOST_REOPEN_MS);
			return;
		}
		if (e == ETIMEDOUT && d->host)
			mb_dev_close(&k->d);       /* opened again for the next request */
		else if (!(exc >= 1 && exc <= 3))
			modbus_flush(k->d.ctx); /* what is left of a bad or late answer */
		if (last)
			break;
	}
	if (e == ETIMEDOUT || e == EMBXSBUSY || e == EMBXGTAR || e == EMBXGPATH)
		k->down[u] = plx_mono_ms() + plx_backoff_next(&k->ub[u], 0);
}

/* A request and its retries, the line held for them. */
static void
poll_req(struct conn *k, int i)
{
	poll_attempts(k, i);
	mb_dev_unlock(&k->d);
}

/* The daemon's schedule: the earliest due request next. */
static void
run_schedule(struct conn *k)
{
	int64_t now = plx_mono_ms(), iv;
	int i, next;

	for (i = 0; i < k->nreq; i++)
		k->due[i] = now;
	for (;;) {
		for (next = 0, i = 1; i < k->nreq; i++)
			if (k->due[i] < k->due[next])
				next = i;
		if (!wait_until(k, k->due[next]))
			return;
		poll_req(k, next);
		/* the next slot on the grid of its first poll that is still ahead */
		iv = k->p->req[k->req[next]].interval_ms;
		k->due[next] += iv;
		if (k->due[next] <= (now = plx_mono_ms()))
			k->due[next] += iv * ((now - k->due[next]) / iv + 1);
	}
}

static void *
conn_main(void *arg)
{
	struct conn *k = arg;
	int i;

	if (k->once)
		for (i = 0; i < k->nreq && !stopped(k); i++)
			poll_req(k, i);
	else
		run_schedule(k);
	mb_dev_free(&k->d);
	event(k, EV_DONE, -1);
	emit(k);
	return NULL;
}

void
conn_start(struct conn *k)
{
	pthread_condattr_t ca;
	pthread_attr_t ta;
	int i, e;

	k->ev = plx_xcalloc(CONN_EVENTS, sizeof *k->ev);
	k->due = plx_xcalloc((size_t)k->nreq, sizeof *k->due);
	k->ub = plx_xcalloc((size_t)k->nunit, sizeof *k->ub);
	k->down = plx_xcalloc((size_t)k->nunit, sizeof *k->down);
	for (i = 0; i < k->nunit; i++)
		plx_backoff_init(&k->ub[i], UNIT_BACKOFF_MIN, UNIT_BACKOFF_MAX);
	mb_dev_init(&k->d);
	plx_reopen_init(&k->ro, k->c->dev[k->dev].name, REOPEN_MAX);
	atomic_init(&k->stop, 0);
	pthread_mutex_init(&k->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* wait_until's deadlines */
	pthread_cond_init(&k->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (k->deliver) {
		conn_main(k);
		return;
	}
	pthread_attr_init(&ta);
	pthread_attr_setstacksize(&ta, STACK);
	if ((e = pthread_create(&k->th, &ta, conn_main, k)) != 0) {
		errno = e;
		plx_die(EX_OSERR, "%s: unable to start a thread:", k->c->dev[k->dev].name);
	}
	pthread_attr_destroy(&ta);
	k->started = 1;
}

int
conn_take(struct conn *k, struct ev *e)
{
	int got = 0;

	pthread_mutex_lock(&k->mu);
	if (k->count) {
		memcpy(e, &k->ev[k->head], ev_size(&k->ev[k->head]));
		k->head = (k->head + 1) % CONN_EVENTS;
		if (--k->count == 0)
			k->woken = 0;
		pthread_cond_signal(&k->cv);
		got = 1;
	}
	pthread_mutex_unlock(&k->mu);
	return got;
}

void
conn_stop(struct conn *k, int discard)
{
	if (!k->started)
		return;
	pthread_mutex_lock(&k->mu);
	atomic_store(&k->stop, 1);
	if (discard)
		k->discard = 1;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

void
conn_free(struct conn *k)
{
	if (k->started) {
		conn_stop(k, 1);
		pthread_join(k->th, NULL);
	}
	if (k->ev) {                /* conn_start made them */
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
	}
	free(k->ev);
	free(k->due);
	free(k->ub);
	free(k->down);
	free(k->req);
	free(k->unit);
	memset(k, 0, sizeof *k);
}

/* modbus-read: one connection and the thread that polls it (conn.c). */
#ifndef MODBUS_READ_CONN_H
#define MODBUS_READ_CONN_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "mbdev.h"
#include "modbus.h"

/* What a connection's thread tells the main thread, in the order it
 * happened. */
enum ev_kind {
	EV_ANSWER,      /* req answered with data: n registers (bits) in regs, at ts */
	EV_FAILED,      /* an attempt at req got no data: err; last: no retry follows */
	EV_NOT_SENT,    /* req was due while its device could not be opened */
	EV_SKIPPED,     /* --once: req not sent, its unit failed before in this run */
	EV_OPENED,      /* the connection opened */
	EV_DONE,        /* the thread has ended */
};

struct ev {
	enum ev_kind kind;
	int req;                    /* index in the plan */
	int err;                    /* EV_FAILED: errno (EMBX*: an exception answer) */
	int last;                   /* EV_FAILED: the request's last attempt */
	int64_t ts;                 /* EV_ANSWER: epoch ms of the answer */
	int n;                      /* EV_ANSWER: registers or bits in regs */
	uint16_t regs[MB_MAX_BITS]; /* (copied only as far as n) */
};

#define CONN_EVENTS 4           /* events a thread may have waiting */

struct conn {
	/* set by the main thread before conn_start, then read only */
	const struct mb_conf *c;
	const struct mb_plan *p;
	int dev;                    /* index in c->dev */
	int *req;                   /* its requests (plan indexes) ... */
	int *unit;                  /* ... and for each, its unit (index in units) */
	int nreq, nunit;
	int once;                   /* each request once, then end */
	int lock_wait_ms;
	int wake;                   /* eventfd the main thread watches */
	/* Inline, when deliver is set: no thread; conn_start polls on the
	 * caller's thread, hands each event to deliver as it comes, and
	 * returns when done (--once with one connection: no thread to start,
	 * as fast as a poller of one thread).  stopped, if set, is asked
	 * between requests and while waiting (the caller's signals). */
	void (*deliver)(struct conn *k, const struct ev *e, void *arg);
	int (*stopped)(void *arg);
	void *arg;

	/* shared: under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* the thread waits on it for room, a deadline, stop */
	atomic_int stop;            /* end after the request in hand */
	int discard;                /* nobody takes events any more: drop them */
	struct ev *ev;              /* a ring of CONN_EVENTS */
	int head, count;
	int woken;                  /* the eventfd was written for what is in it */

	/* the thread's own */
	pthread_t th;
	int started;
	struct mb_dev d;
	int lock_said;              /* the line's lock could not be had: said */
	struct plx_reopen ro;       /* the connection's comings and goings */
	int64_t last_req;           /* mono ms of the last answer or timeout */
	int64_t *due;               /* per request: next due time (mono ms) */
	struct plx_backoff *ub;     /* per unit: backoff after it stopped answering */
	int64_t *down;              /* per unit: left alone until (mono ms) */
	struct ev out;              /* the event being made */
};

/* Starts the thread of k (its fields above "shared" set): dies if it
 * cannot (out of memory, no thread).  Inline: polls until done. */
void conn_start(struct conn *k);
/* The main thread: takes the oldest event waiting into *e: 1, or 0 none. */
int conn_take(struct conn *k, struct ev *e);
/* Asks the thread to end after the request in hand (discard: and to drop
 * its events: nobody reads them). */
void conn_stop(struct conn *k, int discard);
/* Waits for the thread to end (after conn_stop) and frees k's memory. */
void conn_free(struct conn *k);

#endif

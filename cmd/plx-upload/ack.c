/* Acknowledgements: a delivered batch's seqs, deleted from the spool by a
 * thread of their own.
 *
 * An acknowledgement is a write transaction: it waits for plx-buffer's
 * (which holds the lock while it gathers up to --commit-rows rows or
 * --commit-ms) and then deletes the batch's rows, about a millisecond per
 * thousand.  Done by the loop's thread, that time would pass with no stdin
 * read, no body built and no answer taken: on loopback the pipeline made
 * 229,000 points/s that way, 350,000 with no acknowledgements at all.
 * So the loop only hands the seqs over (ack_add, ack_kick) and goes on;
 * the thread takes everything handed over since its last transaction and
 * deletes it in one.  Seqs are kept as ranges: plx-buffer's come in order,
 * a batch is one or a few.  Rows still go only after their 2xx; what a
 * crash may send twice grows by the batches whose acknowledgement had not
 * committed yet (plx-upload(1), DURABILITY).  A failed one is said: the
 * rows stay, and are sent again.
 *
 * At a low rate every batch is a record or a few, and a transaction for
 * each rewrote three pages of the spool's WAL (12 KiB) a record: a live
 * uploader doubled what the pipeline wrote to the flash a point at 20
 * points/s (bench/uplink.sh: 24.9 KiB, 17.4 gathered).  So a transaction
 * waits for ACK_ROWS rows, or ACK_MS after the last one began; ack_flush
 * (a signal, the end of input, a new spool file) does not wait.  A crash of
 * plx-upload may thus send twice that second of points more (a power cut
 * may undo the last seconds' acknowledgements anyway: synchronous=NORMAL). */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "log.h"
#include "upload.h"

/* Ranges handed over and not yet taken by the thread, at most: past it
 * (the thread behind, the lock held for long by someone else) the loop
 * waits, as it did before there was a thread, rather than hold more. */
#define ACK_HELD_MAX 4096
#define ACK_ROWS 1000      /* rows that are acknowledged at once ... */
#define ACK_MS 1000        /* ... else a transaction at most this often */

/* the ranges handed over are to be taken now */
static int
due(const struct acks *a, int64_t next)
{
	return a->n && (a->quit || a->urgent || a->rows >= ACK_ROWS || plx_mono_ms() >= next);
}

static void
wait_until(struct acks *a, int64_t ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	pthread_cond_timedwait(&a->more, &a->mu, &ts);
}

/* r, n, cap: one more range, or the last one longer */
static void
put(struct spool_range **r, size_t *n, size_t *cap, int64_t lo, int64_t hi)
{
	if (*n && (*r)[*n - 1].hi + 1 == lo) {
		(*r)[*n - 1].hi = hi;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*r = plx_xrealloc(*r, *cap * sizeof **r);
	}
	(*r)[*n].lo = lo;
	(*r)[(*n)++].hi = hi;
}

static void *
ack_main(void *arg)
{
	struct acks *a = arg;
	struct spool_range *r = NULL, *t;
	size_t n, k, cap = 0;
	int64_t next = 0;          /* monotonic ms: the next transaction, unless due sooner */
	int rc;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!due(a, next) && !(a->quit && !a->n)) {
			if (a->n)
				wait_until(a, next);
			else
				pthread_cond_wait(&a->more, &a->mu);
		}
		if (!a->n)
			break;
		next = plx_mono_ms() + ACK_MS;
		/* take the ranges handed over, leaving this thread's empty
		 * array to fill */
		n = a->n;
		t = a->r;
		a->r = r;
		r = t;
		k = a->cap;
		a->cap = cap;
		cap = k;
		a->n = 0;
		a->rows = 0;
		a->busy = 1;
		pthread_mutex_unlock(&a->mu);
		pthread_mutex_lock(&a->db);
		rc = spool_ack(*a->sp, r, n);
		pthread_mutex_unlock(&a->db);
		if (rc < 0)
			plx_warn("unable to acknowledge delivered records: plx-buffer will send them again");
		pthread_mutex_lock(&a->mu);
		a->busy = 0;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->mu);
	free(r);
	return NULL;
}

void
ack_init(struct up *u)
{
	struct acks *a = &u->ack;
	pthread_attr_t ta;
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	/* u->sp, shared: a second connection cost 0.6 MiB (bench/run, e2) */
	a->sp = &u->sp;
	pthread_mutex_init(&a->db, NULL);
	pthread_mutex_init(&a->mu, NULL);
	/* wait_until's deadlines are monotonic */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->more, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&a->idle, NULL);
	/* one malloc arena for both threads: this one allocates little */
	mallopt(M_ARENA_MAX, 1);
	/* every signal is the loop's (lib/loop): none for this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&ta);
	pthread_attr_setstacksize(&ta, 256 * 1024);
	e = pthread_create(&a->th, &ta, ack_main, a);
	pthread_attr_destroy(&ta);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		errno = e;
		plx_die(EX_OSERR, "unable to start a thread:");
	}
	a->running = 1;
}

void
ack_add(struct up *u, int64_t seq)
{
	struct acks *a = &u->ack;

	put(&a->mine, &a->nmine, &a->capmine, seq, seq);
}

void
ack_kick(struct up *u)
{
	struct acks *a = &u->ack;
	size_t i;

	if (!a->nmine)
		return;
	pthread_mutex_lock(&a->mu);
	while (a->n > ACK_HELD_MAX)
		pthread_cond_wait(&a->idle, &a->mu);
	for (i = 0; i < a->nmine; i++) {
		put(&a->r, &a->n, &a->cap, a->mine[i].lo, a->mine[i].hi);
		a->rows += a->mine[i].hi - a->mine[i].lo + 1;
	}
	a->nmine = 0;
	pthread_cond_signal(&a->more);
	pthread_mutex_unlock(&a->mu);
}

void
ack_flush(struct up *u)
{
	struct acks *a = &u->ack;

	if (!a->running)
		return;
	ack_kick(u);
	pthread_mutex_lock(&a->mu);
	a->urgent++;
	pthread_cond_signal(&a->more);
	while (a->n || a->busy)
		pthread_cond_wait(&a->idle, &a->mu);
	a->urgent--;
	pthread_mutex_unlock(&a->mu);
}

void
ack_db_lock(struct up *u)
{
	if (u->ack.running)
		pthread_mutex_lock(&u->ack.db);
}

void
ack_db_unlock(struct up *u)
{
	if (u->ack.running)
		pthread_mutex_unlock(&u->ack.db);
}

void
ack_free(struct up *u)
{
	struct acks *a = &u->ack;

	if (a->running) {
		ack_flush(u);
		pthread_mutex_lock(&a->mu);
		a->quit = 1;
		pthread_cond_signal(&a->more);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->th, NULL);
		pthread_mutex_destroy(&a->mu);
		pthread_mutex_destroy(&a->db);
		pthread_cond_destroy(&a->more);
		pthread_cond_destroy(&a->idle);
	}
	free(a->r);
	free(a->mine);
	memset(a, 0, sizeof *a);
}

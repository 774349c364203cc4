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
 * rows stay, and are sent again. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "upload.h"

/* Ranges handed over and not yet taken by the thread, at most: past it
 * (the thread behind, the lock held for long by someone else) the loop
 * waits, as it did before there was a thread, rather than hold more. */
#define ACK_HELD_MAX 4096

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
	int rc;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->n && !a->quit)
			pthread_cond_wait(&a->more, &a->mu);
		if (!a->n)
			break;
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
	sigset_t all, old;
	int e;

	/* u->sp, shared: a second connection cost 0.6 MiB (bench/run, e2) */
	a->sp = &u->sp;
	pthread_mutex_init(&a->db, NULL);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->more, NULL);
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
	for (i = 0; i < a->nmine; i++)
		put(&a->r, &a->n, &a->cap, a->mine[i].lo, a->mine[i].hi);
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
	while (a->n || a->busy)
		pthread_cond_wait(&a->idle, &a->mu);
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

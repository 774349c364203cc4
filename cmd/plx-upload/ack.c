/* Acknowledgements: a delivered batch's seqs, deleted from the spool by a
 * thread of their own, on a connection of their own.
 *
 * An acknowledgement is a write transaction: it waits for plx-buffer's
 * (which holds the lock while it gathers up to --commit-rows rows or
 * --commit-ms) and then deletes the batch's rows, about a millisecond per
 * thousand.  Done by the loop's thread, that time would pass with no stdin
 * read, no body built and no answer taken: on loopback the pipeline made
 * 229,000 points/s that way, 350,000 with no acknowledgements at all.
 * So the loop only hands the seqs over (ack_add, ack_kick) and goes on;
 * the thread takes everything handed over since its last transaction and
 * deletes it in one.  Rows still go only after their 2xx; what a crash may
 * send twice grows by the batches whose acknowledgement had not committed
 * yet (plx-upload(1), DURABILITY).  A failed one is said: the rows stay, and
 * are sent again. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "upload.h"

/* Seqs handed over and not yet taken by the thread, at most: past it (the
 * lock held for long by someone else) the loop waits, as it did before
 * there was a thread, rather than hold more of them in memory (1.6 MB). */
#define ACK_HELD_MAX 200000

static void *
ack_main(void *arg)
{
	struct acks *a = arg;
	int64_t *seq = NULL;
	size_t n, cap = 0;
	int rc;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->n && !a->quit)
			pthread_cond_wait(&a->more, &a->mu);
		if (!a->n)
			break;
		/* take the seqs handed over, leaving an empty array to fill */
		n = a->n;
		a->n = 0;
		if (cap < a->cap) {
			free(seq);
			seq = plx_xmalloc(a->cap * sizeof *seq);
			cap = a->cap;
		}
		memcpy(seq, a->seq, n * sizeof *seq);
		a->busy = 1;
		pthread_mutex_unlock(&a->mu);
		if ((rc = spool_ack(a->sp, seq, n)) < 0)
			plx_warn("unable to acknowledge %zu delivered records: plx-buffer will send them again", n);
		pthread_mutex_lock(&a->mu);
		a->busy = 0;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->mu);
	free(seq);
	return NULL;
}

void
ack_init(struct up *u, const char *path)
{
	struct acks *a = &u->ack;
	sigset_t all, old;
	int e;

	if (spool_open(&a->sp, path, SPOOL_ACK_ONLY) < 0)
		exit(EX_CANTCREAT);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->more, NULL);
	pthread_cond_init(&a->idle, NULL);
	/* every signal is the loop's (lib/loop): none for this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&a->th, NULL, ack_main, a);
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

	if (a->mine == a->mcap) {
		a->mcap = a->mcap ? 2 * a->mcap : 1024;
		a->mseq = plx_xrealloc(a->mseq, a->mcap * sizeof *a->mseq);
	}
	a->mseq[a->mine++] = seq;
}

void
ack_kick(struct up *u)
{
	struct acks *a = &u->ack;

	if (!a->mine)
		return;
	pthread_mutex_lock(&a->mu);
	while (a->n > ACK_HELD_MAX)
		pthread_cond_wait(&a->idle, &a->mu);
	if (a->n + a->mine > a->cap) {
		a->cap = (a->n + a->mine) * 2;
		a->seq = plx_xrealloc(a->seq, a->cap * sizeof *a->seq);
	}
	memcpy(a->seq + a->n, a->mseq, a->mine * sizeof *a->seq);
	a->n += a->mine;
	a->mine = 0;
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
ack_reopen(struct up *u, struct spool *sp)
{
	struct acks *a = &u->ack;

	ack_flush(u);          /* what was delivered from the old file, to it */
	pthread_mutex_lock(&a->mu);
	spool_close(a->sp);    /* the thread waits for more, touching nothing */
	a->sp = sp;
	pthread_mutex_unlock(&a->mu);
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
		pthread_cond_destroy(&a->more);
		pthread_cond_destroy(&a->idle);
		spool_close(a->sp);
	}
	free(a->seq);
	free(a->mseq);
	memset(a, 0, sizeof *a);
}

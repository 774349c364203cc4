/* Acknowledgements: a delivered batch's seqs, deleted from the spool.
 *
 * plx-buffer holds the spool's write lock while it gathers a transaction
 * (up to --commit-rows or --commit-ms); an acknowledgement that waited for
 * it would stall this one thread — no stdin read, no body built, no answer
 * taken — for as long, once per batch.  So an acknowledgement is tried
 * without waiting; when the lock is taken, its seqs are kept and tried
 * again, with those of the batches delivered meanwhile, every ACK_RETRY_MS;
 * after ACK_WAIT_MS it waits for the lock as before.  Rows go only after
 * their 2xx, as before; what a crash may send twice grows by the batches
 * delivered in that last moment (plx-upload(1), ORDER AND DUPLICATES). */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "upload.h"

#define ACK_RETRY_MS 2
#define ACK_WAIT_MS 1000

static void
acked(struct up *u, int rc)
{
	struct acks *a = &u->ack;

	/* A failed ack loses nothing: the rows stay and are sent again later. */
	if (rc < 0)
		plx_warn("unable to acknowledge %zu delivered records: plx-buffer will send them again", a->n);
	a->n = 0;
	plx_loop_arm(u->l, a->timer, -1);
}

void
ack_flush(struct up *u)
{
	if (u->ack.n && u->sp)
		acked(u, spool_ack(u->sp, u->ack.seq, u->ack.n));
}

void
ack_try(struct up *u)
{
	struct acks *a = &u->ack;
	int64_t now = plx_mono_ms();
	int rc;

	if (!a->n || !u->sp)
		return;
	if (now - a->since >= ACK_WAIT_MS) {
		ack_flush(u);
		return;
	}
	if ((rc = spool_ack_try(u->sp, a->seq, a->n)) == SPOOL_BUSY)
		plx_loop_arm(u->l, a->timer, now + ACK_RETRY_MS);
	else
		acked(u, rc);
}

void
ack_add(struct up *u, int64_t seq)
{
	struct acks *a = &u->ack;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 1024;
		a->seq = plx_xrealloc(a->seq, a->cap * sizeof *a->seq);
	}
	if (!a->n)
		a->since = plx_mono_ms();
	a->seq[a->n++] = seq;
}

static void
on_ack_due(struct plx_loop *l, void *arg)
{
	(void)l;
	ack_try(arg);
}

void
ack_init(struct up *u)
{
	u->ack.timer = plx_loop_timer(u->l, -1, on_ack_due);
}

void
ack_free(struct up *u)
{
	free(u->ack.seq);
	memset(&u->ack, 0, sizeof u->ack);
}

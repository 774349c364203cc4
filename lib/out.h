/* A reader's stdout (DESIGN.md §2): push sources (serial, CAN, BLE) cannot
 * be paused, so a slow consumer must never stall the device side.  Records
 * are queued in a bounded buffer and written when stdout can take them:
 * when it is a pipe or a socket it is made non-blocking and the reader's
 * poll loop waits for POLLOUT alongside its device; a file or a terminal is
 * written as it comes.  When the queue holds `max` bytes, whole records are
 * dropped and counted (overruns), never half lines.
 *
 *   plx_out_init(&o, 1, 1 << 20);
 *   loop: poll(device, and stdout when plx_out_pending(&o))
 *         plx_out_put(&o, recs.s, recs.len, recs.n);  plx_out_flush(&o);
 *   end:  plx_out_drain(&o, stopped_by_a_signal); plx_out_free(&o);
 *
 * A write error (EPIPE: the consumer is gone) is kept in o->err; every
 * later call fails with it, and the reader ends (DESIGN §2). */
#ifndef PLX_OUT_H
#define PLX_OUT_H
#include <stddef.h>

#define PLX_OUT_MAX_DEFAULT (1 << 20)   /* bytes queued before records are dropped */

struct plx_out {
	int fd;
	char *buf;                 /* queued bytes are buf[off, len) */
	size_t off, len, cap;
	size_t max;                /* bound on len - off */
	int pipe;                  /* fd is a pipe: writes of whole lines, <= PIPE_BUF */
	int made_nonblock;         /* fd set O_NONBLOCK here: undone by plx_out_free */
	int wait;                  /* set by the caller: a full queue waits for stdout
	                            * instead of dropping (the input can wait: a file) */
	int err;                   /* errno of a failed write, else 0 */
	unsigned long records;     /* records queued */
	unsigned long overruns;    /* records dropped: the queue was full */
};

/* 0, or -1 with errno. */
int plx_out_init(struct plx_out *o, int fd, size_t max);
void plx_out_free(struct plx_out *o);
/* Queues nrec whole records (text ending in '\n').  0 queued; 1 dropped
 * and counted as overruns (never with o->wait set); -1 with errno after a
 * write error.  Writes
 * straight away when enough is queued (a non-blocking attempt). */
int plx_out_put(struct plx_out *o, const char *text, size_t len, int nrec);
/* Writes what stdout takes now without blocking: 0, or -1 with errno. */
int plx_out_flush(struct plx_out *o);
/* Bytes queued: poll stdout for POLLOUT while this is not 0. */
size_t plx_out_pending(const struct plx_out *o);
/* Writes everything queued, waiting as long as stdout takes something.
 * When bounded (a reader stopping on SIGTERM), or a SIGTERM or SIGINT is
 * waiting, stdout that takes nothing for PLX_OUT_STUCK_MS ends the wait:
 * what is left is dropped, counted as overruns and said; 1 then.  0 when
 * all is written, -1 with errno after a write error. */
#define PLX_OUT_STUCK_MS 5000
int plx_out_drain(struct plx_out *o, int bounded);

#endif

/* Waiting between attempts, the same way in every tool.
 *
 * plx_backoff: a wait that doubles from min to max; jitter draws it from
 * [w/2, w] so that many gateways that lost the same server do not come
 * back in step (plx-upload's retries).
 *
 * plx_reopen: a device that comes and goes (DESIGN §2: log it, back off,
 * reconnect, never exit) - a serial port, a CAN interface.  Each failed
 * open waits longer (100 ms doubling to a bound); its reason is said once,
 * not at every attempt, and "open again" when it comes back; a device
 * lost after it worked is said, counted, and tried again soon. */
#ifndef PLX_BACKOFF_H
#define PLX_BACKOFF_H
#include <stdint.h>

struct plx_backoff {
	int64_t min, max;      /* ms */
	int64_t next;          /* the wait plx_backoff_next gives next */
};
void plx_backoff_init(struct plx_backoff *b, int64_t min, int64_t max);
void plx_backoff_reset(struct plx_backoff *b);
/* The wait before the next attempt (ms), then doubles up to max. */
int64_t plx_backoff_next(struct plx_backoff *b, int jitter);

struct plx_reopen {
	const char *name;      /* the device, in messages */
	struct plx_backoff b;
	int64_t at;            /* when to try (monotonic ms); 0: now */
	int failing;           /* the last attempt failed */
	unsigned long lost;    /* times it went away after working */
	char said[200];        /* the reason last said */
};
#define PLX_REOPEN_FIRST_MS 100
void plx_reopen_init(struct plx_reopen *r, const char *name, int64_t max_ms);
/* An attempt is due now. */
int plx_reopen_due(const struct plx_reopen *r, int64_t now);
/* The attempt worked ("NAME: open again" after failures). */
void plx_reopen_ok(struct plx_reopen *r);
/* It failed for why: said when why is new; the next attempt planned. */
void plx_reopen_failed(struct plx_reopen *r, const char *why);
/* A device that worked is gone (why), or is to be reopened (why NULL:
 * SIGHUP): said, counted, tried again after delay ms. */
void plx_reopen_lost(struct plx_reopen *r, const char *why, int64_t delay);

#endif

/* modbus-read: the request plan and the poller.
 *
 * The map and the codec are lib/'s (mbmap.c, mbcodec.c: modbus-write
 * writes through them), and so is opening a device (mbdev.c); plan.c is
 * pure, so the fuzz target of the map links it alone; conn.c polls a
 * connection on a thread of its own, poll.c turns what they read into
 * records, probe.c and main.c are the one-shot paths and the options.
 *
 * Addresses are 0-based PDU addresses everywhere in this code, as they go on
 * the wire: holding register "40001" is address 0 of function 3. */
#ifndef MODBUS_READ_H
#define MODBUS_READ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mbmap.h"
#include "recs.h"

/* ---- plan.c: points -> requests ---- */
struct mb_req {
	int dev, unit_id, interval_ms;
	enum mb_func func;
	int addr, count;            /* registers or bits */
	int *pt;                    /* indexes of its points in conf.pt */
	int npt;
};
struct mb_plan {
	struct mb_req *req;
	int nreq;
};
/* Groups the points by device, unit, function and interval and coalesces
 * neighbours into requests of at most 125 registers / 2000 bits, reading
 * through gaps of at most the device's gap. */
void plan_make(struct mb_plan *p, const struct mb_conf *c);
void plan_print(const struct mb_plan *p, const struct mb_conf *c, FILE *f);
void plan_free(struct mb_plan *p);

/* ---- poll.c, conn.c: polling, a thread per connection ---- */
struct mb_run {
	int once;                   /* poll every request once, then exit */
	int lock_wait_ms;           /* how long to wait for a serial line's lock */
	const char *map;            /* the map file (SIGHUP rereads it), or NULL: -H */
	int64_t status_ms;          /* --status-interval (0: no status records), -1: the map's */
	const char *prefix;         /* -p: before every point's metric name */
	struct plx_tags tags;       /* -s, -T: on every record */
	int source_given;           /* -s on the command line: a device's source-id does not replace it */
};
/* Polls until a signal (or once): takes c and p over (they are freed);
 * the exit status. */
int poll_run(struct mb_conf *c, struct mb_plan *p, const struct mb_run *o);
/* probe.c: --probe, every interpretation of a range of registers; the
 * exit status. */
int probe(const struct mb_conf *c, enum mb_func f, int addr, int count, int lock_wait_ms);

#endif

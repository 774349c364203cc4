/* Liveness per device, the same in every reader: is the device connected,
 * how long since it last said something, and is that longer than it
 * should be.  On the dashboard an unplugged device must be visible, not
 * only a counter that stopped growing; on stderr a silent device is said
 * once, and once more when it speaks again.
 *
 *   plx_live_init(&lv, "serial");
 *   i = plx_live_dev(&lv, "furnace", expect_ms);      found or added
 *   plx_live_connected(&lv, i, 1);  plx_live_data(&lv, i, now);
 *   plx_live_check(&lv, now);                          says who fell silent
 *   plx_live_records(&lv, &recs, ts, &tags);           with the status
 *
 * Records, per device, tagged device=NAME (with the reader's tags):
 *   gateway.<reader>.device.connected   1 or 0
 *   gateway.<reader>.device.age_s       seconds since its last data (-1: none yet)
 *   gateway.<reader>.device.silent      1 when quiet past its bound, else 0
 *
 * The bound: PLX_LIVE_FACTOR times how often the device speaks - the
 * devices file's `expect` (plexus-devices(5)), or else what it has shown
 * (a running mean of the gaps between its data, once it has spoken
 * PLX_LIVE_LEARN times) - and at least PLX_LIVE_MIN_MS. */
#ifndef PLX_LIVE_H
#define PLX_LIVE_H
#include <stdint.h>

#include "recs.h"

#define PLX_LIVE_FACTOR 5
#define PLX_LIVE_LEARN 5
#define PLX_LIVE_MIN_MS 10000
#define PLX_LIVE_MAX 1024        /* devices followed; past it, not followed */

struct plx_live_dev {
	char name[65];
	int connected;
	int silent;               /* said to be silent, not yet spoken again */
	int64_t last;             /* monotonic ms of its last data; 0: none */
	int64_t expect_ms;        /* configured; 0: learned */
	double gap_ms;            /* the mean gap learned */
	unsigned long seen;       /* data it sent */
};

struct plx_live {
	const char *reader;       /* "serial", "can", "modbus", "ble" */
	struct plx_live_dev *d;
	int n, cap;
};

void plx_live_init(struct plx_live *lv, const char *reader);
void plx_live_free(struct plx_live *lv);
/* The device's index (added when new; -1 past PLX_LIVE_MAX). */
int plx_live_dev(struct plx_live *lv, const char *name, int64_t expect_ms);
/* Device i is now called name (the devices file read again): its index,
 * with its state; no longer followed under the old name. */
int plx_live_rename(struct plx_live *lv, int i, const char *name, int64_t expect_ms);
/* Device i is gone (a reader's map no longer has it): never said silent,
 * reported as not connected. */
void plx_live_forget(struct plx_live *lv, int i);
void plx_live_connected(struct plx_live *lv, int i, int up);
void plx_live_data(struct plx_live *lv, int i, int64_t now);
/* The quiet bound of device i now (ms), or -1: none known yet. */
int64_t plx_live_bound(const struct plx_live *lv, int i);
/* Says on stderr, once, each device that fell silent or spoke again. */
void plx_live_check(struct plx_live *lv, int64_t now);
/* The three records of every device; 0, or -1 with why in r->err. */
int plx_live_records(const struct plx_live *lv, struct plx_recs *r, int64_t ts, int64_t now,
                     const struct plx_tags *tags);
/* ... of device i alone, with its own tags (a reader of many devices, each
 * with the tags and source the devices file gives it); tags that have a
 * device tag keep it (modbus-read's device and unit_id). */
int plx_live_records_dev(const struct plx_live *lv, int i, struct plx_recs *r, int64_t ts, int64_t now,
                         const struct plx_tags *tags);

#endif

/* Who each interface is (plexus-devices(5), lib/devices.c): the devices
 * file names the device behind a CAN interface ("can = can0": the bus as
 * the gateway sees it; the ECUs on it are the DBC's messages), and the
 * records of its frames get the device tag, its tags and its source.  An
 * interface a replayed log names is looked up too: a log gives the records
 * the bus gave.  And whether a live interface is alive (lib/live.c): open
 * and up, the age of its last frame, silent past its bound.  The file is
 * read at start and again on SIGHUP; a fault is said, and the names stay
 * as they were. */
#include <string.h>

#include "emit.h"

/* The base tags of interface k's records. */
static void
tags_of(struct emit *e, int k, int say)
{
	const struct plx_device *d = say ? plx_devices_lookup(&e->devs, PLX_DEV_CAN, e->names[k])
	                                 : plx_devices_find(&e->devs, PLX_DEV_CAN, e->names[k]);

	plx_device_tags(&e->devs, d, &e->o->tags, e->o->source_given, NULL, &e->itags[k]);
	e->dev[k] = d;
}

void
ident_init(struct emit *e)
{
	plx_live_init(&e->live, "can");
	plx_devices_reload(&e->devs);
}

void
ident_free(struct emit *e)
{
	plx_devices_free(&e->devs);
	plx_live_free(&e->live);
}

void
ident_name(struct emit *e, int k)
{
	e->live_of[k] = -1;
	tags_of(e, k, 1);
}

/* Liveness under the device's name, else the interface's. */
static int
live_index(struct emit *e, int k)
{
	return plx_live_rename(&e->live, e->live_of[k], e->dev[k] ? e->dev[k]->name : e->names[k],
	                       e->dev[k] ? e->dev[k]->expect_ms : 0);
}

void
ident_follow(struct emit *e, int k)
{
	e->live_of[k] = live_index(e, k);
}

void
ident_reload(struct emit *e)
{
	int k;

	if (plx_devices_reload(&e->devs) < 0)
		return;
	for (k = 0; k < e->nnames; k++) {
		tags_of(e, k, 1);
		if (e->live_of[k] >= 0)
			e->live_of[k] = live_index(e, k);
	}
	e->tags_gen++;              /* the templates made with the old tags: again */
}

void
ident_up(struct emit *e, int k, int up)
{
	plx_live_connected(&e->live, e->live_of[k], up);
}

void
ident_data(struct emit *e, int k, int64_t now)
{
	plx_live_data(&e->live, e->live_of[k], now);
}

void
ident_check(struct emit *e, int64_t now)
{
	plx_live_check(&e->live, now);
}

void
ident_records(struct emit *e, int64_t ts, int64_t now)
{
	int k;

	for (k = 0; k < e->nnames; k++)
		if (e->live_of[k] >= 0 &&
		    plx_live_records_dev(&e->live, e->live_of[k], &e->recs, ts, now, &e->itags[k]) < 0)
			emit_rejected(e);
}

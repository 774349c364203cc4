/* ble-read: who each sensor is (plexus-devices(5), lib/devices.c).  The
 * devices file names a sensor by its MAC (its own, when its packets carry
 * it, else BlueZ's address):
 *
 *   [device fridge]
 *   ble = A4:C1:38:12:34:56
 *
 * and its records get the name in the metric (made a slug, as --alias;
 * --alias wins), the device tag, its tags and its source (-s wins).
 * Whether it is alive (lib/live.c), for the sensors the file names (a
 * street of phones is not followed): connected while BlueZ lists it (BlueZ
 * drops a device it has not heard for a while), the age of its last
 * reading, silent past its bound: said once.  The file is read at start
 * and again on SIGHUP. */
#include <string.h>

#include "ble.h"
#include "clock.h"

/* The liveness of each sensor the file names (found or added, how often
 * it speaks as the file says); keep[i] set for each, when given. */
static void
follow(struct app *a, char *keep)
{
	const struct plx_device *n;
	int k, i;

	for (k = 0; k < a->devs.nkeys; k++) {
		if (a->devs.key[k].kind != PLX_DEV_BLE)
			continue;
		n = &a->devs.dev[a->devs.key[k].dev];
		i = plx_live_rename(&a->live, plx_live_dev(&a->live, n->name, n->expect_ms), n->name, n->expect_ms);
		if (keep && i >= 0)
			keep[i] = 1;
	}
}

void
ident_init(struct app *a)
{
	plx_live_init(&a->live, "ble");
	plx_devices_reload(&a->devs);
	follow(a, NULL);
}

void
ident_free(struct app *a)
{
	plx_devices_free(&a->devs);
	plx_live_free(&a->live);
}

void
ident_dev(struct app *a, struct dev *d)
{
	const struct plx_device *n = plx_devices_find(&a->devs, PLX_DEV_BLE, d->mac);
	struct plx_tags t;

	if (!n)
		n = plx_devices_find(&a->devs, PLX_DEV_BLE, d->addr);
	if (n && n != d->named)
		plx_info("%s is device %s (%s)", d->mac, n->name, a->devs.path);
	d->named = n;
	/* what its tags refuse is said here, once; its records then go with
	 * the base tags (emit.c) */
	d->tags_ok = n && plx_device_tags(&a->devs, n, &a->o->tags, a->o->source_given, NULL, &t) == 0;
	d->live = n ? plx_live_dev(&a->live, n->name, n->expect_ms) : -1;
	plx_live_connected(&a->live, d->live, 1);
}

void
ident_gone(struct app *a, struct dev *d)
{
	plx_live_connected(&a->live, d->live, 0);
}

void
ident_reload(struct app *a)
{
	static char keep[PLX_LIVE_MAX];
	int i;

	if (plx_devices_reload(&a->devs) < 0)
		return;
	for (i = 0; i < a->tab.max; i++)
		if (a->tab.d[i].path[0]) {
			a->tab.d[i].named = NULL;         /* it pointed into the file before */
			dev_set_mac(a, &a->tab.d[i], a->tab.d[i].mac);   /* who it is, its slug */
		}
	memset(keep, 0, sizeof keep);
	follow(a, keep);
	for (i = 0; i < a->live.n; i++)     /* a sensor the file no longer names */
		if (!keep[i])
			plx_live_forget(&a->live, i);
}

void
ident_records(struct app *a, int64_t ts)
{
	const struct plx_device *n;
	struct plx_tags t;
	char err[160];
	int k, i;

	for (k = 0; k < a->devs.nkeys; k++) {
		if (a->devs.key[k].kind != PLX_DEV_BLE)
			continue;
		n = &a->devs.dev[a->devs.key[k].dev];
		if ((i = plx_live_dev(&a->live, n->name, n->expect_ms)) < 0)
			continue;
		plx_device_tags(&a->devs, n, &a->o->tags, a->o->source_given, NULL, &t);
		if ((!plx_tags_source(&t) && plx_tags_set_source(&t, a->o->source_id, err, sizeof err) < 0) ||
		    plx_live_records_dev(&a->live, i, &a->recs, ts, plx_mono_ms(), &t) < 0)
			a->n.rejected++;
	}
}

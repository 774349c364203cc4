/* Who the port is (plexus-devices(5)): the devices file names the device
 * behind a port, and gives its records a device tag, its tags and its
 * source; and whether it is alive (lib/live.c): connected, the age of its
 * last line, silent past its bound.  Read at start and again on SIGHUP; a
 * file with a fault is said, and the names stay as they were. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "serial.h"

void
identity_init(struct identity *id, const struct opts *o, struct lp *lp)
{
	memset(id, 0, sizeof *id);
	id->dev = -1;
	id->base = lp->tags;          /* -T and -s: what no device file changes */
	plx_live_init(&id->live, "serial");
	identity_load(id, o, lp);
}

void
identity_free(struct identity *id)
{
	plx_devices_free(&id->devs);
	plx_live_free(&id->live);
}

/* The tags of the port's records: -T, then the device's, then device=NAME;
 * its source: -s, else the device's, else PLEXUS_SOURCE_ID's. */
static void
apply(struct identity *id, const struct opts *o, struct lp *lp, const struct plx_device *d)
{
	char err[200];
	const char *k, *v;
	int i;

	lp->tags = id->base;
	if (!d)
		return;
	for (i = 0; plx_tags_get(&d->tags, i, &k, &v) == 0; i++)
		if (plx_tags_add(&lp->tags, k, v, err, sizeof err) < 0)
			plx_warn("%s: device %s: %s", id->devs.path, d->name, err);
	if (plx_tags_add(&lp->tags, "device", d->name, err, sizeof err) < 0)
		plx_warn("%s: device %s: %s", id->devs.path, d->name, err);
	if (d->source_id && !o->source_given &&
	    plx_tags_set_source(&lp->tags, d->source_id, err, sizeof err) < 0)
		plx_warn("%s: device %s: %s", id->devs.path, d->name, err);
}

void
identity_load(struct identity *id, const struct opts *o, struct lp *lp)
{
	struct plx_devices next;
	const struct plx_device *d = NULL;
	const char *name;
	char err[300];

	if (!o->port)
		return;                   /* a file or stdin is no device */
	if (plx_devices_load(&next, NULL, err, sizeof err) < 0) {
		plx_warn("devices file: %s; names as they were", err);
		return;
	}
	if ((d = plx_devices_find(&next, PLX_DEV_SERIAL, o->port)))
		plx_info("%s is device %s (%s)", o->port, d->name, next.path);
	apply(id, o, lp, d);          /* the tags now point into next */
	plx_devices_free(&id->devs);
	id->devs = next;
	/* the liveness name: the device's, else the port's own */
	name = d ? d->name : strrchr(o->port, '/') ? strrchr(o->port, '/') + 1 : o->port;
	id->dev = plx_live_dev(&id->live, name, d ? d->expect_ms : 0);
}

/* Who the port is (plexus-devices(5), lib/devices.c): the devices file
 * names the device behind a port, and gives its records a device tag, its
 * tags and its source; and whether it is alive (lib/live.c): connected,
 * the age of its last line, silent past its bound.  Read at start and again
 * on SIGHUP; a file with a fault is said, and the names stay as they were. */
#include <string.h>

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

void
identity_load(struct identity *id, const struct opts *o, struct lp *lp)
{
	const struct plx_device *d;
	const char *name;

	if (!o->port || plx_devices_reload(&id->devs) < 0)
		return;                   /* a file or stdin is no device; a fault: as it was */
	d = plx_devices_lookup(&id->devs, PLX_DEV_SERIAL, o->port);
	plx_device_tags(&id->devs, d, &id->base, o->source_given, NULL, &lp->tags);
	/* the liveness name: the device's, else the port's own */
	name = d ? d->name : strrchr(o->port, '/') ? strrchr(o->port, '/') + 1 : o->port;
	id->dev = plx_live_rename(&id->live, id->dev, name, d ? d->expect_ms : 0);
}

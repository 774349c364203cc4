/* modbus-read: who each unit is (plexus-devices(5), lib/devices.c): the
 * devices file names a unit by its connection and unit id,
 *
 *   [device meter-a]
 *   modbus = 192.168.1.10/1        (no port: 502)
 *
 * and its records get the device tag (in place of the map's name), its tags
 * and its source.  Whether it answers (lib/live.c): a unit is connected
 * while its requests are answered (with data or an exception), its age is
 * that of its last data, and it is silent past 5 times how often it is
 * polled (or the file's expect), 10 s at least: said once on stderr.  poll.c
 * applies both; the file is read at start and again on SIGHUP. */
#include <stdio.h>
#include <string.h>

#include "ident.h"

void
ident_init(struct ident *id)
{
	memset(id, 0, sizeof *id);
	plx_live_init(&id->live, "modbus");
	plx_devices_reload(&id->devs);
}

void
ident_free(struct ident *id)
{
	plx_devices_free(&id->devs);
	plx_live_free(&id->live);
}

int
ident_reload(struct ident *id)
{
	return plx_devices_reload(&id->devs);
}

const struct plx_device *
ident_find(const struct ident *id, const struct mb_device *d, int unit_id)
{
	char key[600];

	/* the form lib/devices.c keeps: HOST:PORT/UNIT ([v6]:PORT/UNIT), PATH/UNIT */
	if (d->tty)
		snprintf(key, sizeof key, "%s/%d", d->tty, unit_id);
	else
		snprintf(key, sizeof key, strchr(d->host, ':') ? "[%s]:%d/%d" : "%s:%d/%d", d->host, d->port, unit_id);
	return plx_devices_lookup(&id->devs, PLX_DEV_MODBUS, key);
}

int
ident_live(struct ident *id, int prev, const struct plx_device *named, const struct mb_device *d,
           int unit_id, int64_t expect_ms)
{
	char name[PLX_DEVICE_NAME_MAX + 1];

	if (named)
		snprintf(name, sizeof name, "%s", named->name);
	else
		snprintf(name, sizeof name, "%.50s/%d", d->name, unit_id);
	return plx_live_rename(&id->live, prev, name, named && named->expect_ms ? named->expect_ms : expect_ms);
}

/* ble-read --gatt: sensors that do not advertise their values are read by
 * connecting to them, every --interval seconds, one device at a time:
 *
 *   Device1.Connect()                         /org/bluez/hci0/dev_A4_C1_..
 *   (BlueZ lists the GATT objects, ServicesResolved becomes true)
 *   GattCharacteristic1.ReadValue({}) -> ay   ../service0010/char0011 UUID 2a6e
 *       = 2c 09  -> temperature 23.48 °C (ble_decode_gatt)
 *   ... 2A6F humidity, 2A6D pressure, 2A19 battery level
 *   Device1.Disconnect()
 *
 * A device is read when it passes the filters and is on the allowlist,
 * advertises the Environmental Sensing service (0x181A) or has its
 * characteristics, or matches -n.  A failed connect or read, or no answer
 * within CONNECT_MS, is counted (connection failures), said on stderr, and
 * the device is tried again at its next interval. */
#include <string.h>

#include "ble.h"
#include "clock.h"
#include "log.h"

#define CONNECT_MS   30000          /* connect, resolve and read within this */

extern struct app *ble_app;

static const uint16_t want[BLE_NCHARS] = { 0x2a6e, 0x2a6f, 0x2a6d, 0x2a19 };

/* A reply's user data: the slot, its generation, the characteristic. */
static void *
tag(struct app *a, struct dev *d, int c)
{
	return (void *)(uintptr_t)((unsigned)dev_index(&a->tab, d) | (d->gen & 0x3fffu) << 16 |
	                           (unsigned)c << 30);
}

static struct dev *
untag(struct app *a, void *u, int *c)
{
	uintptr_t v = (uintptr_t)u;
	struct dev *d = &a->tab.d[v & 0xffff];

	*c = (int)(v >> 30 & 3);
	return (d->gen & 0x3fffu) == (v >> 16 & 0x3fff) && d->path[0] ? d : NULL;
}

static int
has_chars(const struct dev *d)
{
	int i;

	for (i = 0; i < BLE_NCHARS; i++)
		if (d->chr[i][0])
			return 1;
	return 0;
}

static void
done(struct app *a, struct dev *d, const char *why)
{
	if (why) {
		a->n.conn_failures++;
		plx_warn_limited(&a->rl, "%s: GATT: %s", d->addr, why);
	}
	sd_bus_call_method_async(a->bus, NULL, "org.bluez", d->path, "org.bluez.Device1", "Disconnect",
	                         NULL, NULL, "");
	d->gstate = G_IDLE;
	d->gpending = 0;
	d->gnext = plx_mono_ms() + a->o->interval_ms;
	if (a->gatt_busy == dev_index(&a->tab, d))
		a->gatt_busy = -1;
}

static int
on_read(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const sd_bus_error *err = sd_bus_message_get_error(m);
	struct ble_reading r;
	struct dev *d;
	const void *v;
	size_t len;
	char why[200], uuid[8];
	int c;

	if (!(d = untag(a, u, &c)) || d->gstate != G_READING)
		return 0;
	d->gpending--;
	snprintf(uuid, sizeof uuid, "%04x", want[c]);
	if (err) {
		a->n.conn_failures++;
		plx_warn_limited(&a->rl, "%s: GATT %s: ReadValue: %s", d->addr, uuid,
		                 err->message ? err->message : err->name);
	} else if (sd_bus_message_read_array(m, 'y', &v, &len) < 0) {
		plx_warn_limited(&a->rl, "%s: GATT %s: ReadValue reply not understood", d->addr, uuid);
	} else if (ble_decode_gatt(uuid, v, len, &r, 1, why, sizeof why) < 0) {
		a->n.decode_errors++;
		plx_warn_limited(&a->rl, "%s: GATT %s: %s", d->addr, uuid, why);
	} else {
		a->n.decoded++;
		emit_gatt(a, d, &r);
	}
	if (!d->gpending)
		done(a, d, NULL);
	return 0;
}

static void
read_all(struct app *a, struct dev *d)
{
	char path[BLE_PATH_MAX + 40];
	int i;

	d->gstate = G_READING;
	for (i = 0; i < BLE_NCHARS; i++) {
		if (!d->chr[i][0])
			continue;
		snprintf(path, sizeof path, "%s%s", d->path, d->chr[i]);
		if (sd_bus_call_method_async(a->bus, NULL, "org.bluez", path, "org.bluez.GattCharacteristic1",
		                             "ReadValue", on_read, tag(a, d, i), "a{sv}", 0) >= 0)
			d->gpending++;
	}
	if (!d->gpending)
		done(a, d, "no characteristic could be read");
}

static int
on_connect(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const sd_bus_error *err = sd_bus_message_get_error(m);
	struct dev *d;
	int c;

	if (!(d = untag(a, u, &c)) || d->gstate != G_CONNECTING)
		return 0;
	if (err && !sd_bus_error_has_name(err, "org.bluez.Error.AlreadyConnected")) {
		done(a, d, err->message ? err->message : err->name);
		return 0;
	}
	if (has_chars(d))
		read_all(a, d);
	else
		d->gstate = G_RESOLVING;    /* the objects come with ServicesResolved */
	return 0;
}

void
gatt_dev_changed(struct app *a, struct dev *d)
{
	if (d->gstate != G_RESOLVING || !d->resolved)
		return;
	if (has_chars(d))
		read_all(a, d);
	else
		done(a, d, "no Environmental Sensing or Battery characteristic");
}

/* A characteristic added (uuid) or removed (NULL) at path. */
void
gatt_char_seen(struct app *a, const char *path, const char *uuid)
{
	const char *s = strstr(path, "/dev_");
	char dpath[BLE_PATH_MAX];
	struct dev *d;
	long u = uuid ? ble_uuid16(uuid) : -1;
	int i, added;

	if (!s || !(s = strchr(s + 1, '/')) || (size_t)(s - path) >= sizeof dpath || strlen(s) >= sizeof d->chr[0])
		return;
	memcpy(dpath, path, (size_t)(s - path));
	dpath[s - path] = 0;
	if (!uuid) {
		if ((d = dev_find(&a->tab, dpath)))
			for (i = 0; i < BLE_NCHARS; i++)
				if (!strcmp(d->chr[i], s))
					d->chr[i][0] = 0;
		return;
	}
	for (i = 0; i < BLE_NCHARS && want[i] != u; i++)
		;
	if (i == BLE_NCHARS || !(d = dev_get(a, dpath, &added)))
		return;
	strcpy(d->chr[i], s);
	d->flags |= DEV_ESS;
}

void
gatt_forget(struct app *a, struct dev *d)
{
	if (a->gatt_busy == dev_index(&a->tab, d))
		a->gatt_busy = -1;
	d->gstate = G_IDLE;
	d->gpending = 0;
	memset(d->chr, 0, sizeof d->chr);
}

static int
target(const struct app *a, const struct dev *d)
{
	return d->path[0] && emit_pass(a, d) &&
	       (d->flags & (DEV_ALLOW | DEV_ESS) || (a->o->name_filter && (d->flags & DEV_NAMEOK)));
}

/* Once a second: the connection in hand timed out?  Else the device due
 * longest ago, if any. */
void
gatt_tick(struct app *a)
{
	struct dev *d, *best = NULL;
	int64_t now = plx_mono_ms();
	int i;

	if (!a->o->gatt || !a->bluez_up || !a->ad.path[0] || !a->ad.powered)
		return;
	if (a->gatt_busy >= 0) {
		d = &a->tab.d[a->gatt_busy];
		if (now >= d->gnext)
			done(a, d, "no answer in time");
		return;
	}
	for (i = 0; i < a->tab.max; i++) {
		d = &a->tab.d[i];
		if (target(a, d) && d->gstate == G_IDLE && d->gnext <= now && (!best || d->gnext < best->gnext))
			best = d;
	}
	if (!best)
		return;
	best->gstate = G_CONNECTING;
	best->gnext = now + CONNECT_MS;
	a->gatt_busy = dev_index(&a->tab, best);
	if (sd_bus_call_method_async(a->bus, NULL, "org.bluez", best->path, "org.bluez.Device1", "Connect",
	                             on_connect, tag(a, best, 0), "") < 0)
		done(a, best, "unable to call Connect");
}

/* ble-read: BlueZ over D-Bus (sd-bus).  What bluetoothd (bus name
 * org.bluez) says, and what is asked of it:
 *
 *   GetManagedObjects on /          -> a{oa{sa{sv}}}: adapters, devices,
 *                                      GATT objects BlueZ knows now
 *   signal InterfacesAdded (o, a{sa{sv}})    a device found, an adapter plugged
 *   signal InterfacesRemoved (o, as)         ... gone
 *   signal PropertiesChanged (s, a{sv}, as) on /org/bluez/hci0/dev_A4_C1_..:
 *       "org.bluez.Device1", {"RSSI": <int16 -67>,
 *         "ServiceData": <{"0000fcd2-0000-1000-8000-00805f9b34fb": <[0x40, 0x02, 0xc4, 0x09]>}>,
 *         "ManufacturerData": <{0x0499: <[0x05, 0x12, ...]>}>}, []
 *     an advertisement: decoded (emit.c) into records
 *   signal NameOwnerChanged ("org.bluez", old, new)   bluetoothd gone / back
 *   Adapter1.SetDiscoveryFilter({"Transport": "le", "DuplicateData": true,
 *       "UUIDs": [...], "RSSI": -90}) then Adapter1.StartDiscovery()
 *
 * BlueZ coming and going is the normal life of a gateway: bluetoothd
 * restarts, the adapter is powered off, a USB dongle is pulled.  None of it
 * ends the reader: it says so on stderr, waits, and arms discovery again on
 * the adapter that comes back.  Only the bus itself failing ends the run.
 *
 * An InterfacesAdded of a device is an advertisement (the first one BlueZ
 * saw); what GetManagedObjects lists is BlueZ's cache, maybe hours old: its
 * names and GATT objects are taken, its data is not decoded. */
#include <string.h>

#include "ble.h"
#include "clock.h"
#include "log.h"

#define BLUEZ        "org.bluez"
#define IF_ADAPTER   "org.bluez.Adapter1"
#define IF_DEVICE    "org.bluez.Device1"
#define IF_CHAR      "org.bluez.GattCharacteristic1"
#define RETRY_MS     2000          /* after a failed discovery call */
#define CALL_USEC    (10 * 1000000ull)
#define STOP_USEC    (2 * 1000000ull)

extern struct app *ble_app;
static unsigned ad_gen;              /* bumped when the adapter changes: stale replies */

/* What one Device1 property dict said. */
struct props {
	const char *name;
	int has_name;
	int rssi, has_rssi;
	int uuid_match, ess;             /* one of -u seen; 0x181A seen */
	int resolved, has_resolved;
	int has_data;                    /* ServiceData or ManufacturerData */
	struct ble_adv adv;              /* points into the message */
};

/* At a variant: 1 when it holds `want` (entered), else skipped: 0. */
static int
variant(sd_bus_message *m, const char *want)
{
	const char *c;
	char t;
	int r;

	if ((r = sd_bus_message_peek_type(m, &t, &c)) < 0)
		return r;
	if (t == 'v' && c && !strcmp(c, want))
		return sd_bus_message_enter_container(m, 'v', want) < 0 ? -1 : 1;
	return sd_bus_message_skip(m, "v") < 0 ? -1 : 0;
}

static void
uuid_seen(struct app *a, struct props *p, const char *u)
{
	int i;

	for (i = 0; i < a->o->nuuids; i++)
		if (!strcasecmp(a->o->uuids[i], u))
			p->uuid_match = 1;
	if (ble_uuid16(u) == 0x181a)
		p->ess = 1;
}

/* "ServiceData" a{sv} of ay, "ManufacturerData" a{qv} of ay */
static int
data_dict(struct app *a, sd_bus_message *m, struct props *p, int mfr)
{
	const char *uuid = NULL;
	const void *v;
	uint16_t co = 0;
	size_t len;
	int r, got;

	if ((r = sd_bus_message_enter_container(m, 'a', mfr ? "{qv}" : "{sv}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', mfr ? "qv" : "sv")) > 0) {
		if ((r = mfr ? sd_bus_message_read(m, "q", &co) : sd_bus_message_read(m, "s", &uuid)) < 0 ||
		    (got = variant(m, "ay")) < 0)
			return -1;
		if (got) {
			if (sd_bus_message_read_array(m, 'y', &v, &len) < 0 || sd_bus_message_exit_container(m) < 0)
				return -1;
			if (mfr && p->adv.nmfr < BLE_MAX_MFR) {
				p->adv.mfr[p->adv.nmfr].company = co;
				p->adv.mfr[p->adv.nmfr].data = v;
				p->adv.mfr[p->adv.nmfr++].len = len;
			} else if (!mfr && p->adv.nsvc < BLE_MAX_SVC) {
				p->adv.svc[p->adv.nsvc].uuid = uuid;
				p->adv.svc[p->adv.nsvc].data = v;
				p->adv.svc[p->adv.nsvc++].len = len;
				uuid_seen(a, p, uuid);
			}
		}
		if ((r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	p->has_data = 1;
	return sd_bus_message_exit_container(m);
}

static int
uuid_list(struct app *a, sd_bus_message *m, struct props *p)
{
	const char *u;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'a', "s")) < 0)
		return r;
	while ((r = sd_bus_message_read(m, "s", &u)) > 0)
		uuid_seen(a, p, u);
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* One property of Device1: its name read, at its variant.  A property
 * of an unexpected type is skipped, as one we do not use. */
static int
dev_prop(struct app *a, sd_bus_message *m, const char *k, struct props *p)
{
	static const char *const key[] = { "Name", "RSSI", "ServicesResolved", "UUIDs",
	                                   "ServiceData", "ManufacturerData" };
	static const char *const sig[] = { "s", "n", "b", "as", "a{sv}", "a{qv}" };
	int16_t rssi;
	size_t i;
	int b, r;

	for (i = 0; i < sizeof key / sizeof key[0] && strcmp(k, key[i]); i++)
		;
	if (i == sizeof key / sizeof key[0])
		return sd_bus_message_skip(m, "v");
	if ((r = variant(m, sig[i])) <= 0)
		return r;
	switch (i) {
	case 0: r = sd_bus_message_read(m, "s", &p->name); p->has_name = 1; break;
	case 1:
		r = sd_bus_message_read(m, "n", &rssi);
		/* -127..20 dBm; 127 is the controller's "not available" (Core
		 * Specification, LE Advertising Report), which BlueZ passes on
		 * (btvirt's controllers send it: tests/vm/t-ble.sh): no reading */
		if (rssi >= -127 && rssi <= 20) {
			p->rssi = rssi;
			p->has_rssi = 1;
		}
		break;
	case 2: r = sd_bus_message_read(m, "b", &b); p->resolved = b; p->has_resolved = 1; break;
	case 3: r = uuid_list(a, m, p); break;
	default: r = data_dict(a, m, p, i == 5); break;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);   /* the variant */
}

/* Calls fn for each entry of an a{sv}, at its variant. */
static int
each_prop(struct app *a, sd_bus_message *m, struct props *p,
          int (*fn)(struct app *, sd_bus_message *, const char *, struct props *))
{
	const char *k;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if ((r = sd_bus_message_read(m, "s", &k)) < 0 || (r = fn(a, m, k, p)) < 0 ||
		    (r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* Device1 properties of path (all of them, or the changed ones). */
static int
device(struct app *a, const char *path, sd_bus_message *m, int decode)
{
	struct props p = { 0 };
	struct dev *d;
	int added;

	if (each_prop(a, m, &p, dev_prop) < 0) {
		plx_warn_limited(&a->rl, "%s: Device1 properties not understood", path);
		return -1;
	}
	if (!(d = dev_get(a, path, &added)))
		return 0;
	d->last_seen = plx_mono_ms();
	if (p.has_name && strncmp(d->name, p.name, sizeof d->name - 1)) {
		dev_set_name(a, d, p.name);
		emit_flags(a, d);
	}
	if (p.has_rssi) {
		d->rssi = p.rssi;
		d->has_rssi = 1;
	}
	d->flags |= (p.uuid_match ? DEV_UUID : 0) | (p.ess ? DEV_ESS : 0);
	if (p.has_resolved) {
		d->resolved = p.resolved;
		gatt_dev_changed(a, d);
	}
	if (decode && (p.has_data || p.has_rssi)) {
		p.adv.addr = d->addr;
		p.adv.name = *d->name ? d->name : NULL;
		p.adv.rssi = d->rssi;
		p.adv.has_rssi = d->has_rssi;
		emit_adv(a, d, &p.adv, p.has_data, p.has_rssi);
	}
	return 0;
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Adapter1: Powered (kept in resolved) and Discovering (kept in rssi). */
static int
adapter_prop(struct app *a, sd_bus_message *m, const char *k, struct props *p)
{
	int powered = !strcmp(k, "Powered"), b, r;

	if (!powered && strcmp(k, "Discovering"))
		return sd_bus_message_skip(m, "v");
	if ((r = variant(m, "b")) <= 0 || (r = sd_bus_message_read(m, "b", &b)) < 0)
		return r;
	if (powered) {
		p->resolved = b;
		p->has_resolved = 1;
	} else {
		p->rssi = b;
		p->has_rssi = 1;
	}
	return sd_bus_message_exit_container(m);
}

/* Adapter1 properties of path: an adapter listed or added (is_new), or a
 * change of one. */
static int
adapter(struct app *a, const char *path, sd_bus_message *m, int is_new)
{
	struct props p = { 0 };

	if (each_prop(a, m, &p, adapter_prop) < 0)
		return -1;
	if (!a->ad.path[0] && is_new && (!a->o->adapter || !strcmp(base(path), a->o->adapter))) {
		snprintf(a->ad.path, sizeof a->ad.path, "%s", path);
		a->ad.powered = p.has_resolved && p.resolved;
		a->ad.armed = a->ad.pending = 0;
		a->ad.retry_at = 0;
		ad_gen++;
		plx_warn("adapter %s%s", base(path), a->ad.powered ? "" : " (powered off: waiting)");
	} else if (strcmp(a->ad.path, path)) {
		return 0;
	} else if (p.has_resolved && p.resolved != a->ad.powered) {
		a->ad.powered = p.resolved;
		a->ad.armed = 0;
		plx_warn("adapter %s powered %s", base(path), p.resolved ? "on" : "off: waiting");
	}
	if (p.has_rssi && !p.rssi && a->ad.armed && a->scanning) {
		/* discovery ended, not by us (bluetoothd, another client's reset) */
		a->ad.armed = 0;
		a->ad.retry_at = plx_mono_ms() + RETRY_MS;
		plx_warn("adapter %s stopped discovering; arming again", base(path));
	}
	bluez_scan_update(a);
	return 0;
}

static int
char_prop(struct app *a, sd_bus_message *m, const char *k, struct props *p)
{
	int r;

	if (strcmp(k, "UUID"))
		return sd_bus_message_skip(m, "v");
	if ((r = variant(m, "s")) <= 0 || (r = sd_bus_message_read(m, "s", &p->name)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* One object of a{sa{sv}}: the interfaces we know, the rest skipped. */
static int
object(struct app *a, const char *path, sd_bus_message *m, int decode)
{
	struct props p;
	const char *iface;
	int r;

	if ((r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		if ((r = sd_bus_message_read(m, "s", &iface)) < 0)
			return r;
		if (!strcmp(iface, IF_DEVICE))
			r = device(a, path, m, decode);
		else if (!strcmp(iface, IF_ADAPTER))
			r = adapter(a, path, m, 1);
		else if (!strcmp(iface, IF_CHAR)) {
			memset(&p, 0, sizeof p);
			if ((r = each_prop(a, m, &p, char_prop)) >= 0 && p.name)
				gatt_char_seen(a, path, p.name);
		} else
			r = sd_bus_message_skip(m, "a{sv}");
		if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int
on_added(sd_bus_message *m, void *u, sd_bus_error *e)
{
	const char *path;

	if (sd_bus_message_read(m, "o", &path) < 0 || object(ble_app, path, m, 1) < 0)
		plx_warn_limited(&ble_app->rl, "InterfacesAdded not understood");
	return 0;
}

static void get_objects(struct app *a);

/* The adapter in use is gone.  When bluetoothd is still there, it is asked
 * again: a gateway with two dongles goes on with the other one. */
static void
adapter_gone(struct app *a, const char *why)
{
	if (!a->ad.path[0])
		return;
	plx_warn("adapter %s %s; waiting for one", base(a->ad.path), why);
	memset(&a->ad, 0, sizeof a->ad);
	ad_gen++;
	if (a->bluez_up)
		get_objects(a);
}

static int
on_removed(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const char *path, *iface;
	struct dev *d;

	if (sd_bus_message_read(m, "o", &path) < 0 || sd_bus_message_enter_container(m, 'a', "s") < 0)
		return 0;
	while (sd_bus_message_read(m, "s", &iface) > 0) {
		if (!strcmp(iface, IF_DEVICE) && (d = dev_find(&a->tab, path))) {
			gatt_forget(a, d);
			ident_gone(a, d);
			dev_drop(&a->tab, d);
		} else if (!strcmp(iface, IF_ADAPTER) && !strcmp(path, a->ad.path)) {
			adapter_gone(a, "removed");
		} else if (!strcmp(iface, IF_CHAR)) {
			gatt_char_seen(a, path, NULL);
		}
	}
	return 0;
}

static int
on_changed(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const char *iface, *path = sd_bus_message_get_path(m);

	if (!path || sd_bus_message_read(m, "s", &iface) < 0)
		return 0;
	if (!strcmp(iface, IF_DEVICE))
		device(a, path, m, 1);
	else if (!strcmp(iface, IF_ADAPTER))
		adapter(a, path, m, 0);
	return 0;
}

static int
on_objects(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const sd_bus_error *err = sd_bus_message_get_error(m);
	const char *path;
	int r;

	if (err) {
		if (!a->bluez_up)
			plx_warn("org.bluez is not on the bus (%s); waiting for it", err->message);
		return 0;
	}
	if (!a->bluez_up)
		plx_warn("org.bluez is on the bus");
	a->bluez_up = a->bluez_seen = 1;
	if ((r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}")) < 0)
		return 0;
	while (sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}") > 0) {
		if (sd_bus_message_read(m, "o", &path) < 0 || object(a, path, m, 0) < 0 ||
		    sd_bus_message_exit_container(m) < 0) {
			plx_warn_limited(&a->rl, "GetManagedObjects reply not understood");
			return 0;
		}
	}
	if (!a->ad.path[0])
		plx_warn("no adapter%s%s yet; waiting for one", a->o->adapter ? " " : "",
		         a->o->adapter ? a->o->adapter : "");
	return 0;
}

static void
get_objects(struct app *a)
{
	int r = sd_bus_call_method_async(a->bus, NULL, BLUEZ, "/", "org.freedesktop.DBus.ObjectManager",
	                                 "GetManagedObjects", on_objects, NULL, "");
	if (r < 0)
		app_fatal_bus(a, r, "GetManagedObjects");
}

static int
on_owner(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, BLUEZ))
		return 0;
	if (!*new) {
		plx_warn("org.bluez vanished (bluetoothd stopped?); waiting for it");
		a->bluez_up = 0;
		adapter_gone(a, "gone with it");
		for (int i = 0; i < a->tab.max; i++)
			if (a->tab.d[i].path[0])
				gatt_forget(a, &a->tab.d[i]);
		return 0;
	}
	if (a->bluez_seen)
		a->n.bluez_restarts++;
	plx_warn("org.bluez is back (%s)", new);
	a->bluez_up = a->bluez_seen = 1;
	get_objects(a);
	return 0;
}

/* Discovery calls: SetDiscoveryFilter -> StartDiscovery, chained. */
static void
failed(struct app *a, const char *call, const sd_bus_error *err)
{
	a->ad.pending = 0;
	a->ad.retry_at = plx_mono_ms() + RETRY_MS;
	plx_warn("adapter %s: %s: %s; retrying", base(a->ad.path), call, err->message ? err->message : err->name);
}

static int
on_started(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const sd_bus_error *err = sd_bus_message_get_error(m);

	if ((uintptr_t)u != ad_gen)
		return 0;
	if (err && !sd_bus_error_has_name(err, "org.bluez.Error.InProgress")) {
		failed(a, "StartDiscovery", err);
		return 0;
	}
	a->ad.pending = 0;
	a->ad.armed = 1;
	a->ad.retry_at = 0;
	plx_warn("adapter %s: discovering", base(a->ad.path));
	bluez_scan_update(a);          /* the window may have closed meanwhile */
	return 0;
}

static int
on_filter(sd_bus_message *m, void *u, sd_bus_error *e)
{
	struct app *a = ble_app;
	const sd_bus_error *err = sd_bus_message_get_error(m);
	int r;

	if ((uintptr_t)u != ad_gen)
		return 0;
	if (err) {
		failed(a, "SetDiscoveryFilter", err);
		return 0;
	}
	r = sd_bus_call_method_async(a->bus, NULL, BLUEZ, a->ad.path, IF_ADAPTER, "StartDiscovery",
	                             on_started, u, "");
	if (r < 0)
		app_fatal_bus(a, r, "StartDiscovery");
	return 0;
}

static int
filter_msg(struct app *a, sd_bus_message *m)
{
	const struct ble_opts *o = a->o;
	int i;

	if (sd_bus_message_open_container(m, 'a', "{sv}") < 0 ||
	    sd_bus_message_append(m, "{sv}", "Transport", "s", "le") < 0 ||
	    sd_bus_message_append(m, "{sv}", "DuplicateData", "b", 1) < 0 ||
	    (o->has_rssi_min && sd_bus_message_append(m, "{sv}", "RSSI", "n", (int16_t)o->rssi_min) < 0))
		return -1;
	if (o->nuuids) {
		if (sd_bus_message_open_container(m, 'e', "sv") < 0 || sd_bus_message_append(m, "s", "UUIDs") < 0 ||
		    sd_bus_message_open_container(m, 'v', "as") < 0 || sd_bus_message_open_container(m, 'a', "s") < 0)
			return -1;
		for (i = 0; i < o->nuuids; i++)
			if (sd_bus_message_append(m, "s", o->uuids[i]) < 0)
				return -1;
		if (sd_bus_message_close_container(m) < 0 || sd_bus_message_close_container(m) < 0 ||
		    sd_bus_message_close_container(m) < 0)
			return -1;
	}
	return sd_bus_message_close_container(m);
}

static void
arm(struct app *a)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(a->bus, &m, BLUEZ, a->ad.path, IF_ADAPTER, "SetDiscoveryFilter");
	if (r >= 0)
		r = filter_msg(a, m);
	if (r >= 0)
		r = sd_bus_call_async(a->bus, NULL, m, on_filter, (void *)(uintptr_t)ad_gen, CALL_USEC);
	sd_bus_message_unref(m);
	if (r < 0)
		app_fatal_bus(a, r, "SetDiscoveryFilter");
	a->ad.pending = 1;
}

static int
on_stopped(sd_bus_message *m, void *u, sd_bus_error *e)
{
	if ((uintptr_t)u == ad_gen)
		ble_app->ad.pending = 0;
	return 0;
}

void
bluez_scan_update(struct app *a)
{
	int want = a->bluez_up && a->ad.path[0] && a->ad.powered && a->scanning;

	if (a->ad.pending || (a->ad.retry_at && plx_mono_ms() < a->ad.retry_at))
		return;
	if (want && !a->ad.armed) {
		arm(a);
	} else if (!want && a->ad.armed && a->ad.path[0] && a->ad.powered && a->bluez_up) {
		a->ad.armed = 0;
		a->ad.pending = 1;
		if (sd_bus_call_method_async(a->bus, NULL, BLUEZ, a->ad.path, IF_ADAPTER, "StopDiscovery",
		                             on_stopped, (void *)(uintptr_t)ad_gen, "") < 0)
			a->ad.pending = 0;
	}
}

/* At exit: StopDiscovery, waiting STOP_USEC at most for a bluetoothd that
 * does not answer (the supervisor's stop timeout is not ours to use up). */
void
bluez_stop(struct app *a)
{
	sd_bus_message *m = NULL;

	if (a->ad.armed && a->ad.powered && a->bluez_up &&
	    sd_bus_message_new_method_call(a->bus, &m, BLUEZ, a->ad.path, IF_ADAPTER, "StopDiscovery") >= 0)
		sd_bus_call(a->bus, m, STOP_USEC, NULL, NULL);
	sd_bus_message_unref(m);
	a->ad.armed = 0;
}

static int
bus_open(struct app *a)
{
	int r;

	if (!a->o->bus)
		return sd_bus_open_system(&a->bus);
	if ((r = sd_bus_new(&a->bus)) < 0 || (r = sd_bus_set_address(a->bus, a->o->bus)) < 0 ||
	    (r = sd_bus_set_bus_client(a->bus, 1)) < 0)
		return r;
	return sd_bus_start(a->bus);
}

int
bluez_start(struct app *a)
{
	static const struct { const char *match; sd_bus_message_handler_t fn; } matches[] = {
		{ "type='signal',sender='" BLUEZ "',interface='org.freedesktop.DBus.ObjectManager',"
		  "member='InterfacesAdded'", on_added },
		{ "type='signal',sender='" BLUEZ "',interface='org.freedesktop.DBus.ObjectManager',"
		  "member='InterfacesRemoved'", on_removed },
		{ "type='signal',sender='" BLUEZ "',interface='org.freedesktop.DBus.Properties',"
		  "member='PropertiesChanged',path_namespace='/org/bluez'", on_changed },
		{ "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
		  "member='NameOwnerChanged',arg0='" BLUEZ "'", on_owner },
	};
	size_t i;
	int r;

	if ((r = bus_open(a)) < 0) {
		plx_warn("unable to connect to the %s bus%s%s: %s", a->o->bus ? "given" : "system",
		         a->o->bus ? " " : "", a->o->bus ? a->o->bus : "", strerror(-r));
		return -1;
	}
	for (i = 0; i < sizeof matches / sizeof matches[0]; i++)
		if ((r = sd_bus_add_match(a->bus, NULL, matches[i].match, matches[i].fn, NULL)) < 0) {
			plx_warn("unable to add a D-Bus match: %s", strerror(-r));
			return -1;
		}
	get_objects(a);
	return 0;
}

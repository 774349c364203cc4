/* ble-read: from a device's readings to records.  Filters, names, tags.
 *
 * A reading "temperature" of the device named "EnvSensor 1" at
 * A4:C1:38:12:34:56 becomes, with the default prefix,
 *
 *   {"class":"metric","metric":"ble-gateway.envsensor_1_123456.temperature","value":21.5,
 *    "timestamp":1763800000123,"tags":{"mac":"A4:C1:38:12:34:56","format":"bthome","unit":"°C"}}
 *
 * (the device's slug: dev.c) and with --source-per-device the slug is the
 * record's source_id instead:
 * {"metric":"temperature","source_id":"envsensor_1_123456",...}.  The signal
 * strength is a metric "rssi" (dBm) beside the readings.
 *
 * Filters (all that are given must pass): the name holds the -n substring
 * (case ignored), the address is on the -m allowlist, one of the -u service
 * UUIDs was seen, the RSSI is at least --rssi.  Of what passes, a device is
 * emitted when something in it decodes, or when it is on the allowlist (then
 * its unknown data comes as hex too): a street of phones with random
 * addresses does not reach the stream. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ble.h"
#include "clock.h"
#include "log.h"
#include "loop.h"

#define MAXR        64     /* readings of one advertisement */

/* "181a", "0x181A", "0000181a-0000-1000-8000-00805f9b34fb" or any 128-bit
 * UUID -> 128-bit lower case; -1 when it is none of these. */
int
uuid_norm(const char *in, char out[BLE_UUID_LEN])
{
	size_t i, n;

	if (!strncasecmp(in, "0x", 2))
		in += 2;
	n = strlen(in);
	if (n == 4 || n == 8) {
		for (i = 0; i < n; i++)
			if (!isxdigit((unsigned char)in[i]))
				return -1;
		snprintf(out, BLE_UUID_LEN, "%s%.*s-0000-1000-8000-00805f9b34fb", n == 4 ? "0000" : "", (int)n & 15, in);
	} else if (n == 36) {
		for (i = 0; i < n; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ? in[i] != '-'
			    : !isxdigit((unsigned char)in[i]))
				return -1;
		memcpy(out, in, BLE_UUID_LEN);
	} else {
		return -1;
	}
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'F')
			out[i] = (char)(out[i] - 'A' + 'a');
	return 0;
}

/* The flags that depend on the options and the name: called when a device
 * is added or its name changes. */
void
emit_flags(struct app *a, struct dev *d)
{
	int i;

	d->flags &= ~(unsigned)(DEV_ALLOW | DEV_NAMEOK);
	for (i = 0; i < a->o->nmacs; i++)
		if (!strcasecmp(a->o->macs[i], d->addr))
			d->flags |= DEV_ALLOW;
	if (a->o->name_filter && *d->name && strcasestr(d->name, a->o->name_filter))
		d->flags |= DEV_NAMEOK;
}

int
emit_pass(const struct app *a, const struct dev *d)
{
	const struct ble_opts *o = a->o;

	return (!o->name_filter || (d->flags & DEV_NAMEOK)) &&
	       (!o->nmacs || (d->flags & DEV_ALLOW)) &&
	       (!o->nuuids || (d->flags & DEV_UUID)) &&
	       (!o->has_rssi_min || !d->has_rssi || d->rssi >= o->rssi_min);
}

/* The metric name and the tags of one reading of d. */
static int
put(struct app *a, struct dev *d, const char *reading, int idx, const struct ble_reading *r,
    const char *unit, double v, int64_t ts)
{
	const struct ble_opts *o = a->o;
	struct plx_tags t = o->tags;
	char name[PLX_NAME_MAX + 64], rn[48], err[160];
	const char *src = o->source_id;
	int rc;

	if (d->tags_ok) {           /* a device of the devices file: its tags, its source */
		plx_device_tags(&a->devs, d->named, &o->tags, o->source_given, NULL, &t);
		if (plx_tags_source(&t))
			src = plx_tags_source(&t);
	}
	if (idx > 0)
		snprintf(rn, sizeof rn, "%s_%d", reading, idx);
	else
		snprintf(rn, sizeof rn, "%s", reading);
	if (!o->per_device)
		snprintf(name, sizeof name, "%s.%s.%s", o->prefix, d->slug, rn);
	else if (o->prefix_set)
		snprintf(name, sizeof name, "%s.%s", o->prefix, rn);
	else
		snprintf(name, sizeof name, "%s", rn);
	if (plx_tags_set_source(&t, o->per_device ? d->slug : src, err, sizeof err) < 0 ||
	    plx_tags_add(&t, "mac", d->mac, err, sizeof err) < 0 ||
	    (r && plx_tags_add(&t, "format", r->format, err, sizeof err) < 0) ||
	    (unit && *unit && plx_tags_add(&t, "unit", unit, err, sizeof err) < 0)) {
		a->n.rejected++;
		plx_warn_limited(&a->rl, "%s: %s", d->addr, err);
		return -1;
	}
	if (r && r->is_text)
		rc = plx_recs_str(&a->recs, name, r->text, strlen(r->text), ts, &t);
	else
		rc = plx_recs_num(&a->recs, name, v, ts, &t);
	if (rc < 0) {
		a->n.rejected++;
		plx_warn_limited(&a->rl, "%s: %s: %s", d->addr, name, a->recs.err);
	}
	return rc;
}

void
emit_flush(struct app *a)
{
	if (!a->recs.n)
		return;
	/* a failed stdout stops the run (lib/loop says why) */
	plx_loop_put(a->l, a->recs.s, a->recs.len, a->recs.n);
	plx_recs_clear(&a->recs);
}

void
emit_adv(struct app *a, struct dev *d, const struct ble_adv *adv, int had_data, int had_rssi)
{
	static struct ble_reading rd[MAXR];
	unsigned flags = a->o->keep_unknown || (d->flags & DEV_ALLOW) ? BLE_KEEP_UNKNOWN : 0;
	int64_t ts = plx_now_ms();
	char err[300];
	int i, n = 0;

	a->n.adverts += had_data != 0;     /* all of them: is BlueZ sending anything? */
	if (!emit_pass(a, d))
		return;
	if (had_data) {
		n = ble_decode_adv(adv, &d->st, flags, rd, MAXR, err, sizeof err);
		if (*err) {
			a->n.decode_errors++;
			plx_warn_limited(&a->rl, "%s: %s", d->addr, err);
		}
		if (n > 0) {
			a->n.decoded++;
			d->flags |= DEV_DECODES;
		}
		if (d->st.mac[0] && strcmp(d->st.mac, d->mac))     /* its packets say its MAC */
			dev_set_mac(a, d, d->st.mac);
	}
	if (n > 0)
		plx_live_data(&a->live, d->live, plx_mono_ms());
	for (i = 0; i < n; i++)
		put(a, d, rd[i].name, rd[i].idx, &rd[i], rd[i].unit, rd[i].value, ts);
	if (d->has_rssi && (n > 0 || (had_rssi && (d->flags & DEV_ALLOW))))
		put(a, d, "rssi", 0, NULL, "dBm", d->rssi, ts);
	emit_flush(a);
}

void
emit_gatt(struct app *a, struct dev *d, const struct ble_reading *r)
{
	plx_live_data(&a->live, d->live, plx_mono_ms());
	put(a, d, r->name, r->idx, r, r->unit, r->value, plx_now_ms());
	emit_flush(a);
}

void
emit_status(struct app *a)
{
	const struct { const char *name; unsigned long v; } c[] = {
		{ "gateway.ble.devices_seen", a->n.devices_seen }, { "gateway.ble.devices", (unsigned long)a->tab.used },
		{ "gateway.ble.advertisements", a->n.adverts }, { "gateway.ble.decoded", a->n.decoded },
		{ "gateway.ble.decode_errors", a->n.decode_errors }, { "gateway.ble.records_rejected", a->n.rejected },
		{ "gateway.ble.connection_failures", a->n.conn_failures }, { "gateway.ble.overruns", a->l->out.overruns },
		{ "gateway.ble.bluez_restarts", a->n.bluez_restarts },
	};
	struct plx_tags t = a->o->tags;
	char err[160];
	int64_t ts = plx_now_ms();
	size_t i;
	int synced;

	if (plx_tags_set_source(&t, a->o->source_id, err, sizeof err) < 0)
		return;
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		plx_recs_num(&a->recs, c[i].name, (double)c[i].v, ts, &t);
	if ((synced = plx_clock_synced()) >= 0)
		plx_recs_num(&a->recs, "gateway.ble.clock_synced", synced, ts, &t);
	ident_records(a, ts);
	emit_flush(a);
}

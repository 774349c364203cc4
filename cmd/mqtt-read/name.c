/* Readings into records: metric names and devices from templates, one
 * source per device, the devices file, liveness per device.
 *
 * Templates (--metric, --device) are text with
 *   %m      the reading's name (temperature, switch:0.apower)
 *   %d      the device the format found (a friendly name, a DevEUI)
 *   %1..%9  the topic's levels; %{12} past the ninth
 *   %{a.b}  a field of a JSON payload, by dotted path (rxInfo.0.gatewayId)
 *   %%      a '%'
 * so that `--metric %2.%m` names every plug's power "plug1.POWER" and one
 * rule covers a fleet.  A level or field a message does not have makes its
 * records refused (said, counted), never a name made up.
 *
 * The source of a device's records: -s when given, else the devices file's
 * source-id, else the device - as the devices file names it, else as the
 * format or --device does - as a source id (lower case, '/' as '.', other
 * characters outside [a-z0-9._-] as '-'); a message about no device keeps
 * PLEXUS_SOURCE_ID (or none: the uploader's).  Each record is tagged
 * device=NAME: the devices file's name, else the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mqtt.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int
name_check(const char *tpl, int allow_m, char *err, size_t errlen)
{
	const char *p, *e;

	for (p = tpl; (p = strchr(p, '%')); p++) {
		switch (*++p) {
		case '%': case 'd':
		case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
			break;
		case 'm':
			if (!allow_m)
				FAIL("%%m (the reading) has no meaning here");
			break;
		case '{':
			if (!(e = strchr(p, '}')) || e == p + 1)
				FAIL("%%{ without a name and its }");
			p = e;
			break;
		default:
			FAIL("%%%c: not %%m, %%d, %%1..%%9, %%{N}, %%{field} or %%%%", *p ? *p : ' ');
		}
	}
	return 0;
}

/* tpl with d's levels and fields, the reading m and the device dev, into
 * out (cap bytes); 0, or -1 with why. */
static int
expand(const char *tpl, const struct mq_dec *d, const char *m, const char *dev, char *out, size_t cap,
       char *err, size_t errlen)
{
	char key[PLX_NAME_MAX + 1], buf[PLX_NAME_MAX + 1];
	const char *p, *v, *e;
	size_t n = 0, k;
	char *end;
	long lv;

	for (p = tpl; *p; p++) {
		if (*p != '%') {
			v = p, k = 1;
		} else if (*++p == '%') {
			v = p, k = 1;
		} else if (*p == 'm' || *p == 'd') {
			v = *p == 'm' ? m : dev, k = strlen(v);
		} else {
			if (*p == '{') {
				e = strchr(p, '}');
				k = (size_t)(e - p - 1);
				if (k > PLX_NAME_MAX)
					FAIL("%%{...}: longer than %d bytes", PLX_NAME_MAX);
				memcpy(key, p + 1, k);
				key[k] = '\0';
				p = e;
			} else {
				key[0] = *p, key[1] = '\0';
			}
			lv = strtol(key, &end, 10);
			if (!*end && end != key) {
				if (lv < 1 || lv > d->nlevel)
					FAIL("the topic has no level %ld", lv);
				v = d->level[lv - 1];
			} else if (!(v = mq_field(d, key, buf, sizeof buf))) {
				FAIL("the payload has no field %s", key);
			}
			k = strlen(v);
		}
		if (n + k >= cap)
			FAIL("a name longer than %zu bytes", cap - 1);
		memcpy(out + n, v, k);
		n += k;
	}
	out[n] = '\0';
	return 0;
}

/* A device as a source id; "" when nothing of it is left. */
static void
source_of(char *out, size_t cap, const char *dev)
{
	size_t n = 0;
	char c;

	for (; *dev && n + 1 < cap; dev++) {
		c = *dev;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '/')
			c = '.';
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			c = '-';
		if (c == '_')
			c = '-';
		if (n > 0 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
	}
	out[n] = '\0';
}

void
name_init(struct namer *nm)
{
	plx_recs_init(&nm->out);
	plx_live_init(&nm->live, "mqtt");
	name_devices(nm);
}

void
name_free(struct namer *nm)
{
	plx_recs_free(&nm->out);
	plx_live_free(&nm->live);
	plx_devices_free(&nm->devs);
}

void
name_devices(struct namer *nm)
{
	struct plx_devices next;
	char err[300];

	if (plx_devices_load(&next, NULL, err, sizeof err) < 0) {
		plx_warn("devices file: %s; names as they were", err);
		return;
	}
	plx_devices_free(&nm->devs);
	nm->devs = next;
}

void
name_all_down(struct namer *nm)
{
	int i;

	for (i = 0; i < nm->live.n; i++)
		plx_live_connected(&nm->live, i, 0);
}

/* The tags of a device's records: -T, the devices file's, device=NAME;
 * its source (into src, which the tags point to). */
static int
device_tags(struct namer *nm, const char *dev, const char *topic, struct plx_tags *t, char *src,
            size_t srccap, const char **live_name, int64_t *expect, char *err, size_t errlen)
{
	const struct plx_device *pd = NULL;
	const char *k, *v;
	int i;

	*t = nm->base;
	*live_name = dev;
	*expect = 0;
	if (*dev)
		pd = plx_devices_find(&nm->devs, PLX_DEV_MQTT, dev);
	if (!pd)
		pd = plx_devices_find(&nm->devs, PLX_DEV_MQTT, topic);
	if (pd) {
		for (i = 0; plx_tags_get(&pd->tags, i, &k, &v) == 0; i++)
			if (plx_tags_add(t, k, v, err, errlen) < 0)
				return -1;
		*live_name = pd->name;
		*expect = pd->expect_ms;
	}
	if (!**live_name)
		return 0;
	if (plx_tags_add(t, "device", *live_name, err, errlen) < 0)
		return -1;
	if (nm->source_given)
		return 0;
	if (pd && pd->source_id)
		snprintf(src, srccap, "%s", pd->source_id);
	else
		source_of(src, srccap, pd ? pd->name : dev);
	return *src ? plx_tags_set_source(t, src, err, errlen) : 0;
}

static int
record(struct namer *nm, const struct mq_reading *r, const char *name, int64_t ts, const struct plx_tags *t)
{
	switch (r->kind) {
	case MQ_NUM:
		return plx_recs_numtext(&nm->out, name, r->s, r->n, ts, t);
	case MQ_BOOL:
		return plx_recs_bool(&nm->out, name, r->b, ts, t);
	default:
		return plx_recs_str(&nm->out, name, r->s, r->n, ts, t);
	}
}

int
name_records(struct namer *nm, const struct mq_dec *d, int64_t now, char *err, size_t errlen)
{
	char dev[MQ_DEVICE_MAX + 1], name[PLX_NAME_MAX + 2], src[PLX_NAME_MAX + 1];
	const char *live_name;
	struct plx_tags t;
	int64_t expect;
	int i, li, bad = 0;
	size_t np = 0;

	plx_recs_clear(&nm->out);
	err[0] = '\0';
	if (nm->prefix && (np = (size_t)snprintf(name, sizeof name, "%s.", nm->prefix)) >= sizeof name)
		FAIL("-p: longer than %d bytes", PLX_NAME_MAX);
	if (nm->device) {
		if (expand(nm->device, d, "", d->device, dev, sizeof dev, err, errlen) < 0)
			return -1;
	} else {
		memcpy(dev, d->device, sizeof dev);
	}
	if (device_tags(nm, dev, d->topic, &t, src, sizeof src, &live_name, &expect, err, errlen) < 0)
		return -1;
	if (*live_name && (li = plx_live_dev(&nm->live, live_name, expect)) >= 0) {
		plx_live_connected(&nm->live, li, 1);
		plx_live_data(&nm->live, li, now);
	}
	for (i = 0; i < d->n; i++) {
		if (expand(nm->metric, d, d->r[i].name, dev, name + np, sizeof name - np, err, errlen) < 0)
			return -1;
		if (record(nm, &d->r[i], name, d->r[i].ts ? d->r[i].ts : d->ts, &t) < 0) {
			/* the others stand; the first refusal is said */
			if (!bad++)
				snprintf(err, errlen, "%s: %s", d->r[i].name, nm->out.err);
		}
	}
	nm->refused += (unsigned long)bad;
	return nm->out.n;
}

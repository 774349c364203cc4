/* -F shelly: Shelly Gen2 devices (their API documentation, "Notifications"
 * and "MQTT"): JSON-RPC notification frames on <shelly-id>/events/rpc,
 *
 *   {"src":"shellypro4pm-f008d1d8b8b8","dst":"user_1/events","method":"NotifyStatus",
 *    "params":{"ts":1631266595.43,"switch:0":{"id":0,"output":true,"apower":8.9}}}
 *   {"src":"...","method":"NotifyEvent","params":{"ts":1631266595.44,
 *    "events":[{"component":"input:0","id":0,"event":"single_push","ts":1631266595.44}]}}
 *
 * and, with "generic status update over MQTT", a component's whole status on
 * <shelly-id>/status/<component>.  Readings: NotifyStatus and
 * NotifyFullStatus give COMPONENT.FIELD (switch:0.output, switch:0.aenergy.total)
 * at params.ts (Unix seconds, UTC); NotifyEvent one event COMPONENT.event
 * ("single_push") a notification, at its own ts; a status topic its
 * component's fields, at arrival.  A component's "id" repeats its key: no
 * reading.  The device is "src" (the topic's first level for status). */
#include <stdio.h>
#include <string.h>

#include "decode.h"

static const char *const skip_id[] = { "id", NULL };

/* Unix seconds (a float) in ms; 0 if v is none. */
static int64_t
seconds(json_object *v)
{
	double s;

	if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return 0;
	s = json_object_get_double(v);
	return s > 0 && s < 1e11 ? (int64_t)(s * 1000 + 0.5) : 0;
}

static int
events(struct mq_dec *d, json_object *ev, char *err, size_t errlen)
{
	char name[PLX_NAME_MAX + 1];
	const char *comp, *what;
	json_object *e;
	size_t i;
	int64_t ts;

	if (!json_object_is_type(ev, json_type_array)) {
		snprintf(err, errlen, "shelly: NotifyEvent without an \"events\" array");
		return -1;
	}
	for (i = 0; i < json_object_array_length(ev); i++) {
		e = json_object_array_get_idx(ev, i);
		if (!(comp = mq_get_str(e, "component")) || !(what = mq_get_str(e, "event"))) {
			snprintf(err, errlen, "shelly: event %zu without \"component\" and \"event\"", i);
			return -1;
		}
		if ((size_t)snprintf(name, sizeof name, "%s.event", comp) >= sizeof name) {
			snprintf(err, errlen, "shelly: component name too long");
			return -1;
		}
		if (mq_text(d, name, what, strlen(what), err, errlen) < 0)
			return -1;
		d->r[d->n - 1].kind = MQ_STR;        /* an event's name is text, whatever it reads like */
		if ((ts = seconds(json_object_object_get_ex(e, "ts", &e) ? e : NULL)))
			d->r[d->n - 1].ts = ts;
	}
	return d->n;
}

int
fmt_shelly(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	json_object *params, *ts;
	const char *src, *method;
	int64_t ms;

	if (mq_json(d, p, n, err, errlen) < 0)
		return -1;
	if (d->nlevel == 3 && !strcmp(d->level[1], "status")) {
		mq_device(d, d->level[0], strlen(d->level[0]));
		return mq_flatten(d, d->level[2], d->root, skip_id, err, errlen) < 0 ? -1 : d->n;
	}
	if (!(method = mq_get_str(d->root, "method")))
		return MQ_IGNORE;         /* an RPC answer on the same topic: no status */
	if (!(src = mq_get_str(d->root, "src")) || !*src) {
		snprintf(err, errlen, "shelly: a notification without \"src\"");
		return -1;
	}
	mq_device(d, src, strlen(src));
	if (!json_object_object_get_ex(d->root, "params", &params) || !json_object_is_type(params, json_type_object)) {
		snprintf(err, errlen, "shelly: %s without \"params\"", method);
		return -1;
	}
	if ((ms = seconds(json_object_object_get_ex(params, "ts", &ts) ? ts : NULL)))
		d->ts = ms;
	if (!strcmp(method, "NotifyEvent"))
		return events(d, json_object_object_get_ex(params, "events", &ts) ? ts : NULL, err, errlen);
	if (strcmp(method, "NotifyStatus") && strcmp(method, "NotifyFullStatus"))
		return MQ_IGNORE;
	json_object_object_foreach(params, k, v) {
		if (!strcmp(k, "ts"))
			continue;
		if (mq_flatten(d, k, v, skip_id, err, errlen) < 0)
			return -1;
	}
	return d->n;
}

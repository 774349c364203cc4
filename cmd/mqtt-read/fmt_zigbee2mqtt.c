/* -F zigbee2mqtt: Zigbee devices through zigbee2mqtt (its documentation,
 * "MQTT Topics and Messages").  A device publishes its state on
 * BASE/FRIENDLY_NAME as a JSON object of its exposes:
 *
 *   zigbee2mqtt/0x00158d0001d8e1d2  {"temperature":27.34,"humidity":44.72,
 *                                    "battery":97,"linkquality":120}
 *   zigbee2mqtt/living_room/availability  {"state":"online"}   (or "online")
 *
 * Readings: every expose as the json format names it (color.x, update.state);
 * "last_seen" (when zigbee2mqtt's advanced.last_seen is set: ISO 8601 with
 * an offset, or epoch ms) is the readings' time, not a reading; the
 * availability is an event "availability".  The device is the friendly
 * name (which may hold '/').  BASE/bridge/... (the bridge's own state, logs,
 * device lists) and the command topics .../set, .../get are no device's
 * data: ignored. */
#include <stdio.h>
#include <string.h>

#include "decode.h"

static const char *const skip[] = { "last_seen", NULL };

int
fmt_zigbee2mqtt(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	const char *last = d->level[d->nlevel - 1], *name, *st;
	size_t nlen;
	json_object *ls;
	int avail;

	if (d->nlevel < 2 || !strcmp(d->level[1], "bridge") || !strcmp(last, "set") || !strcmp(last, "get"))
		return MQ_IGNORE;
	avail = d->nlevel > 2 && !strcmp(last, "availability");
	name = d->topic + strlen(d->level[0]) + 1;
	nlen = strlen(name) - (avail ? strlen("/availability") : 0);
	if (!nlen) {
		snprintf(err, errlen, "zigbee2mqtt: no friendly name in the topic");
		return -1;
	}
	mq_device(d, name, nlen);
	if (avail) {
		/* "online" (before zigbee2mqtt 1.34 / 2.0) or {"state":"online"} */
		if (n && p[0] != '{')
			return mq_text(d, "availability", p, n, err, errlen) < 0 ? -1 : d->n;
		if (mq_json(d, p, n, err, errlen) < 0)
			return -1;
		if (!(st = mq_get_str(d->root, "state"))) {
			snprintf(err, errlen, "zigbee2mqtt: availability without a \"state\"");
			return -1;
		}
		return mq_text(d, "availability", st, strlen(st), err, errlen) < 0 ? -1 : d->n;
	}
	if (mq_json(d, p, n, err, errlen) < 0)
		return -1;
	if (json_object_object_get_ex(d->root, "last_seen", &ls)) {
		int64_t ms;
		if (json_object_is_type(ls, json_type_int) && json_object_get_int64(ls) > 0)
			d->ts = json_object_get_int64(ls);
		else if (json_object_is_type(ls, json_type_string) &&
		         mq_time(json_object_get_string(ls), &ms) == 0)
			d->ts = ms;
		/* ISO_8601_local has no offset: the arrival time stays */
	}
	if (mq_flatten(d, "", d->root, skip, err, errlen) < 0)
		return -1;
	return d->n;
}

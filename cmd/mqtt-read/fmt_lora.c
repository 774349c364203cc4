/* -F chirpstack, -F tts: LoRaWAN uplinks from a network server.  Both give
 * the fields the device profile's codec decoded, and the radio side of the
 * uplink: rssi and snr (the best of the gateways that heard it: a frame
 * heard by three gateways is one uplink), f_cnt, the frame counter.  The
 * device is its DevEUI, lower case (a valid source id as it is).
 *
 * ChirpStack v4 (its documentation, "Integrations > Event types", up;
 * JSON marshaler), on application/APPLICATION_ID/device/DEV_EUI/event/up:
 *   {"deduplicationId":"..","time":"2022-07-18T09:34:15.775023242+00:00",
 *    "deviceInfo":{"deviceName":"Test device","devEui":"0101010101010101",..},
 *    "fCnt":10,"fPort":1,"data":"qg==","object":{"temperature":21.5},
 *    "rxInfo":[{"gatewayId":"0016c001f153a14c","rssi":-36,"snr":10.5,..}],..}
 *   time: the readings' time.  Other events (join, status, ack, log) are
 *   ignored.
 *
 * The Things Stack v3 (its documentation, "Data Formats", uplink messages),
 * on v3/APP_ID@TENANT/devices/DEVICE_ID/up:
 *   {"end_device_ids":{"device_id":"dev1","dev_eui":"0004A30B001C0530",..},
 *    "received_at":"2020-02-12T15:15:12.148911Z",
 *    "uplink_message":{"f_port":1,"f_cnt":25,"decoded_payload":{..},
 *      "rx_metadata":[{"gateway_ids":{..},"rssi":-35,"channel_rssi":-35,"snr":5.2}],..}}
 *   received_at (the Application Server's) is the readings' time.  Its JSON
 *   leaves out fields that are 0 or empty ("Empty fields are omitted"): an
 *   f_cnt of 0 is absent, and no f_cnt reading is made up for it.  A device
 *   without a DevEUI (ABP) is its device_id. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"

/* rssi and snr: the best of rx (an array of objects with them) */
static int
radio(struct mq_dec *d, json_object *rx, char *err, size_t errlen)
{
	static const char *const keys[] = { "rssi", "snr" };
	json_object *best, *v;
	size_t i, k;
	double b;

	if (!rx || !json_object_is_type(rx, json_type_array))
		return 0;
	for (k = 0; k < 2; k++) {
		for (best = NULL, b = 0, i = 0; i < json_object_array_length(rx); i++) {
			v = mq_get(json_object_array_get_idx(rx, i), keys[k]);
			if (v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) &&
			    (!best || json_object_get_double(v) > b))
				best = v, b = json_object_get_double(v);
		}
		if (best && mq_leaf(d, keys[k], best, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
decoded(struct mq_dec *d, const char *what, json_object *o, char *err, size_t errlen)
{
	if (!o)
		return 0;                 /* no codec: the radio side only */
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s is not an object", what);
		return -1;
	}
	return mq_flatten(d, "", o, NULL, err, errlen);
}

static void
eui(struct mq_dec *d, const char *s)
{
	size_t i;

	mq_device(d, s, strlen(s));
	for (i = 0; d->device[i]; i++)
		d->device[i] = (char)tolower((unsigned char)d->device[i]);
}

int
fmt_chirpstack(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	const char *dev, *t;
	json_object *v;
	int64_t ms;

	if (d->nlevel < 2 || strcmp(d->level[d->nlevel - 1], "up") || strcmp(d->level[d->nlevel - 2], "event"))
		return MQ_IGNORE;
	if (mq_json(d, p, n, err, errlen) < 0)
		return -1;
	if (!(dev = mq_get_str(d->root, "deviceInfo.devEui")) || !*dev) {
		snprintf(err, errlen, "chirpstack: no deviceInfo.devEui");
		return -1;
	}
	eui(d, dev);
	if ((t = mq_get_str(d->root, "time")) && mq_time(t, &ms) == 0)
		d->ts = ms;
	if (decoded(d, "chirpstack: object", mq_get(d->root, "object"), err, errlen) < 0 ||
	    radio(d, mq_get(d->root, "rxInfo"), err, errlen) < 0)
		return -1;
	if ((v = mq_get(d->root, "fCnt")) && mq_leaf(d, "f_cnt", v, err, errlen) < 0)
		return -1;
	return d->n;
}

int
fmt_tts(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	const char *dev, *t;
	json_object *up, *v;
	int64_t ms;

	if (strcmp(d->level[d->nlevel - 1], "up"))
		return MQ_IGNORE;
	if (mq_json(d, p, n, err, errlen) < 0)
		return -1;
	if (!(up = mq_get(d->root, "uplink_message")) || !json_object_is_type(up, json_type_object)) {
		snprintf(err, errlen, "tts: no uplink_message");
		return -1;
	}
	if ((dev = mq_get_str(d->root, "end_device_ids.dev_eui")) && *dev)
		eui(d, dev);
	else if ((dev = mq_get_str(d->root, "end_device_ids.device_id")) && *dev)
		mq_device(d, dev, strlen(dev));
	else {
		snprintf(err, errlen, "tts: no end_device_ids.dev_eui or device_id");
		return -1;
	}
	if ((t = mq_get_str(d->root, "received_at")) && mq_time(t, &ms) == 0)
		d->ts = ms;
	if (decoded(d, "tts: decoded_payload", mq_get(up, "decoded_payload"), err, errlen) < 0 ||
	    radio(d, mq_get(up, "rx_metadata"), err, errlen) < 0)
		return -1;
	if ((v = mq_get(up, "f_cnt")) && mq_leaf(d, "f_cnt", v, err, errlen) < 0)
		return -1;
	return d->n;
}

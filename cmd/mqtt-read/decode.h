/* mqtt-read: the payload formats.  Pure C over json-c: no broker, no I/O.
 *
 * A message (its topic and payload bytes) goes through the format the
 * subscription was made with and gives readings - a name, a value (a
 * number as the payload wrote it, a bool or a text), and the time the
 * payload says it was taken - plus the device the message is about:
 *
 *   zigbee2mqtt/kitchen  {"temperature":21.5,"battery":97,"state":"ON"}
 *     -> device kitchen: temperature 21.5, battery 97, state "ON"
 *   application/1/device/0101010101010101/event/up  {"deviceInfo":{"devEui":
 *     "0101010101010101",..},"object":{"temp":22.1},"rxInfo":[{"rssi":-57,
 *     "snr":10}],"fCnt":10,"time":"2022-07-18T09:34:15.775Z"}
 *     -> device 0101010101010101 at 1658136855775: temp 22.1, rssi -57, snr 10, f_cnt 10
 *
 * Which function reads which message is the table in decode.c (a format
 * is a line there and a file fmt_*.c); each format file's header quotes
 * the documentation its golden cases (tests/golden/mqtt/) come from. */
#ifndef MQTT_DECODE_H
#define MQTT_DECODE_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "record.h"

#define MQ_LEVELS 32            /* topic levels kept for %1..%9 */
#define MQ_READINGS_MAX 512     /* readings of one message, at most */
#define MQ_DEVICE_MAX 256       /* a device name, bytes */

enum mq_kind { MQ_NUM, MQ_BOOL, MQ_STR };

struct mq_reading {
	char name[PLX_NAME_MAX + 1];
	enum mq_kind kind;
	const char *s;              /* MQ_NUM: the number's text; MQ_STR: the text (n bytes) */
	size_t n;
	int b;                      /* MQ_BOOL */
	int64_t ts;                 /* epoch ms; 0: the message's */
};

/* A message being decoded, and what it gave.  Strings of the readings
 * point into the payload or into root: valid until the next message. */
struct mq_dec {
	const char *topic;
	char *level[MQ_LEVELS];     /* topic levels, split (may be empty strings) */
	int nlevel;
	char *levelbuf;             /* their bytes (owned) */
	size_t levelcap;
	char device[MQ_DEVICE_MAX + 1];   /* the device the format found, "" none */
	int64_t ts;                 /* the message's time: the payload's, else arrival */
	json_object *root;          /* the payload parsed (formats in JSON), or NULL */
	json_tokener *tok;
	struct mq_reading *r;       /* r[0, n) */
	int n;
};

/* A format's answer: the number of readings, MQ_IGNORE for a message
 * that is none of the format's data (a bridge's log, a command topic: not
 * counted as rejected), or -1 with why in err. */
#define MQ_IGNORE (-2)
typedef int mq_decode_fn(struct mq_dec *d, const char *payload, size_t len, char *err, size_t errlen);

struct mq_format {
	const char *name;           /* -F NAME */
	mq_decode_fn *decode;
	const char *filters;        /* subscribed when no --topic says otherwise: "a b" */
};

/* The table (decode.c): NULL past the end. */
const struct mq_format *mq_format(int i);
const struct mq_format *mq_format_find(const char *name);

void mq_dec_init(struct mq_dec *d);
void mq_dec_free(struct mq_dec *d);
/* Decodes one message that arrived at epoch ms arrival; see MQ_IGNORE.
 * A payload need not be NUL-terminated. */
int mq_decode(struct mq_dec *d, const struct mq_format *f, const char *topic, const char *payload,
              size_t len, int64_t arrival, char *err, size_t errlen);
/* The payload field at a dotted path ("deviceInfo.devEui", "rxInfo.0.rssi")
 * as text (a string as it is, a number or bool as JSON writes it) into
 * buf; NULL when there is none (or it is an object, an array, null). */
const char *mq_field(const struct mq_dec *d, const char *path, char *buf, size_t cap);

/* For the formats (decode.c) */
/* The payload as a JSON object (it becomes d->root), or -1 with why. */
int mq_json(struct mq_dec *d, const char *payload, size_t len, char *err, size_t errlen);
/* Every leaf under v as a reading named prefix.key.sub... (arrays by
 * index): numbers, bools, strings; null is no reading.  The direct
 * children of v named in skip (NULL-ended, or NULL) are left out. */
int mq_flatten(struct mq_dec *d, const char *prefix, json_object *v, const char *const *skip,
               char *err, size_t errlen);
/* One reading of a JSON leaf (as mq_flatten), named name. */
int mq_leaf(struct mq_dec *d, const char *name, json_object *v, char *err, size_t errlen);
/* A text typed as a number (JSON's grammar), true/false, or a text. */
int mq_text(struct mq_dec *d, const char *name, const char *s, size_t n, char *err, size_t errlen);
/* A JSON member by dotted path, or NULL. */
json_object *mq_get(json_object *o, const char *path);
/* A JSON string member by dotted path, or NULL. */
const char *mq_get_str(json_object *o, const char *path);
/* An RFC 3339 time ("2022-07-18T09:34:15.775023242+00:00", "...Z") in
 * epoch ms: 0, or -1 when it is not one, or has no offset (a device's
 * local time, which the gateway cannot know). */
int mq_time(const char *s, int64_t *ms);
/* The device name: s[0, n) with a copy's limits; "" when empty. */
void mq_device(struct mq_dec *d, const char *s, size_t n);

mq_decode_fn fmt_plain, fmt_json, fmt_zigbee2mqtt, fmt_tasmota, fmt_shelly, fmt_chirpstack, fmt_tts;

#endif

/* mqtt-read: the format table, and what the formats share: the topic
 * split into levels, the payload as JSON, a JSON tree as readings, RFC 3339
 * times.  Adding a format is a line in the table and a file fmt_*.c.
 *
 *   name         default filters                               device
 *   plain        #                                             the topic but its last level
 *   json         #                                             the topic
 *   zigbee2mqtt  zigbee2mqtt/#                                 the friendly name
 *   tasmota      tele/+/SENSOR tele/+/STATE                    %topic% (level 2)
 *   shelly       +/events/rpc +/status/+                       "src", or level 1
 *   chirpstack   application/+/device/+/event/up               deviceInfo.devEui
 *   tts          v3/+/devices/+/up                             end_device_ids.dev_eui */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "log.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static const struct mq_format formats[] = {
	{ "plain", fmt_plain, "#" },
	{ "json", fmt_json, "#" },
	{ "zigbee2mqtt", fmt_zigbee2mqtt, "zigbee2mqtt/#" },
	{ "tasmota", fmt_tasmota, "tele/+/SENSOR tele/+/STATE" },
	{ "shelly", fmt_shelly, "+/events/rpc +/status/+" },
	{ "chirpstack", fmt_chirpstack, "application/+/device/+/event/up" },
	{ "tts", fmt_tts, "v3/+/devices/+/up" },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

const struct mq_format *
mq_format(int i)
{
	return i >= 0 && (size_t)i < NFORMATS ? &formats[i] : NULL;
}

const struct mq_format *
mq_format_find(const char *name)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

void
mq_dec_init(struct mq_dec *d)
{
	memset(d, 0, sizeof *d);
	d->r = plx_xcalloc(MQ_READINGS_MAX, sizeof *d->r);
	if (!(d->tok = plx_tokener_new()))
		plx_die(70, "out of memory");
}

static void
clear(struct mq_dec *d)
{
	if (d->root)
		json_object_put(d->root);
	d->root = NULL;
	d->n = 0;
	d->device[0] = '\0';
}

void
mq_dec_free(struct mq_dec *d)
{
	clear(d);
	free(d->r);
	free(d->levelbuf);
	if (d->tok)
		json_tokener_free(d->tok);
	memset(d, 0, sizeof *d);
}

int
mq_decode(struct mq_dec *d, const struct mq_format *f, const char *topic, const char *payload,
          size_t len, int64_t arrival, char *err, size_t errlen)
{
	size_t tl = strlen(topic);
	char *p;

	clear(d);
	d->topic = topic;
	d->ts = arrival;
	if (tl + 1 > d->levelcap) {
		d->levelcap = tl + 1;
		d->levelbuf = plx_xrealloc(d->levelbuf, d->levelcap);
	}
	memcpy(d->levelbuf, topic, tl + 1);
	for (d->nlevel = 0, p = d->levelbuf; d->nlevel < MQ_LEVELS; ) {
		d->level[d->nlevel++] = p;
		if (!(p = strchr(p, '/')))
			break;
		*p++ = '\0';
	}
	if (plx_utf8_bad((const unsigned char *)topic, tl) != tl)
		FAIL("topic is not UTF-8");
	err[0] = '\0';
	return f->decode(d, payload, len, err, errlen);
}

int
mq_json(struct mq_dec *d, const char *payload, size_t len, char *err, size_t errlen)
{
	enum json_tokener_error e;
	size_t end;

	if (len > (size_t)PLX_LINE_MAX * 16)
		FAIL("payload of %zu bytes: longer than %d", len, PLX_LINE_MAX * 16);
	json_tokener_reset(d->tok);
	d->root = json_tokener_parse_ex(d->tok, payload, (int)len);
	e = json_tokener_get_error(d->tok);
	if (e == json_tokener_continue)
		FAIL("json: the payload ends inside a value");
	if (e != json_tokener_success)
		FAIL("json: %s at byte %zu", json_tokener_error_desc(e), json_tokener_get_parse_end(d->tok) + 1);
	for (end = json_tokener_get_parse_end(d->tok); end < len; end++)
		if (!isspace((unsigned char)payload[end]))
			FAIL("json: trailing characters at byte %zu", end + 1);
	if (!json_object_is_type(d->root, json_type_object))
		FAIL("json: not an object");
	return 0;
}

static struct mq_reading *
add(struct mq_dec *d, const char *name, char *err, size_t errlen)
{
	struct mq_reading *r;
	size_t n = strlen(name);

	if (d->n == MQ_READINGS_MAX) {
		snprintf(err, errlen, "more than %d readings", MQ_READINGS_MAX);
		return NULL;
	}
	if (!n || n > PLX_NAME_MAX) {
		snprintf(err, errlen, "reading name \"%.40s\": %s", name, n ? "longer than 256 bytes" : "empty");
		return NULL;
	}
	r = &d->r[d->n++];
	memcpy(r->name, name, n + 1);
	r->ts = 0;
	return r;
}

int
mq_leaf(struct mq_dec *d, const char *name, json_object *v, char *err, size_t errlen)
{
	struct mq_reading *r;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		if (!(r = add(d, name, err, errlen)))
			return -1;
		r->kind = MQ_BOOL;
		r->b = json_object_get_boolean(v);
		return 0;
	case json_type_string:
		if (!(r = add(d, name, err, errlen)))
			return -1;
		r->kind = MQ_STR;
		r->s = json_object_get_string(v);
		r->n = (size_t)json_object_get_string_len(v);
		return 0;
	case json_type_int:
	case json_type_double:
		if (!(r = add(d, name, err, errlen)))
			return -1;
		r->kind = MQ_NUM;
		/* the number as the payload wrote it (json-c keeps its text) */
		r->s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &r->n);
		return 0;
	default:
		return mq_flatten(d, name, v, NULL, err, errlen);
	}
}

static int
join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PLX_NAME_MAX + 2, "%s%s%s", a, *a ? "." : "", b);

	return n < 0 || n > PLX_NAME_MAX ? -1 : 0;
}

int
mq_flatten(struct mq_dec *d, const char *prefix, json_object *v, const char *const *skip,
           char *err, size_t errlen)
{
	char sub[PLX_NAME_MAX + 2], idx[24];
	const char *const *s;
	size_t i, n;

	if (json_object_is_type(v, json_type_array)) {
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			snprintf(idx, sizeof idx, "%zu", i);
			if (join(sub, prefix, idx) < 0)
				FAIL("name \"%.40s...\": longer than %d bytes", prefix, PLX_NAME_MAX);
			if (mq_leaf(d, sub, json_object_array_get_idx(v, i), err, errlen) < 0)
				return -1;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return mq_leaf(d, prefix, v, err, errlen);
	json_object_object_foreach(v, k, e) {
		for (s = skip; s && *s && strcmp(*s, k); s++)
			;
		if (s && *s)
			continue;
		if (!*k)
			FAIL("an empty key under \"%.40s\"", prefix);
		if (join(sub, prefix, k) < 0)
			FAIL("name \"%.40s...\": longer than %d bytes", prefix, PLX_NAME_MAX);
		if (mq_leaf(d, sub, e, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Typed as the plain format's payloads are: a number in JSON's grammar, a
 * bool, else a text. */
int
mq_text(struct mq_dec *d, const char *name, const char *s, size_t n, char *err, size_t errlen)
{
	struct mq_reading *r;

	if (!(r = add(d, name, err, errlen)))
		return -1;
	if (n == 4 && !memcmp(s, "true", 4)) {
		r->kind = MQ_BOOL, r->b = 1;
	} else if (n == 5 && !memcmp(s, "false", 5)) {
		r->kind = MQ_BOOL, r->b = 0;
	} else {
		r->kind = n && !plx_rule_number(s, n) ? MQ_NUM : MQ_STR;
		r->s = s;
		r->n = n;
	}
	return 0;
}

json_object *
mq_get(json_object *o, const char *path)
{
	char key[PLX_NAME_MAX + 1];
	const char *e;
	char *end;
	size_t n;
	long i;

	while (o && *path) {
		e = strchr(path, '.');
		n = e ? (size_t)(e - path) : strlen(path);
		if (n > PLX_NAME_MAX)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (json_object_is_type(o, json_type_array)) {
			i = strtol(key, &end, 10);
			if (!n || *end || i < 0 || (size_t)i >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, (size_t)i);
		} else if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &o)) {
			return NULL;
		}
		path += n + (e != NULL);
	}
	return o;
}

const char *
mq_get_str(json_object *o, const char *path)
{
	json_object *v = mq_get(o, path);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *
mq_field(const struct mq_dec *d, const char *path, char *buf, size_t cap)
{
	json_object *v = d->root ? mq_get(d->root, path) : NULL;
	const char *s;
	size_t n;

	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_string:
		s = json_object_get_string(v), n = (size_t)json_object_get_string_len(v);
		break;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &n);
		break;
	default:
		return NULL;
	}
	if (n >= cap)
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static int
digits(const char **s, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (*(*s)++ - '0');
	}
	return 0;
}

int
mq_time(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	int y, mo, dd, h, mi, sec, oh, om, frac = 0, fd = 0, sign;
	time_t t;

	if (!s || digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
	    digits(&s, 2, &dd) || (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
	    digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' || digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fd++)
			if (fd < 3)
				frac = frac * 10 + (*s - '0');
		if (!fd)
			return -1;
		for (; fd < 3; fd++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		oh = om = 0, sign = 1, s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om))
			return -1;
	} else {
		return -1;            /* no offset: a local time of somewhere */
	}
	if (*s || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = dd;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = ((int64_t)t - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
}

void
mq_device(struct mq_dec *d, const char *s, size_t n)
{
	if (n > MQ_DEVICE_MAX)
		n = MQ_DEVICE_MAX;
	memcpy(d->device, s, n);
	d->device[n] = '\0';
}

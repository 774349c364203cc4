/* Record parsing and validation: see record.h.  Each check mirrors one rule
 * of the Plexus server's gateway/validate.go as PLEXUS-API.md records it;
 * lengths are bytes of UTF-8, as the server counts them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io.h"
#include "record.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

json_tokener *
plx_tokener_new(void)
{
	json_tokener *tok = json_tokener_new();

	if (tok)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return tok;
}

int
plx_source_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PLX_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

static int
finite_number(json_object *v)
{
	enum json_type t = json_object_get_type(v);

	if (t == json_type_int)
		return 1;
	return t == json_type_double && isfinite(json_object_get_double(v));
}

static int
check_tags(json_object *tags, char *err, size_t errlen)
{
	int n = 0;

	if (!json_object_is_type(tags, json_type_object))
		FAIL("tags: not an object");
	json_object_object_foreach(tags, k, v) {
		if (++n > PLX_TAGS_MAX)
			FAIL("tags: more than %d entries", PLX_TAGS_MAX);
		if (strlen(k) > PLX_NAME_MAX)
			FAIL("tags: key longer than %d bytes", PLX_NAME_MAX);
		if (!json_object_is_type(v, json_type_string))
			FAIL("tags.%.64s: value is not a string", k);
		if (json_object_get_string_len(v) > PLX_NAME_MAX)
			FAIL("tags.%.64s: value longer than %d bytes", k, PLX_NAME_MAX);
	}
	return 0;
}

/* Length of v as the server's Go encoder writes it: compact, with < > &
 * escaped as \u003c (6 bytes) and U+2028/U+2029 as \u2028 (6, not 3). */
static size_t
go_json_len(json_object *v)
{
	const unsigned char *s = (const unsigned char *)json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = 0;

	for (; *s; s++, n++) {
		if (*s == '<' || *s == '>' || *s == '&')
			n += 5;
		else if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
			n += 5, s += 2;   /* 3 bytes become 6 */
	}
	return n;
}

static int
check_value(json_object *v, int metric, char *err, size_t errlen)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		FAIL("value: missing or null");
	case json_type_int:
	case json_type_double:
		if (!finite_number(v))
			FAIL("value: not a finite number");
		return 0;
	default:
		break;
	}
	if (metric)
		FAIL("value: class metric needs a number");
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return 0;
	case json_type_string:
		if (json_object_get_string_len(v) > PLX_NAME_MAX)
			FAIL("value: event string longer than %d bytes", PLX_NAME_MAX);
		return 0;
	default:
		if (go_json_len(v) > PLX_EVENT_JSON_MAX)
			FAIL("value: event object longer than %d bytes as JSON", PLX_EVENT_JSON_MAX);
		return 0;
	}
}

int
plx_record_check(json_object *rec, int need_source, char *err, size_t errlen)
{
	json_object *cls, *name, *val = NULL, *ts, *sid, *tags;
	int metric;
	const char *c;

	if (!json_object_is_type(rec, json_type_object))
		FAIL("not a JSON object");
	json_object_object_get_ex(rec, "value", &val);
	if (json_object_object_get_ex(rec, "class", &cls)) {
		if (!json_object_is_type(cls, json_type_string))
			FAIL("class: not a string");
		c = json_object_get_string(cls);
		if (strcmp(c, "metric") && strcmp(c, "event"))
			FAIL("class: \"%.32s\" is neither metric nor event", c);
		metric = !strcmp(c, "metric");
	} else {
		metric = finite_number(val);   /* the server's inference */
	}
	if (!json_object_object_get_ex(rec, "metric", &name))
		FAIL("metric: missing");
	if (!json_object_is_type(name, json_type_string))
		FAIL("metric: not a string");
	if (json_object_get_string_len(name) == 0)
		FAIL("metric: empty");
	if (json_object_get_string_len(name) > PLX_NAME_MAX)
		FAIL("metric: longer than %d bytes", PLX_NAME_MAX);
	if (check_value(val, metric, err, errlen) < 0)
		return -1;
	if (json_object_object_get_ex(rec, "timestamp", &ts) && !finite_number(ts))
		FAIL("timestamp: not a number");
	if (json_object_object_get_ex(rec, "source_id", &sid)) {
		if (!json_object_is_type(sid, json_type_string))
			FAIL("source_id: not a string");
		if (!plx_source_id_ok(json_object_get_string(sid)))
			FAIL("source_id: \"%.64s\" does not match ^[a-z0-9][a-z0-9._-]*$ (at most 256 bytes)",
			     json_object_get_string(sid));
	} else if (need_source) {
		FAIL("source_id: missing, and no default source id is configured");
	}
	if (json_object_object_get_ex(rec, "tags", &tags) && check_tags(tags, err, errlen) < 0)
		return -1;
	return 0;
}

json_object *
plx_record_parse(json_tokener *tok, const char *line, size_t len, int64_t *seq,
                 char *err, size_t errlen)
{
	json_object *o, *s;
	size_t end;

	*seq = -1;
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		if (e == json_tokener_continue)
			snprintf(err, errlen, "not JSON: unexpected end of line");
		else
			snprintf(err, errlen, "not JSON: %s at byte %zu",
			         json_tokener_error_desc(e), json_tokener_get_parse_end(tok) + 1);
		return NULL;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (line[end] != ' ' && line[end] != '\t' && line[end] != '\r') {
			snprintf(err, errlen, "not JSON: trailing characters at byte %zu", end + 1);
			goto bad;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto bad;
	}
	if (json_object_object_get_ex(o, PLX_SEQ_KEY, &s)) {
		if (!json_object_is_type(s, json_type_int) || json_object_get_int64(s) < 0) {
			snprintf(err, errlen, "%s: not a sequence number", PLX_SEQ_KEY);
			goto bad;
		}
		*seq = json_object_get_int64(s);
		json_object_object_del(o, PLX_SEQ_KEY);
	}
	if (plx_record_check(o, 0, err, errlen) < 0)
		goto bad;
	return o;
bad:
	json_object_put(o);
	return NULL;
}

const char *
plx_record_text(json_object *rec, size_t *len)
{
	return json_object_to_json_string_length(rec, JSON_C_TO_STRING_PLAIN |
	                                         JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

json_object *
plx_record_new(const char *metric, json_object *value, int64_t ts_ms)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "class", json_object_new_string(
	    json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double)
	    ? "metric" : "event"));
	json_object_object_add(r, "metric", json_object_new_string(metric));
	json_object_object_add(r, "value", value);
	json_object_object_add(r, "timestamp", json_object_new_int64(ts_ms));
	return r;
}

void
plx_record_tag(json_object *rec, const char *key, const char *val)
{
	json_object *tags;

	if (!json_object_object_get_ex(rec, "tags", &tags)) {
		tags = json_object_new_object();
		json_object_object_add(rec, "tags", tags);
	}
	json_object_object_add(tags, key, json_object_new_string(val));
}

int
plx_record_write(int fd, json_object *rec)
{
	size_t n;
	const char *s = plx_record_text(rec, &n);
	char buf[PLX_LINE_MAX + 1];

	/* One write per record, so a line is never torn between writers. */
	if (n > PLX_LINE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\n';
	return plx_write_all(fd, buf, n + 1);
}

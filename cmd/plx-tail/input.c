/* plx-tail's input: NDJSON records, as readers print them or as plx-buffer
 * passes them on (its "_plx_seq" key is not part of the series).  A line
 * that is no record is counted, not shown: this is a view, not a check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "log.h"
#include "tail.h"

static int
by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tags but the unit, sorted, as k=v,k=v; the unit apart. */
static void
tags_of(json_object *tags, char *out, size_t len, char *unit, size_t ulen)
{
	const char *kv[64];
	char buf[64][300];
	int n = 0, i;
	size_t w = 0;

	out[0] = unit[0] = '\0';
	if (!json_object_is_type(tags, json_type_object))
		return;
	json_object_object_foreach(tags, k, v) {
		const char *s = json_object_get_string(v);
		if (!strcmp(k, "unit")) {
			snprintf(unit, ulen, "%s", s ? s : "");
			continue;
		}
		if (n == 64)
			break;
		snprintf(buf[n], sizeof buf[n], "%s=%s", k, s ? s : "");
		kv[n] = buf[n];
		n++;
	}
	qsort(kv, (size_t)n, sizeof *kv, by_key);
	for (i = 0; i < n && w < len; i++)
		w += (size_t)snprintf(out + w, len - w, "%s%s", i ? "," : "", kv[i]);
}

void
input_line(struct table *t, const char *line, size_t len, int64_t now)
{
	static json_tokener *tok;
	json_object *o, *m, *v, *x;
	char tags[1024], unit[300], value[64];
	const char *src = NULL;
	int numeric = 0;
	double d = 0;
	int64_t ts = 0;

	if (!tok && !(tok = json_tokener_new()))
		plx_die(71, "out of memory");
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "metric", &m) ||
	    !json_object_is_type(m, json_type_string) || !json_object_object_get_ex(o, "value", &v)) {
		t->bad++;
		json_object_put(o);
		return;
	}
	if (json_object_object_get_ex(o, "source_id", &x) && json_object_is_type(x, json_type_string))
		src = json_object_get_string(x);
	if (json_object_object_get_ex(o, "timestamp", &x))
		ts = json_object_get_int64(x);
	tags_of(json_object_object_get_ex(o, "tags", &x) ? x : NULL, tags, sizeof tags, unit, sizeof unit);
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		numeric = 1;
		d = json_object_get_double(v);
		/* the text the record had: 21.50 stays 21.50 */
		snprintf(value, sizeof value, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		snprintf(value, sizeof value, "%s", json_object_get_string(v));
		break;
	default:
		snprintf(value, sizeof value, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	}
	table_add(t, src, json_object_get_string(m), tags, unit, value, numeric, d, ts, now, 1);
	json_object_put(o);
}

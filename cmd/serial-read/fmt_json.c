/* -F json: a JSON object a line, one record a leaf; a line that already is
 * a record passes through (lines.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

/* A JSON scalar: a number keeps its text as the line had it (json-c keeps
 * it), a string or a bool is an event. */
static int
leaf(struct lp *p, const char *name, json_object *v, int64_t ts, char *err, size_t errlen)
{
	struct val x = { .kind = V_NUMTEXT };

	if (!*name)
		FAIL("json: empty key");
	if (json_object_is_type(v, json_type_boolean)) {
		x = (struct val){ .kind = V_BOOL, .b = json_object_get_boolean(v) };
	} else if (json_object_is_type(v, json_type_string)) {
		x = (struct val){ .kind = V_STR, .s = json_object_get_string(v),
		                  .n = (size_t)json_object_get_string_len(v) };
	} else {
		x.s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &x.n);
	}
	return lp_emit(p, name, x, ts, err, errlen);
}

static int
flatten(struct lp *p, const char *name, json_object *v, int64_t ts, char *err, size_t errlen)
{
	char sub[NAMEBUF], idx[24];
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, k, e) {
			if (lp_join(sub, name, k) < 0)
				FAIL("name \"%.40s...\": longer than %d bytes", name, PLX_NAME_MAX);
			if (flatten(p, sub, e, ts, err, errlen) < 0)
				return -1;
		}
		return 0;
	}
	case json_type_array:
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			snprintf(idx, sizeof idx, "%zu", i);
			if (lp_join(sub, name, idx) < 0)
				FAIL("name \"%.40s...\": longer than %d bytes", name, PLX_NAME_MAX);
			if (flatten(p, sub, json_object_array_get_idx(v, i), ts, err, errlen) < 0)
				return -1;
		}
		return 0;
	default:
		return leaf(p, name, v, ts, err, errlen);
	}
}

int
fmt_json(struct lp *p, char *line, size_t len, int64_t ts, char *err, size_t errlen)
{
	json_object *o, *m, *v;
	char why[200];
	size_t end;
	int rc;

	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, line, (int)len);
	if (json_tokener_get_error(p->tok) == json_tokener_continue)
		FAIL("json: unexpected end of line");
	if (json_tokener_get_error(p->tok) != json_tokener_success) {
		FAIL("json: %s at byte %zu", json_tokener_error_desc(json_tokener_get_error(p->tok)),
		     json_tokener_get_parse_end(p->tok) + 1);
	}
	for (end = json_tokener_get_parse_end(p->tok); end < len; end++)
		if (!isspace((unsigned char)line[end])) {
			json_object_put(o);
			FAIL("json: trailing characters at byte %zu", end + 1);
		}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		FAIL("json: not an object");
	}
	if (json_object_object_get_ex(o, "metric", &m) && json_object_is_type(m, json_type_string) &&
	    json_object_object_get_ex(o, "value", &v)) {
		/* already a record: through unchanged, but stamped if it is not;
		 * never with a key of the gateway's own (a "_plx_seq" from a
		 * device would acknowledge, that is delete, another reader's
		 * spooled rows) */
		json_object_object_foreach(o, k, x) {
			(void)x;
			if (!strncmp(k, "_plx_", 5)) {
				snprintf(err, errlen, "record: key \"%.32s\": _plx_ keys are the gateway's own", k);
				json_object_put(o);
				return -1;
			}
		}
		if (!json_object_object_get_ex(o, "timestamp", NULL))
			json_object_object_add(o, "timestamp", json_object_new_int64(ts));
		if (plx_record_check(o, 0, why, sizeof why) < 0) {
			json_object_put(o);
			FAIL("record: %s", why);
		}
		rc = plx_recs_json(&p->out, o);
		json_object_put(o);
		if (rc < 0)
			FAIL("record: %s", p->out.err);
		return 0;
	}
	rc = flatten(p, "", o, ts, err, errlen);
	json_object_put(o);
	return rc;
}


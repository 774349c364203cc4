/* libFuzzer target: plx-upload's input path (cmd/plx-upload/input.c take:
 * plx-buffer's sequence key, the quick check or the full parse, the clock
 * mark), any bytes as lines.  Byte 0 picks the clock correction (none, or
 * one), the rest is the stream.  Checked: every line is taken into the
 * batch or refused, never both; a record holds no newline; the body of
 * the whole batch is one JSON object whose points are the records taken,
 * each an object without _plx_seq or _plx_clk at its top level (the server
 * must never see plx-buffer's or the readers' marks; other _plx_ keys are
 * the readers' to keep out, issue 20); a sequence number comes
 * only from a line that has plx-buffer's key; every point is of the class
 * its line was, as the server reads it (a "class" left out is inferred:
 * lean). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "record.h"
#include "upload.h"

#define CHECK(c, what) do { if (!(c)) { fprintf(stderr, "fuzz_upload_input: %s\n", what); abort(); } } while (0)

static struct up u;

static void
setup(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	u.o.max_points = PLX_POINTS_MAX;
	u.o.max_bytes = PLX_BODY_MAX;
	u.rl = (struct plx_ratelim){ .per_s = 1, .what = "bad lines" };
	if (!(u.tok = plx_tokener_new()))
		abort();
	batch_init(&u.b, "gw", 0, 1 << 20);
}

/* The class the server gives a point: its "class", else "metric" for a
 * number and "event" for anything else (PLEXUS-API.md); -1: not a point. */
static int
class_of(json_object *o)
{
	json_object *c, *v;

	if (!json_object_is_type(o, json_type_object))
		return -1;
	if (json_object_object_get_ex(o, "class", &c))
		return json_object_is_type(c, json_type_string) && !strcmp(json_object_get_string(c), "metric");
	return json_object_object_get_ex(o, "value", &v) &&
	       (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double));
}

/* The line, read by json-c alone, is an object with a _plx_seq key. */
static int
has_seq(const char *line, size_t len)
{
	json_tokener *t = json_tokener_new();
	json_object *o = t ? json_tokener_parse_ex(t, line, (int)len) : NULL;
	int yes = o && json_object_object_get_ex(o, PLX_SEQ_KEY, NULL);

	json_object_put(o);
	json_tokener_free(t);
	return yes;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end = (const char *)data + size, *nl;
	char line[PLX_LINE_MAX + 1];
	unsigned long lineno = 0;
	size_t i, n, len, taken = 0;
	json_object *o, *pts, *pt;
	const void *body;
	int gz, cls[4096];

	setup();
	if (size < 1)
		return 0;
	batch_clear(&u.b);
	for (p = (const char *)data + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		len = (size_t)(nl - p);
		if (len > PLX_LINE_MAX || memchr(p, '\0', len))
			continue;           /* plx_lines never hands such a line */
		memcpy(line, p, len);
		line[len] = '\0';
		n = u.b.n;
		if (take(&u, line, len, ++lineno) == 0) {
			CHECK(u.b.n == n + 1, "taken, but not one record more");
			if (u.b.rec[n].seq >= 0)
				CHECK(has_seq(p, len), "a sequence number from a line without plx-buffer's key");
			if (taken < sizeof cls / sizeof *cls) {
				json_tokener *t = json_tokener_new();
				o = t ? json_tokener_parse_ex(t, p, (int)len) : NULL;
				cls[taken] = class_of(o);
				json_object_put(o);
				json_tokener_free(t);
			}
			taken++;
		} else {
			CHECK(u.b.n == n, "refused, but in the batch");
		}
	}
	if (!taken)
		return 0;
	for (i = 0; i < u.b.n; i++)
		CHECK(!memchr(u.b.text + u.b.rec[i].off, '\n', u.b.rec[i].len), "a newline in a record");
	u.b.clock_fix = data[0] & 1 ? 1700000000000LL : INT64_MIN;
	body = batch_body(&u.b, 0, u.b.n, &len, &gz);
	CHECK(!gz, "gzip at level 0");
	o = json_tokener_parse_ex(u.tok, body, (int)len);
	CHECK(o && json_tokener_get_error(u.tok) == json_tokener_success, "the body is not JSON");
	CHECK(json_object_object_get_ex(o, "points", &pts) && json_object_is_type(pts, json_type_array) &&
	      json_object_array_length(pts) == taken, "not one point per record taken");
	for (i = 0; i < taken; i++) {
		pt = json_object_array_get_idx(pts, i);
		CHECK(json_object_is_type(pt, json_type_object), "a point not an object");
		if (i < sizeof cls / sizeof *cls)
			CHECK(class_of(pt) == cls[i], "a point of another class than its line");
		json_object_object_foreach(pt, k, v) {
			(void)v;
			CHECK(strcmp(k, PLX_SEQ_KEY) && strcmp(k, PLX_CLK_KEY), "a mark reaches the server");
		}
	}
	json_object_put(o);
	json_tokener_reset(u.tok);
	return 0;
}

/* libFuzzer target: serial-read's line parser, every format.
 *
 * Input: byte 0 picks the format (auto, json, kv, csv, nmea, pattern) and,
 * for CSV, whether the column names are given; the rest is a stream of
 * lines split at '\n', each parsed in turn with the state (a CSV header)
 * carried from line to line, as serial-read does.  Checked: a line gives
 * either records or one reason; every record is one line, within 64 KiB,
 * that plx_record_parse (plx-buffer's full check) accepts; a refused line
 * leaves no records behind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_serial: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[PLX_LINE_MAX + 1], rec[PLX_LINE_MAX + 1];
	static json_tokener *tok;
	struct lp p;
	char err[300], why[300];
	const uint8_t *s, *end, *nl;
	size_t len, n;
	const char *t, *e;
	json_object *o;
	int64_t seq;
	int k, i;

	if (size < 1)
		return 0;
	if (!tok)
		tok = plx_tokener_new();
	CHECK(lp_init(&p, (enum lp_format)(data[0] % 6)) == 0, "init");
	if (data[0] & 0x40)
		p.prefix = "pre";
	if (data[0] & 0x80) {
		plx_tags_set_source(&p.tags, "fuzz", NULL, 0);
		CHECK(lp_tag(&p, "k=v", err, sizeof err) == 0, "tag");
	}
	if ((data[0] & 0x20) && lp_columns(&p, "a,b,,c", err, sizeof err) < 0)
		abort();
	CHECK(lp_pattern(&p, "^([a-z]+)[ =:]+([-+0-9.eE]+)(.*)$", "name,,rest", err, sizeof err) == 0,
	      "pattern");
	for (s = data + 1, end = data + size; s < end; s = nl ? nl + 1 : end) {
		nl = memchr(s, '\n', end - s);
		len = (nl ? nl : end) - s;
		if (len > PLX_LINE_MAX)
			len = PLX_LINE_MAX;
		memcpy(line, s, len);
		k = lp_parse(&p, line, len, 1763800000000, err, sizeof err);
		if (k < 0) {
			CHECK(p.out.n == 0 && p.out.len == 0, "refused line keeps %d records", p.out.n);
			CHECK(strlen(err) > 0 && !strchr(err, '\n'), "reason empty or on two lines");
			continue;
		}
		CHECK(k == p.out.n && k <= LP_RECS_MAX, "count %d, kept %d", k, p.out.n);
		/* every record as plx-buffer reads it: the full parser and check */
		for (i = 0, t = p.out.s; i < k; i++, t = e + 1) {
			e = memchr(t, '\n', p.out.s + p.out.len - t);
			CHECK(e != NULL, "record %d has no newline", i);
			n = (size_t)(e - t);
			CHECK(n <= PLX_LINE_MAX, "record longer than 64 KiB");
			memcpy(rec, t, n);
			rec[n] = '\0';
			o = plx_record_parse(tok, rec, n, &seq, why, sizeof why);
			CHECK(o != NULL, "invalid record %s: %s", rec, why);
			json_object_put(o);
		}
		CHECK(t == p.out.s + p.out.len, "text after the last record");
	}
	lp_free(&p);
	return 0;
}

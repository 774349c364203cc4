/* Unit tests of serial-read's line formats (lines.c, fmt_*.c): the API
 * around the parsers (the formats themselves are covered by the golden files, tests/golden/serial/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "unit.h"

static struct lp p;
static char err[300];

/* Parses a copy of s; the records joined with '\n', or "ERR: reason". */
static const char *
run(const char *s)
{
	static char out[70000];
	char line[66000];
	size_t len = strlen(s), n;
	int k;

	memcpy(line, s, len + 1);
	if ((k = lp_parse(&p, line, len, 1000, err, sizeof err)) < 0) {
		snprintf(out, sizeof out, "ERR: %s", err);
		return out;
	}
	n = p.out.len;
	T(k == p.out.n && (n == 0 || p.out.s[n - 1] == '\n'), "%d records, whole lines", k);
	if (n > 0) {
		n--;                 /* the records joined by '\n' */
		memcpy(out, p.out.s, n);
	}
	out[n] = '\0';
	return out;
}

int
main(void)
{
	static char tags[15][16];
	char big[8000], tag[300];
	int i, o;

	setenv("PLEXUS_CLOCK", "synced", 1);   /* no "_plx_clk" mark in the texts compared */

	T(lp_format_parse("nmea") == LP_NMEA && lp_format_parse("xml") < 0, "format names");

	lp_init(&p, LP_KV);
	T_STR(run("t=1"), "{\"class\":\"metric\",\"metric\":\"t\",\"value\":1,\"timestamp\":1000}", "kv with the given timestamp");
	T(lp_tag(&p, "noequals", err, sizeof err) < 0, "a tag without = is refused");
	T(lp_tag(&p, "=v", err, sizeof err) < 0, "a tag without key is refused");
	for (i = 0; i < 15; i++) {
		snprintf(tags[i], sizeof tags[i], "k%d=v", i);   /* tags point into it, as into argv */
		T(lp_tag(&p, tags[i], err, sizeof err) == 0, "tag %d", i);
	}
	T(lp_tag(&p, "k16=v", err, sizeof err) < 0, "a 16th tag is refused (room for port)");
	T(strstr(run("t=1"), "\"k14\":\"v\"") != NULL, "tags on records");
	lp_free(&p);

	lp_init(&p, LP_KV);
	p.prefix = "a.";
	T_STR(run("b=2"), "{\"class\":\"metric\",\"metric\":\"a.b\",\"value\":2,\"timestamp\":1000}", "a prefix ending in a dot is not doubled");
	memset(tag, 'x', 260);
	memcpy(tag + 260, "=1", 3);
	T(!strncmp(run(tag), "ERR: name \"", 11), "a name over 256 bytes is refused");
	for (o = i = 0; i < 300; i++)
		o += snprintf(big + o, sizeof big - o, "k%d=%d ", i, i);
	T_STR(run(big), "ERR: more than 256 values in one line", "at most 256 records a line");
	T(p.out.n == 0 && p.out.len == 0, "a refused line keeps no records");
	snprintf(big, sizeof big, "s=\"%0300d\"", 0);
	T_STR(run(big), "ERR: a.s: string value longer than 256 bytes", "record check reasons name the metric");
	lp_free(&p);

	lp_init(&p, LP_CSV);
	T_STR(run("1,2"), "ERR: csv: no header line yet", "csv data before a header");
	T_STR(run("a,b"), "", "a header gives no record");
	T(strstr(run("1,2"), "\"metric\":\"b\",\"value\":2") != NULL, "csv after the header");
	lp_reset(&p);
	T_STR(run("1,2"), "ERR: csv: no header line yet", "reset forgets the header");
	T(lp_columns(&p, "x,y", err, sizeof err) == 0, "columns");
	lp_reset(&p);
	T(strstr(run("3,4"), "\"metric\":\"y\",\"value\":4") != NULL, "reset keeps given columns");
	lp_free(&p);

	lp_init(&p, LP_PATTERN);
	T(lp_pattern(&p, "(", "a", err, sizeof err) < 0, "a bad regex is refused");
	T(lp_pattern(&p, "([0-9]+)", "a,b", err, sizeof err) < 0, "more names than groups is refused");
	T(lp_pattern(&p, "v([0-9]+) w([a-z]+)", "v,", err, sizeof err) == 0, "an empty name skips a group");
	T_STR(run("v12 wab"), "{\"class\":\"metric\",\"metric\":\"v\",\"value\":12,\"timestamp\":1000}", "pattern");
	lp_free(&p);

	lp_init(&p, LP_JSON);
	plx_tags_set_source(&p.tags, "gw", err, sizeof err);
	T_STR(run("{\"metric\":\"m\",\"value\":1,\"timestamp\":5}"), "{\"metric\":\"m\",\"value\":1,\"timestamp\":5}",
	      "a record passes through unchanged (no source id added)");
	T_STR(run("   "), "", "a blank line gives nothing");
	T_STR(run("{\"a\":1e999}"), "ERR: a: value is not a finite number", "1e999 refused");
	lp_free(&p);
	UNIT_END();
}

/* The record rules (record.h, "The rules") through all three paths of the
 * record module: one table of spans (metric names, tag keys and values,
 * source ids, numbers as text, event strings), each with the verdict the
 * rules give, and for each span
 *   - the builder (recs.h: plx_recs_*, templates, plx_tags_*), given the span;
 *   - the full check (plx_record_parse), given a line that holds the span,
 *     JSON-escaped where it must be;
 *   - the fast path (plx_record_quick) on the same line: OK must mean the
 *     span obeys, and on a line without escapes it must decide: OK exactly
 *     when the span obeys.
 * All must agree with the verdict.  A span holding a NUL byte cannot be
 * given to the builder's C-string arguments (names, tags, source ids): the
 * builder is skipped there, the lines still carry it as \u0000. */
#include <stdlib.h>
#include <string.h>

#include "recs.h"
#include "unit.h"

enum kind { NAME, TAG_KEY, TAG_VAL, SOURCE, NUMBER, EVENT_STR };
static const char *const kinds[] = { "name", "tag key", "tag value", "source_id", "number", "event string" };

struct row { enum kind k; const char *s; size_t n; int ok; const char *what; };
#define R(k, lit, ok, what) { k, lit, sizeof lit - 1, ok, what }

/* Spans longer than a literal: filled in by main(). */
static char m256[256], m257[257], e128[256], e128x[257], nl256[256];

static struct row rows[] = {
	R(NAME, "a", 1, "one byte"),
	R(NAME, "", 0, "empty"),
	{ NAME, m256, 256, 1, "256 bytes" },
	{ NAME, m257, 257, 0, "257 bytes" },
	{ NAME, e128, 256, 1, "128 two-byte characters" },
	{ NAME, e128x, 257, 0, "128 two-byte characters and one byte" },
	R(NAME, "env.temperature", 1, "a dotted name"),
	R(NAME, "a\"b\\c", 1, "a quote and a backslash (escaped on the line)"),
	R(NAME, "a\nb\x01", 1, "control characters (escaped on the line)"),
	R(NAME, "a\0b", 0, "a NUL character"),
	R(NAME, "caf\xc3", 0, "a cut UTF-8 sequence"),
	R(NAME, "\xff", 0, "byte 0xff"),
	R(NAME, "\xc0\xaf", 0, "an overlong form"),
	R(NAME, "\xed\xa0\x80", 0, "a UTF-16 surrogate"),
	R(NAME, "\xf4\x90\x80\x80", 0, "past U+10FFFF"),
	R(NAME, "\xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8", 1, "3- and 4-byte characters, U+2028"),

	R(TAG_KEY, "k", 1, "one byte"),
	R(TAG_KEY, "", 0, "empty (decided: refused)"),
	{ TAG_KEY, m256, 256, 1, "256 bytes" },
	{ TAG_KEY, m257, 257, 0, "257 bytes" },
	R(TAG_KEY, "k\"\\", 1, "a quote and a backslash"),
	R(TAG_KEY, "\t", 1, "a tab"),
	R(TAG_KEY, "a\0b", 0, "a NUL character"),
	R(TAG_KEY, "\xfe", 0, "byte 0xfe"),
	R(TAG_KEY, "\xc3\xa9", 1, "e acute"),

	R(TAG_VAL, "", 1, "empty"),
	R(TAG_VAL, "v", 1, "one byte"),
	{ TAG_VAL, m256, 256, 1, "256 bytes" },
	{ TAG_VAL, m257, 257, 0, "257 bytes" },
	R(TAG_VAL, "x\ny\"", 1, "a newline and a quote"),
	R(TAG_VAL, "a\0", 0, "a NUL character"),
	R(TAG_VAL, "\xc0\xaf", 0, "an overlong form"),
	R(TAG_VAL, "a4:c1:38:12:34:56", 1, "a MAC address"),

	R(SOURCE, "gw", 1, "gw"),
	R(SOURCE, "0", 1, "one digit"),
	R(SOURCE, "a.b_c-d9", 1, ". _ -"),
	R(SOURCE, "a..", 1, "dots at the end"),
	R(SOURCE, "", 0, "empty"),
	R(SOURCE, "Gw", 0, "upper case"),
	R(SOURCE, ".gw", 0, "a leading dot"),
	R(SOURCE, "-gw", 0, "a leading dash"),
	R(SOURCE, "g w", 0, "a space"),
	R(SOURCE, "g\xc3\xa9", 0, "non-ASCII"),
	R(SOURCE, "g\0", 0, "a NUL character"),
	R(SOURCE, "g\n", 0, "a newline"),
	{ SOURCE, m256, 256, 1, "256 bytes" },
	{ SOURCE, m257, 257, 0, "257 bytes" },

	R(NUMBER, "0", 1, "0"),
	R(NUMBER, "-0", 1, "-0 (decided: a number)"),
	R(NUMBER, "-0.0", 1, "-0.0"),
	R(NUMBER, "21.50", 1, "21.50"),
	R(NUMBER, "-2250", 1, "-2250"),
	R(NUMBER, "1e5", 1, "1e5"),
	R(NUMBER, "1E+2", 1, "1E+2"),
	R(NUMBER, "2.5e-3", 1, "2.5e-3"),
	R(NUMBER, "1e-999", 1, "1e-999 (0)"),
	R(NUMBER, "0e999", 1, "0e999 (0)"),
	R(NUMBER, "0.001e310", 1, "0.001e310 (1e307)"),
	R(NUMBER, "1e308", 1, "1e308"),
	R(NUMBER, "1.7976931348623157e308", 1, "DBL_MAX"),
	R(NUMBER, "1.7976931348623159e308", 0, "past DBL_MAX: infinite"),
	R(NUMBER, "1e309", 0, "1e309"),
	R(NUMBER, "1e999", 0, "1e999"),
	R(NUMBER, "123456789012345678", 1, "18 digits"),
	R(NUMBER, "1234567890123456789", 1, "19 digits"),
	R(NUMBER, "9223372036854775807", 1, "2^63-1"),
	R(NUMBER, "9223372036854775808", 1, "2^63 (uint64)"),
	R(NUMBER, "18446744073709551614", 1, "2^64-2"),
	R(NUMBER, "18446744073709551615", 0, "2^64-1 (json-c's clamp)"),
	R(NUMBER, "18446744073709551616", 0, "2^64"),
	R(NUMBER, "123456789012345678901234567890", 0, "30 digits"),
	R(NUMBER, "-9223372036854775807", 1, "-(2^63-1)"),
	R(NUMBER, "-9223372036854775808", 0, "-2^63 (json-c's clamp)"),
	R(NUMBER, "-9223372036854775809", 0, "past -2^63"),
	R(NUMBER, "123456789012345678901234567890.5", 1, "a long fraction"),
	R(NUMBER, "01", 0, "a leading zero"),
	R(NUMBER, "-01", 0, "-01"),
	R(NUMBER, "1.", 0, "1."),
	R(NUMBER, ".5", 0, ".5"),
	R(NUMBER, "+1", 0, "+1"),
	R(NUMBER, "-", 0, "-"),
	R(NUMBER, "1e", 0, "1e"),
	R(NUMBER, "1e+", 0, "1e+"),
	R(NUMBER, "0x1", 0, "0x1"),
	R(NUMBER, "NaN", 0, "NaN"),
	R(NUMBER, "Infinity", 0, "Infinity"),
	R(NUMBER, "-Infinity", 0, "-Infinity"),

	R(EVENT_STR, "", 1, "empty"),
	R(EVENT_STR, "open", 1, "a word"),
	{ EVENT_STR, m256, 256, 1, "256 bytes" },
	{ EVENT_STR, m257, 257, 0, "257 bytes" },
	{ EVENT_STR, e128, 256, 1, "128 two-byte characters" },
	{ EVENT_STR, e128x, 257, 0, "257 bytes of UTF-8" },
	{ EVENT_STR, nl256, 256, 1, "256 newlines (512 bytes escaped)" },
	R(EVENT_STR, "say \"hi\"\\ <&>", 1, "quotes, a backslash, < & >"),
	R(EVENT_STR, "a\0b", 0, "a NUL character"),
	R(EVENT_STR, "\xff", 0, "byte 0xff"),
	R(EVENT_STR, "x\xe2\x82", 0, "a cut sequence"),
};

/* The span as a JSON string (json-c's escapes), or as it is for a number;
 * *escaped says whether anything had to be escaped. */
static size_t
json_text(char *out, const struct row *r, int *escaped)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	*escaped = 0;
	if (r->k == NUMBER) {
		memcpy(out, r->s, r->n);
		return r->n;
	}
	out[o++] = '"';
	for (i = 0; i < r->n; i++) {
		unsigned char c = (unsigned char)r->s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		*escaped = 1;
		out[o++] = '\\';
		if (c == '"' || c == '\\')
			out[o++] = (char)c;
		else if (c == '\n')
			out[o++] = 'n';
		else if (c == '\t')
			out[o++] = 't';
		else
			out[o++] = 'u', out[o++] = '0', out[o++] = '0', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
	}
	out[o++] = '"';
	return o;
}

/* The record line that carries the span in its place. */
static size_t
make_line(char *line, const struct row *r, int *escaped)
{
	char t[2000];
	size_t n = json_text(t, r, escaped);

	switch (r->k) {
	case NAME: return (size_t)sprintf(line, "{\"metric\":%.*s,\"value\":1}", (int)n, t);
	case TAG_KEY: return (size_t)sprintf(line, "{\"metric\":\"a\",\"value\":1,\"tags\":{%.*s:\"v\"}}", (int)n, t);
	case TAG_VAL: return (size_t)sprintf(line, "{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":%.*s}}", (int)n, t);
	case SOURCE: return (size_t)sprintf(line, "{\"metric\":\"a\",\"value\":1,\"source_id\":%.*s}", (int)n, t);
	case NUMBER: return (size_t)sprintf(line, "{\"metric\":\"a\",\"value\":%.*s}", (int)n, t);
	default: return (size_t)sprintf(line, "{\"class\":\"event\",\"metric\":\"a\",\"value\":%.*s}", (int)n, t);
	}
}

/* The builder: every way it takes the span; 1 accepted by all, 0 refused
 * by all, -1 when its own ways disagree, -2 when it cannot be given. */
static int
builder(const struct row *r)
{
	struct plx_recs b;
	struct plx_tags t = { 0 };
	struct plx_rectpl tp, none;
	char err[200], *c = NULL;
	int v[3] = { 0 }, nv = 0, i, have_none;

	if (r->k != NUMBER && r->k != EVENT_STR) {
		if (memchr(r->s, '\0', r->n))
			return -2;
		c = strndup(r->s, r->n);
	}
	plx_recs_init(&b);
	have_none = plx_rectpl_init(&none, "m", NULL, err, sizeof err) == 0;
	switch (r->k) {
	case NAME:
		v[nv++] = plx_recs_bool(&b, c, 1, 1, NULL) == 0;
		v[nv] = plx_rectpl_init(&tp, c, NULL, err, sizeof err) == 0;
		if (v[nv++])
			plx_rectpl_free(&tp);
		break;
	case TAG_KEY:
	case TAG_VAL:
		v[nv] = plx_tags_add(&t, r->k == TAG_KEY ? c : "k", r->k == TAG_KEY ? "v" : c, err, sizeof err) == 0;
		v[nv] = v[nv] && plx_recs_bool(&b, "m", 1, 1, &t) == 0;
		nv++;
		break;
	case SOURCE:
		v[nv++] = plx_tags_set_source(&t, c, err, sizeof err) == 0 && plx_recs_bool(&b, "m", 1, 1, &t) == 0;
		break;
	case NUMBER:
		v[nv++] = have_none && plx_recs_tpl_num(&b, &none, r->s, r->n, 1) == 0;
		break;
	case EVENT_STR:
		v[nv++] = plx_recs_str(&b, "m", r->s, r->n, 1, NULL) == 0;
		plx_rectpl_free(&none);
		have_none = plx_rectpl_init_event(&none, "m", NULL, err, sizeof err) == 0;
		v[nv++] = have_none && plx_recs_tpl_str(&b, &none, r->s, r->n, 1) == 0;
		break;
	}
	if (have_none)
		plx_rectpl_free(&none);
	plx_recs_free(&b);
	free(c);
	for (i = 1; i < nv; i++)
		if (v[i] != v[0])
			return -1;
	return v[0];
}

int
main(void)
{
	json_tokener *tok = plx_tokener_new();
	char line[4000], err[256];
	size_t i, n;
	int64_t seq;
	int escaped, src, q, b, full, agree = 0;
	json_object *o;

	setenv("PLEXUS_CLOCK", "synced", 1);
	memset(m256, 'm', sizeof m256);
	memset(m257, 'm', sizeof m257);
	for (i = 0; i < 128; i++)
		memcpy(e128 + 2 * i, "\xc3\xa9", 2), memcpy(e128x + 2 * i, "\xc3\xa9", 2);
	e128x[256] = 'x';
	memset(nl256, '\n', sizeof nl256);

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		const struct row *r = &rows[i];
		const char *want = r->ok ? "accepted" : "refused";

		n = make_line(line, r, &escaped);
		o = plx_record_parse(tok, line, n, &seq, err, sizeof err);
		full = o != NULL;
		json_object_put(o);
		q = plx_record_quick(line, n, &src);
		b = builder(r);

		T(full == r->ok, "%s %s: full check: %s", kinds[r->k], r->what, want);
		if (full != r->ok)
			printf("#   plx_record_parse %s: %s\n", full ? "accepted" : "refused", full ? line : err);
		if (escaped)
			T(q != PLX_QUICK_OK || r->ok, "%s %s: fast path OK only if %s", kinds[r->k], r->what, want);
		else
			T((q == PLX_QUICK_OK) == r->ok, "%s %s: fast path %s", kinds[r->k], r->what,
			  r->ok ? "OK" : "SLOW");
		if (b != -2)
			T(b == r->ok, "%s %s: builder: %s", kinds[r->k], r->what, want);
		if (b == -1)
			printf("#   the builder's ways disagree among themselves\n");
		agree += full == r->ok && (b == -2 || b == r->ok) &&
		         (escaped ? q != PLX_QUICK_OK || r->ok : (q == PLX_QUICK_OK) == r->ok);
	}
	T(agree == (int)(sizeof rows / sizeof *rows), "all three paths agree on %d of %zu spans", agree,
	  sizeof rows / sizeof *rows);
	json_tokener_free(tok);
	UNIT_END();
}

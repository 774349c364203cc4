/* libFuzzer target: plx_record_parse on any bytes, and the canonical text
 * round trip.  For every line the parser accepts, plx_record_text must be
 * one line of valid JSON that parses again, passes the same checks and
 * gives an equal record and the same text (a fixed point): what plx-buffer
 * stores and plx-upload sends is what was validated.  The long-lived
 * tokener (as the tools keep one) must give what a fresh one gives: no
 * state may leak from one line to the next.
 *
 * Differential: whenever the fast path plx_record_quick says OK, the full
 * parse must accept the same bytes, find no sequence key, and agree on
 * whether a source_id is there (and pass with need_source when it is).
 *
 * And the builder (recs.h) against the full check: the same bytes, less
 * the first, are a span put in one slot of a record (data[0] % 8: metric
 * name, tag key, tag value, source_id, number text, event string; or the
 * bytes of a number the builder formats: an int64 and a count of decimals,
 * a double).  A
 * record the builder writes must pass plx_record_parse; a span it refuses
 * must be refused by plx_record_parse too, in a line that holds it escaped
 * (a number: as it is, when it is one token).  A span with a NUL byte
 * cannot be given to the builder's C-string arguments: skipped there.
 *
 *   fuzz/run 60 fuzz_record */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_record: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static json_tokener *tok;

/* The span as a JSON string, json-c's escapes, into out (6 * n + 2 bytes). */
static size_t
escape(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	out[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			out[o++] = (char)c;
		} else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else {
			out[o++] = '\\', out[o++] = 'u', out[o++] = '0', out[o++] = '0';
			out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
		}
	}
	out[o++] = '"';
	return o;
}

/* One token that is not true or false: nothing JSON would read as more
 * than one value, nor as a value that is not a number. */
static int
one_token(const char *s, size_t n)
{
	size_t i;

	if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)))
		return 0;

	for (i = 0; i < n; i++)
		if (!s[i] || memchr("\"{}[]:, \t\r\n/", s[i], 12))
			return 0;
	return n > 0;
}

static void
builder_vs_check(int kind, const char *span, size_t n)
{
	struct plx_recs r;
	struct plx_tags t = { 0 };
	struct plx_rectpl tp;
	char err[256], *c = NULL, *line, *esc;
	size_t len;
	int64_t seq;
	int built = -1;
	json_object *o;

	if (kind < 4 && memchr(span, '\0', n))
		return;
	plx_recs_init(&r);
	if (kind >= 6) {
		int64_t q = 0;
		double v = 0;

		if (plx_rectpl_init(&tp, "m", NULL, err, sizeof err) < 0)
			abort();
		memcpy(kind == 6 ? (void *)&q : (void *)&v, span, n < 8 ? n : 8);
		built = kind == 6 ? plx_recs_tpl_fixed(&r, &tp, q, n > 8 ? (unsigned char)span[8] % 19 : 0, 1) == 0
		                  : plx_recs_tpl_double(&r, &tp, v, 1) == 0;
		plx_rectpl_free(&tp);
		if (built) {
			o = plx_record_parse(tok, r.s, r.len - 1, &seq, err, sizeof err);
			CHECK(o, "the builder wrote a number the full check refuses (%s): %.*s", err, (int)r.len - 1, r.s);
			json_object_put(o);
		}
		plx_recs_free(&r);
		return;
	}
	if (kind < 4 && !(c = strndup(span, n)))
		abort();
	switch (kind) {
	case 0: built = plx_recs_bool(&r, c, 1, 1, NULL) == 0; break;
	case 1: built = plx_tags_add(&t, c, "v", err, sizeof err) == 0 && plx_recs_bool(&r, "m", 1, 1, &t) == 0; break;
	case 2: built = plx_tags_add(&t, "k", c, err, sizeof err) == 0 && plx_recs_bool(&r, "m", 1, 1, &t) == 0; break;
	case 3: built = plx_tags_set_source(&t, c, err, sizeof err) == 0 && plx_recs_bool(&r, "m", 1, 1, &t) == 0; break;
	case 4:
		if (plx_rectpl_init(&tp, "m", NULL, err, sizeof err) < 0)
			abort();
		built = plx_recs_tpl_num(&r, &tp, span, n, 1) == 0;
		plx_rectpl_free(&tp);
		break;
	default: built = plx_recs_str(&r, "m", span, n, 1, NULL) == 0; break;
	}
	free(c);
	if (built) {
		CHECK(r.n == 1 && r.len > 0 && r.s[r.len - 1] == '\n', "the builder accepted, but wrote no line");
		o = plx_record_parse(tok, r.s, r.len - 1, &seq, err, sizeof err);
		CHECK(o, "the builder wrote a record the full check refuses (%s): %.*s", err, (int)r.len - 1, r.s);
		json_object_put(o);
		plx_recs_free(&r);
		return;
	}
	plx_recs_free(&r);
	if (kind == 4 && !one_token(span, n))
		return;
	if (!(line = malloc(6 * n + 100)) || !(esc = malloc(6 * n + 2)))
		abort();
	len = kind == 4 ? (memcpy(esc, span, n), n) : escape(esc, span, n);
	switch (kind) {
	case 0: len = (size_t)sprintf(line, "{\"metric\":%.*s,\"value\":1}", (int)len, esc); break;
	case 1: len = (size_t)sprintf(line, "{\"metric\":\"m\",\"value\":1,\"tags\":{%.*s:\"v\"}}", (int)len, esc); break;
	case 2: len = (size_t)sprintf(line, "{\"metric\":\"m\",\"value\":1,\"tags\":{\"k\":%.*s}}", (int)len, esc); break;
	case 3: len = (size_t)sprintf(line, "{\"metric\":\"m\",\"value\":1,\"source_id\":%.*s}", (int)len, esc); break;
	case 4: len = (size_t)sprintf(line, "{\"metric\":\"m\",\"value\":%.*s}", (int)len, esc); break;
	default: len = (size_t)sprintf(line, "{\"class\":\"event\",\"metric\":\"m\",\"value\":%.*s}", (int)len, esc); break;
	}
	o = plx_record_parse(tok, line, len, &seq, err, sizeof err);
	CHECK(!o, "the builder refuses a span the full check accepts: %.*s", (int)len, line);
	free(line);
	free(esc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_tokener *fresh;
	char err[256], err2[256];
	json_object *o, *o2;
	const char *text, *text2;
	size_t n, n2;
	int64_t seq, seq2;
	int has_source, quick = plx_record_quick((const char *)data, size, &has_source);

	if (!tok && !(tok = plx_tokener_new()))
		abort();
	if (size > 0 && size < 2000)
		builder_vs_check(data[0] % 8, (const char *)data + 1, size - 1);
	err[0] = '\0';
	o = plx_record_parse(tok, (const char *)data, size, &seq, err, sizeof err);
	fresh = plx_tokener_new();
	err2[0] = '\0';
	o2 = plx_record_parse(fresh, (const char *)data, size, &seq2, err2, sizeof err2);
	json_tokener_free(fresh);
	CHECK(!o == !o2 && (!o || (json_object_equal(o, o2) && seq == seq2)) && !strcmp(err, err2),
	      "a used tokener and a fresh one disagree: %s / %s", err, err2);
	json_object_put(o2);
	if (!o) {
		CHECK(quick != PLX_QUICK_OK, "plx_record_quick says OK, plx_record_parse refuses: %s", err);
		CHECK(err[0] != '\0' && !strpbrk(err, "\r\n"), "refused without a one-line reason");
		return 0;
	}
	CHECK(seq >= -1, "bad seq %lld", (long long)seq);
	CHECK(!json_object_object_get_ex(o, PLX_SEQ_KEY, NULL), "sequence key left in the record");
	CHECK(plx_record_check(o, 0, err, sizeof err) == 0, "accepted, but plx_record_check refuses: %s", err);
	if (quick == PLX_QUICK_OK) {
		CHECK(seq == -1, "plx_record_quick says OK to a line with a sequence key");
		CHECK(has_source == json_object_object_get_ex(o, "source_id", NULL),
		      "plx_record_quick: has_source %d, wrong", has_source);
		CHECK(!has_source || plx_record_check(o, 1, err, sizeof err) == 0,
		      "plx_record_quick: has_source, but need_source refuses: %s", err);
	}

	text = plx_record_text(o, &n);
	CHECK(n == strlen(text), "text length %zu, strlen %zu", n, strlen(text));
	CHECK(!memchr(text, '\n', n) && !memchr(text, '\r', n), "text is not one line: %s", text);
	o2 = plx_record_parse(tok, text, n, &seq2, err2, sizeof err2);
	CHECK(o2, "canonical text refused (%s): %s", err2, text);
	CHECK(seq2 == -1, "canonical text carries a sequence number");
	CHECK(json_object_equal(o, o2), "round trip changed the record: %s", text);
	text2 = plx_record_text(o2, &n2);
	CHECK(n2 == n && !memcmp(text, text2, n), "text not a fixed point:\n%s\n%s", text, text2);
	json_object_put(o2);
	json_object_put(o);
	return 0;
}

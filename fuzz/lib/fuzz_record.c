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
 *   make fuzz && build/TARGET-fuzz/fuzz/lib/fuzz_record -max_total_time=60 fuzz/corpus/record */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_record: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_tokener *tok;
	json_tokener *fresh;
	char err[256], err2[256];
	json_object *o, *o2;
	const char *text, *text2;
	size_t n, n2;
	int64_t seq, seq2;
	int has_source, quick = plx_record_quick((const char *)data, size, &has_source);

	if (!tok && !(tok = plx_tokener_new()))
		abort();
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

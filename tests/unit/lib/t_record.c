/* lib/record.c: every rule of the Plexus server's limits table
 * (PLEXUS-API.md), each at its boundary, plus the record's framing (one
 * object per line, strict JSON, UTF-8, the in-band "_plx_seq" key).  The
 * builder's side is t_recs.c, all three paths against one table t_rules.c.
 *
 * Most cases are rows of a table: a line, whether it must pass, and a
 * fragment of the reason when it must not.  Lines that are mostly padding
 * (257-byte names, 4 KiB event objects) are built by line() from a format
 * where %N{c} stands for N copies of the character c. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "record.h"
#include "unit.h"

static json_tokener *tok;

/* A line from a format where "%N{c}" (or "%N{\xe2\x80\xa8}", any bytes up to
 * the closing brace) is N copies of what is between the braces.  Each result
 * is kept until the end of the test, so tables can hold them. */
static char *kept[256];
static int nkept;

static const char *
line(const char *fmt)
{
	size_t cap = 16384, n = 0, k, w;
	char *s = malloc(cap), *end;
	const char *r;
	long count;

	while (*fmt) {
		if (fmt[0] == '%' && fmt[1] >= '0' && fmt[1] <= '9') {
			count = strtol(fmt + 1, &end, 10);
			r = end + 1;                        /* after '{' */
			w = strchr(r, '}') - r;
			for (k = 0; k < (size_t)count; k++, n += w) {
				if (n + w + 1 > cap)
					s = realloc(s, cap *= 2);
				memcpy(s + n, r, w);
			}
			fmt = r + w + 1;
			continue;
		}
		if (n + 2 > cap)
			s = realloc(s, cap *= 2);
		s[n++] = *fmt++;
	}
	s[n] = '\0';
	if (nkept == (int)(sizeof kept / sizeof *kept))
		abort();
	return kept[nkept++] = s;
}

/* Parses a line and checks the verdict; on failure the reason must hold frag.
 * Every line also goes through the fast path: its OK must mean accepted. */
static void
check(const char *l, int want_ok, const char *frag, const char *what)
{
	char err[256] = "";
	int64_t seq;
	int has_source, quick = plx_record_quick(l, strlen(l), &has_source);
	json_object *o = plx_record_parse(tok, l, strlen(l), &seq, err, sizeof err);

	T(quick != PLX_QUICK_OK || o, "%s: plx_record_quick OK only if accepted", what);

	if (want_ok) {
		T(o != NULL, "%s: accepted", what);
		if (!o)
			printf("#   refused: %s\n", err);
	} else {
		T(!o && strstr(err, frag) && !strpbrk(err, "\r\n"), "%s: refused (%s)", what, frag);
		if (o || !strstr(err, frag))
			printf("#   %s, reason '%s'\n", o ? "accepted" : "refused", err);
	}
	json_object_put(o);
}

struct row { const char *line; int ok; const char *frag; const char *what; };

/* Rules with short lines, as written on the wire. */
static const struct row fixed[] = {
	/* the example of DESIGN.md §1 */
	{ "{\"class\":\"metric\",\"metric\":\"env.temperature\",\"value\":21.5,\"timestamp\":1763800000123,"
	  "\"source_id\":\"ble-gw\",\"tags\":{\"mac\":\"a4:c1:38:12:34:56\"}}", 1, NULL, "design example" },
	{ "{\"metric\":\"a\",\"value\":1}", 1, NULL, "minimal metric" },

	/* framing: one JSON object, strict, nothing after it */
	{ "", 0, "unexpected end of line", "empty line" },
	{ "   ", 0, "unexpected end of line", "blanks only" },
	{ "{\"metric\":\"a\",\"value\":", 0, "unexpected end of line", "truncated" },
	{ "[1,2]", 0, "not a JSON object", "array" },
	{ "\"metric\"", 0, "not a JSON object", "string" },
	{ "42", 0, "not a JSON object", "number" },
	{ "null", 0, "not a JSON object", "null" },
	{ "true", 0, "not a JSON object", "true" },
	{ "-1.5e3", 0, "not a JSON object", "number with exponent" },
	{ "4x", 0, "not JSON", "number and garbage" },
	{ "{\"metric\":\"a\",\"value\":1}x", 0, "at byte 25", "trailing garbage" },
	{ "{\"metric\":\"a\",\"value\":1}{\"metric\":\"b\",\"value\":2}", 0, "not JSON", "two objects on a line" },
	{ "{\"metric\":\"a\",\"value\":1} \t\r", 1, NULL, "trailing blanks and CR" },
	{ "{\"metric\":\"a\",\"value\":1,}", 0, "not JSON", "trailing comma" },
	{ "{'metric':'a','value':1}", 0, "not JSON", "single quotes" },
	{ "{\"metric\":\"a\",\"value\":1} // c", 0, "not JSON", "comment" },
	{ "{\"metric\":\"a\",\"value\":TRUE}", 0, "not JSON", "TRUE in capitals" },
	{ "{\"metric\":\"a\",\"value\":01}", 0, "not JSON", "leading zero" },

	/* NaN and Infinity are not JSON, and a number beyond float64 makes the
	 * server's decoder refuse the whole request: refused wherever they are */
	{ "{\"metric\":\"a\",\"value\":NaN}", 0, "number NaN at byte 23: not a JSON number", "value NaN" },
	{ "{\"metric\":\"a\",\"value\":Infinity}", 0, "not a JSON number", "value Infinity" },
	{ "{\"metric\":\"a\",\"value\":-Infinity}", 0, "not a JSON number", "value -Infinity" },
	{ "{\"metric\":\"a\",\"value\":1e999}", 0, "not a finite number", "value 1e999" },
	{ "{\"class\":\"event\",\"metric\":\"a\",\"value\":{\"x\":NaN}}", 0, "number NaN at byte 44", "NaN inside an event object" },
	{ "{\"metric\":\"a\",\"value\":[1,-Infinity]}", 0, "number -Infinity at byte 26", "-Infinity inside an event array" },
	{ "{\"metric\":\"a\",\"value\":{\"x\":[1e999]}}", 0, "number 1e999 at byte 29: not a finite number", "1e999 deep in an event" },
	{ "{\"metric\":\"a\",\"value\":1,\"extra\":NaN}", 0, "number NaN at byte 33", "NaN in an extra field" },
	{ "{\"metric\":\"a\",\"value\":123456789012345678901234567890}", 0, "an integer past 64 bits", "integer json-c would clamp to 2^64-1" },
	{ "{\"metric\":\"a\",\"value\":-123456789012345678901234567890}", 0, "an integer past 64 bits", "integer json-c would clamp to -2^63" },
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":-99999999999999999999}", 0, "at byte 37: an integer past 64 bits", "clamped timestamp" },
	{ "{\"metric\":\"a\",\"value\":9223372036854775807}", 1, NULL, "INT64_MAX is kept" },
	{ "{\"metric\":\"a\",\"value\":1e-999}", 1, NULL, "underflow to 0 (Go reads it as 0 too)" },
	{ "{\"metric\":\"a\",\"value\":-0.0}", 1, NULL, "negative zero" },

	/* UTF-8: json-c lets overlong forms, surrogates and > U+10FFFF through */
	{ "{\"metric\":\"a\",\"value\":\"\xff\"}", 0, "invalid UTF-8 at byte 24", "byte 0xff" },
	{ "{\"metric\":\"a\",\"value\":\"\xc0\xaf\"}", 0, "invalid UTF-8", "overlong '/'" },
	{ "{\"metric\":\"a\",\"value\":\"\xe0\x9f\xbf\"}", 0, "invalid UTF-8", "overlong 3-byte form" },
	{ "{\"metric\":\"a\",\"value\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8", "UTF-16 surrogate" },
	{ "{\"metric\":\"a\",\"value\":\"\xf4\x90\x80\x80\"}", 0, "invalid UTF-8", "above U+10FFFF" },
	{ "{\"metric\":\"a\",\"value\":\"x\xe2\x82\"}", 0, "invalid UTF-8 at byte 25", "truncated sequence" },
	{ "{\"metric\":\"a\xe2\x82\",\"value\":1}", 0, "invalid UTF-8", "bad metric name" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"\xfe\":\"x\"}}", 0, "invalid UTF-8", "bad tag key" },
	{ "{\"metric\":\"a\",\"value\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\x9f\xbf\xf4\x8f\xbf\xbf\"}", 1, NULL,
	  "2-, 3-, 4-byte characters up to U+10FFFF" },
	{ "{\"metric\":\"a\",\"value\":\"\\ud800\"}", 1, NULL, "lone surrogate escape (becomes U+FFFD, as in Go)" },

	/* metric */
	{ "{\"value\":1}", 0, "metric: missing", "no metric" },
	{ "{\"metric\":\"\",\"value\":1}", 0, "metric: empty", "empty metric" },
	{ "{\"metric\":7,\"value\":1}", 0, "metric: not a string", "numeric metric" },
	{ "{\"metric\":null,\"value\":1}", 0, "metric: not a string", "null metric" },

	/* class */
	{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":1}", 1, NULL, "class metric" },
	{ "{\"class\":\"event\",\"metric\":\"a\",\"value\":1}", 1, NULL, "class event with a number" },
	{ "{\"class\":\"log\",\"metric\":\"a\",\"value\":1}", 0, "neither metric nor event", "class log" },
	{ "{\"class\":\"Metric\",\"metric\":\"a\",\"value\":1}", 0, "neither metric nor event", "class Metric" },
	{ "{\"class\":\"\",\"metric\":\"a\",\"value\":1}", 0, "neither metric nor event", "empty class" },
	{ "{\"class\":1,\"metric\":\"a\",\"value\":1}", 0, "class: not a string", "numeric class" },
	{ "{\"class\":\"ev\\nent\",\"metric\":\"a\",\"value\":1}", 0, "class: \"ev?ent\" is neither", "a newline in a quoted value stays out of the reason" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"a\\r\\nb\":1}}", 0, "tags.a??b: value is not a string", "CR LF in a quoted tag name" },

	/* value of a metric: a finite number */
	{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":true}", 0, "class metric needs a number", "metric bool" },
	{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":\"1\"}", 0, "class metric needs a number", "metric string" },
	{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":null}", 0, "value: missing or null", "metric null" },
	{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":[1]}", 0, "class metric needs a number", "metric array" },
	{ "{\"class\":\"metric\",\"metric\":\"a\"}", 0, "value: missing or null", "metric without value" },
	{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":-1.5e300}", 1, NULL, "metric large double" },

	/* class inferred as the server does: number = metric, else event */
	{ "{\"metric\":\"a\",\"value\":\"on\"}", 1, NULL, "string without class is an event" },
	{ "{\"metric\":\"a\",\"value\":false}", 1, NULL, "bool without class is an event" },
	{ "{\"metric\":\"a\",\"value\":{\"lat\":1,\"lon\":2}}", 1, NULL, "object without class is an event" },
	{ "{\"metric\":\"a\",\"value\":[]}", 1, NULL, "empty array is an event" },
	{ "{\"metric\":\"a\",\"value\":null}", 0, "value: missing or null", "null without class" },
	{ "{\"metric\":\"a\"}", 0, "value: missing or null", "no value, no class" },
	{ "{\"class\":\"event\",\"metric\":\"a\",\"value\":null}", 0, "value: missing or null", "event null" },

	/* timestamp: a number when present */
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":1763800000123}", 1, NULL, "timestamp ms" },
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":1763800000.5}", 1, NULL, "timestamp seconds with fraction" },
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":\"1763800000123\"}", 0, "timestamp: not a number", "timestamp string" },
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":null}", 0, "timestamp: not a number", "timestamp null" },
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":true}", 0, "timestamp: not a number", "timestamp bool" },
	{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":NaN}", 0, "number NaN at byte 37", "timestamp NaN" },

	/* source_id: ^[a-z0-9][a-z0-9._-]*$ */
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"ble-gw\"}", 1, NULL, "source_id ble-gw" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"0\"}", 1, NULL, "source_id one digit" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"a.b_c-d9\"}", 1, NULL, "source_id with . _ -" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"Ble-gw\"}", 0, "source_id \"Ble-gw\": does not match", "source_id uppercase" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\".gw\"}", 0, "does not match", "source_id leading dot" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"-gw\"}", 0, "does not match", "source_id leading dash" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"_gw\"}", 0, "does not match", "source_id leading underscore" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"gw 1\"}", 0, "does not match", "source_id with a space" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"gw/1\"}", 0, "does not match", "source_id with a slash" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"gw\xc3\xa9\"}", 0, "does not match", "source_id non-ASCII" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"\"}", 0, "source_id \"\": empty", "source_id empty" },
	{ "{\"metric\":\"a\",\"value\":1,\"source_id\":7}", 0, "source_id: not a string", "source_id number" },

	/* tags: a flat object of strings */
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{}}", 1, NULL, "empty tags" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":[]}", 0, "tags: not an object", "tags array" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":\"x\"}", 0, "tags: not an object", "tags string" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":null}", 0, "tags: not an object", "tags null" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"fw\":1}}", 0, "tags.fw: value is not a string", "tag value number" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"fw\":true}}", 0, "tags.fw: value is not a string", "tag value bool" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"fw\":null}}", 0, "tags.fw: value is not a string", "tag value null" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"fw\":{\"v\":\"1\"}}}", 0, "tags.fw: value is not a string", "nested tags" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"fw\":[\"1\"]}}", 0, "tags.fw: value is not a string", "tag value array" },
	{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"fw\":\"\"}}", 1, NULL, "empty tag value" },

	/* the sequence key between plx-buffer and plx-upload */
	{ "{\"_plx_seq\":-1,\"metric\":\"a\",\"value\":1}", 0, "_plx_seq: not a sequence number", "negative seq" },
	{ "{\"_plx_seq\":\"7\",\"metric\":\"a\",\"value\":1}", 0, "_plx_seq: not a sequence number", "string seq" },
	{ "{\"_plx_seq\":7.5,\"metric\":\"a\",\"value\":1}", 0, "_plx_seq: not a sequence number", "fractional seq" },
	{ "{\"_plx_seq\":null,\"metric\":\"a\",\"value\":1}", 0, "_plx_seq: not a sequence number", "null seq" },
	{ "{\"_plx_seq\":7}", 0, "metric: missing", "seq alone" },
};

/* Rules at their byte limits: %N{c} is N copies of c. */
static void
boundaries(void)
{
	const struct row rows[] = {
		{ line("{\"metric\":\"%256{m}\",\"value\":1}"), 1, NULL, "metric name 256 bytes" },
		{ line("{\"metric\":\"%257{m}\",\"value\":1}"), 0, "metric: longer than 256 bytes", "metric name 257 bytes" },
		{ line("{\"metric\":\"%128{\xc3\xa9}\",\"value\":1}"), 1, NULL, "metric name 128 x 2-byte = 256 bytes" },
		{ line("{\"metric\":\"%86{\xe2\x82\xac}\",\"value\":1}"), 0, "longer than 256", "metric name 86 chars = 258 bytes" },

		{ line("{\"metric\":\"a\",\"value\":\"%256{v}\"}"), 1, NULL, "event string 256 bytes" },
		{ line("{\"metric\":\"a\",\"value\":\"%257{v}\"}"), 0, "event string longer than 256 bytes", "event string 257 bytes" },
		{ line("{\"class\":\"event\",\"metric\":\"a\",\"value\":\"%128{\xc3\xa9}\"}"), 1, NULL, "event string 256 bytes of UTF-8" },
		{ line("{\"metric\":\"a\",\"value\":\"%128{\xc3\xa9}x\"}"), 0, "longer than 256", "event string 257 bytes of UTF-8" },
		/* lengths are of the decoded string: \n is one byte */
		{ line("{\"metric\":\"a\",\"value\":\"%256{\\n}\"}"), 1, NULL, "event string of 256 escaped newlines" },
		{ line("{\"metric\":\"a\",\"value\":\"%257{\\n}\"}"), 0, "longer than 256", "event string of 257 escaped newlines" },

		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{%15{\"k\":\"v\",}\"z\":\"v\"}}"), 1, NULL,
		  "a repeated tag key counts once, as in Go" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{"
		       "\"a\":\"\",\"b\":\"\",\"c\":\"\",\"d\":\"\",\"e\":\"\",\"f\":\"\",\"g\":\"\",\"h\":\"\","
		       "\"i\":\"\",\"j\":\"\",\"k\":\"\",\"l\":\"\",\"m\":\"\",\"n\":\"\",\"o\":\"\",\"p\":\"\"}}"),
		  1, NULL, "16 tags" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{"
		       "\"a\":\"\",\"b\":\"\",\"c\":\"\",\"d\":\"\",\"e\":\"\",\"f\":\"\",\"g\":\"\",\"h\":\"\","
		       "\"i\":\"\",\"j\":\"\",\"k\":\"\",\"l\":\"\",\"m\":\"\",\"n\":\"\",\"o\":\"\",\"p\":\"\",\"q\":\"\"}}"),
		  0, "tags: more than 16 entries", "17 tags" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{\"%256{k}\":\"v\"}}"), 1, NULL, "tag key 256 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{\"%257{k}\":\"v\"}}"), 0, "tags: key \"kkkk", "tag key 257 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":\"%256{v}\"}}"), 1, NULL, "tag value 256 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":\"%257{v}\"}}"), 0, "tags.k: value longer than 256 bytes", "tag value 257 bytes" },

		{ line("{\"metric\":\"a\",\"value\":1,\"source_id\":\"%256{s}\"}"), 1, NULL, "source_id 256 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"source_id\":\"%257{s}\"}"), 0, "longer than 256 bytes", "source_id 257 bytes" },

		/* event objects: at most 4096 bytes as Go's json.Marshal writes
		 * them.  {"s":"..."} is 8 bytes around the string's content. */
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%4088{x}\"}}"), 1, NULL, "event object 4096 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%4089{x}\"}}"), 0, "event object longer than 4096 bytes as JSON",
		  "event object 4097 bytes" },
		{ line("{\"metric\":\"a\",\"value\":[\"%4092{x}\"]}"), 1, NULL, "event array 4096 bytes" },
		{ line("{\"metric\":\"a\",\"value\":[\"%4093{x}\"]}"), 0, "longer than 4096", "event array 4097 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"a\":[%2040{1,}1],\"b\":10}}"), 1, NULL,
		  "event object of 2042 numbers, 4096 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"a\":[%2040{1,}1],\"b\":100}}"), 0, "longer than 4096",
		  "event object of 2042 numbers, 4097 bytes" },
		/* Go writes < > & as \u003c: 6 bytes each, though json-c writes 1 */
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%600{<}%488{x}\"}}"), 1, NULL, "600 '<' count 3600 bytes: 4096" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%600{<}%489{x}\"}}"), 0, "longer than 4096", "600 '<' count 3600 bytes: 4097" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%200{>}%200{&}%200{<}%489{x}\"}}"), 0, "longer than 4096", "> and & count 6 too" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%600{\xe2\x80\xa8}%488{x}\"}}"), 1, NULL, "U+2028 counts 6 bytes: 4096" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%600{\xe2\x80\xa9}%489{x}\"}}"), 0, "longer than 4096", "U+2029 counts 6 bytes: 4097" },
		/* escapes: \" \\ \n take 2 bytes, other controls 6 (\u0001) */
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%2044{\\\"}\"}}"), 1, NULL, "2044 quotes, 4096 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%2044{\\\\}x\"}}"), 0, "longer than 4096", "2044 backslashes + x, 4097 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%681{\\u0001}%2{x}\"}}"), 1, NULL, "681 control characters, 4096 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"s\":\"%681{\\u0001}%3{x}\"}}"), 0, "longer than 4096", "681 control characters, 4097 bytes" },
		{ line("{\"metric\":\"a\",\"value\":{\"<\":\"%4083{x}\"}}"), 1, NULL, "key \"<\" counts 8 bytes: 4096" },
		{ line("{\"metric\":\"a\",\"value\":{\"<\":\"%4084{x}\"}}"), 0, "longer than 4096", "key \"<\" counts 8 bytes: 4097" },
	};
	size_t i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++)
		check(rows[i].line, rows[i].ok, rows[i].frag, rows[i].what);
}

/* Go writes each number as the float64 it decoded, in its shortest form:
 * the text a record came in does not count.  Each row is a number and its
 * length as json.Marshal writes it (checked against Go's strconv rules);
 * {"n":X,"s":"..."} is 13 bytes plus the number plus the string's content. */
static void
go_numbers(void)
{
	static const struct { const char *num; int golen; } nums[] = {
		{ "0", 1 }, { "-0.0", 2 }, { "1.50", 3 }, { "100", 3 }, { "1E2", 3 }, { "1e5", 6 },
		{ "0.1", 3 }, { "123456789", 9 }, { "-2.5", 4 }, { "1e20", 21 }, { "1e21", 5 },
		{ "1.5e21", 7 }, { "-1e21", 6 }, { "1e100", 6 }, { "1.7976931348623157e308", 23 },
		{ "1e-6", 8 }, { "1.5e-6", 9 }, { "1e-7", 4 }, { "1.25e-7", 7 }, { "1e-10", 5 },
		{ "1e-100", 6 }, { "5e-324", 6 }, { "0.30000000000000004", 19 },
		{ "12345678901234567890", 20 }, { "9007199254740993", 16 }, { "1.0000000000000000000001", 1 },
	};
	char fmt[128], what[128];
	size_t i;

	for (i = 0; i < sizeof nums / sizeof *nums; i++) {
		int pad = 4096 - 13 - nums[i].golen;
		snprintf(fmt, sizeof fmt, "{\"metric\":\"a\",\"value\":{\"n\":%s,\"s\":\"%%%d{x}\"}}", nums[i].num, pad);
		snprintf(what, sizeof what, "event object with %s (Go: %d bytes) at 4096", nums[i].num, nums[i].golen);
		check(line(fmt), 1, NULL, what);
		snprintf(fmt, sizeof fmt, "{\"metric\":\"a\",\"value\":{\"n\":%s,\"s\":\"%%%d{x}\"}}", nums[i].num, pad + 1);
		snprintf(what, sizeof what, "event object with %s (Go: %d bytes) at 4097", nums[i].num, nums[i].golen);
		check(line(fmt), 0, "longer than 4096", what);
	}
}

/* The fast path: a line, the verdict of plx_record_quick, and has_source
 * when OK.  OK must always mean plx_record_parse accepts (checked here too);
 * SLOW is for whatever it does not handle, valid or not. */
static void
quick(void)
{
	const struct { const char *line; int ok, src; const char *what; } rows[] = {
		{ fixed[0].line, 1, 1, "design example" },
		{ "{\"metric\":\"a\",\"value\":1}", 1, 0, "minimal metric" },
		{ "{\"metric\":\"test.value\",\"value\":5,\"timestamp\":1763800000005,\"tags\":{\"i\":\"5\"}}", 1, 0, "tests/lib.sh gen" },
		{ " \t{ \"metric\" : \"a\" ,\t\"value\" : 1 , \"tags\" : { \"k\" : \"v\" , \"l\" : \"\" } } \t", 1, 0, "spaces and tabs around tokens" },
		{ "{\"class\":\"event\",\"metric\":\"door\",\"value\":\"open <&>\"}", 1, 0, "class event, string" },
		{ "{\"class\":\"event\",\"metric\":\"a\",\"value\":1.5}", 1, 0, "class event, number" },
		{ "{\"metric\":\"a\",\"value\":\"on\"}", 1, 0, "string, class inferred" },
		{ "{\"metric\":\"a\",\"value\":true}", 1, 0, "true" },
		{ "{\"class\":\"event\",\"metric\":\"a\",\"value\":false}", 1, 0, "false" },
		{ "{\"metric\":\"a\",\"value\":-1}", 1, 0, "negative integer" },
		{ "{\"metric\":\"a\",\"value\":-0}", 1, 0, "-0" },
		{ "{\"metric\":\"a\",\"value\":-0.0}", 1, 0, "-0.0" },
		{ "{\"metric\":\"a\",\"value\":21.50}", 1, 0, "float" },
		{ "{\"metric\":\"a\",\"value\":-1.5e3}", 1, 0, "exponent" },
		{ "{\"metric\":\"a\",\"value\":1E+2,\"timestamp\":2.5e-3}", 1, 0, "E+ and e-" },
		{ "{\"metric\":\"a\",\"value\":1e300}", 1, 0, "1e300" },
		{ "{\"metric\":\"a\",\"value\":1e-999}", 1, 0, "underflow to 0" },
		{ "{\"metric\":\"a\",\"value\":123456789012345678}", 1, 0, "18-digit integer" },
		{ "{\"metric\":\"a\",\"value\":-123456789012345678}", 1, 0, "-18-digit integer" },
		{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":1763800000.5}", 1, 0, "timestamp with fraction" },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"ble-gw.site_2\"}", 1, 1, "source_id" },
		{ "{\"metric\":\"a\",\"value\":1,\"unit\":\"C\",\"n\":2,\"ok\":true}", 1, 0, "extra fields" },
		{ "{\"metric\":\"caf\xc3\xa9\",\"value\":\"\xf0\x9f\x98\x80\",\"tags\":{\"\xc3\xa9\":\"\xe2\x82\xac\"}}", 1, 0, "valid UTF-8" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":{}}", 1, 0, "empty tags" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{%15{\"k\":\"v\",}\"z\":\"v\"}}"), 1, 0, "16 tag entries" },
		{ line("{\"metric\":\"%256{m}\",\"value\":\"%256{v}\",\"source_id\":\"%256{s}\",\"tags\":{\"%256{k}\":\"%256{v}\"}}"),
		  1, 1, "every name at 256 bytes" },

		{ "", 0, 0, "empty line" },
		{ "{}", 0, 0, "empty object" },
		{ "[1]", 0, 0, "array" },
		{ "{\"metric\":\"a\",\"value\":1", 0, 0, "truncated" },
		{ "{\"metric\":\"a\",\"value\":1}x", 0, 0, "trailing garbage" },
		{ "{\"metric\":\"a\",\"value\":1}{\"metric\":\"a\",\"value\":1}", 0, 0, "two objects" },
		{ "{\"metric\":\"a\",\"value\":1,}", 0, 0, "trailing comma" },
		{ "{\"metric\":\"a\",\"value\":1}\r", 0, 0, "CR (valid, left to the slow path)" },
		{ "{\"metric\":\"a\",\n\"value\":1}", 0, 0, "newline inside" },
		{ "{\"metric\":\"a\\n\",\"value\":1}", 0, 0, "escape in a string" },
		{ "{\"metric\":\"a\",\"value\":\"\\u0041\"}", 0, 0, "\\u escape" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":\"\\\"\"}}", 0, 0, "escape in a tag" },
		{ "{\"metric\":\"a\",\"value\":\"a\tb\"}", 0, 0, "raw tab in a string" },
		{ "{\"metric\":\"a\",\"value\":null}", 0, 0, "null value" },
		{ "{\"metric\":\"a\",\"value\":1,\"x\":null}", 0, 0, "null extra field" },
		{ "{\"class\":\"event\",\"metric\":\"a\",\"value\":{\"x\":1}}", 0, 0, "event object" },
		{ "{\"metric\":\"a\",\"value\":[1]}", 0, 0, "event array" },
		{ "{\"metric\":\"a\",\"value\":1,\"x\":{}}", 0, 0, "object in an extra field" },
		{ "{\"_plx_seq\":1,\"metric\":\"a\",\"value\":1}", 0, 0, "_plx_seq first" },
		{ "{\"metric\":\"a\",\"value\":1,\"_plx_seq\":1}", 0, 0, "_plx_seq last" },
		{ "{\"metric\":\"a\",\"value\":1,\"value\":\"x\"}", 0, 0, "repeated value" },
		{ "{\"metric\":\"a\",\"value\":1,\"x\":1,\"x\":2}", 0, 0, "repeated extra field" },
		{ "{\"metric\":\"a\",\"value\":01}", 0, 0, "01" },
		{ "{\"metric\":\"a\",\"value\":-01}", 0, 0, "-01" },
		{ "{\"metric\":\"a\",\"value\":1.}", 0, 0, "1." },
		{ "{\"metric\":\"a\",\"value\":.5}", 0, 0, ".5" },
		{ "{\"metric\":\"a\",\"value\":-}", 0, 0, "-" },
		{ "{\"metric\":\"a\",\"value\":+1}", 0, 0, "+1" },
		{ "{\"metric\":\"a\",\"value\":1e}", 0, 0, "1e" },
		{ "{\"metric\":\"a\",\"value\":1e+}", 0, 0, "1e+" },
		{ "{\"metric\":\"a\",\"value\":0x1}", 0, 0, "0x1" },
		{ "{\"metric\":\"a\",\"value\":1e999}", 0, 0, "1e999" },
		{ "{\"metric\":\"a\",\"value\":1e308}", 1, 0, "1e308" },
		{ "{\"metric\":\"a\",\"value\":9.99e307}", 1, 0, "9.99e307" },
		{ "{\"metric\":\"a\",\"value\":1234567890123456789}", 1, 0, "19-digit integer" },
		{ "{\"metric\":\"a\",\"value\":1.7976931348623159e308}", 0, 0, "past DBL_MAX" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"\":\"v\"}}", 0, 0, "empty tag key" },
		{ "{\"metric\":\"a\",\"value\":123456789012345678901234567890}", 0, 0, "integer json-c clamps" },
		{ "{\"metric\":\"a\",\"value\":NaN}", 0, 0, "NaN" },
		{ "{\"metric\":\"a\",\"value\":Infinity}", 0, 0, "Infinity" },
		{ "{\"metric\":\"a\",\"value\":tru}", 0, 0, "tru" },
		{ "{\"metric\":\"a\",\"value\":TRUE}", 0, 0, "TRUE" },
		{ "{\"metric\":\"a\",\"value\":\"\xff\"}", 0, 0, "byte 0xff" },
		{ "{\"metric\":\"a\",\"value\":\"\xed\xa0\x80\"}", 0, 0, "surrogate in UTF-8" },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"gw\xc3\xa9\"}", 0, 0, "non-ASCII source_id" },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"Gw\"}", 0, 0, "source_id uppercase" },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"\"}", 0, 0, "source_id empty" },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":7}", 0, 0, "source_id number" },
		{ "{\"class\":\"log\",\"metric\":\"a\",\"value\":1}", 0, 0, "class log" },
		{ "{\"class\":1,\"metric\":\"a\",\"value\":1}", 0, 0, "class number" },
		{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":\"1\"}", 0, 0, "metric with a string" },
		{ "{\"class\":\"metric\",\"metric\":\"a\",\"value\":true}", 0, 0, "metric with a bool" },
		{ "{\"metric\":\"\",\"value\":1}", 0, 0, "empty metric" },
		{ "{\"metric\":7,\"value\":1}", 0, 0, "numeric metric" },
		{ "{\"value\":1}", 0, 0, "no metric" },
		{ "{\"metric\":\"a\"}", 0, 0, "no value" },
		{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":\"1\"}", 0, 0, "timestamp string" },
		{ "{\"metric\":\"a\",\"value\":1,\"timestamp\":true}", 0, 0, "timestamp bool" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":[]}", 0, 0, "tags array" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":\"x\"}", 0, 0, "tags string" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":1}}", 0, 0, "tag value number" },
		{ "{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":{}}}", 0, 0, "nested tags" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{%16{\"k\":\"v\",}\"z\":\"v\"}}"), 0, 0, "17 tag entries" },
		{ line("{\"metric\":\"%257{m}\",\"value\":1}"), 0, 0, "metric 257 bytes" },
		{ line("{\"metric\":\"a\",\"value\":\"%257{v}\"}"), 0, 0, "event string 257 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{\"%257{k}\":\"v\"}}"), 0, 0, "tag key 257 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":\"%257{v}\"}}"), 0, 0, "tag value 257 bytes" },
		{ line("{\"metric\":\"a\",\"value\":1,\"source_id\":\"%257{s}\"}"), 0, 0, "source_id 257 bytes" },
	};
	const char buf[] = "{\"metric\":\"a\",\"value\":1}GARBAGE";
	char err[256];
	int64_t seq;
	json_object *o;
	size_t i;
	int q, src;

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		src = -1;
		q = plx_record_quick(rows[i].line, strlen(rows[i].line), &src);
		T(q == (rows[i].ok ? PLX_QUICK_OK : PLX_QUICK_SLOW), "quick %s: %s", rows[i].ok ? "OK" : "SLOW", rows[i].what);
		if (q == PLX_QUICK_OK) {
			T(src == rows[i].src, "quick %s: has_source %d", rows[i].what, rows[i].src);
			o = plx_record_parse(tok, rows[i].line, strlen(rows[i].line), &seq, err, sizeof err);
			T(o && seq == -1, "quick %s: plx_record_parse accepts it too", rows[i].what);
			json_object_put(o);
		}
	}
	T(plx_record_quick(buf, 24, &src) == PLX_QUICK_OK, "quick reads the first len bytes only");
	T(plx_record_quick(buf, 20, &src) == PLX_QUICK_SLOW, "quick: a cut line is SLOW");
}

static void
sequence(void)
{
	char err[256] = "";
	const char *l = "{\"_plx_seq\":42,\"metric\":\"a\",\"value\":1,\"timestamp\":5}";
	int64_t seq = 99;
	size_t n;
	json_object *o = plx_record_parse(tok, l, strlen(l), &seq, err, sizeof err);

	T(o && seq == 42, "_plx_seq 42 read into *seq");
	T_STR(o ? plx_record_text(o, &n) : NULL, "{\"metric\":\"a\",\"value\":1,\"timestamp\":5}",
	      "_plx_seq removed from the canonical text");
	if (o) {
		const char *text = plx_record_text(o, &n);
		T(n == strlen(text), "plx_record_text sets the length");
	}
	json_object_put(o);

	l = "{\"metric\":\"a\",\"value\":1,\"_plx_seq\":0}";
	o = plx_record_parse(tok, l, strlen(l), &seq, err, sizeof err);
	T(o && seq == 0, "_plx_seq 0 in last place");
	T_STR(o ? plx_record_text(o, &n) : NULL, "{\"metric\":\"a\",\"value\":1}", "_plx_seq 0 removed");
	json_object_put(o);

	l = "{\"_plx_seq\":9223372036854775807,\"metric\":\"a\",\"value\":1}";
	o = plx_record_parse(tok, l, strlen(l), &seq, err, sizeof err);
	T(o && seq == INT64_MAX, "_plx_seq up to INT64_MAX");
	json_object_put(o);

	seq = 99;
	l = "{\"metric\":\"a\",\"value\":1}";
	o = plx_record_parse(tok, l, strlen(l), &seq, err, sizeof err);
	T(o && seq == -1, "no _plx_seq: *seq = -1");
	json_object_put(o);

	seq = 99;
	o = plx_record_parse(tok, "x", 1, &seq, err, sizeof err);
	T(!o && seq == -1, "unparsable line: *seq = -1");
}

/* One tokener serves every line of a stream: a line that fails half-way
 * through a surrogate pair (\ud83d\u12zz) must not leave the half pair to
 * the next line's first \u escape (json-c 0.16 keeps it across a reset). */
static void
tokener_reuse(void)
{
	static const char *bad[] = {
		"{\"metric\":\"\\ud83d\\u12zz\"}",
		"{\"metric\":\"\\ud83d\\u12",
		"{\"metric\":\"\\ud83d",
		"{\"metric\":\"\\ud83d\\",
		"{\"metric\":\"\\ud83d\\u",
	};
	const char *good = "{\"metric\":\"caf\\u00e9\",\"value\":\"\\ud83d\\ude00\"}";
	char err[256];
	int64_t seq;
	json_object *o;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		o = plx_record_parse(tok, bad[i], strlen(bad[i]), &seq, err, sizeof err);
		T(o == NULL, "bad line %zu refused", i);
		o = plx_record_parse(tok, good, strlen(good), &seq, err, sizeof err);
		T_STR(o ? json_object_get_string(json_object_object_get(o, "metric")) : NULL, "caf\xc3\xa9",
		      "the next line's \\u00e9 intact");
		T_STR(o ? json_object_get_string(json_object_object_get(o, "value")) : NULL, "\xf0\x9f\x98\x80",
		      "the next line's surrogate pair intact");
		json_object_put(o);
	}
}

/* The line need not be NUL-terminated: only len bytes count. */
static void
lengths(void)
{
	char err[256] = "";
	const char buf[] = "{\"metric\":\"a\",\"value\":1}GARBAGE";
	int64_t seq;
	json_object *o = plx_record_parse(tok, buf, 24, &seq, err, sizeof err);

	T(o != NULL, "parses the first len bytes only");
	json_object_put(o);
	o = plx_record_parse(tok, buf, 20, &seq, err, sizeof err);
	T(!o && strstr(err, "unexpected end of line"), "a cut line is incomplete");

	/* a small error buffer truncates the reason, never overflows */
	o = plx_record_parse(tok, "[1]", 3, &seq, err, 8);
	T(!o && strlen(err) == 7, "reason truncated to errlen");
}

static void
need_source(void)
{
	static const struct { const char *line; int need, ok; } rows[] = {
		{ "{\"metric\":\"a\",\"value\":1}", 0, 1 },
		{ "{\"metric\":\"a\",\"value\":1}", 1, 0 },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"gw\"}", 1, 1 },
		{ "{\"metric\":\"a\",\"value\":1,\"source_id\":\"GW\"}", 1, 0 },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		json_object *o = json_tokener_parse(rows[i].line);
		int rc = plx_record_check(o, rows[i].need, err, sizeof err);
		T((rc == 0) == rows[i].ok, "need_source=%d %s: %s", rows[i].need, rows[i].line,
		  rows[i].ok ? "accepted" : "refused");
		if (!rows[i].ok && rows[i].need && !strstr(rows[i].line, "source_id"))
			T(strstr(err, "source_id: missing") != NULL, "reason names the missing source_id");
		json_object_put(o);
	}
	T(plx_record_check(NULL, 0, err, sizeof err) < 0 && strstr(err, "not a JSON object"), "check(NULL) refused");
}

/* s with control characters shown as '?', for messages (one line each). */
static const char *
vis(const char *s)
{
	static char buf[64];
	size_t i;

	for (i = 0; s[i] && i < sizeof buf - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void
source_ids(void)
{
	static const struct { const char *s; int ok; } rows[] = {
		{ "gw", 1 }, { "0", 1 }, { "ble-gw.site_2", 1 }, { "a..", 1 }, { "9-", 1 },
		{ "", 0 }, { "Gw", 0 }, { "gW", 0 }, { ".gw", 0 }, { "-gw", 0 }, { "_gw", 0 },
		{ "g w", 0 }, { "g:w", 0 }, { "g/w", 0 }, { "g\xc3\xa9", 0 }, { "g\n", 0 },
	};
	char *s = malloc(258);
	size_t i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++)
		T(plx_source_id_ok(rows[i].s) == rows[i].ok, "plx_source_id_ok(\"%s\") = %d", vis(rows[i].s), rows[i].ok);
	memset(s, 'a', 257);
	s[256] = '\0';
	T(plx_source_id_ok(s), "source id of 256 bytes");
	s[256] = 'a';
	s[257] = '\0';
	T(!plx_source_id_ok(s), "source id of 257 bytes");
	free(s);
}

int
main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);   /* ok lines stay whole between warnings */

	tok = plx_tokener_new();
	for (i = 0; i < sizeof fixed / sizeof *fixed; i++)
		check(fixed[i].line, fixed[i].ok, fixed[i].frag, fixed[i].what);
	boundaries();
	go_numbers();
	quick();
	sequence();
	tokener_reuse();
	lengths();
	need_source();
	source_ids();
	json_tokener_free(tok);
	while (nkept)
		free(kept[--nkept]);
	UNIT_END();
}

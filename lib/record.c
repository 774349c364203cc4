/* Record parsing and validation: see record.h.  Each check mirrors one rule
 * of the Plexus server's gateway/validate.go as PLEXUS-API.md records it,
 * through the rule functions of rules.c; lengths are bytes of UTF-8, as the
 * server counts them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int
finite_number(json_object *v)
{
	enum json_type t = json_object_get_type(v);

	if (t == json_type_int)
		return 1;
	return t == json_type_double && isfinite(json_object_get_double(v));
}

/* json-c keeps an object's keys as C strings: a key's span ends at its
 * NUL, and a NUL escaped in a line is refused before (plx_record_parse). */
static int
check_tags(json_object *tags, char *err, size_t errlen)
{
	const char *why;
	int n = 0;

	if (!json_object_is_type(tags, json_type_object))
		FAIL("tags: not an object");
	json_object_object_foreach(tags, k, v) {
		if (++n > PLX_TAGS_MAX)
			FAIL("tags: more than %d entries", PLX_TAGS_MAX);
		if ((why = plx_rule_tag_key(k, strlen(k))))
			FAIL("tags: key \"%.64s\": %s", k, why);
		if (!json_object_is_type(v, json_type_string))
			FAIL("tags.%.64s: value is not a string", k);
		if ((why = plx_rule_tag_value(json_object_get_string(v), (size_t)json_object_get_string_len(v))))
			FAIL("tags.%.64s: value %s", k, why);
	}
	return 0;
}

/* The server decodes every number in a request into a Go float64 and refuses
 * the whole request when one does not fit (1e999), and NaN or Infinity are
 * not JSON at all; json-c accepts all three, and silently clamps an integer
 * beyond 64 bits to INT64_MIN or UINT64_MAX.  So every number in a record,
 * wherever it is, must pass plx_rule_number, on the text json-c writes for
 * it: a double's text as it came (json_object_new_double_s), "NaN" or
 * "Infinity" for those, an integer's digits (a clamped one's are the
 * boundary the rule refuses). */
static int
number_ok(json_object *v)
{
	char buf[24];
	size_t n;
	const char *s;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) == INT64_MAX)   /* maybe a uint64 */
			n = (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)json_object_get_uint64(v));
		else
			n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)json_object_get_int64(v));
		return !plx_rule_number(buf, n);
	}
	s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &n);
	return s && !plx_rule_number(s, n);
}

static int
numbers_ok(json_object *v)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_double:
	case json_type_int:
		return number_ok(v);
	case json_type_array:
		for (i = 0, n = json_object_array_length(v); i < n; i++)
			if (!numbers_ok(json_object_array_get_idx(v, i)))
				return 0;
		return 1;
	case json_type_object: {
		json_object_object_foreach(v, k, e) {
			(void)k;
			if (!numbers_ok(e))
				return 0;
		}
		return 1;
	}
	default:
		return 1;
	}
}

/* Length of a number as Go's encoding/json writes the float64 the server
 * decodes it to: the shortest digits that read back the same, in %f style
 * for 1e-6 <= |d| < 1e21 and %e style (e+21, e-7, e-10) outside it.  So
 * 1e20 is 21 bytes and 1.50 is 3, whatever the text the record came in.
 * Checked against Go on 200,000 random doubles: equal, but for some powers
 * of two, whose shortest form lies off the nearest decimal, counted one
 * digit long (never short).  An integer written -0 is 0 to json-c and -0
 * to Go: one byte short. */
static size_t
go_number_len(double d)
{
	char buf[40];
	double a = fabs(d);
	size_t n = signbit(d) ? 1 : 0;
	int p, lo = 1, hi = 17, x, ax;

	if (a == 0)
		return n + 1;
	if (!isfinite(a))
		return 0;                       /* refused by numbers_ok */
	/* fewest digits p that read back as a (17 always do) */
	while (lo < hi) {
		p = (lo + hi) / 2;
		snprintf(buf, sizeof buf, "%.*e", p - 1, a);
		if (strtod(buf, NULL) == a)
			hi = p;
		else
			lo = p + 1;
	}
	p = lo;
	snprintf(buf, sizeof buf, "%.*e", p - 1, a);
	x = atoi(strchr(buf, 'e') + 1);     /* a = d.ddd (p digits) * 10^x */
	if (a < 1e-6 || a >= 1e21) {
		ax = x < 0 ? -x : x;
		return n + p + (p > 1) + 2 + (ax >= 100 ? 3 : ax >= 10 ? 2 : x < 0 ? 1 : 2);
	}
	if (x < 0)
		return n + 2 + (-x - 1) + p;    /* 0.000ddd */
	return n + (p > x + 1 ? p + 1 : x + 1);
}

/* Length of a string as Go (1.22 and later; the gateway's go.mod says 1.26)
 * writes it, quotes included: \" \\ \b \f \n \r \t take 2 bytes, other
 * control characters, < > & (HTML-safe escaping) and U+2028, U+2029 take 6
 * (\u003c); everything else is copied. */
static size_t
go_string_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s, *e = u + len;
	size_t n = 2;

	for (; u < e; u++) {
		if (*u == '"' || *u == '\\' || *u == '\b' || *u == '\f' || *u == '\n' ||
		    *u == '\r' || *u == '\t')
			n += 2;
		else if (*u < 0x20 || *u == '<' || *u == '>' || *u == '&')
			n += 6;
		else if (e - u >= 3 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
			n += 6, u += 2;
		else
			n++;
	}
	return n;
}

/* Length of v as the server measures an event value: json.Marshal of what
 * it decoded, i.e. compact, numbers as float64, strings as above.  Finding
 * a double's shortest form costs a few printf calls; with exact = 0 each
 * one counts as the longest a float64 can be (-0.0000012345678901234567,
 * 25 bytes), a bound that settles most values at once. */
static size_t
go_json_len(json_object *v, int exact)
{
	size_t i, n, len;
	int64_t k;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 4;
	case json_type_boolean:
		return json_object_get_boolean(v) ? 4 : 5;
	case json_type_double:
		return exact ? go_number_len(json_object_get_double(v)) : 25;
	case json_type_int:
		k = json_object_get_int64(v);
		if (k > -(INT64_C(1) << 53) && k < INT64_C(1) << 53) {
			/* exact in a float64: Go writes the integer's digits */
			for (len = k <= 0 ? 1 : 0; k != 0; k /= 10)
				len++;
			return len;
		}
		if (!exact)
			return 25;
		if (k == INT64_MAX)
			return go_number_len((double)json_object_get_uint64(v));
		return go_number_len((double)k);
	case json_type_string:
		return go_string_len(json_object_get_string(v), json_object_get_string_len(v));
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0, len = 2 + (n ? n - 1 : 0); i < n; i++)
			len += go_json_len(json_object_array_get_idx(v, i), exact);
		return len;
	case json_type_object:
		len = 2;
		n = 0;
		{
			json_object_object_foreach(v, key, e) {
				len += (n++ ? 1 : 0) + go_string_len(key, strlen(key)) + 1 + go_json_len(e, exact);
			}
		}
		return len;
	}
	return 0;
}

/* lexed: the line's numbers passed lex_check, no need to look again. */
static int
check_value(json_object *v, int metric, int lexed, char *err, size_t errlen)
{
	const char *why;

	switch (json_object_get_type(v)) {
	case json_type_null:
		FAIL("value: missing or null");
	case json_type_int:
	case json_type_double:
		if (!lexed && !number_ok(v))
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
		if ((why = plx_rule_event_string(json_object_get_string(v), (size_t)json_object_get_string_len(v))))
			FAIL("value: event string %s", why);
		return 0;
	default:
		if (!lexed && !numbers_ok(v))
			FAIL("value: a number is NaN, infinite or out of range");
		if (go_json_len(v, 0) > PLX_EVENT_JSON_MAX && go_json_len(v, 1) > PLX_EVENT_JSON_MAX)
			FAIL("value: event object longer than %d bytes as JSON", PLX_EVENT_JSON_MAX);
		return 0;
	}
}

static int check(json_object *rec, int need_source, int lexed, char *err, size_t errlen);

/* A reason quotes the record (a class, a tag name): control characters in
 * it become '?', so that it stays one line on stderr.  Returns rc. */
static int
one_line(int rc, char *err, size_t errlen)
{
	char *p;

	for (p = err; rc < 0 && errlen > 0 && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return rc;
}

int
plx_record_check(json_object *rec, int need_source, char *err, size_t errlen)
{
	return one_line(check(rec, need_source, 0, err, errlen), err, errlen);
}

static int
check(json_object *rec, int need_source, int lexed, char *err, size_t errlen)
{
	json_object *cls, *name, *val = NULL, *ts, *sid, *tags;
	int metric;
	const char *c, *why;

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
	if ((why = plx_rule_name(json_object_get_string(name), (size_t)json_object_get_string_len(name))))
		FAIL("metric: %s", why);
	if (check_value(val, metric, lexed, err, errlen) < 0)
		return -1;
	if (json_object_object_get_ex(rec, "timestamp", &ts) && !finite_number(ts))
		FAIL("timestamp: not a number");
	if (json_object_object_get_ex(rec, "source_id", &sid)) {
		if (!json_object_is_type(sid, json_type_string))
			FAIL("source_id: not a string");
		if ((why = plx_rule_source_id(json_object_get_string(sid), (size_t)json_object_get_string_len(sid))))
			FAIL("source_id \"%.64s\": %s", json_object_get_string(sid), why);
	} else if (need_source) {
		FAIL("source_id: missing, and no default source id is configured");
	}
	if (json_object_object_get_ex(rec, "tags", &tags) && check_tags(tags, err, errlen) < 0)
		return -1;
	json_object_object_foreach(rec, k, v) {
		if (!lexed && !numbers_ok(v))
			FAIL("%.64s: a number is NaN, infinite or out of range", k);
	}
	return 0;
}

/* What json-c lets through and the server does not, seen on the line as it
 * was written: numbers out of JSON's grammar (json-c reads "-01" and "1."),
 * NaN and Infinity, numbers past a float64 or clamped (plx_rule_number on
 * each number of the line), and a NUL character escaped in any string
 * (record.h).  The line parsed: its strings and tokens are well formed. */
static int
lex_check(const char *line, size_t len, char *err, size_t errlen)
{
	static const char ends[] = "\"{}[]:, \t\r\n";    /* of a token; all but '"' are not one */
	const char *p = line, *e = line + len, *t, *why;

	while (p < e) {
		if (*p == '"') {
			for (p++; p < e && *p != '"'; p++)
				if (*p == '\\') {
					if (e - p >= 6 && !memcmp(p + 1, "u0000", 5))
						FAIL("\\u0000 (a NUL character) at byte %zu: no string may hold one",
						     (size_t)(p - line) + 1);
					p++;
				}
			p++;
		} else if (memchr(ends + 1, *p, sizeof ends - 2)) {
			p++;
		} else {
			for (t = p; p < e && !memchr(ends, *p, sizeof ends - 1); p++)
				;
			if (!(p - t == 4 && (!memcmp(t, "true", 4) || !memcmp(t, "null", 4))) &&
			    !(p - t == 5 && !memcmp(t, "false", 5)) && (why = plx_rule_number(t, (size_t)(p - t))))
				FAIL("number %.*s at byte %zu: %s", (int)(p - t < 40 ? p - t : 40), t,
				     (size_t)(t - line) + 1, why);
		}
	}
	return 0;
}

/* The fast path (record.h).  It reads a strict subset of JSON and answers
 * OK only when every rule of check() is met on what it read; anything it
 * does not handle is SLOW, never an error: plx_record_parse then decides.
 * Whitespace is spaces and tabs only (no CR, LF): a subset of what both
 * json-c and the trailing-blank rule of plx_record_parse allow. */

static const char *
q_skip(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A string, p on its opening quote: its bytes are [*s, *s + *n) and the
 * return is past the closing quote; NULL on a backslash (an escape makes
 * the decoded length differ from the span), a control character (not JSON)
 * or the end of the line.  *hi notes bytes >= 0x80, whose UTF-8 is checked
 * once for the whole line. */
static const char *
q_string(const char *p, const char *e, const char **s, size_t *n, int *hi)
{
	const char *q;

	for (q = ++p; q < e && *q != '"'; q++) {
		unsigned char c = *q;
		if (c == '\\' || c < 0x20)
			return NULL;
		*hi |= c >= 0x80;
	}
	if (q == e)
		return NULL;
	*s = p;
	*n = q - p;
	return q + 1;
}

/* A number: the longest run of the bytes a number is made of, and then
 * plx_rule_number on it.  NULL when the rule refuses it. */
static const char *
q_number(const char *p, const char *e)
{
	const char *q = p;

	while (q < e && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' || *q == '.' || *q == 'e' ||
	                 *q == 'E'))
		q++;
	return q > p && !plx_rule_number(p, (size_t)(q - p)) ? q : NULL;
}

/* The kinds of value the fast path reads; a key's value as read. */
enum { Q_STR, Q_NUM, Q_BOOL };
struct qval { int type; const char *s; size_t n; };

/* A string, number, true or false at p (p < e); NULL for anything else
 * (null, objects and arrays go the slow way). */
static const char *
q_scalar(const char *p, const char *e, struct qval *v, int *hi)
{
	v->type = Q_STR;
	if (*p == '"')
		return q_string(p, e, &v->s, &v->n, hi);
	v->type = Q_BOOL;
	if (e - p >= 4 && !memcmp(p, "true", 4))
		return p + 4;
	if (e - p >= 5 && !memcmp(p, "false", 5))
		return p + 5;
	v->type = Q_NUM;
	return q_number(p, e);
}

/* tags, p on its '{': a flat object of strings, at most 16 entries (a
 * repeated key counts each time, more than Go counts: only ever SLOW),
 * keys and values as their length rules say (the line's encoding is
 * checked once, at the end).  Past the '}', or NULL. */
static const char *
q_tags(const char *p, const char *e, int *hi)
{
	const char *s;
	size_t n;
	int count = 0;

	p = q_skip(p + 1, e);
	if (p < e && *p == '}')
		return p + 1;
	for (;;) {
		if (p == e || *p != '"' || !(p = q_string(p, e, &s, &n, hi)) ||
		    plx_rule_text_length(n, 0) || ++count > PLX_TAGS_MAX)
			return NULL;
		p = q_skip(p, e);
		if (p == e || *p++ != ':')
			return NULL;
		p = q_skip(p, e);
		if (p == e || *p != '"' || !(p = q_string(p, e, &s, &n, hi)) || plx_rule_text_length(n, 1))
			return NULL;
		p = q_skip(p, e);
		if (p == e)
			return NULL;
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = q_skip(p, e);
	}
}

/* The keys check() looks at; any other key is an extra field, stored by
 * the server as it is (up to Q_EXTRA of them, told apart to catch a
 * repeated one: json-c keeps the last of a repeated key). */
enum { K_CLASS = PLX_F_CLASS, K_METRIC = PLX_F_METRIC, K_VALUE = PLX_F_VALUE,
       K_TIMESTAMP = PLX_F_TIMESTAMP, K_SOURCE = PLX_F_SOURCE, K_TAGS = PLX_F_TAGS, K_N = PLX_F_N };
static const struct { const char *name; size_t len; } q_keys[K_N] = {
	{ "class", 5 }, { "metric", 6 }, { "value", 5 }, { "timestamp", 9 },
	{ "source_id", 9 }, { "tags", 4 },
};
#define Q_EXTRA 8
#define SEEN(k) (seen & 1u << (k))

int
plx_record_quick(const char *line, size_t len, int *has_source)
{
	return plx_record_quick_fields(line, len, has_source, NULL);
}

int
plx_record_quick_fields(const char *line, size_t len, int *has_source, struct plx_fields *f)
{
	const char *p, *e = line + len, *ks, *vs, *extra[Q_EXTRA];
	size_t kn, xn[Q_EXTRA], nextra = 0, i;
	struct qval v, got[K_N];
	unsigned seen = 0;
	int hi = 0, k, metric;

	*has_source = 0;
	if (f)
		memset(f, 0, sizeof *f);
	p = q_skip(line, e);
	if (p == e || *p != '{')
		return PLX_QUICK_SLOW;
	p = q_skip(p + 1, e);
	for (;;) {           /* "key": value, ... up to the closing '}' */
		if (p == e || *p != '"' || !(p = q_string(p, e, &ks, &kn, &hi)))
			return PLX_QUICK_SLOW;
		p = q_skip(p, e);
		if (p == e || *p++ != ':')
			return PLX_QUICK_SLOW;
		p = q_skip(p, e);
		if (p == e)
			return PLX_QUICK_SLOW;
		for (k = 0; k < K_N && !(q_keys[k].len == kn && !memcmp(q_keys[k].name, ks, kn)); k++)
			;
		if (k < K_N) {
			if (SEEN(k))
				return PLX_QUICK_SLOW;   /* repeated: the last wins */
			seen |= 1u << k;
		} else {
			/* the sequence key is plx_record_parse's to take off */
			if ((kn == sizeof PLX_SEQ_KEY - 1 && !memcmp(ks, PLX_SEQ_KEY, kn)) ||
			    (kn == sizeof PLX_SPOOL_KEY - 1 && !memcmp(ks, PLX_SPOOL_KEY, kn)))
				return PLX_QUICK_SLOW;
			if (nextra == Q_EXTRA)
				return PLX_QUICK_SLOW;
			for (i = 0; i < nextra; i++)
				if (xn[i] == kn && !memcmp(extra[i], ks, kn))
					return PLX_QUICK_SLOW;
			extra[nextra] = ks;
			xn[nextra++] = kn;
		}
		vs = p;
		if (k == K_TAGS)
			p = *p == '{' ? q_tags(p, e, &hi) : NULL;
		else if ((p = q_scalar(p, e, &v, &hi)) && k < K_N)
			got[k] = v;
		if (f && p && k < K_N) {
			f->s[k] = vs;
			f->n[k] = (size_t)(p - vs);
		}
		if (!p || (p = q_skip(p, e)) == e)
			return PLX_QUICK_SLOW;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return PLX_QUICK_SLOW;
		p = q_skip(p, e);
	}
	if (q_skip(p + 1, e) != e)
		return PLX_QUICK_SLOW;   /* something after the object */
	if (hi && plx_utf8_bad((const unsigned char *)line, len) < len)
		return PLX_QUICK_SLOW;

	/* check(), rule by rule, on what was read */
	if (!SEEN(K_METRIC) || got[K_METRIC].type != Q_STR || plx_rule_text_length(got[K_METRIC].n, 0) ||
	    !SEEN(K_VALUE))
		return PLX_QUICK_SLOW;
	if (SEEN(K_CLASS)) {
		v = got[K_CLASS];
		if (v.type == Q_STR && v.n == 6 && !memcmp(v.s, "metric", 6))
			metric = 1;
		else if (v.type == Q_STR && v.n == 5 && !memcmp(v.s, "event", 5))
			metric = 0;
		else
			return PLX_QUICK_SLOW;
	} else {
		metric = got[K_VALUE].type == Q_NUM;   /* the server's inference */
	}
	v = got[K_VALUE];   /* numbers suit both classes */
	if (v.type != Q_NUM && (metric || (v.type == Q_STR && plx_rule_text_length(v.n, 1))))
		return PLX_QUICK_SLOW;
	if (SEEN(K_TIMESTAMP) && got[K_TIMESTAMP].type != Q_NUM)
		return PLX_QUICK_SLOW;
	if (SEEN(K_SOURCE)) {
		v = got[K_SOURCE];
		if (v.type != Q_STR || plx_rule_source_id(v.s, v.n))
			return PLX_QUICK_SLOW;
		*has_source = 1;
	}
	return PLX_QUICK_OK;
}

/* After a failed parse.  json_tokener_reset (json-c 0.16) keeps the first
 * half of a surrogate pair (\ud83d) the line broke off after, and the next
 * line's first \u escape would be read as its second half: U+FFFD in a
 * valid record.  A throwaway \u escape consumes it. */
static void
tokener_clean(json_tokener *tok)
{
	json_tokener_reset(tok);
	json_object_put(json_tokener_parse_ex(tok, "\"\\u0020\"", 8));
	json_tokener_reset(tok);
}

json_object *
plx_record_parse(json_tokener *tok, const char *line, size_t len, int64_t *seq,
                 char *err, size_t errlen)
{
	json_object *o, *s;
	enum json_tokener_error e;
	size_t end;

	*seq = -1;
	if ((end = plx_utf8_bad((const unsigned char *)line, len)) < len) {
		snprintf(err, errlen, "not JSON: invalid UTF-8 at byte %zu", end + 1);
		return NULL;
	}
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, line, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* json-c cannot tell that a bare 42 or null at the end of its
		 * input is complete: tell it the line ends here. */
		o = json_tokener_parse_ex(tok, " ", 1);
		if ((e = json_tokener_get_error(tok)) != json_tokener_success) {
			snprintf(err, errlen, "not JSON: unexpected end of line");
			tokener_clean(tok);
			return NULL;
		}
		end = len;
	}
	if (e != json_tokener_success) {
		snprintf(err, errlen, "not JSON: %s at byte %zu", json_tokener_error_desc(e), end + 1);
		tokener_clean(tok);
		return NULL;
	}
	/* o is NULL here for a JSON null, refused below as not an object. */
	for (; end < len; end++)
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
	/* the id of a spool the record went through means nothing past it */
	json_object_object_del(o, PLX_SPOOL_KEY);
	if (lex_check(line, len, err, errlen) < 0 || one_line(check(o, 0, 1, err, errlen), err, errlen) < 0)
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

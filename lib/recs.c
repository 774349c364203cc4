/* Records as text, checked as they are written: see recs.h.  The escaping
 * is json-c's (the slow path's) so both paths print the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"

#define FAIL(...) do { snprintf(r->err, sizeof r->err, __VA_ARGS__); return -1; } while (0)

/* A name, tag or string value: at most 256 bytes of UTF-8 (PLEXUS-API). */
static const char *
text_bad(const char *s, size_t len)
{
	if (len > PLX_NAME_MAX)
		return "longer than 256 bytes";
	if (plx_utf8_bad((const unsigned char *)s, len) != len)
		return "not valid UTF-8";
	return NULL;
}

int
plx_tags_add(struct plx_tags *t, const char *key, const char *val, char *err, size_t errlen)
{
	const char *why = NULL;   /* set whenever it is read: gcc -fsanitize cannot tell */

	if (t->n >= PLX_TAGS_MAX) {
		snprintf(err, errlen, "more than %d tags", PLX_TAGS_MAX);
		return -1;
	}
	if (!*key || (why = text_bad(key, strlen(key))) || (why = text_bad(val, strlen(val)))) {
		snprintf(err, errlen, "tag %.40s: %s", key, *key ? why : "empty name");
		return -1;
	}
	t->key[t->n] = key;
	t->val[t->n++] = val;
	return 0;
}

int
plx_tags_source(struct plx_tags *t, const char *source_id, char *err, size_t errlen)
{
	if (source_id && !plx_source_id_ok(source_id)) {
		snprintf(err, errlen, "source id \"%.40s\": must match [a-z0-9][a-z0-9._-]*, at most 256 bytes",
		         source_id);
		return -1;
	}
	t->source_id = source_id;
	return 0;
}

void
plx_recs_init(struct plx_recs *r)
{
	memset(r, 0, sizeof *r);
}

void
plx_recs_free(struct plx_recs *r)
{
	free(r->s);
	plx_recs_init(r);
}

void
plx_recs_clear(struct plx_recs *r)
{
	r->len = 0;
	r->n = 0;
}

/* Room for n more bytes. */
static int
room(struct plx_recs *r, size_t n)
{
	size_t cap;
	char *s;

	if (r->len + n <= r->cap)
		return 0;
	for (cap = r->cap ? r->cap : 1024; cap < r->len + n; cap *= 2)
		;
	if (!(s = realloc(r->s, cap)))
		return -1;
	r->s = s;
	r->cap = cap;
	return 0;
}

static void
put(struct plx_recs *r, const char *s, size_t n)
{
	memcpy(r->s + r->len, s, n);
	r->len += n;
}

#define PUTS(r, lit) put(r, lit, sizeof lit - 1)

/* A JSON string; room for 6 bytes an input byte must be there. */
static void
put_str(struct plx_recs *r, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s, *e = s + n;
	char *o;

	r->s[r->len++] = '"';
	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(r, run, (size_t)(s - run));
		run = s + 1;
		o = r->s + r->len;
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			*o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
		}
		r->len = (size_t)(o - r->s);
	}
	put(r, run, (size_t)(e - run));
	r->s[r->len++] = '"';
}

static size_t
fmt_int(char *buf, int64_t v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		tmp[n++] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		buf[i++] = '-';
	while (n)
		buf[i++] = tmp[--n];
	return i;
}

size_t
plx_fmt_double(char *buf, double d)
{
	int prec;
	size_t n = 0;

	if (d == (double)(int64_t)d && fabs(d) < 1e15)
		return fmt_int(buf, (int64_t)d);
	for (prec = 15; prec <= 17; prec++) {
		n = (size_t)snprintf(buf, 32, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return n;
}

/* The record: head (class, name), the value text, timestamp, source, tags. */
static int
record(struct plx_recs *r, int metric, const char *name, size_t nlen, const char *val, size_t vlen,
       int str, int64_t ts, const struct plx_tags *t)
{
	const char *why;
	size_t need = 80 + 6 * nlen + (str ? 6 : 1) * vlen, start = r->len;
	char num[24];
	int i;

	if (!nlen)
		FAIL("empty metric name");
	if ((why = text_bad(name, nlen)))
		FAIL("metric name \"%.40s\": %s", name, why);
	if (t) {
		need += t->source_id ? strlen(t->source_id) + 16 : 0;
		for (i = 0; i < t->n; i++)
			need += 6 * (strlen(t->key[i]) + strlen(t->val[i])) + 8;
	}
	if (room(r, need) < 0)
		FAIL("out of memory");
	if (metric)
		PUTS(r, "{\"class\":\"metric\",\"metric\":");
	else
		PUTS(r, "{\"class\":\"event\",\"metric\":");
	put_str(r, name, nlen);
	PUTS(r, ",\"value\":");
	if (str)
		put_str(r, val, vlen);
	else
		put(r, val, vlen);
	PUTS(r, ",\"timestamp\":");
	put(r, num, fmt_int(num, ts));
	if (t && t->source_id) {
		PUTS(r, ",\"source_id\":");
		put_str(r, t->source_id, strlen(t->source_id));
	}
	for (i = 0; t && i < t->n; i++) {
		if (i == 0)
			PUTS(r, ",\"tags\":{");
		else
			r->s[r->len++] = ',';
		put_str(r, t->key[i], strlen(t->key[i]));
		r->s[r->len++] = ':';
		put_str(r, t->val[i], strlen(t->val[i]));
	}
	if (t && t->n)
		r->s[r->len++] = '}';
	PUTS(r, "}\n");
	if (r->len - start - 1 > PLX_LINE_MAX) {
		r->len = start;
		FAIL("metric %.40s: record longer than 64 KiB", name);
	}
	r->n++;
	return 0;
}

int
plx_recs_num(struct plx_recs *r, const char *name, double v, int64_t ts, const struct plx_tags *t)
{
	char num[32];

	if (!isfinite(v))
		FAIL("%.40s: value is not a finite number", name);
	return record(r, 1, name, strlen(name), num, plx_fmt_double(num, v), 0, ts, t);
}

/* JSON's number grammar -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?, and small
 * enough for a float64: the server cannot decode 1e400. */
static int
json_number(const char *s, size_t n)
{
	const char *e = s + n, *p = s;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	if (p < e && *p == '.') {
		if (++p == e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E'))
		return 0;       /* rare: checked through strtod below */
	return p == e && n < 20;   /* at most 19 digits: no overflow, no precision games */
}

int
plx_recs_numtext(struct plx_recs *r, const char *name, const char *num, size_t len, int64_t ts,
                 const struct plx_tags *t)
{
	char buf[64], *end;
	double d;

	if (json_number(num, len))
		return record(r, 1, name, strlen(name), num, len, 0, ts, t);
	if (len >= sizeof buf)
		FAIL("%.40s: value is not a number", name);
	memcpy(buf, num, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (end == buf || *end || strspn(buf, "0123456789.eE+-") < len)   /* no hex, inf, nan */
		FAIL("%.40s: value is not a number", name);
	return plx_recs_num(r, name, d, ts, t);
}

int
plx_recs_bool(struct plx_recs *r, const char *name, int b, int64_t ts, const struct plx_tags *t)
{
	return record(r, 0, name, strlen(name), b ? "true" : "false", b ? 4 : 5, 0, ts, t);
}

int
plx_recs_str(struct plx_recs *r, const char *name, const char *s, size_t len, int64_t ts,
             const struct plx_tags *t)
{
	const char *why;

	if ((why = text_bad(s, len)))
		FAIL("%.40s: string value %s", name, why);
	return record(r, 0, name, strlen(name), s, len, 1, ts, t);
}

int
plx_recs_json(struct plx_recs *r, json_object *rec)
{
	size_t n;
	const char *s = plx_record_text(rec, &n);

	if (n > PLX_LINE_MAX)
		FAIL("record longer than 64 KiB");
	if (room(r, n + 1) < 0)
		FAIL("out of memory");
	put(r, s, n);
	r->s[r->len++] = '\n';
	r->n++;
	return 0;
}

/* Records as text, checked as they are written: see recs.h.  The escaping
 * is json-c's (the slow path's) so both paths print the same bytes. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
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
	const char *why = "empty name";

	if (t->n >= PLX_TAGS_MAX) {
		snprintf(err, errlen, "more than %d tags", PLX_TAGS_MAX);
		return -1;
	}
	if (!*key || (why = text_bad(key, strlen(key))) || (why = text_bad(val, strlen(val)))) {
		snprintf(err, errlen, "tag %.40s: %s", key, why);
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

/* The timestamp, kept as text for the records of one frame or line, and
 * while the clock is not synchronised the mark that goes with it (clock.h). */
static void
put_ts(struct plx_recs *r, int64_t ts)
{
	char m[32];
	const char *mark;

	if (!r->ts_len || ts != r->ts_last) {
		r->ts_len = fmt_int(r->ts_text, ts);
		r->ts_last = ts;
		r->mark_len = 0;
		if ((mark = plx_clock_mark(m, ts)))
			r->mark_len = (size_t)snprintf(r->mark_text, sizeof r->mark_text,
			                               ",\"" PLX_CLK_KEY "\":\"%s\"", mark);
	}
	PUTS(r, ",\"timestamp\":");
	put(r, r->ts_text, r->ts_len);
	put(r, r->mark_text, r->mark_len);
}

/* The record: head (class, name), the value text, timestamp, source, tags. */
static int
record(struct plx_recs *r, int metric, const char *name, size_t nlen, const char *val, size_t vlen,
       int str, int64_t ts, const struct plx_tags *t)
{
	const char *why;
	size_t need = 120 + 6 * nlen + (str ? 6 : 1) * vlen, start = r->len;
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
	put_ts(r, ts);
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

/* JSON's number grammar -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?, and finite
 * as a float64: the server cannot decode 1e400. */
static int
json_number(const char *s, size_t n)
{
	const char *e = s + n, *p = s;
	char buf[400];
	int exp = 0, frac = 0;

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
		frac = 1;
		if (++p == e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		exp = 1;
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p != e)
		return 0;
	if (n == 2 && s[0] == '-' && s[1] == '0')
		return 0;       /* -0: printed 0 */
	if (!exp && !frac && n < 19)
		return 1;       /* the common case: no need to read it */
	if (!exp && frac && n < 20)
		return 1;
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (frac || exp)
		return isfinite(strtod(buf, NULL));
	/* An integer that long must fit json-c's int64 or uint64, as plx-buffer
	 * reads it back (and not be the value json-c clamps to). */
	errno = 0;
	if (buf[0] == '-') {
		long long v = strtoll(buf, NULL, 10);
		return !errno && v != LLONG_MIN;
	}
	unsigned long long u = strtoull(buf, NULL, 10);
	return !errno && u != ULLONG_MAX;
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

/* A template: the record text of (name, 0 or "", timestamp 0, tags) cut
 * around the value and the timestamp.  The name cannot hold the cut marks:
 * put_str escapes its quotes. */
static int
tpl_init(struct plx_rectpl *t, int event, const char *name, const struct plx_tags *tags, char *err,
         size_t errlen)
{
	const char *mark = event ? ",\"value\":\"\",\"timestamp\":0" : ",\"value\":0,\"timestamp\":0";
	size_t vlen = event ? 2 : 1;     /* "" or 0 */
	struct plx_recs tmp;
	const char *p;
	int rc;

	memset(t, 0, sizeof *t);
	plx_recs_init(&tmp);
	rc = event ? plx_recs_str(&tmp, name, "", 0, 0, tags) : plx_recs_num(&tmp, name, 0, 0, tags);
	if (rc < 0 || tmp.len > PLX_LINE_MAX - 400 || !(p = memmem(tmp.s, tmp.len, mark, strlen(mark)))) {
		snprintf(err, errlen, "%s", *tmp.err ? tmp.err : "record too long");
		plx_recs_free(&tmp);
		return -1;
	}
	t->nhead = (size_t)(p - tmp.s) + 9;                       /* up to ,"value": */
	t->ntail = tmp.len - (t->nhead + vlen + 13 + 1);          /* past 0,"timestamp":0 */
	/* a reader keeps hundreds of these: no 1 KiB buffer each */
	if (!(t->text = realloc(tmp.s, tmp.len)))
		t->text = tmp.s;
	t->tail = t->text + tmp.len - t->ntail;
	return 0;
}

int
plx_rectpl_init(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                size_t errlen)
{
	return tpl_init(t, 0, name, tags, err, errlen);
}

int
plx_rectpl_init_event(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                      size_t errlen)
{
	return tpl_init(t, 1, name, tags, err, errlen);
}

void
plx_rectpl_free(struct plx_rectpl *t)
{
	free(t->text);
	memset(t, 0, sizeof *t);
}

int
plx_recs_tpl_num(struct plx_recs *r, const struct plx_rectpl *t, const char *num, size_t n, int64_t ts)
{
	if (!json_number(num, n))
		FAIL("value \"%.30s\" is not a JSON number", num);
	if (room(r, t->nhead + n + 14 + 24 + 48 + t->ntail) < 0)
		FAIL("out of memory");
	put(r, t->text, t->nhead);
	put(r, num, n);
	put_ts(r, ts);
	put(r, t->tail, t->ntail);
	r->n++;
	return 0;
}

int
plx_recs_tpl_str(struct plx_recs *r, const struct plx_rectpl *t, const char *s, size_t n, int64_t ts)
{
	const char *why;

	if ((why = text_bad(s, n)))
		FAIL("string value %s", why);
	if (room(r, t->nhead + 6 * n + 2 + 14 + 24 + 48 + t->ntail) < 0)
		FAIL("out of memory");
	put(r, t->text, t->nhead);
	put_str(r, s, n);
	put_ts(r, ts);
	put(r, t->tail, t->ntail);
	r->n++;
	return 0;
}

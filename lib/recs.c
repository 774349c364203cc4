/* Records as text, checked as they are written: see recs.h.  Names, tags,
 * values and source ids are checked by the rules of record.h (rules.c);
 * the escaping is json-c's (the slow path's) so both paths print the same
 * bytes.  Every byte goes through put(): one append that grows the buffer,
 * and on failure marks the record in hand, which end() then takes back. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "recs.h"

#define FAIL(...) do { snprintf(r->err, sizeof r->err, __VA_ARGS__); return -1; } while (0)

/* --- tags ------------------------------------------------------------ */

static int
tag_index(const struct plx_tags *t, const char *key)
{
	int i;

	for (i = 0; i < t->priv.n; i++)
		if (!strcmp(t->priv.key[i], key))
			return i;
	return -1;
}

int
plx_tags_add(struct plx_tags *t, const char *key, const char *val, char *err, size_t errlen)
{
	const char *why;
	int i;

	if ((why = plx_rule_tag_key(key, strlen(key)))) {
		snprintf(err, errlen, "tag key \"%.40s\": %s", key, why);
		return -1;
	}
	if ((why = plx_rule_tag_value(val, strlen(val)))) {
		snprintf(err, errlen, "tag %.40s: value %s", key, why);
		return -1;
	}
	if ((i = tag_index(t, key)) < 0) {
		if (t->priv.n >= PLX_TAGS_MAX) {
			snprintf(err, errlen, "tag %.40s: more than %d tags", key, PLX_TAGS_MAX);
			return -1;
		}
		i = t->priv.n++;
		t->priv.key[i] = key;
	}
	t->priv.val[i] = val;
	return 0;
}

int
plx_tags_remove(struct plx_tags *t, const char *key)
{
	int i = tag_index(t, key);

	if (i < 0)
		return 0;
	t->priv.n--;
	memmove(t->priv.key + i, t->priv.key + i + 1, (size_t)(t->priv.n - i) * sizeof *t->priv.key);
	memmove(t->priv.val + i, t->priv.val + i + 1, (size_t)(t->priv.n - i) * sizeof *t->priv.val);
	return 1;
}

int
plx_tags_set_source(struct plx_tags *t, const char *source_id, char *err, size_t errlen)
{
	const char *why;

	if (source_id && (why = plx_rule_source_id(source_id, strlen(source_id)))) {
		snprintf(err, errlen, "source id \"%.40s\": %s", source_id, why);
		return -1;
	}
	t->priv.source_id = source_id;
	return 0;
}

const char *plx_tags_source(const struct plx_tags *t) { return t->priv.source_id; }
int plx_tags_count(const struct plx_tags *t) { return t->priv.n; }

int
plx_tags_get(const struct plx_tags *t, int i, const char **key, const char **val)
{
	if (i < 0 || i >= t->priv.n)
		return -1;
	*key = t->priv.key[i];
	*val = t->priv.val[i];
	return 0;
}

int
plx_tags_arg(struct plx_tags *t, const char *kv, const char *const *own, int room, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : 0;
	char *key;
	int i;

	if (!n) {
		snprintf(err, errlen, "\"%.64s\" is not key=value", kv);
		return -1;
	}
	for (i = 0; own && own[i]; i++)
		if (strlen(own[i]) == n && !strncmp(own[i], kv, n)) {
			snprintf(err, errlen, "\"%s\" is a tag %s sets itself", own[i], plx_prog);
			return -1;
		}
	if (t->priv.n >= PLX_TAGS_MAX - room) {
		snprintf(err, errlen, "at most %d tags (%s adds up to %d)", PLX_TAGS_MAX - room, plx_prog, room);
		return -1;
	}
	key = plx_xstrndup(kv, n);
	i = t->priv.n;
	if (plx_tags_add(t, key, eq + 1, err, errlen) < 0) {
		free(key);
		return -1;
	}
	if (t->priv.n == i)
		free(key);      /* a key given before: its value replaced, its first copy kept */
	return 0;
}

/* --- the buffer ------------------------------------------------------ */

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

/* Room for n more bytes, or r->oom set. */
static int
grow(struct plx_recs *r, size_t n)
{
	size_t cap = r->cap ? r->cap : 1024;
	char *s;

	while (cap - r->len < n) {
		if (cap > SIZE_MAX / 2)
			goto oom;
		cap *= 2;
	}
	if (!(s = realloc(r->s, cap)))
		goto oom;
	r->s = s;
	r->cap = cap;
	return 0;
oom:
	r->oom = 1;
	return -1;
}

static inline void
put(struct plx_recs *r, const char *s, size_t n)
{
	if (r->cap - r->len < n && grow(r, n) < 0)
		return;
	memcpy(r->s + r->len, s, n);
	r->len += n;
}

#define PUTS(r, lit) put(r, lit, sizeof lit - 1)

/* A JSON string, escaped as json-c escapes it. */
static void
put_str(struct plx_recs *r, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s, *e = s + n;
	char esc[6] = { '\\' };
	size_t k;

	PUTS(r, "\"");
	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(r, run, (size_t)(s - run));
		run = s + 1;
		k = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
			k = 6;
		}
		put(r, esc, k);
	}
	put(r, run, (size_t)(e - run));
	PUTS(r, "\"");
}

/* The end of the record begun at start: taken back when an append failed
 * or it is longer than a line may be; else counted. */
static int
end(struct plx_recs *r, size_t start, const char *name)
{
	if (r->oom) {
		r->oom = 0;
		r->len = start;
		FAIL("%.40s: out of memory", name);
	}
	if (r->len - start - 1 > PLX_LINE_MAX) {
		r->len = start;
		FAIL("%.40s: record longer than 64 KiB", name);
	}
	r->n++;
	return 0;
}

/* ,"timestamp":ts and, while the clock is not synchronised, the mark that
 * goes with it (clock.h): made once for the records of one frame or line,
 * which share their timestamp. */
static void
stamp(struct plx_recs *r, int64_t ts)
{
	char m[32];
	const char *mark;
	size_t k;

	if (!r->ts_len || ts != r->ts_last) {
		memcpy(r->ts_text, ",\"timestamp\":", 13);
		k = 13 + plx_fmt_int(r->ts_text + 13, ts);
		if ((mark = plx_clock_mark(m, ts)))
			k += (size_t)snprintf(r->ts_text + k, sizeof r->ts_text - k, ",\"" PLX_CLK_KEY "\":\"%s\"", mark);
		r->ts_len = k;
		r->ts_last = ts;
	}
}

static void
put_ts(struct plx_recs *r, int64_t ts)
{
	stamp(r, ts);
	put(r, r->ts_text, r->ts_len);
}

/* --- records --------------------------------------------------------- */

/* Up to and including "value": */
static void
put_head(struct plx_recs *r, int metric, const char *name, size_t nlen)
{
	if (metric)
		PUTS(r, "{\"class\":\"metric\",\"metric\":");
	else
		PUTS(r, "{\"class\":\"event\",\"metric\":");
	put_str(r, name, nlen);
	PUTS(r, ",\"value\":");
}

/* After the timestamp: source_id, tags, the end of the line. */
static void
put_tail(struct plx_recs *r, const struct plx_tags *t)
{
	int i;

	if (t && t->priv.source_id) {
		PUTS(r, ",\"source_id\":");
		put_str(r, t->priv.source_id, strlen(t->priv.source_id));
	}
	for (i = 0; t && i < t->priv.n; i++) {
		if (i == 0)
			PUTS(r, ",\"tags\":{");
		else
			PUTS(r, ",");
		put_str(r, t->priv.key[i], strlen(t->priv.key[i]));
		PUTS(r, ":");
		put_str(r, t->priv.val[i], strlen(t->priv.val[i]));
	}
	if (t && t->priv.n)
		PUTS(r, "}");
	PUTS(r, "}\n");
}

/* The record: head (class, name), the value text, timestamp, source, tags.
 * The tags were checked as they were added, the value by the caller. */
static int
record(struct plx_recs *r, int metric, const char *name, const char *val, size_t vlen, int str,
       int64_t ts, const struct plx_tags *t)
{
	size_t start = r->len, nlen = strlen(name);
	const char *why;

	if ((why = plx_rule_name(name, nlen)))
		FAIL("metric name \"%.40s\": %s", name, why);
	put_head(r, metric, name, nlen);
	if (str)
		put_str(r, val, vlen);
	else
		put(r, val, vlen);
	put_ts(r, ts);
	put_tail(r, t);
	return end(r, start, name);
}

int
plx_recs_num(struct plx_recs *r, const char *name, double v, int64_t ts, const struct plx_tags *t)
{
	char num[32];

	if (!isfinite(v))
		FAIL("%.40s: value is not a finite number", name);
	return record(r, 1, name, num, plx_fmt_double(num, v), 0, ts, t);
}

int
plx_recs_numtext(struct plx_recs *r, const char *name, const char *num, size_t len, int64_t ts,
                 const struct plx_tags *t)
{
	char buf[64], *end_;
	double d;

	if (!plx_rule_number(num, len))
		return record(r, 1, name, num, len, 0, ts, t);
	/* a device's number that is not JSON's (+5, 007, .5): read and written */
	if (len >= sizeof buf)
		FAIL("%.40s: value is not a number", name);
	memcpy(buf, num, len);
	buf[len] = '\0';
	d = strtod(buf, &end_);
	if (end_ == buf || *end_ || strspn(buf, "0123456789.eE+-") < len)   /* no hex, inf, nan */
		FAIL("%.40s: value is not a number", name);
	return plx_recs_num(r, name, d, ts, t);
}

int
plx_recs_bool(struct plx_recs *r, const char *name, int b, int64_t ts, const struct plx_tags *t)
{
	return record(r, 0, name, b ? "true" : "false", b ? 4 : 5, 0, ts, t);
}

int
plx_recs_str(struct plx_recs *r, const char *name, const char *s, size_t len, int64_t ts,
             const struct plx_tags *t)
{
	const char *why;

	if ((why = plx_rule_event_string(s, len)))
		FAIL("%.40s: string value %s", name, why);
	return record(r, 0, name, s, len, 1, ts, t);
}

int
plx_recs_json(struct plx_recs *r, json_object *rec)
{
	size_t n, start = r->len;
	const char *s = plx_record_text(rec, &n);

	put(r, s, n);
	PUTS(r, "\n");
	return end(r, start, "record");
}

/* --- templates ------------------------------------------------------- */

/* A template: the head and the tail of (name, tags) records, written once
 * by the same functions as every record, into one block. */
static int
tpl_init(struct plx_rectpl *t, int metric, const char *name, const struct plx_tags *tags, char *err,
         size_t errlen)
{
	struct plx_recs tmp;
	size_t nlen = strlen(name);
	const char *why;

	memset(t, 0, sizeof *t);
	if ((why = plx_rule_name(name, nlen))) {
		snprintf(err, errlen, "metric name \"%.40s\": %s", name, why);
		return -1;
	}
	plx_recs_init(&tmp);
	put_head(&tmp, metric, name, nlen);
	t->nhead = tmp.len;
	put_tail(&tmp, tags);
	put(&tmp, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);   /* padding for tpl_record's blocks */
	tmp.len -= tmp.oom ? 0 : 16;
	if (tmp.oom || tmp.len > PLX_LINE_MAX - 400) {
		snprintf(err, errlen, "metric %.40s: %s", name, tmp.oom ? "out of memory" : "record too long");
		plx_recs_free(&tmp);
		return -1;
	}
	/* a reader keeps hundreds of these: no 1 KiB buffer each */
	if (!(t->text = realloc(tmp.s, tmp.len + 16)))
		t->text = tmp.s;
	t->ntail = tmp.len - t->nhead;
	t->tail = t->text + t->nhead;
	return 0;
}

int
plx_rectpl_init(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                size_t errlen)
{
	return tpl_init(t, 1, name, tags, err, errlen);
}

int
plx_rectpl_init_event(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                      size_t errlen)
{
	return tpl_init(t, 0, name, tags, err, errlen);
}

void
plx_rectpl_free(struct plx_rectpl *t)
{
	free(t->text);
	memset(t, 0, sizeof *t);
}

/* n bytes in blocks of 16, a size the compiler copies without a call: the
 * caller has room at dst, and src readable, for n rounded up to 16. */
static inline char *
blocks(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 16)
		memcpy(dst + i, src + i, 16);
	return dst + n;
}

/* A record from t with its value text as it is.  The pieces are short
 * and many: when num's buffer holds it rounded up to 16 (padded), and the
 * buffer has room for that, they go in blocks (template texts are padded
 * too, ts_text is 96 bytes); else by put(). */
static int
tpl_record(struct plx_recs *r, const struct plx_rectpl *t, const char *num, size_t n, int padded,
           int64_t ts)
{
	size_t start = r->len;
	char *p;

	stamp(r, ts);
	if (padded && r->cap - r->len >= t->nhead + n + r->ts_len + t->ntail + 64) {
		p = blocks(r->s + r->len, t->text, t->nhead);
		p = blocks(p, num, n);
		p = blocks(p, r->ts_text, r->ts_len);
		p = blocks(p, t->tail, t->ntail);
		r->len = (size_t)(p - r->s);
		return end(r, start, "template");
	}
	put(r, t->text, t->nhead);
	put(r, num, n);
	put_ts(r, ts);
	put(r, t->tail, t->ntail);
	return end(r, start, "template");
}

int
plx_recs_tpl_num(struct plx_recs *r, const struct plx_rectpl *t, const char *num, size_t n, int64_t ts)
{
	const char *why;

	if ((why = plx_rule_number(num, n)))
		FAIL("value \"%.*s\": %s", (int)(n < 30 ? n : 30), num, why);
	return tpl_record(r, t, num, n, 0, ts);
}

int
plx_recs_tpl_fixed(struct plx_recs *r, const struct plx_rectpl *t, int64_t q, int dec, int64_t ts)
{
	char num[48];

	if (dec < 0 || dec > 18)
		FAIL("value with %d decimals", dec);
	if (q == INT64_MIN && dec == 0)
		FAIL("value -9223372036854775808: an integer past 64 bits (json-c's clamp)");
	return tpl_record(r, t, num, plx_fmt_fixed(num, q, dec), 1, ts);
}

int
plx_recs_tpl_double(struct plx_recs *r, const struct plx_rectpl *t, double v, int64_t ts)
{
	char num[32];

	if (!isfinite(v))
		FAIL("value is not a finite number");
	return tpl_record(r, t, num, plx_fmt_double(num, v), 1, ts);
}

int
plx_recs_tpl_str(struct plx_recs *r, const struct plx_rectpl *t, const char *s, size_t n, int64_t ts)
{
	size_t start = r->len;
	const char *why;

	if ((why = plx_rule_event_string(s, n)))
		FAIL("string value %s", why);
	put(r, t->text, t->nhead);
	put_str(r, s, n);
	put_ts(r, ts);
	put(r, t->tail, t->ntail);
	return end(r, start, "template");
}

/* plx-tail's series: one row per (source, metric, tags), found by a hash of
 * that key; what a record changes in it; the rows to show, filtered and
 * sorted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "tail.h"

/* A hash table of the series by key (open addressing), kept beside the
 * list: a record finds its row without a scan. */
static struct series **slot;
static size_t nslot;

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static void
rehash(struct table *t)
{
	size_t i, j;

	free(slot);
	nslot = nslot ? nslot * 2 : 1024;
	slot = plx_xcalloc(nslot, sizeof *slot);
	for (i = 0; i < t->n; i++) {
		for (j = hash(t->s[i]->key) & (nslot - 1); slot[j]; j = (j + 1) & (nslot - 1))
			;
		slot[j] = t->s[i];
	}
}

void
table_init(struct table *t)
{
	memset(t, 0, sizeof *t);
	rehash(t);
}

void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->s[i]->key);
		free(t->s[i]);
	}
	free(t->s);
	free(slot);
	slot = NULL;
	nslot = 0;
	memset(t, 0, sizeof *t);
}

static struct series *
find(struct table *t, const char *source, const char *metric, const char *tags, const char *unit)
{
	char key[1400];
	struct series *s;
	size_t j, ls, lm, lt;

	snprintf(key, sizeof key, "%s\x1f%s\x1f%s", source ? source : "", metric, tags);
	for (j = hash(key) & (nslot - 1); slot[j]; j = (j + 1) & (nslot - 1))
		if (!strcmp(slot[j]->key, key))
			return slot[j];
	if (t->n >= SERIES_MAX) {
		t->dropped++;
		return NULL;
	}
	/* one allocation: the key, then source, metric, tags and unit after it */
	ls = strlen(source ? source : ""), lm = strlen(metric), lt = strlen(tags);
	s = plx_xcalloc(1, sizeof *s);
	s->key = plx_xmalloc(strlen(key) + 1 + ls + 1 + lm + 1 + lt + 1 + strlen(unit) + 1);
	strcpy(s->key, key);
	s->source = s->key + strlen(key) + 1;
	memcpy(s->source, source ? source : "", ls + 1);
	s->metric = s->source + ls + 1;
	memcpy(s->metric, metric, lm + 1);
	s->tags = s->metric + lm + 1;
	memcpy(s->tags, tags, lt + 1);
	s->unit = s->tags + lt + 1;
	strcpy(s->unit, unit);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->s = plx_xrealloc(t->s, t->cap * sizeof *t->s);
	}
	t->s[t->n++] = s;
	if (t->n * 2 > nslot)
		rehash(t);
	else {
		for (j = hash(key) & (nslot - 1); slot[j]; j = (j + 1) & (nslot - 1))
			;
		slot[j] = s;
	}
	return s;
}

/* Moves the per-second counts on to the second of now. */
static void
tick(struct series *s, int64_t sec)
{
	int64_t k;

	if (sec - s->sec >= RATE_S)
		memset(s->per_s, 0, sizeof s->per_s);
	else
		for (k = s->sec + 1; k <= sec; k++)
			s->per_s[k % RATE_S] = 0;
	if (sec > s->sec)
		s->sec = sec;
}

struct series *
table_add(struct table *t, const char *source, const char *metric, const char *tags,
          const char *unit, const char *value, int numeric, double v, int64_t ts, int64_t now,
          uint64_t n)
{
	struct series *s = find(t, source, metric, tags, unit);

	t->records += n;
	if (!s)
		return NULL;
	tick(s, now / 1000);
	s->per_s[s->sec % RATE_S] += (uint32_t)n;
	s->count += n;
	s->seen = now;
	s->ts = ts;
	snprintf(s->value, sizeof s->value, "%s", value);
	s->numeric = numeric;
	if (numeric) {
		if (s->ntrend == TREND)
			memmove(s->trend, s->trend + 1, (TREND - 1) * sizeof *s->trend);
		else
			s->ntrend++;
		s->trend[s->ntrend - 1] = v;
	}
	return s;
}

void
table_poll(struct table *t, const char *source, const char *metric, const char *value, int numeric,
           double v, int64_t ts, int64_t count, int64_t updated, int64_t seen, int64_t now)
{
	struct series *s = find(t, source, metric, "", "");
	int64_t n;

	if (!s || s->updated == updated)
		return;
	/* the first sight has no count before it: no rate yet */
	n = s->updated && count > s->polled ? count - s->polled : 0;
	s = table_add(t, source, metric, "", "", value, numeric, v, ts, now, (uint64_t)n);
	s->polled = count;
	s->updated = updated;
	s->seen = seen;
}

double
series_rate(const struct series *s, int64_t now)
{
	int64_t sec = now / 1000, k;
	uint64_t sum = 0;

	/* whole seconds before this one: the current second is still counting */
	for (k = sec - RATE_S + 1; k < sec; k++)
		if (k <= s->sec && k > s->sec - RATE_S)
			sum += s->per_s[k % RATE_S];
	return (double)sum / (RATE_S - 1);
}

static int64_t now_for_sort;

static int
by_name(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
	int c = strcmp(x->source, y->source);

	if (!c)
		c = strcmp(x->metric, y->metric);
	return c ? c : strcmp(x->tags, y->tags);
}

static int
by_rate(const void *a, const void *b)
{
	double x = series_rate(*(struct series *const *)a, now_for_sort);
	double y = series_rate(*(struct series *const *)b, now_for_sort);

	return x > y ? -1 : x < y ? 1 : by_name(a, b);
}

static int
by_age(const void *a, const void *b)
{
	int64_t x = (*(struct series *const *)a)->seen, y = (*(struct series *const *)b)->seen;

	return x > y ? -1 : x < y ? 1 : by_name(a, b);
}

size_t
table_rows(struct table *t, int64_t now, struct series ***rows)
{
	static struct series **r;
	static size_t cap;
	int (*const cmp[SORT_KINDS])(const void *, const void *) = { by_name, by_rate, by_age };
	size_t i, n = 0;

	if (cap < t->n) {
		cap = t->cap;
		r = plx_xrealloc(r, cap * sizeof *r);
	}
	for (i = 0; i < t->n; i++) {
		struct series *s = t->s[i];
		if (*t->filter && !strcasestr(s->source, t->filter) && !strcasestr(s->metric, t->filter) &&
		    !strcasestr(s->tags, t->filter))
			continue;
		r[n++] = s;
	}
	now_for_sort = now;
	if (n > 1)
		qsort(r, n, sizeof *r, cmp[t->sort]);
	*rows = r;
	return n;
}

void
sparkline(const struct series *s, int width, char *out, size_t len)
{
	static const char *const bar[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
	                                    "\u2585", "\u2586", "\u2587", "\u2588" };
	double lo, hi;
	int i, first, k;
	size_t w = 0;

	out[0] = '\0';
	if (!s->ntrend || width <= 0)
		return;
	first = s->ntrend > width ? s->ntrend - width : 0;
	lo = hi = s->trend[first];
	for (i = first; i < s->ntrend; i++) {
		if (s->trend[i] < lo)
			lo = s->trend[i];
		if (s->trend[i] > hi)
			hi = s->trend[i];
	}
	for (i = first; i < s->ntrend && w + 4 < len; i++) {
		/* a flat line sits in the middle: no change is not "low" */
		k = hi > lo ? (int)((s->trend[i] - lo) / (hi - lo) * 7.999) : 3;
		w += (size_t)snprintf(out + w, len - w, "%s", bar[k < 0 ? 0 : k > 7 ? 7 : k]);
	}
}

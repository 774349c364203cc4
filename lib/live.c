/* Liveness per device: see live.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "log.h"

void
plx_live_init(struct plx_live *lv, const char *reader)
{
	memset(lv, 0, sizeof *lv);
	lv->reader = reader;
}

void
plx_live_free(struct plx_live *lv)
{
	free(lv->d);
	memset(lv, 0, sizeof *lv);
}

int
plx_live_dev(struct plx_live *lv, const char *name, int64_t expect_ms)
{
	int i;

	for (i = 0; i < lv->n; i++)
		if (!strcmp(lv->d[i].name, name))
			return i;
	if (lv->n == PLX_LIVE_MAX)
		return -1;
	if (lv->n == lv->cap) {
		lv->cap = lv->cap ? lv->cap * 2 : 8;
		lv->d = plx_xrealloc(lv->d, (size_t)lv->cap * sizeof *lv->d);
	}
	memset(&lv->d[lv->n], 0, sizeof lv->d[lv->n]);
	snprintf(lv->d[lv->n].name, sizeof lv->d[lv->n].name, "%s", name);
	lv->d[lv->n].expect_ms = expect_ms;
	return lv->n++;
}

int
plx_live_rename(struct plx_live *lv, int i, const char *name, int64_t expect_ms)
{
	int j;

	if (i < 0)
		return plx_live_dev(lv, name, expect_ms);
	for (j = 0; j < lv->n && strcmp(lv->d[j].name, name); j++)
		;
	if (j == lv->n) {
		snprintf(lv->d[i].name, sizeof lv->d[i].name, "%s", name);
		j = i;
	} else if (j != i) {
		/* the name had a device before: i's state is its now, and the
		 * old name is followed no more (never said silent) */
		char name_j[sizeof lv->d[j].name];
		memcpy(name_j, lv->d[j].name, sizeof name_j);
		lv->d[j] = lv->d[i];
		memcpy(lv->d[j].name, name_j, sizeof name_j);
		plx_live_forget(lv, i);
	}
	lv->d[j].expect_ms = expect_ms;
	return j;
}

void
plx_live_forget(struct plx_live *lv, int i)
{
	if (i >= 0) {
		lv->d[i].last = 0;
		lv->d[i].connected = lv->d[i].silent = 0;
	}
}

void
plx_live_connected(struct plx_live *lv, int i, int up)
{
	if (i >= 0)
		lv->d[i].connected = up;
}

void
plx_live_data(struct plx_live *lv, int i, int64_t now)
{
	struct plx_live_dev *d;
	double gap;

	if (i < 0)
		return;
	d = &lv->d[i];
	if (d->last) {
		/* a running mean of the gaps: the first ones weigh as much as
		 * the rest until PLX_LIVE_LEARN, then 1/8 each */
		gap = (double)(now - d->last);
		d->gap_ms = d->seen < PLX_LIVE_LEARN ? (d->gap_ms * (double)(d->seen - 1) + gap) / (double)d->seen
		                                     : d->gap_ms + (gap - d->gap_ms) / 8;
	}
	d->last = now;
	d->seen++;
}

/* How often device d speaks: as configured, else as learned; 0: unknown. */
static int64_t
every(const struct plx_live_dev *d)
{
	return d->expect_ms ? d->expect_ms : d->seen >= PLX_LIVE_LEARN ? (int64_t)d->gap_ms : 0;
}

int64_t
plx_live_bound(const struct plx_live *lv, int i)
{
	int64_t e = every(&lv->d[i]);

	if (!e)
		return -1;
	return e * PLX_LIVE_FACTOR > PLX_LIVE_MIN_MS ? e * PLX_LIVE_FACTOR : PLX_LIVE_MIN_MS;
}

void
plx_live_check(struct plx_live *lv, int64_t now)
{
	int i;

	for (i = 0; i < lv->n; i++) {
		struct plx_live_dev *d = &lv->d[i];
		int64_t bound = plx_live_bound(lv, i);
		int quiet = d->last && bound > 0 && now - d->last > bound;
		if (quiet && !d->silent)
			plx_warn("%s: silent for %lld s (it speaks every %.1f s)", d->name,
			         (long long)((now - d->last) / 1000), (double)every(d) / 1000);
		else if (!quiet && d->silent)
			plx_warn("%s: speaks again", d->name);
		d->silent = quiet;
	}
}

int
plx_live_records_dev(const struct plx_live *lv, int i, struct plx_recs *r, int64_t ts, int64_t now,
                     const struct plx_tags *tags)
{
	const struct plx_live_dev *d = &lv->d[i];
	struct plx_tags t = tags ? *tags : (struct plx_tags){ 0 };
	const char *k, *v;
	char name[96], err[200];
	int j, has = 0;

	for (j = 0; plx_tags_get(&t, j, &k, &v) == 0; j++)
		has |= !strcmp(k, "device");
	if (!has && plx_tags_add(&t, "device", d->name, err, sizeof err) < 0) {
		snprintf(r->err, sizeof r->err, "%s", err);
		return -1;
	}
	snprintf(name, sizeof name, "gateway.%s.device.connected", lv->reader);
	if (plx_recs_num(r, name, d->connected, ts, &t) < 0)
		return -1;
	snprintf(name, sizeof name, "gateway.%s.device.age_s", lv->reader);
	if (plx_recs_num(r, name, d->last ? (double)((now - d->last) / 1000) : -1, ts, &t) < 0)
		return -1;
	snprintf(name, sizeof name, "gateway.%s.device.silent", lv->reader);
	return plx_recs_num(r, name, d->silent, ts, &t);
}

int
plx_live_records(const struct plx_live *lv, struct plx_recs *r, int64_t ts, int64_t now,
                 const struct plx_tags *tags)
{
	int i;

	for (i = 0; i < lv->n; i++)
		if (plx_live_records_dev(lv, i, r, ts, now, tags) < 0)
			return -1;
	return 0;
}

/* Rate control: a busy bus repeats most values hundreds of times a second,
 * and Plexus charges per point.  Per signal (dbc_sig.index) or per CAN id,
 * a struct rstate keeps
 *   - the value last sent: --on-change sends a sample only when it differs,
 *     or when --max-quiet has passed since the last one sent (a heartbeat,
 *     so a dashboard does not go blank on a steady value);
 *   - an interval window: with --interval, samples of one window
 *     [k*I, (k+1)*I) of the frame clock are gathered (last, min, max, mean)
 *     and sent once, when a sample of a later window arrives or the clock
 *     passes the window's end (rate_due).  The mean is a running one, not
 *     a sum divided at the end: a sum of large finite values (a float64
 *     signal near 1e308) would overflow to infinity, and the mean of
 *     values that are all the same is exactly that value.
 * Windows go by the frames' own timestamps, so a replayed log aggregates as
 * the live bus did.  The raw-frame table is bounded (RAW_IDS_MAX ids). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "can.h"

void
rstate_init(struct rstate *s)
{
	memset(s, 0, sizeof *s);
	s->win = -1;
}

int
rate_gate(const struct rate_opts *o, struct rstate *s, double v, const char *label, int64_t ts)
{
	if (o->on_change && s->has_sent && v == s->sent && label == s->sent_label &&
	    !(o->max_quiet_ms && ts - s->sent_ts >= o->max_quiet_ms))
		return 0;
	s->has_sent = 1;
	s->sent = v;
	s->sent_label = label;
	s->sent_ts = ts;
	return 1;
}

/* Welford's update, mean += (v - mean) / n; when v and the mean are so far
 * apart that their difference overflows (opposite signs near DBL_MAX),
 * mean + (v/n - mean/n), whose terms are all finite.  An infinite or NaN
 * sample makes the mean what a sum would: infinite or NaN. */
static double
mean_add(double mean, double v, unsigned long n)
{
	double d;

	if (!isfinite(mean) || !isfinite(v))
		return mean + v;
	d = v - mean;
	if (isfinite(d))
		return mean + d / (double)n;
	return mean + (v / (double)n - mean / (double)n);
}

static int64_t
window(int64_t ts, int64_t interval)
{
	return ts >= 0 ? ts / interval : (ts - interval + 1) / interval;
}

int
rate_sample(const struct rate_opts *o, int64_t interval_ms, struct rstate *s, int64_t ts,
            double v, const char *label, int iface, int *flushed, struct rstate *closed)
{
	int64_t w;

	*flushed = 0;
	if (!interval_ms)
		return rate_gate(o, s, v, label, ts);
	w = window(ts, interval_ms);
	if (s->win != -1 && w != s->win) {
		*closed = *s;
		*flushed = 1;
		s->win = -1;
	}
	if (s->win == -1) {
		s->win = w;
		s->n = 0;
		s->min = s->max = s->mean = v;
	}
	s->n++;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	s->mean = s->n == 1 ? v : mean_add(s->mean, v, s->n);
	s->last = v;
	s->label = label;
	s->last_ts = ts;
	s->iface = iface;
	return 0;
}

int
rate_due(int64_t interval_ms, struct rstate *s, int64_t now, struct rstate *closed)
{
	if (!interval_ms || s->win == -1 || (s->win + 1) * interval_ms > now)
		return 0;
	*closed = *s;
	s->win = -1;
	return 1;
}

static unsigned
slot(canid_t id)
{
	return (unsigned)((id * 2654435761u) >> 20) & (RAW_IDS_MAX - 1);
}

struct rawent *
rawtab_get(struct rawtab *t, canid_t id)
{
	unsigned i;

	if (!t->e) {
		/* calloc: pages of ids never seen are never touched (RSS) */
		t->e = plx_xcalloc(RAW_IDS_MAX, sizeof *t->e);
	}
	for (i = slot(id);; i = (i + 1) & (RAW_IDS_MAX - 1)) {
		if (!t->e[i].used)
			break;
		if (t->e[i].id == id)
			return &t->e[i];
	}
	if (t->n >= RAW_IDS_MAX * 3 / 4)
		return NULL;
	t->n++;
	t->e[i].id = id;
	t->e[i].used = 1;
	rstate_init(&t->e[i].st);
	return &t->e[i];
}

void
rawtab_free(struct rawtab *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

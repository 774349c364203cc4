/* DBC signals into records: one metric per signal of a known message,
 * named by --name (default "%p.%m.%s": prefix, message, signal):
 *
 *   BO_ 256 EngineData: 8 Engine
 *    SG_ Rpm : 0|16@1+ (0.25,0) [0|16383.75] "rpm" Dash
 *   (1436509052.249713) can0 100#401F000000000000  ->
 *   {"class":"metric","metric":"can.EngineData.Rpm","value":2000,"timestamp":1436509052249,
 *    "tags":{"interface":"can0","id":"0x100","unit":"rpm"}}
 *
 * A value with a VAL_ label is an event whose value is the label
 * ("can.EngineData.Gear":"D").  Several -d files are searched in order.
 * Rate control state is one struct rstate per signal, by a global index
 * (the file's base + dbc_sig.index), with its own interval when
 * --signal-rate names it. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"
#include "emit.h"
#include "log.h"

struct sigs {
	struct dbc *dbc[8];
	unsigned base[8];           /* first global signal index of each file */
	unsigned mbase[8];          /* first global message index of each file */
	int ndbc;
	unsigned nsig, nmsg;
	char **name;                /* per signal: its metric name */
	const struct dbc_sig **sig; /* per signal */
	unsigned *msg;              /* per signal: its global message index */
	char (*idtag)[12];          /* per message: "0x100" */
	struct rstate *st;          /* per signal */
	int64_t *interval;          /* per signal, ms */
	double *scale;              /* per signal: 10^decimals of factor and offset, 0 none */
	int *dec;                   /* ... and those decimals */
	struct tpl { struct plx_rectpl t, ev; int iface; unsigned gen; } *tpl;  /* per signal: its metric
	                                * and label records, for iface (-1 none) and its tags of e->tags_gen */
	/* the frame in hand, for the decoder's callback */
	struct emit *e;
	const struct cframe *cf;
	unsigned cur_base, cur_msg;
};

/* --name: %p prefix, %m message, %s signal, %i id (hex), %% */
static int
make_name(char *buf, size_t n, const char *fmt, const char *prefix, const struct dbc_msg *m,
          const struct dbc_sig *s)
{
	size_t k = 0;
	const char *p;

	for (p = fmt; *p && k < n; p++) {
		if (*p != '%' || !p[1]) {
			buf[k++] = *p;
			continue;
		}
		switch (*++p) {
		case 'p': k += (size_t)snprintf(buf + k, n - k, "%s", prefix); break;
		case 'm': k += (size_t)snprintf(buf + k, n - k, "%s", m->name); break;
		case 's': k += (size_t)snprintf(buf + k, n - k, "%s", s->name); break;
		case 'i': k += (size_t)snprintf(buf + k, n - k, "%X", m->id & CAN_EFF_MASK); break;
		case '%': buf[k++] = '%'; break;
		default: return -1;
		}
	}
	if (k >= n || k == 0 || k > PLX_NAME_MAX)
		return -1;
	buf[k] = '\0';
	return 0;
}

/* The decimals a DBC number is written with (0.1 -> 1, 0.125 -> 3), or -1
 * past 9: raw * 0.1 is 4.6000000000000005 in binary; rounded to the
 * factor's decimals it prints as the 4.6 the DBC's author meant. */
static int
decimals(double x)
{
	double p = 1;
	int d;

	for (d = 0; d <= 9; d++, p *= 10)
		if (fabs(x * p - nearbyint(x * p)) < 1e-9 * fmax(1, fabs(x * p)))
			return d;
	return -1;
}

static double
scale_of(const struct dbc_sig *s)
{
	int a = decimals(s->factor), b = decimals(s->offset);

	if (s->vtype != DBC_INT || a < 0 || b < 0)
		return 0;
	return pow(10, a > b ? a : b);
}

static void
tpl_drop(struct tpl *t)
{
	if (t->iface < 0)
		return;
	plx_rectpl_free(&t->t);
	plx_rectpl_free(&t->ev);
	t->iface = -1;
}

/* The signal's templates for records from interface iface: 0, or -1 (the
 * slow path then says why). */
static int
tpl_for(struct sigs *g, unsigned i, int iface)
{
	struct tpl *t = &g->tpl[i];
	const struct dbc_sig *s = g->sig[i];
	struct plx_tags tags;
	char err[200];

	if (t->iface == iface && t->gen == g->e->tags_gen)
		return 0;
	tpl_drop(t);
	if (emit_tags(g->e, &tags, iface, g->idtag[g->msg[i]]) < 0 ||
	    (*s->unit && emit_tag(g->e, &tags, "unit", s->unit) < 0))
		return -1;
	if (plx_rectpl_init(&t->t, g->name[i], &tags, err, sizeof err) < 0)
		return -1;
	if (plx_rectpl_init_event(&t->ev, g->name[i], &tags, err, sizeof err) < 0) {
		plx_rectpl_free(&t->t);
		return -1;
	}
	t->iface = iface;
	t->gen = g->e->tags_gen;
	return 0;
}

/* The common records (a number or a label, no suffix) from the templates.
 * A value on the signal's decimal grid (scale 10^dec) is written as the
 * integer v * 10^dec with the point dec digits from the right: raw * 0.1
 * is 4.6000000000000005 in binary, and the 4.6 the DBC's author meant. */
static int
send_fast(struct sigs *g, unsigned i, double v, const char *label, int64_t ts, int iface)
{
	struct plx_recs *r = &g->e->recs;
	double x = v * g->scale[i];
	long long q;

	if ((!label && !isfinite(v)) || tpl_for(g, i, iface) < 0)
		return -1;
	if (label)
		return plx_recs_tpl_str(r, &g->tpl[i].ev, label, strlen(label), ts);
	if (g->scale[i] >= 1 && fabs(x) < 1e15 && fabs(x - (double)(q = llrint(x))) <= 1e-6)
		return plx_recs_tpl_fixed(r, &g->tpl[i].t, q, g->dec[i], ts);
	return plx_recs_tpl_double(r, &g->tpl[i].t, v, ts);
}

static void
send(struct sigs *g, unsigned i, double v, const char *label, int64_t ts, int iface, const char *suffix)
{
	struct emit *e = g->e;
	const struct dbc_sig *s = g->sig[i];
	char name[PLX_NAME_MAX * 2];
	const char *nm = g->name[i];
	struct plx_tags t;
	int r;

	if (!suffix && send_fast(g, i, v, label, ts, iface) == 0)
		return;
	if (emit_tags(e, &t, iface, g->idtag[g->msg[i]]) < 0 || (*s->unit && emit_tag(e, &t, "unit", s->unit) < 0)) {
		emit_rejected(e);
		return;
	}
	if (suffix) {
		snprintf(name, sizeof name, "%s.%s", nm, suffix);
		nm = name;
	}
	if (label)
		r = plx_recs_str(&e->recs, nm, label, strlen(label), ts, &t);
	else
		r = plx_recs_num(&e->recs, nm, v, ts, &t);
	if (r < 0)
		emit_rejected(e);
}

/* A closed interval window, as --agg says. */
static void
send_window(struct sigs *g, unsigned i, const struct rstate *w)
{
	const struct rate_opts *o = &g->e->o->rate;
	double mean = w->mean;

	switch (o->agg) {
	case AGG_LAST:
		if (rate_gate(o, &g->st[i], w->last, w->label, w->last_ts))
			send(g, i, w->last, w->label, w->last_ts, w->iface, NULL);
		break;
	case AGG_MIN:
		if (rate_gate(o, &g->st[i], w->min, NULL, w->last_ts))
			send(g, i, w->min, NULL, w->last_ts, w->iface, NULL);
		break;
	case AGG_MAX:
		if (rate_gate(o, &g->st[i], w->max, NULL, w->last_ts))
			send(g, i, w->max, NULL, w->last_ts, w->iface, NULL);
		break;
	case AGG_MEAN:
		if (rate_gate(o, &g->st[i], mean, NULL, w->last_ts))
			send(g, i, mean, NULL, w->last_ts, w->iface, NULL);
		break;
	case AGG_ALL:
		if (!rate_gate(o, &g->st[i], mean, NULL, w->last_ts))
			break;
		send(g, i, w->min, NULL, w->last_ts, w->iface, "min");
		send(g, i, w->max, NULL, w->last_ts, w->iface, "max");
		send(g, i, mean, NULL, w->last_ts, w->iface, "mean");
		break;
	}
}

static void
on_sig(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double v, const char *label)
{
	struct sigs *g = ctx;
	const struct cframe *cf = g->cf;
	unsigned i = g->cur_base + s->index;
	struct rstate closed;
	double x = v * g->scale[i];
	long long q;
	int flushed;

	if (g->scale[i] > 1 && fabs(x) < 9007199254740992.0) {
		q = llrint(x);              /* to the nearest, ties to even: nearbyint(x) */
		/* the common case, a number sent as it comes: written from q */
		if (!g->e->rate_on && !label && fabs(x) < 1e15 && tpl_for(g, i, cf->iface) == 0 &&
		    plx_recs_tpl_fixed(&g->e->recs, &g->tpl[i].t, q, g->dec[i], cf->ts) == 0)
			return;
		v = (double)q / g->scale[i];
	}
	if (!g->e->rate_on) {
		send(g, i, v, label, cf->ts, cf->iface, NULL);
		return;
	}
	if (rate_sample(&g->e->o->rate, g->interval[i], &g->st[i], cf->ts, v, label, cf->iface,
	                &flushed, &closed))
		send(g, i, v, label, cf->ts, cf->iface, NULL);
	if (flushed)
		send_window(g, i, &closed);
}

static int
decode(struct emit *e, const struct cframe *cf)
{
	struct sigs *g = e->dbc;
	const struct dbc_msg *m;
	int k;

	if (cf->f.can_id & CAN_RTR_FLAG)
		return 0;
	for (k = 0; k < g->ndbc; k++)
		if ((m = dbc_find(g->dbc[k], cf->f.can_id))) {
			g->cf = cf;
			g->cur_base = g->base[k];
			if (dbc_decode(m, cf->f.data, cf->f.len, on_sig, g) >= 0)
				return 1;
			emit_misfit(e, cf, ", message %s has %u: not decoded", m->name, m->size);
			return -1;
		}
	return 0;
}

static void
due(struct emit *e, int64_t now)
{
	struct sigs *g = e->dbc;
	struct rstate closed;
	unsigned i;

	for (i = 0; i < g->nsig; i++)
		if (g->st[i].win != -1 && rate_due(g->interval[i], &g->st[i], now, &closed))
			send_window(g, i, &closed);
}

static void
sigs_free(struct emit *e)
{
	struct sigs *g = e->dbc;
	unsigned i;
	int k;

	if (!g)
		return;
	for (i = 0; g->name && i < g->nsig; i++)
		free(g->name[i]);
	for (i = 0; g->tpl && i < g->nsig; i++)
		tpl_drop(&g->tpl[i]);
	free(g->tpl);
	for (k = 0; k < g->ndbc; k++)
		dbc_free(g->dbc[k]);
	free(g->name);
	free(g->sig);
	free(g->msg);
	free(g->idtag);
	free(g->st);
	free(g->interval);
	free(g->scale);
	free(g->dec);
	free(g);
	e->dbc = NULL;
}

/* The interval of a signal: the last --signal-rate whose pattern matches
 * "Message.Signal" or "Signal", else --interval. */
static int64_t
interval_of(const struct opts *o, const struct dbc_msg *m, const struct dbc_sig *s)
{
	char full[512];
	int64_t iv = o->rate.interval_ms;
	int k;

	snprintf(full, sizeof full, "%s.%s", m->name, s->name);
	for (k = 0; k < o->nsigrate; k++)
		if (!fnmatch(o->sigrate[k].pat, full, 0) || !fnmatch(o->sigrate[k].pat, s->name, 0))
			iv = o->sigrate[k].ms;
	return iv;
}

/* Names, tags and state of every signal of every file. */
static int
index_all(struct emit *e, struct sigs *g, char *err, size_t errlen)
{
	const struct opts *o = e->o;
	char name[PLX_NAME_MAX * 2];
	int k, mi, si;

	g->name = plx_xcalloc(g->nsig + 1, sizeof *g->name);
	g->sig = plx_xcalloc(g->nsig + 1, sizeof *g->sig);
	g->msg = plx_xcalloc(g->nsig + 1, sizeof *g->msg);
	g->st = plx_xcalloc(g->nsig + 1, sizeof *g->st);
	g->interval = plx_xcalloc(g->nsig + 1, sizeof *g->interval);
	g->idtag = plx_xcalloc(g->nmsg + 1, sizeof *g->idtag);
	g->scale = plx_xcalloc(g->nsig + 1, sizeof *g->scale);
	g->tpl = plx_xcalloc(g->nsig + 1, sizeof *g->tpl);
	g->dec = plx_xcalloc(g->nsig + 1, sizeof *g->dec);
	for (k = 0; k < g->ndbc; k++)
		for (mi = 0; mi < g->dbc[k]->nmsg; mi++) {
			const struct dbc_msg *m = &g->dbc[k]->msg[mi];
			emit_idtag(g->idtag[g->mbase[k] + (unsigned)mi], m->id);
			for (si = 0; si < m->nsig; si++) {
				const struct dbc_sig *s = &m->sig[si];
				unsigned i = g->base[k] + s->index;
				if (make_name(name, sizeof name, o->name_fmt, o->prefix, m, s) < 0) {
					snprintf(err, errlen, "--name \"%s\": no valid name for %s.%s (1 to %d bytes; "
					         "%%p %%m %%s %%i %%%%)", o->name_fmt, m->name, s->name, PLX_NAME_MAX);
					return -1;
				}
				g->name[i] = plx_xstrdup(name);
				g->sig[i] = s;
				g->msg[i] = g->mbase[k] + (unsigned)mi;
				rstate_init(&g->st[i]);
				g->interval[i] = interval_of(o, m, s);
				g->scale[i] = scale_of(s);
				g->dec[i] = g->scale[i] >= 1 ? (int)lround(log10(g->scale[i])) : 0;
				g->tpl[i].iface = -1;
			}
		}
	return 0;
}

int
sigs_init(struct emit *e, char *err, size_t errlen)
{
	const struct opts *o = e->o;
	struct sigs *g = plx_xcalloc(1, sizeof *g);
	int k, i;

	g->e = e;
	e->dbc = g;
	e->decode = decode;
	e->dbc_due = due;
	e->dbc_free = sigs_free;
	for (k = 0; k < o->ndbc; k++) {
		if (!(g->dbc[k] = dbc_load(o->dbc_path[k], err, errlen)))
			return -1;
		for (i = 0; i < g->dbc[k]->nwarn; i++)
			plx_warn("%s", g->dbc[k]->warn[i]);
		if (g->dbc[k]->warn_more)
			plx_warn("%s: %u more warnings", o->dbc_path[k], g->dbc[k]->warn_more);
		g->ndbc++;
		g->base[k] = g->nsig;
		g->mbase[k] = g->nmsg;
		g->nsig += g->dbc[k]->nsig;
		g->nmsg += (unsigned)g->dbc[k]->nmsg;
	}
	if (o->nsigrate)
		e->rate_on = 1;
	return index_all(e, g, err, errlen);
}

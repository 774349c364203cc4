/* A frame into records: the path every input shares (live sockets, --fd,
 * a replayed log).  Without a DBC (or for ids it does not know, with
 * --raw-unknown) a frame is one event whose value is its data in hex,
 * as candump prints it:
 *
 *   (1436509052.249713) can0 123#DEADBEEF  ->
 *   {"class":"event","metric":"can.frame","value":"DEADBEEF","timestamp":1436509052249,
 *    "tags":{"interface":"can0","id":"0x123","len":"4"}}
 *
 * with "flags":"ext,rtr,fd,brs,esi" (those set) when any; a remote request
 * has the value "R".  An error frame is one event per error class:
 *   {"class":"event","metric":"can.error","value":"bus-off",...,"tags":{"interface":"can0"}}
 * Rate control (rate.c) keys raw frames and error frames by CAN id.
 *
 * A frame whose length does not fit is dropped, counted and said once per
 * (id, length): a CAN FD frame of a length no frame has (9 bytes; the DLC
 * codes give 0-8, 12, 16, 20, 24, 32, 48, 64), whatever it is, and a frame
 * of a DBC message whose length is not the message's size (sigs.c). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/can/error.h>

#include "clock.h"
#include "dbc.h"
#include "emit.h"
#include "log.h"

#define WARN_PER_S 20
#define MISFIT_MAX 1024         /* slots of e->misfit; 3/4 of them are said */

void
emit_rejected(struct emit *e)
{
	e->c.rejected++;
	plx_warn_limited(&e->rl, "record not sent: %s", e->recs.err);
}

void
emit_where(struct emit *e, const char *name, unsigned long lineno)
{
	e->where = name;
	e->where_line = lineno;
}

/* 1 the first time (id, len) is seen, 0 after; -1 when the table is full. */
static int
misfit_first(struct emit *e, canid_t id, unsigned len)
{
	uint64_t key = ((uint64_t)(id & (CAN_EFF_FLAG | CAN_EFF_MASK)) << 8 | len) + 1;
	unsigned i;

	if (!e->misfit)
		e->misfit = plx_xcalloc(MISFIT_MAX, sizeof *e->misfit);
	for (i = (unsigned)((key * 0x9E3779B97F4A7C15u) >> 54) & (MISFIT_MAX - 1); e->misfit[i];
	     i = (i + 1) & (MISFIT_MAX - 1))
		if (e->misfit[i] == key)
			return 0;
	if (e->nmisfit >= MISFIT_MAX * 3 / 4)
		return -1;
	e->misfit[i] = key;
	e->nmisfit++;
	return 1;
}

void
emit_misfit(struct emit *e, const struct cframe *cf, const char *fmt, ...)
{
	char id[12], why[300], where[PATH_MAX + 24];
	va_list ap;
	int first = misfit_first(e, cf->f.can_id, cf->f.len);

	e->c.bad_length++;
	if (first < 0 && e->nmisfit == MISFIT_MAX * 3 / 4) {
		e->nmisfit++;       /* said once too */
		plx_warn_limited(&e->rl, "more than %d ids and lengths of frames that do not fit: the others"
		                 " are counted (gateway.can.frames_bad_length), not said", MISFIT_MAX * 3 / 4);
	}
	if (first <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	emit_idtag(id, cf->f.can_id);
	snprintf(where, sizeof where, "%s:%lu: ", e->where ? e->where : "", e->where_line);
	plx_warn_limited(&e->rl, "%s%s: %sframe %s of %u byte%s%s (said once per id and length)",
	                 e->where ? where : "", emit_iface(e, cf->iface), cf->fd ? "CAN FD " : "", id, cf->f.len,
	                 cf->f.len == 1 ? "" : "s", why);
}

struct emit *
emit_new(const struct opts *o, struct plx_loop *l, char *err, size_t errlen)
{
	struct emit *e = plx_xcalloc(1, sizeof *e);

	e->o = o;
	e->l = l;
	e->last_name = -1;
	e->rl.per_s = WARN_PER_S;
	e->rl.what = "warnings";
	plx_loop_ratelim(l, &e->rl);
	e->rate_on = o->rate.on_change || o->rate.interval_ms;
	plx_recs_init(&e->recs);
	snprintf(e->frame_name, sizeof e->frame_name, "%s.frame", o->prefix);
	snprintf(e->error_name, sizeof e->error_name, "%s.error", o->prefix);
	ident_init(e);
	if (o->dbc_init && o->dbc_init(e, err, errlen) < 0) {
		emit_free(e);
		return NULL;
	}
	return e;
}

void
emit_free(struct emit *e)
{
	int i;

	if (!e)
		return;
	if (e->dbc_free)
		e->dbc_free(e);
	for (i = 0; i < e->nnames; i++)
		free(e->names[i]);
	rawtab_free(&e->raw);
	ident_free(e);
	plx_recs_free(&e->recs);
	free(e->misfit);
	free(e);
}

int
emit_name(struct emit *e, const char *name, size_t len)
{
	int i;

	if (e->last_name >= 0 && !strncmp(e->names[e->last_name], name, len) &&
	    !e->names[e->last_name][len])
		return e->last_name;
	for (i = 0; i < e->nnames; i++)
		if (!strncmp(e->names[i], name, len) && !e->names[i][len])
			return e->last_name = i;
	if (e->nnames == MAX_NAMES) {
		plx_warn_limited(&e->rl, "more than %d interface names: \"%.*s\" counted as the last one",
		                 MAX_NAMES, (int)len, name);
		return MAX_NAMES - 1;
	}
	e->names[e->nnames] = plx_xstrndup(name, len);
	ident_name(e, e->nnames);
	return e->last_name = e->nnames++;
}

const char *
emit_iface(const struct emit *e, int idx)
{
	return idx >= 0 && idx < e->nnames ? e->names[idx] : "?";
}

struct counters *
emit_counters(struct emit *e)
{
	return &e->c;
}

struct plx_ratelim *
emit_ratelim(struct emit *e)
{
	return &e->rl;
}

void
emit_idtag(char *buf, canid_t id)
{
	static const char hex[] = "0123456789ABCDEF";
	int n = id & (CAN_EFF_FLAG | CAN_ERR_FLAG) ? 8 : 3, i;
	uint32_t v = id & (id & CAN_ERR_FLAG ? CAN_ERR_MASK : id & CAN_EFF_FLAG ? CAN_EFF_MASK : CAN_SFF_MASK);

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < n; i++)
		buf[2 + i] = hex[(v >> (4 * (n - 1 - i))) & 15];
	buf[2 + n] = '\0';
}

/* A tag can-read adds to the base tags: the ones of -T leave it room
 * (main.c), and its values are ASCII it made; one refused all the same
 * leaves why in e->recs.err, for emit_rejected. */
int
emit_tag(struct emit *e, struct plx_tags *t, const char *key, const char *val)
{
	return plx_tags_add(t, key, val, e->recs.err, sizeof e->recs.err);
}

int
emit_tags(struct emit *e, struct plx_tags *t, int iface, const char *id)
{
	*t = iface >= 0 && iface < e->nnames ? e->itags[iface] : e->o->tags;
	if (emit_tag(e, t, "interface", emit_iface(e, iface)) < 0)
		return -1;
	return id ? emit_tag(e, t, "id", id) : 0;
}

/* The frame's records go out together. */
static void
queue(struct emit *e)
{
	if (!e->recs.n)
		return;
	/* a failed stdout stops the run (lib/loop says why) */
	plx_loop_put(e->l, e->recs.s, e->recs.len, e->recs.n);
	plx_recs_clear(&e->recs);
}

static void
raw_record(struct emit *e, const struct cframe *cf)
{
	static const char hex[] = "0123456789ABCDEF";
	const struct canfd_frame *f = &cf->f;
	char id[12], val[2 * CANFD_MAX_DLEN + 1], len[4], flags[24];
	struct plx_tags t;
	size_t n = 0, k = 0;
	int i;

	emit_idtag(id, f->can_id);
	if (f->can_id & CAN_RTR_FLAG)
		val[n++] = 'R';
	else
		for (i = 0; i < f->len; i++)
			val[n++] = hex[f->data[i] >> 4], val[n++] = hex[f->data[i] & 15];
	val[n] = '\0';
	snprintf(len, sizeof len, "%u", f->len);
	if (f->can_id & CAN_EFF_FLAG)
		k += (size_t)snprintf(flags + k, sizeof flags - k, ",ext");
	if (f->can_id & CAN_RTR_FLAG)
		k += (size_t)snprintf(flags + k, sizeof flags - k, ",rtr");
	if (cf->fd)
		k += (size_t)snprintf(flags + k, sizeof flags - k, ",fd");
	if (cf->fd && f->flags & CANFD_BRS)
		k += (size_t)snprintf(flags + k, sizeof flags - k, ",brs");
	if (cf->fd && f->flags & CANFD_ESI)
		k += (size_t)snprintf(flags + k, sizeof flags - k, ",esi");
	if (emit_tags(e, &t, cf->iface, id) < 0 || emit_tag(e, &t, "len", len) < 0 ||
	    (k && emit_tag(e, &t, "flags", flags + 1) < 0) ||
	    plx_recs_str(&e->recs, e->frame_name, val, n, cf->ts, &t) < 0)
		emit_rejected(e);
}

struct errctx { struct emit *e; const struct cframe *cf; struct plx_tags t; };

static void
error_word(void *ctx, const char *word)
{
	struct errctx *x = ctx;

	if (plx_recs_str(&x->e->recs, x->e->error_name, word, strlen(word), x->cf->ts, &x->t) < 0)
		emit_rejected(x->e);
}

static void
error_records(struct emit *e, const struct cframe *cf)
{
	struct errctx x = { .e = e, .cf = cf };
	char tx[8], rx[8];

	if (emit_tags(e, &x.t, cf->iface, NULL) < 0) {
		emit_rejected(e);
		return;
	}
	if (cf->f.can_id & CAN_ERR_CNT && cf->f.len >= CAN_ERR_DLC) {
		snprintf(tx, sizeof tx, "%u", cf->f.data[6]);
		snprintf(rx, sizeof rx, "%u", cf->f.data[7]);
		if (emit_tag(e, &x.t, "tx_errors", tx) < 0 || emit_tag(e, &x.t, "rx_errors", rx) < 0) {
			emit_rejected(e);
			return;
		}
	}
	errframe_words(&cf->f, error_word, &x);
}

static void
frame_records(struct emit *e, const struct cframe *cf)
{
	if (cf->f.can_id & CAN_ERR_FLAG)
		error_records(e, cf);
	else
		raw_record(e, cf);
}

/* The on-change gate of a raw frame: its bytes against the last sent. */
static int
raw_gate(struct emit *e, struct rawent *r, const struct cframe *cf)
{
	const struct rate_opts *o = &e->o->rate;
	const struct canfd_frame *a = &r->sent.f, *b = &cf->f;

	if (o->on_change && r->st.has_sent && a->len == b->len && a->flags == b->flags &&
	    r->sent.fd == cf->fd && !memcmp(a->data, b->data, b->len) &&
	    !(o->max_quiet_ms && cf->ts - r->st.sent_ts >= o->max_quiet_ms))
		return 0;
	r->st.has_sent = 1;
	r->st.sent_ts = cf->ts;
	r->sent = *cf;
	return 1;
}

/* A raw or error frame through rate control: with an interval the newest
 * frame of each window is sent, at the window's end. */
static void
raw_rated(struct emit *e, const struct cframe *cf)
{
	struct rawent *r;
	struct rstate closed;
	int flushed;

	if (!e->rate_on) {
		frame_records(e, cf);
		return;
	}
	if (!(r = rawtab_get(&e->raw, cf->f.can_id))) {
		if (!e->raw_full_said++)
			plx_warn("more than %d CAN ids: frames of new ids are sent without rate control",
			         RAW_IDS_MAX * 3 / 4);
		frame_records(e, cf);
		return;
	}
	if (!e->o->rate.interval_ms) {
		if (raw_gate(e, r, cf))
			frame_records(e, cf);
		return;
	}
	rate_sample(&e->o->rate, e->o->rate.interval_ms, &r->st, cf->ts, 0, NULL, cf->iface,
	            &flushed, &closed);
	if (flushed && raw_gate(e, r, &r->last))
		frame_records(e, &r->last);
	r->last = *cf;
}

void
emit_frame(struct emit *e, const struct cframe *cf, const struct filters *filter)
{
	int r;

	e->c.read++;
	if (filter && !filters_match(filter, cf->f.can_id)) {
		e->c.filtered++;
		return;
	}
	if (cf->f.can_id & CAN_ERR_FLAG) {
		e->c.errors++;
		raw_rated(e, cf);
	} else if (cf->fd && !dbc_len_exists(cf->f.len)) {
		emit_misfit(e, cf, ", a length no frame has: dropped");
	} else if (e->decode && (r = e->decode(e, cf))) {
		if (r > 0)
			e->c.decoded++;
	} else if (e->decode && !e->o->raw_unknown) {
		e->c.unknown++;
	} else {
		if (e->decode)
			e->c.unknown++;
		raw_rated(e, cf);
	}
	queue(e);
}

void
emit_due(struct emit *e, int64_t now)
{
	struct rstate closed;
	unsigned i;

	if (e->dbc_due)
		e->dbc_due(e, now);
	for (i = 0; e->raw.e && i < RAW_IDS_MAX; i++) {
		struct rawent *r = &e->raw.e[i];
		if (r->used && rate_due(e->o->rate.interval_ms, &r->st, now, &closed) &&
		    raw_gate(e, r, &r->last))
			frame_records(e, &r->last);
	}
	queue(e);
}

/* Interfaces lost after they worked, all of them. */
static unsigned long
reconnects(const struct opts *o)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < o->nifc; k++)
		n += o->ifc[k].ro.lost;
	return n;
}

static void
status_num(struct emit *e, const char *name, double v, int64_t ts, const struct plx_tags *t)
{
	if (plx_recs_num(&e->recs, name, v, ts, t) < 0)
		emit_rejected(e);
}

void
emit_status(struct emit *e, int live)
{
	const struct { const char *name; unsigned long v; } c[] = {
		{ "gateway.can.frames_read", e->c.read }, { "gateway.can.frames_decoded", e->c.decoded },
		{ "gateway.can.frames_unknown", e->c.unknown }, { "gateway.can.frames_bad_length", e->c.bad_length },
		{ "gateway.can.frames_filtered", e->c.filtered },
		{ "gateway.can.error_frames", e->c.errors }, { "gateway.can.bad_input", e->c.bad },
		{ "gateway.can.records_rejected", e->c.rejected }, { "gateway.can.kernel_drops", e->c.kdrops },
		{ "gateway.can.overruns", e->l->out.overruns }, { "gateway.can.reconnects", reconnects(e->o) },
	};
	int64_t ts = plx_now_ms();
	struct plx_tags t;
	const char *st;
	long br;
	size_t i;
	int k;

	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		status_num(e, c[i].name, (double)c[i].v, ts, &e->o->tags);
	if ((k = plx_clock_synced()) >= 0)
		status_num(e, "gateway.can.clock_synced", k, ts, &e->o->tags);
	for (k = 0; live && k < e->o->nifc; k++) {
		const struct iface *ic = &e->o->ifc[k];
		if (!strcmp(ic->name, "any"))
			continue;
		if (emit_tags(e, &t, ic->name_idx, NULL) < 0) {
			emit_rejected(e);
			continue;
		}
		if ((st = link_state(ic->name)) &&
		    plx_recs_str(&e->recs, "gateway.can.bus_state", st, strlen(st), ts, &t) < 0)
			emit_rejected(e);
		if ((br = link_bitrate(ic->name)) > 0)
			status_num(e, "gateway.can.bitrate", (double)br, ts, &t);
	}
	ident_records(e, ts, plx_mono_ms());
	queue(e);
}

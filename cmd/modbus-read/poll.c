/* modbus-read: the main thread.  Each device's connection is polled by a
 * thread of its own (conn.c says why and how); this thread runs lib/loop
 * and owns everything else: it turns the connections' events into records
 * on stdout, says what went wrong, keeps the counters, and answers the
 * signals.
 *
 * Records: each point's name and tags are checked and written once, into a
 * template (lib/recs.h); the records of one answer are built as text and
 * queued on stdout together, stamped when the answer arrived.  A poll
 * source can wait: a full queue waits for stdout rather than dropping
 * records (and the connections' threads wait for this one).
 *
 * What went wrong, said on stderr with the device, unit, function and
 * addresses: a request that got no answer ("no response within 500ms":
 * the Modbus response timeout, not a TCP connection's), a garbled one, or
 * an exception answer ("exception 2 (illegal data address)", the Modbus
 * specification's names).  An exception answer is an answer: the same
 * exception of the same request is said once, then only counted, until the
 * request is answered with data again ("answers again").  Lines about
 * requests and values are rate limited (lib/log.h).
 *
 * In the stream, every status interval and at exit, per device and unit:
 * gateway.modbus.requests (requests sent), gateway.modbus.errors (requests
 * that got no valid answer, and polls not sent because the device could
 * not be opened), gateway.modbus.exceptions (requests answered with an
 * exception) and its liveness (ident.c: gateway.modbus.device.*); per device
 * gateway.modbus.reconnects; and gateway.modbus.clock_synced.  A unit the
 * devices file names (ident.c) has its name as the device tag, its tags
 * and its source.
 *
 * Signals (lib/loop): SIGTERM and SIGINT let each connection finish its
 * request in hand, then the status records go out and the run ends, 0.
 * SIGHUP rereads the devices file and the map (one that no longer loads is
 * said, and the one in use kept, its names made again) and reconnects
 * every device: the connections end as for SIGTERM, then start again on
 * the map; the counters go on.  --once: each
 * connection polls each of its requests once, all of them at the same
 * time (one connection alone is polled on this thread: no thread to start
 * for a cron run of one device); the run ends when the last is done, its
 * exit status saying whether every request was answered with data (0),
 * some got no answer (69), or all were answered but some with an
 * exception (76). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "ident.h"
#include "log.h"
#include "loop.h"

#define WARN_PER_S 20          /* lines about requests and values, a second */

struct unitst {
	int dev, unit_id;
	int64_t requests, errors, exceptions;
	const struct plx_device *named;     /* what the devices file calls it, or NULL */
	int live;                   /* its index in the liveness (ident.c) */
};

enum outcome { OUT_NONE, OUT_DATA, OUT_EXCEPTION, OUT_NOANSWER };

struct reqst {
	int unit;                   /* index in run.unit */
	int exc_said;               /* the exception last said: not again until data */
	enum outcome outcome;       /* of its last poll (--once: of the run) */
};

/* What a map makes: made again when SIGHUP rereads it. */
struct run {
	struct mb_conf conf;
	struct mb_plan plan;
	struct unitst *unit;
	int nunit;
	struct reqst *req;          /* per request of the plan */
	int64_t *opened, *reconnects;   /* per device: connections opened, again */
	struct plx_rectpl *tpl;     /* per point: its records' name and tags */
	int *tpl_ok;                /* ... made (else its records are not sent: said once) */
};

struct poller {
	const struct mb_run *o;
	struct plx_loop l;
	struct run *r;
	struct conn *conn;          /* per device of r->conf */
	int nconn, running;         /* threads started and not yet done */
	int wake;                   /* eventfd: a connection has events */
	struct plx_recs recs;       /* the records in hand */
	struct ident id;            /* the devices file, liveness per unit */
	struct plx_ratelim rl;      /* lines about requests and values */
	int64_t status_ms;          /* 0: none periodic */
	int status_timer;
	int stopping, reload;       /* SIGTERM/SIGINT, SIGHUP: waiting for the connections */
	struct ev ev;               /* the event in hand */
};

/* The tags of a unit's records: -s, -T, the tags and source the devices
 * file gives it (named), device (its name there, else the map's), unit_id
 * (id holds its text; -1: a connection's records, none).  0, or -1 (said). */
static int
unit_tags(struct poller *P, struct plx_tags *t, const char *device, const struct plx_device *named, int unit_id,
          char *id, size_t idlen)
{
	char err[200];

	snprintf(id, idlen, "%d", unit_id);
	if (plx_device_tags(&P->id.devs, named, &P->o->tags, P->o->source_given, device, t) < 0)
		return -1;
	if (unit_id >= 0 && plx_tags_add(t, "unit_id", id, err, sizeof err) < 0) {
		plx_warn("device %s: %s", device, err);
		return -1;
	}
	return 0;
}

/* The unit of device dev and id unit_id. */
static const struct unitst *
unit_of(const struct run *r, int dev, int unit_id)
{
	int i;

	for (i = 0; i < r->nunit; i++)
		if (r->unit[i].dev == dev && r->unit[i].unit_id == unit_id)
			return &r->unit[i];
	return NULL;
}

/* Each unit's device in the devices file, and its liveness (carried over
 * from old's unit of the same device and id: old may be r). */
static void
name_units(struct poller *P, struct run *r, const struct run *old)
{
	const struct unitst *o;
	struct unitst *u;
	int64_t every;
	int i, j;

	for (i = 0; i < r->nunit; i++) {
		u = &r->unit[i];
		u->named = ident_find(&P->id, &r->conf.dev[u->dev], u->unit_id);
		for (every = 0, j = 0; j < r->plan.nreq; j++)     /* how often it is polled */
			if (r->req[j].unit == i && (!every || r->plan.req[j].interval_ms < every))
				every = r->plan.req[j].interval_ms;
		for (o = NULL, j = 0; old && j < old->nunit && !o; j++)
			if (old->unit[j].unit_id == u->unit_id &&
			    !strcmp(r->conf.dev[u->dev].name, old->conf.dev[old->unit[j].dev].name))
				o = &old->unit[j];
		u->live = ident_live(&P->id, o ? o->live : -1, u->named, &r->conf.dev[u->dev], u->unit_id, every);
	}
	/* a unit the map no longer has is followed no more */
	for (j = 0; old && old != r && j < old->nunit; j++) {
		for (i = 0; i < r->nunit && r->unit[i].live != old->unit[j].live; i++)
			;
		if (i == r->nunit)
			plx_live_forget(&P->id.live, old->unit[j].live);
	}
}

/* A template per point: a string is an event, anything else a metric. */
static void
templates(struct poller *P, struct run *r)
{
	const struct mb_point *pt;
	const struct unitst *u;
	struct plx_tags t;
	char id[8], err[200], name[2 * PLX_NAME_MAX + 2];   /* too long: refused, not cut */
	const char *pre = P->o->prefix;
	int k, i, rc;

	r->tpl = plx_xcalloc((size_t)r->conf.npt, sizeof *r->tpl);
	r->tpl_ok = plx_xcalloc((size_t)r->conf.npt, sizeof *r->tpl_ok);
	for (k = 0; k < r->conf.npt; k++) {
		pt = &r->conf.pt[k];
		/* -p joins with a dot (-p plant gives plant.power.active) */
		snprintf(name, sizeof name, "%s%s%s", pre ? pre : "", pre && *pre && pre[strlen(pre) - 1] != '.' ? "." : "",
		         pt->metric);
		u = unit_of(r, pt->dev, pt->unit_id);
		rc = unit_tags(P, &t, r->conf.dev[pt->dev].name, u ? u->named : NULL, pt->unit_id, id, sizeof id);
		if (rc == 0 && pt->unit)
			rc = plx_tags_add(&t, "unit", pt->unit, err, sizeof err);
		for (i = 0; i < pt->ntags && rc == 0; i++)
			rc = plx_tags_add(&t, pt->tag_key[i], pt->tag_val[i], err, sizeof err);
		if (rc == 0)
			rc = pt->type == MB_STRING ? plx_rectpl_init_event(&r->tpl[k], name, &t, err, sizeof err)
			                           : plx_rectpl_init(&r->tpl[k], name, &t, err, sizeof err);
		if (rc < 0)
			plx_warn("%s: not sent: %s", name, err);
		r->tpl_ok[k] = rc == 0;
	}
}

/* The state of a map: its plan, units, templates; counters carried over
 * from old (by device name and unit id). */
static struct run *
run_new(struct poller *P, struct mb_conf *c, struct mb_plan *p, const struct run *old)
{
	struct run *r = plx_xcalloc(1, sizeof *r);
	const struct mb_req *q;
	int i, j;

	r->conf = *c;
	r->plan = *p;
	memset(c, 0, sizeof *c);
	memset(p, 0, sizeof *p);
	r->unit = plx_xcalloc((size_t)r->plan.nreq, sizeof *r->unit);
	r->req = plx_xcalloc((size_t)r->plan.nreq, sizeof *r->req);
	r->opened = plx_xcalloc((size_t)r->conf.ndev, sizeof *r->opened);
	r->reconnects = plx_xcalloc((size_t)r->conf.ndev, sizeof *r->reconnects);
	for (i = 0; i < r->plan.nreq; i++) {
		q = &r->plan.req[i];
		for (j = 0; j < r->nunit; j++)
			if (r->unit[j].dev == q->dev && r->unit[j].unit_id == q->unit_id)
				break;
		if (j == r->nunit) {
			r->unit[j].dev = q->dev;
			r->unit[j].unit_id = q->unit_id;
			r->nunit++;
		}
		r->req[i].unit = j;
	}
	for (i = 0; old && i < r->nunit; i++)
		for (j = 0; j < old->nunit; j++)
			if (r->unit[i].unit_id == old->unit[j].unit_id &&
			    !strcmp(r->conf.dev[r->unit[i].dev].name, old->conf.dev[old->unit[j].dev].name)) {
				r->unit[i].requests = old->unit[j].requests;
				r->unit[i].errors = old->unit[j].errors;
				r->unit[i].exceptions = old->unit[j].exceptions;
			}
	name_units(P, r, old);
	for (i = 0; old && i < r->conf.ndev; i++)
		for (j = 0; j < old->conf.ndev; j++)
			if (!strcmp(r->conf.dev[i].name, old->conf.dev[j].name)) {
				r->opened[i] = old->opened[j];
				r->reconnects[i] = old->reconnects[j];
			}
	templates(P, r);
	return r;
}

static void
templates_free(struct run *r)
{
	int i;

	for (i = 0; i < r->conf.npt; i++)
		if (r->tpl_ok[i])
			plx_rectpl_free(&r->tpl[i]);
	free(r->tpl);
	free(r->tpl_ok);
}

static void
run_free(struct run *r)
{
	templates_free(r);
	free(r->unit);
	free(r->req);
	free(r->opened);
	free(r->reconnects);
	plan_free(&r->plan);
	mb_conf_free(&r->conf);
	free(r);
}

static void handle(struct poller *P, struct conn *k, const struct ev *e);

/* An inline connection's events, as they come. */
static void
deliver(struct conn *k, const struct ev *e, void *arg)
{
	handle(arg, k, e);
}

/* An inline connection stops for SIGTERM, SIGINT, or a stdout gone. */
static int
signalled(void *arg)
{
	struct plx_loop *l = &((struct poller *)arg)->l;

	return l->stopping || plx_loop_signalled(l);
}

/* A thread for each device that has requests; --once with one such
 * device polls it on this thread (conn.h: inline). */
static void
conns_start(struct poller *P)
{
	struct run *r = P->r;
	struct conn *k;
	int i, j, u, n = 0;

	P->nconn = r->conf.ndev;
	P->conn = plx_xcalloc((size_t)P->nconn, sizeof *P->conn);
	for (i = 0; i < P->nconn; i++) {
		k = &P->conn[i];
		*k = (struct conn){ .c = &r->conf, .p = &r->plan, .dev = i, .once = P->o->once,
		                    .lock_wait_ms = P->o->lock_wait_ms, .wake = P->wake };
		k->req = plx_xcalloc((size_t)r->plan.nreq, sizeof *k->req);
		k->unit = plx_xcalloc((size_t)r->plan.nreq, sizeof *k->unit);
		for (j = 0; j < r->plan.nreq; j++) {
			if (r->plan.req[j].dev != i)
				continue;
			/* the connection's own numbering of its units */
			for (u = 0; u < k->nreq && r->req[k->req[u]].unit != r->req[j].unit; u++)
				;
			k->unit[k->nreq] = u < k->nreq ? k->unit[u] : k->nunit++;
			k->req[k->nreq++] = j;
		}
		n += k->nreq > 0;
	}
	for (i = 0; i < P->nconn; i++) {
		k = &P->conn[i];
		if (!k->nreq)
			continue;
		if (P->o->once && n == 1) {
			k->deliver = deliver;
			k->stopped = signalled;
			k->arg = P;
		}
		P->running++;
		conn_start(k);
	}
}

static void
conns_stop(struct poller *P, int discard)
{
	int i;

	for (i = 0; i < P->nconn; i++)
		conn_stop(&P->conn[i], discard);
}

static void
conns_free(struct poller *P)
{
	int i;

	for (i = 0; i < P->nconn; i++)
		conn_free(&P->conn[i]);
	free(P->conn);
	P->conn = NULL;
	P->nconn = P->running = 0;
}

/* "meter1 unit 2: read holding 100-109" */
static const char *
req_name(const struct run *r, int ri, char *buf, size_t len)
{
	const struct mb_req *q = &r->plan.req[ri];

	snprintf(buf, len, "%s unit %d: read %s %d-%d", r->conf.dev[q->dev].name, q->unit_id,
	         mb_func_name(q->func), q->addr, q->addr + q->count - 1);
	return buf;
}

/* One point's record from the registers of its answer. */
static void
point_record(struct poller *P, int k, const uint16_t *regs, int n, int64_t ts)
{
	const struct run *r = P->r;
	const struct mb_point *pt = &r->conf.pt[k];
	struct mb_value v;
	char buf[64];
	int i, rc;

	if (!r->tpl_ok[k] || mb_decode(regs, (size_t)n, pt->type, pt->arg, pt->order, &v) < 0)
		return;
	mb_scale(&v, pt->scale, pt->offset);
	if (v.kind == MB_V_STR) {
		/* a device's bytes are not always text: keep the record valid UTF-8 */
		for (i = 0; v.s[i]; i++)
			if ((unsigned char)v.s[i] < 0x20 || (unsigned char)v.s[i] > 0x7e)
				v.s[i] = '?';
		rc = plx_recs_tpl_str(&P->recs, &r->tpl[k], v.s, strlen(v.s), ts);
	} else if (v.kind == MB_V_FLOAT && !isfinite(v.f)) {
		plx_warn_limited(&P->rl, "%s unit %d: %s at %s %d is %s, not sent", r->conf.dev[pt->dev].name,
		                 pt->unit_id, pt->metric, mb_func_name(pt->func), pt->addr,
		                 mb_value_text(&v, buf, sizeof buf));
		return;
	} else {
		mb_value_text(&v, buf, sizeof buf);
		rc = plx_recs_tpl_num(&P->recs, &r->tpl[k], buf, strlen(buf), ts);
	}
	if (rc < 0)
		plx_warn_limited(&P->rl, "%s: not sent: %s", pt->metric, P->recs.err);
}

static void
answered(struct poller *P, const struct ev *e)
{
	const struct mb_req *q = &P->r->plan.req[e->req];
	struct reqst *s = &P->r->req[e->req];
	char name[200];
	int i, k;

	P->r->unit[s->unit].requests++;
	s->outcome = OUT_DATA;
	plx_live_connected(&P->id.live, P->r->unit[s->unit].live, 1);
	plx_live_data(&P->id.live, P->r->unit[s->unit].live, plx_mono_ms());
	if (s->exc_said) {
		plx_info("%s: answers again", req_name(P->r, e->req, name, sizeof name));
		s->exc_said = 0;
	}
	for (i = 0; i < q->npt; i++) {
		k = q->pt[i];
		point_record(P, k, e->regs + (P->r->conf.pt[k].addr - q->addr), e->n - (P->r->conf.pt[k].addr - q->addr),
		             e->ts);
	}
	if (P->recs.n)
		plx_loop_put(&P->l, P->recs.s, P->recs.len, P->recs.n);
	plx_recs_clear(&P->recs);
}

static void
failed(struct poller *P, const struct ev *e)
{
	const struct mb_req *q = &P->r->plan.req[e->req];
	struct reqst *s = &P->r->req[e->req];
	struct unitst *u = &P->r->unit[s->unit];
	int exc = mb_exception(e->err);
	char why[200], name[200];

	u->requests++;
	if (exc)
		u->exceptions++;
	else
		u->errors++;
	if (exc || e->last)         /* an exception is an answer; no answer at all: not connected */
		plx_live_connected(&P->id.live, u->live, exc != 0);
	if (e->last)
		s->outcome = exc ? OUT_EXCEPTION : OUT_NOANSWER;
	if (exc && exc == s->exc_said)
		return;                     /* said once: counted */
	if (exc)
		s->exc_said = exc;
	plx_warn_limited(&P->rl, "%s: %s%s%s", req_name(P->r, e->req, name, sizeof name),
	                 mb_failure(e->err, P->r->conf.dev[q->dev].timeout_ms, why, sizeof why),
	                 exc && !P->o->once ? "; said once, then counted in gateway.modbus.exceptions" : "",
	                 e->last ? "" : ", retrying");
}

static void
status_num(struct poller *P, const char *name, int64_t v, int64_t ts, const struct plx_tags *t)
{
	if (plx_recs_num(&P->recs, name, (double)v, ts, t) < 0)
		plx_warn_limited(&P->rl, "%s: not sent: %s", name, P->recs.err);
}

static void
status_records(struct poller *P)
{
	const struct run *r = P->r;
	struct plx_tags t;
	char id[8];
	int i;
	int64_t ts = plx_now_ms();

	for (i = 0; i < r->nunit; i++) {
		if (unit_tags(P, &t, r->conf.dev[r->unit[i].dev].name, r->unit[i].named, r->unit[i].unit_id, id,
		              sizeof id) < 0)
			continue;
		status_num(P, "gateway.modbus.requests", r->unit[i].requests, ts, &t);
		status_num(P, "gateway.modbus.errors", r->unit[i].errors, ts, &t);
		status_num(P, "gateway.modbus.exceptions", r->unit[i].exceptions, ts, &t);
		if (plx_live_records_dev(&P->id.live, r->unit[i].live, &P->recs, ts, plx_mono_ms(), &t) < 0)
			plx_warn_limited(&P->rl, "liveness of %s: not sent: %s", P->id.live.d[r->unit[i].live].name,
			                 P->recs.err);
	}
	for (i = 0; i < r->conf.ndev; i++)
		if (unit_tags(P, &t, r->conf.dev[i].name, NULL, -1, id, sizeof id) == 0)
			status_num(P, "gateway.modbus.reconnects", r->reconnects[i], ts, &t);
	t = P->o->tags;
	if ((i = plx_clock_synced()) >= 0)
		status_num(P, "gateway.modbus.clock_synced", i, ts, &t);
	if (P->recs.n)
		plx_loop_put(&P->l, P->recs.s, P->recs.len, P->recs.n);
	plx_recs_clear(&P->recs);
}

static void
live_tick(struct plx_loop *l, void *arg)
{
	plx_live_check(&((struct poller *)arg)->id.live, plx_mono_ms());
}

static void
on_status(struct plx_loop *l, void *arg)
{
	struct poller *P = arg;

	status_records(P);
	plx_loop_arm(l, P->status_timer, plx_mono_ms() + P->status_ms);
}

/* --once is over: the exit status says how it went. */
static void
once_done(struct poller *P)
{
	int i, none = 0, exc = 0;

	for (i = 0; i < P->r->plan.nreq; i++) {
		none += P->r->req[i].outcome == OUT_NOANSWER || P->r->req[i].outcome == OUT_NONE;
		exc += P->r->req[i].outcome == OUT_EXCEPTION;
	}
	if (none && exc)
		plx_warn("%d of %d requests got no answer, %d an exception answer", none, P->r->plan.nreq, exc);
	else if (none || exc)
		plx_warn("%d of %d requests got %s", none + exc, P->r->plan.nreq, none ? "no answer" : "an exception answer");
	plx_loop_stop(&P->l, none ? EX_UNAVAILABLE : exc ? EX_PROTOCOL : 0);
}

/* SIGHUP, once every connection has ended: the map again (if it loads),
 * and the connections started again. */
static void
reload(struct poller *P)
{
	struct mb_conf c = { 0 };
	struct mb_plan p;
	struct run *old = P->r;
	char err[512];
	int loaded = 0;

	conns_free(P);
	P->reload = 0;
	ident_reload(&P->id);
	if (P->o->map) {
		if (!(loaded = mb_conf_load(&c, P->o->map, err, sizeof err) == 0)) {
			plx_warn("SIGHUP: %s; going on with the map in use", err);
			mb_conf_free(&c);
		}
	}
	if (loaded) {
		plan_make(&p, &c);
		P->r = run_new(P, &c, &p, old);
		run_free(old);
		plx_info("SIGHUP: %s: %d points in %d requests", P->o->map, P->r->conf.npt, P->r->plan.nreq);
		if (P->o->status_ms < 0) {      /* the map's status-interval */
			P->status_ms = P->r->conf.status_ms;
			plx_loop_arm(&P->l, P->status_timer, P->status_ms ? plx_mono_ms() + P->status_ms : -1);
		}
	} else {
		/* the map in use (-H, or a map that no longer loads): the
		 * devices file's names, and the templates made with them */
		name_units(P, P->r, P->r);
		templates_free(P->r);
		templates(P, P->r);
	}
	conns_start(P);
}

/* After events: what waited for every connection to end. */
static void
check_done(struct poller *P)
{
	if (P->running || P->l.stopping)
		return;
	if (P->stopping || plx_loop_signalled(&P->l))
		plx_loop_stop(&P->l, 0);
	else if (P->reload)
		reload(P);
	else if (P->o->once)
		once_done(P);
}

static void
handle(struct poller *P, struct conn *k, const struct ev *e)
{
	switch (e->kind) {
	case EV_ANSWER: answered(P, e); break;
	case EV_FAILED: failed(P, e); break;
	case EV_NOT_SENT:
		P->r->unit[P->r->req[e->req].unit].errors++;
		plx_live_connected(&P->id.live, P->r->unit[P->r->req[e->req].unit].live, 0);
		P->r->req[e->req].outcome = OUT_NOANSWER;
		break;
	case EV_SKIPPED: P->r->req[e->req].outcome = OUT_NOANSWER; break;
	case EV_OPENED: P->r->reconnects[k->dev] += P->r->opened[k->dev]++ > 0; break;
	case EV_DONE: P->running--; break;
	}
}

static void
on_wake(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct poller *P = arg;
	uint64_t n;
	ssize_t got = read(fd, &n, sizeof n);   /* EAGAIN: another wake-up took it */
	int i;

	(void)got;
	for (i = 0; i < P->nconn; i++)
		while (conn_take(&P->conn[i], &P->ev))
			handle(P, &P->conn[i], &P->ev);
	check_done(P);
}

static void
on_term(struct plx_loop *l, void *arg)
{
	struct poller *P = arg;

	P->stopping = 1;
	conns_stop(P, 0);
	check_done(P);
}

static void
on_hup(struct plx_loop *l, void *arg)
{
	struct poller *P = arg;

	if (P->o->once) {
		plx_info("SIGHUP: a --once run reopens nothing");
		return;
	}
	plx_info("SIGHUP: %sreconnecting", P->o->map ? "rereading the map, " : "");
	P->reload = 1;
	conns_stop(P, 0);
	check_done(P);
}

static void
on_stop(struct plx_loop *l, void *arg)
{
	struct poller *P = arg;

	if (P->o->status_ms != 0)
		status_records(P);
}

int
poll_run(struct mb_conf *c, struct mb_plan *p, const struct mb_run *o)
{
	struct poller P = { .o = o, .rl = { .per_s = WARN_PER_S, .what = "warnings about requests and values" } };
	int rc;

	plx_loop_init(&P.l, &P);
	plx_loop_output(&P.l, STDOUT_FILENO, 0, 1);     /* a poll source can wait */
	plx_loop_ratelim(&P.l, &P.rl);
	plx_recs_init(&P.recs);
	if ((P.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		plx_die(EX_OSERR, "eventfd:");
	plx_loop_fd(&P.l, P.wake, POLLIN, on_wake);
	ident_init(&P.id);
	P.r = run_new(&P, c, p, NULL);
	if (!o->once)
		plx_loop_every(&P.l, 1000, live_tick);
	/* --status-interval, else the map's status-interval */
	P.status_ms = o->once ? 0 : o->status_ms >= 0 ? o->status_ms : P.r->conf.status_ms;
	P.status_timer = plx_loop_timer(&P.l, P.status_ms ? plx_mono_ms() + P.status_ms : -1, on_status);
	P.l.on_term = on_term;
	P.l.on_hup = on_hup;
	P.l.on_stop = on_stop;
	plx_clock_say_unsynced();
	conns_start(&P);
	check_done(&P);             /* (no requests: nothing to wait for) */
	rc = plx_loop_run(&P.l);
	conns_free(&P);             /* after a broken stdout: their requests in hand end */
	run_free(P.r);
	ident_free(&P.id);
	close(P.wake);
	plx_recs_free(&P.recs);
	plx_loop_free(&P.l);
	return rc;
}

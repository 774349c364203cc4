/* modbus-read: the poller.  One thread, one loop driven by deadlines on the
 * monotonic clock: each request of the plan has its next due time, advanced
 * by whole intervals from its first one (so the schedule never drifts, and
 * an overrun skips slots rather than bunching polls up).  The timestamp of
 * a value is taken when its answer arrives.
 *
 * Failure isolation: a unit that times out (after the device's retries) is
 * left alone for a backoff (1 s doubling to 60 s) during which its requests
 * are skipped, so a dead slave costs one timeout per backoff, not one per
 * poll, and the other units keep their schedule.  An exception answer
 * (illegal address...) is an answer: reported, counted, no backoff.  A
 * device whose connection fails is reopened with the same backoff; after a
 * timeout on TCP the connection is reopened at once, so that a late answer
 * cannot be taken for the next request's.
 *
 * In the stream, per device and unit: gateway.modbus.requests (requests sent),
 * gateway.modbus.errors (requests that got no valid answer, and polls that could not
 * be sent because the device could not be opened), and per device
 * gateway.modbus.reconnects, and gateway.modbus.clock_synced (1 when the
 * kernel says the clock is synchronised), every status interval and at exit.
 *
 * Records: each point's name and tags are checked and written once, into a
 * template (lib/recs.h); the records of one answer are built as text and
 * queued on stdout (lib/out.h), written as far as stdout takes them after
 * each answer.  A poll source can wait: a full queue waits for stdout
 * rather than dropping records. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "dev.h"
#include "log.h"
#include "out.h"
#include "recs.h"

#define BACKOFF_MIN 1000
#define BACKOFF_MAX 60000

volatile int mb_stop;

struct devst {
	struct dev d;
	int64_t retry_at;           /* mono ms: no connection attempt before */
	int backoff;
	int64_t last_req;           /* mono ms of the last answer or timeout */
	int64_t reconnects, connects;
};

struct unitst {
	int dev, unit_id;
	int64_t requests, errors;
	int64_t down_until;
	int backoff;
};

struct poller {
	const struct mb_conf *c;
	const struct mb_plan *p;
	const struct mb_run *o;
	struct devst *dev;
	struct unitst *unit;
	int nunit;
	int *req_unit;              /* unit state of each request */
	int64_t *due;               /* next due time of each request */
	struct plx_rectpl *tpl;     /* per point: its records' name and tags */
	int *tpl_ok;                /* ... made (else its records are not sent: said once) */
	struct plx_recs recs;       /* the records of the answer in hand */
	struct plx_out out;         /* stdout */
	int broken;                 /* stdout is gone */
};

/* The tags of a unit's records: device, unit_id (id holds its text). */
static void
unit_tags(struct plx_tags *t, const char *device, int unit_id, char *id, size_t idlen)
{
	char err[200];

	snprintf(id, idlen, "%d", unit_id);
	if (plx_tags_add(t, "device", device, err, sizeof err) < 0 || plx_tags_add(t, "unit_id", id, err, sizeof err) < 0)
		plx_warn("%s", err);
}

/* The records built so far out to stdout, as far as it takes them now. */
static void
emit(struct poller *P)
{
	if (P->recs.n && !P->broken &&
	    (plx_out_put(&P->out, P->recs.s, P->recs.len, P->recs.n) < 0 || plx_out_flush(&P->out) < 0)) {
		if (errno != EPIPE)
			plx_warn("unable to write to stdout:");
		P->broken = 1;
		mb_stop = 1;
	}
	plx_recs_clear(&P->recs);
}

static void
point_record(struct poller *P, int k, const uint16_t *regs, int n, int64_t ts)
{
	const struct mb_point *pt = &P->c->pt[k];
	const struct mb_device *d = &P->c->dev[pt->dev];
	struct mb_value v;
	char buf[64];
	int i, rc;

	if (!P->tpl_ok[k] || mb_decode(regs, n, pt->type, pt->arg, pt->order, &v) < 0)
		return;
	mb_scale(&v, pt->scale, pt->offset);
	if (v.kind == MB_V_STR) {
		/* a device's bytes are not always text: keep the record valid UTF-8 */
		for (i = 0; v.s[i]; i++)
			if ((unsigned char)v.s[i] < 0x20 || (unsigned char)v.s[i] > 0x7e)
				v.s[i] = '?';
		rc = plx_recs_tpl_str(&P->recs, &P->tpl[k], v.s, strlen(v.s), ts);
	} else if (v.kind == MB_V_FLOAT && !isfinite(v.f)) {
		plx_warn("%s unit %d: %s at %s %d is %s, not sent", d->name, pt->unit_id, pt->metric,
		         mb_func_name(pt->func), pt->addr, mb_value_text(&v, buf, sizeof buf));
		return;
	} else {
		mb_value_text(&v, buf, sizeof buf);
		rc = plx_recs_tpl_num(&P->recs, &P->tpl[k], buf, strlen(buf), ts);
	}
	if (rc < 0)
		plx_warn("%s: not sent: %s", pt->metric, P->recs.err);
}

/* A template per point: a string is an event, anything else a metric. */
static int
templates(struct poller *P)
{
	const struct mb_point *pt;
	struct plx_tags t;
	char id[8], err[200];
	int k, i, rc;

	P->tpl = calloc((size_t)P->c->npt + 1, sizeof *P->tpl);
	P->tpl_ok = calloc((size_t)P->c->npt + 1, sizeof *P->tpl_ok);
	if (!P->tpl || !P->tpl_ok)
		return -1;
	for (k = 0; k < P->c->npt; k++) {
		pt = &P->c->pt[k];
		memset(&t, 0, sizeof t);
		unit_tags(&t, P->c->dev[pt->dev].name, pt->unit_id, id, sizeof id);
		rc = pt->unit ? plx_tags_add(&t, "unit", pt->unit, err, sizeof err) : 0;
		for (i = 0; i < pt->ntags && rc == 0; i++)
			rc = plx_tags_add(&t, pt->tag_key[i], pt->tag_val[i], err, sizeof err);
		if (rc == 0)
			rc = pt->type == MB_STRING ? plx_rectpl_init_event(&P->tpl[k], pt->metric, &t, err, sizeof err)
			                           : plx_rectpl_init(&P->tpl[k], pt->metric, &t, err, sizeof err);
		if (rc < 0)
			plx_warn("%s: not sent: %s", pt->metric, err);
		P->tpl_ok[k] = rc == 0;
	}
	return 0;
}

static void
status_num(struct poller *P, const char *name, int64_t v, int64_t ts, const struct plx_tags *t)
{
	if (plx_recs_num(&P->recs, name, (double)v, ts, t) < 0)
		plx_warn("%s: not sent: %s", name, P->recs.err);
}

static void
status_records(struct poller *P)
{
	struct plx_tags t;
	char id[8], err[200];
	int i;
	int64_t ts = plx_now_ms();

	for (i = 0; i < P->nunit; i++) {
		memset(&t, 0, sizeof t);
		unit_tags(&t, P->c->dev[P->unit[i].dev].name, P->unit[i].unit_id, id, sizeof id);
		status_num(P, "gateway.modbus.requests", P->unit[i].requests, ts, &t);
		status_num(P, "gateway.modbus.errors", P->unit[i].errors, ts, &t);
	}
	for (i = 0; i < P->c->ndev; i++) {
		memset(&t, 0, sizeof t);
		if (plx_tags_add(&t, "device", P->c->dev[i].name, err, sizeof err) < 0)
			plx_warn("%s", err);
		status_num(P, "gateway.modbus.reconnects", P->dev[i].reconnects, ts, &t);
	}
	if ((i = plx_clock_synced()) >= 0)
		status_num(P, "gateway.modbus.clock_synced", i, ts, NULL);
	emit(P);
}

static int
backoff(int *b)
{
	int cur = *b ? *b : BACKOFF_MIN;

	*b = cur * 2 > BACKOFF_MAX ? BACKOFF_MAX : cur * 2;
	return cur;
}

static int
ensure_open(struct poller *P, int di)
{
	struct devst *s = &P->dev[di];
	int64_t now = plx_mono_ms();

	if (s->d.ctx)
		return 0;
	if (now < s->retry_at)
		return -1;
	if (dev_open(&s->d, &P->c->dev[di], P->o->lock_wait_ms) < 0) {
		s->retry_at = plx_mono_ms() + backoff(&s->backoff);
		return -1;
	}
	if (s->connects++)
		s->reconnects++;
	s->backoff = 0;
	return 0;
}

/* Errors after which the connection is no good. */
static int
conn_lost(int e)
{
	return e == ECONNRESET || e == EPIPE || e == EBADF || e == ECONNREFUSED || e == ENOTCONN ||
	       e == ECONNABORTED || e == EIO || e == ENXIO;
}

/* An exception that will not change by asking again. */
static int
permanent(int e)
{
	return e == EMBXILFUN || e == EMBXILADD || e == EMBXILVAL;
}

/* " (exception N)" for a Modbus exception answer, else "". */
static const char *
exception_code(int e)
{
	static char buf[24];

	if (e < EMBXILFUN || e > EMBXGTAR)
		return "";
	snprintf(buf, sizeof buf, " (exception %d)", e - MODBUS_ENOBASE);
	return buf;
}

/* Polls one request: 0 if it was answered with data, else -1. */
static int
poll_req(struct poller *P, int ri)
{
	const struct mb_req *r = &P->p->req[ri];
	const struct mb_device *d = &P->c->dev[r->dev];
	struct devst *s = &P->dev[r->dev];
	struct unitst *u = &P->unit[P->req_unit[ri]];
	uint16_t regs[MB_MAX_BITS];
	int attempt, rc = -1, e = 0, i, k, off;
	int64_t ts, wait;

	if (ensure_open(P, r->dev) < 0) {
		u->errors++;            /* a poll the device is not there for */
		return -1;
	}
	for (attempt = 0; attempt <= d->retries && !mb_stop; attempt++) {
		if (d->pause_request_ms && s->last_req &&
		    (wait = s->last_req + d->pause_request_ms - plx_mono_ms()) > 0)
			plx_sleep_ms(wait);
		u->requests++;
		rc = dev_read(&s->d, r->func, r->unit_id, r->addr, r->count, regs);
		e = errno;
		ts = plx_now_ms();
		s->last_req = plx_mono_ms();
		if (rc == r->count)
			break;
		u->errors++;
		plx_warn("%s unit %d: read %s %d-%d: %s%s%s", d->name, r->unit_id, mb_func_name(r->func),
		         r->addr, r->addr + r->count - 1, rc < 0 ? modbus_strerror(e) : "short answer",
		         exception_code(e),
		         attempt < d->retries && !permanent(e) && !conn_lost(e) ? ", retrying" : "");
		rc = -1;
		if (permanent(e))
			return -1;
		if (conn_lost(e) || (e == ETIMEDOUT && d->host)) {
			dev_close(&s->d);
			if (conn_lost(e)) {
				s->retry_at = plx_mono_ms() + backoff(&s->backoff);
				return -1;
			}
			if (ensure_open(P, r->dev) < 0)
				return -1;
		} else {
			modbus_flush(s->d.ctx);     /* what is left of a bad or late answer */
		}
	}
	if (rc < 0) {
		if (e == ETIMEDOUT || e == EMBXSBUSY || e == EMBXGTAR || e == EMBXGPATH)
			u->down_until = plx_mono_ms() + backoff(&u->backoff);
		return -1;
	}
	u->backoff = 0;
	u->down_until = 0;
	for (i = 0; i < r->npt; i++) {
		k = r->pt[i];
		off = P->c->pt[k].addr - r->addr;
		point_record(P, k, regs + off, r->count - off, ts);
	}
	emit(P);
	return 0;
}

static int
setup(struct poller *P)
{
	const struct mb_req *r;
	int i, j;

	P->dev = calloc(P->c->ndev, sizeof *P->dev);
	P->unit = calloc(P->p->nreq, sizeof *P->unit);
	P->req_unit = calloc(P->p->nreq, sizeof *P->req_unit);
	P->due = calloc(P->p->nreq, sizeof *P->due);
	if (!P->dev || !P->unit || !P->req_unit || !P->due || templates(P) < 0)
		return -1;
	for (i = 0; i < P->c->ndev; i++)
		P->dev[i].d.lockfd = -1;
	for (i = 0; i < P->p->nreq; i++) {
		r = &P->p->req[i];
		for (j = 0; j < P->nunit; j++)
			if (P->unit[j].dev == r->dev && P->unit[j].unit_id == r->unit_id)
				break;
		if (j == P->nunit) {
			P->unit[j].dev = r->dev;
			P->unit[j].unit_id = r->unit_id;
			P->nunit++;
		}
		P->req_unit[i] = j;
	}
	return 0;
}

int
poll_run(const struct mb_conf *c, const struct mb_plan *p, const struct mb_run *o)
{
	struct poller P = { .c = c, .p = p, .o = o };
	int i, next, failed = 0, rc;
	int64_t now, t0, status_due, wake;

	plx_recs_init(&P.recs);
	if (plx_out_init(&P.out, STDOUT_FILENO, 0) < 0) {
		plx_warn("stdout:");
		return EX_OSERR;
	}
	P.out.wait = 1;
	if (setup(&P) < 0) {
		plx_warn("out of memory");
		rc = EX_OSERR;
		goto out;
	}
	if (o->once) {
		/* a unit that timed out or a device that did not open is not
		 * asked again in this run */
		for (i = 0; i < p->nreq && !mb_stop; i++)
			if (P.unit[P.req_unit[i]].down_until || poll_req(&P, i) < 0)
				failed++;
		if (!P.broken)
			status_records(&P);
		rc = P.broken ? 0 : mb_stop ? 0 : failed ? EX_UNAVAILABLE : 0;
		if (failed && !mb_stop)
			plx_warn("%d of %d requests got no answer", failed, p->nreq);
		goto out;
	}
	t0 = plx_mono_ms();
	for (i = 0; i < p->nreq; i++)
		P.due[i] = t0;
	status_due = c->status_ms ? t0 + c->status_ms : INT64_MAX;
	while (!mb_stop) {
		next = -1;
		for (i = 0; i < p->nreq; i++)
			if (next < 0 || P.due[i] < P.due[next])
				next = i;
		wake = P.due[next] < status_due ? P.due[next] : status_due;
		now = plx_mono_ms();
		if (wake > now) {
			plx_sleep_ms(wake - now);
			continue;
		}
		if (status_due <= now) {
			status_records(&P);
			status_due += c->status_ms * ((now - status_due) / c->status_ms + 1);
			continue;
		}
		if (P.unit[P.req_unit[next]].down_until <= now)
			poll_req(&P, next);
		/* the next slot on the grid t0 + k * interval that is still ahead */
		P.due[next] += p->req[next].interval_ms;
		now = plx_mono_ms();
		if (P.due[next] <= now)
			P.due[next] += p->req[next].interval_ms *
			               ((now - P.due[next]) / p->req[next].interval_ms + 1);
	}
	if (!P.broken)
		status_records(&P);
	rc = 0;
out:
	if (!P.broken && plx_out_drain(&P.out, mb_stop) < 0 && errno != EPIPE)
		plx_warn("unable to write to stdout:");
	plx_out_free(&P.out);
	plx_recs_free(&P.recs);
	for (i = 0; P.tpl && i < c->npt; i++)
		if (P.tpl_ok[i])
			plx_rectpl_free(&P.tpl[i]);
	free(P.tpl);
	free(P.tpl_ok);
	for (i = 0; P.dev && i < c->ndev; i++)
		dev_close(&P.dev[i].d);
	free(P.dev);
	free(P.unit);
	free(P.req_unit);
	free(P.due);
	return rc;
}

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
 * kernel says the clock is synchronised), every status interval and at exit. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "dev.h"
#include "log.h"
#include "record.h"

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
	int broken;                 /* stdout is gone */
};

static int
emit(struct poller *P, json_object *rec)
{
	char err[256];
	int rc = 0;

	if (plx_record_check(rec, 0, err, sizeof err) < 0) {
		plx_warn("%s: not sent: %s", json_object_get_string(json_object_object_get(rec, "metric")), err);
	} else if (plx_record_write(1, rec) < 0) {
		if (errno != EPIPE)
			plx_warn("unable to write to stdout:");
		P->broken = 1;
		mb_stop = 1;
		rc = -1;
	}
	json_object_put(rec);
	return rc;
}

static void
point_record(struct poller *P, const struct mb_point *pt, const uint16_t *regs, int n, int64_t ts)
{
	const struct mb_device *d = &P->c->dev[pt->dev];
	struct mb_value v;
	json_object *val, *rec;
	char buf[64], id[8];
	int i;

	if (mb_decode(regs, n, pt->type, pt->arg, pt->order, &v) < 0)
		return;
	mb_scale(&v, pt->scale, pt->offset);
	switch (v.kind) {
	case MB_V_INT: val = json_object_new_int64(v.i); break;
	case MB_V_UINT: val = json_object_new_uint64(v.u); break;
	case MB_V_STR:
		/* a device's bytes are not always text: keep the record valid UTF-8 */
		for (i = 0; v.s[i]; i++)
			if ((unsigned char)v.s[i] < 0x20 || (unsigned char)v.s[i] > 0x7e)
				v.s[i] = '?';
		val = json_object_new_string(v.s);
		break;
	default:
		if (!isfinite(v.f)) {
			plx_warn("%s unit %d: %s at %s %d is %s, not sent", d->name, pt->unit_id, pt->metric,
			         mb_func_name(pt->func), pt->addr, mb_value_text(&v, buf, sizeof buf));
			return;
		}
		val = json_object_new_double_s(v.f, mb_value_text(&v, buf, sizeof buf));
	}
	rec = plx_record_new(pt->metric, val, ts);
	snprintf(id, sizeof id, "%d", pt->unit_id);
	plx_record_tag(rec, "device", d->name);
	plx_record_tag(rec, "unit_id", id);
	if (pt->unit)
		plx_record_tag(rec, "unit", pt->unit);
	for (i = 0; i < pt->ntags; i++)
		plx_record_tag(rec, pt->tag_key[i], pt->tag_val[i]);
	emit(P, rec);
}

static void
status_records(struct poller *P)
{
	json_object *rec;
	char id[8];
	int i;
	int64_t ts = plx_now_ms();

	for (i = 0; i < P->nunit && !P->broken; i++) {
		snprintf(id, sizeof id, "%d", P->unit[i].unit_id);
		rec = plx_record_new("gateway.modbus.requests", json_object_new_int64(P->unit[i].requests), ts);
		plx_record_tag(rec, "device", P->c->dev[P->unit[i].dev].name);
		plx_record_tag(rec, "unit_id", id);
		emit(P, rec);
		rec = plx_record_new("gateway.modbus.errors", json_object_new_int64(P->unit[i].errors), ts);
		plx_record_tag(rec, "device", P->c->dev[P->unit[i].dev].name);
		plx_record_tag(rec, "unit_id", id);
		emit(P, rec);
	}
	for (i = 0; i < P->c->ndev && !P->broken; i++) {
		rec = plx_record_new("gateway.modbus.reconnects", json_object_new_int64(P->dev[i].reconnects), ts);
		plx_record_tag(rec, "device", P->c->dev[i].name);
		emit(P, rec);
	}
	if ((i = plx_clock_synced()) >= 0 && !P->broken)
		emit(P, plx_record_new("gateway.modbus.clock_synced", json_object_new_int(i), ts));
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
		point_record(P, &P->c->pt[k], regs + off, r->count - off, ts);
	}
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
	if (!P->dev || !P->unit || !P->req_unit || !P->due)
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
	for (i = 0; P.dev && i < c->ndev; i++)
		dev_close(&P.dev[i].d);
	free(P.dev);
	free(P.unit);
	free(P.req_unit);
	free(P.due);
	return rc;
}

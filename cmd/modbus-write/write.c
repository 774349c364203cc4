/* modbus-write: the writes (mbwrite.h).
 *
 * A value goes out as the Modbus application protocol says (v1.1b3,
 * 6.5, 6.6, 6.11, 6.12): a coil with function 5 (Write Single Coil) or 15
 * (Write Multiple Coils), registers with 6 (Write Single Register) or 16
 * (Write Multiple Registers), as the device's write-function says
 * (modbus-read.conf(5)).  auto writes one register with 6 and a value of
 * more with 16, in one request, so that the device never holds half of a
 * 32-bit value, and writes again with 16 (15) when the device answers 6
 * (5) with exception 1, illegal function; single writes each register of
 * a value with 6, lowest address first; multiple always uses 16 (15).  A
 * bitN point is a bit of a holding register: the register is read, its
 * bit set or cleared, and written back.
 *
 * A request that gets no answer, or a garbled one, is sent again up to the
 * device's retries (a register written twice with one value holds it
 * once); an exception answer is not.  On TCP a timeout closes the
 * connection before the next attempt, so that a late answer is never
 * taken for the next request's.  --verify reads each value back (function
 * 3, or 1 for a coil) and compares the registers (bitN: its bit).
 *
 * The serial line's lock (lib/mbdev.c, shared with modbus-read) is held
 * from the first request to a device to its last, then let go.  Between
 * two writes, a SIGTERM or SIGINT ends the run: the request in hand is
 * finished, the rest are not sent. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "log.h"
#include "mbdev.h"
#include "mbwrite.h"

struct wctx {
	const struct mb_conf *c;
	const struct wopts *o;
	struct mb_dev v;
	int dev;                    /* the device locked and open, -1 none */
	int64_t last;               /* monotonic ms of the last request's end */
};

/* The Modbus function of a request. */
static int
function(enum mb_func f, int write, int multiple)
{
	if (!write)
		return f == MB_COIL ? 1 : 3;
	return f == MB_COIL ? (multiple ? 15 : 5) : (multiple ? 16 : 6);
}

/* "meter unit 1: write holding 100-101 (function 16)" */
static const char *
req_name(const struct mb_device *d, const struct mb_point *p, int write, int addr, int count, int multiple,
         char *buf, size_t len)
{
	char last[16] = "";

	if (count > 1)
		snprintf(last, sizeof last, "-%d", addr + count - 1);
	snprintf(buf, len, "%s unit %d: %s %s %d%s (function %d)", d->name, p->unit_id, write ? "write" : "read",
	         mb_func_name(p->func), addr, last, function(p->func, write, multiple));
	return buf;
}

static int
stopped(void *arg)
{
	return plx_loop_signalled(arg);
}

/* A request, sent again after a failure other than an exception answer up
 * to the device's retries: 0, or the errno of its last attempt. */
static int
send_req(struct wctx *w, const struct mb_point *p, int write, int addr, int count, uint16_t *regs, int multiple)
{
	const struct mb_device *d = &w->c->dev[p->dev];
	char why[300];
	int attempt, rc, e;

	for (attempt = 0;; attempt++) {
		if (!w->v.ctx && mb_dev_open(&w->v, d, why, sizeof why) < 0)
			return errno;
		if (d->pause_request_ms && w->last)
			while (plx_mono_ms() < w->last + d->pause_request_ms)
				plx_sleep_ms(w->last + d->pause_request_ms - plx_mono_ms());
		rc = write ? mb_dev_write(&w->v, p->func, p->unit_id, addr, count, regs, multiple)
		           : mb_dev_read(&w->v, p->func, p->unit_id, addr, count, regs);
		e = rc < 0 ? errno : EMBBADDATA;    /* a short answer is a bad one */
		w->last = plx_mono_ms();
		if (rc == count)
			return 0;
		if (mb_exception(e) || attempt >= d->retries || plx_loop_signalled(w->o->l))
			return e;
		if (e == ETIMEDOUT && d->host)
			mb_dev_close(&w->v);       /* opened again for the next attempt */
		else
			modbus_flush(w->v.ctx);     /* what is left of a bad or late answer */
	}
}

/* A request failed with e: said; the exit status. */
static int
failed(struct wctx *w, const struct mb_point *p, int write, int addr, int count, int multiple, int e)
{
	const struct mb_device *d = &w->c->dev[p->dev];
	char name[200], why[200];

	plx_warn("%s: %s: %s", p->metric, req_name(d, p, write, addr, count, multiple, name, sizeof name),
	         mb_failure(e, d->timeout_ms, why, sizeof why));
	if (mb_exception(e) == 6)           /* device busy: later, it may take it */
		return EX_TEMPFAIL;
	return mb_exception(e) ? EX_PROTOCOL : EX_UNAVAILABLE;
}

/* The value of registers as modbus-read would print it, and the registers. */
static const char *
shown(const struct mb_point *p, const uint16_t *regs, int n, char *buf, size_t len)
{
	struct mb_value v;
	char text[MB_STR_MAX + 8];
	size_t o;
	int i;

	mb_decode(regs, (size_t)n, p->type, p->arg, p->order, &v);
	mb_scale(&v, p->scale, p->offset);
	o = (size_t)snprintf(buf, len, "%s (", mb_value_text(&v, text, sizeof text));
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, i ? " %04x" : "%04x", regs[i]);
	if (o < len)
		snprintf(buf + o, len - o, ")");
	return buf;
}

/* --verify: the value's registers read back: 0, or the exit status. */
static int
verify(struct wctx *w, const struct mb_point *p, const struct target *t, int n)
{
	uint16_t back[MB_MAX_REGS];
	struct mb_value a, b;
	char want[MB_STR_MAX * 4], got[MB_STR_MAX * 4];
	int e, i, same = 1;

	if ((e = send_req(w, p, 0, p->addr, n, back, 0)))
		return failed(w, p, 0, p->addr, n, 0, e);
	if (p->type == MB_BIT) {
		mb_decode(t->regs, 1, p->type, p->arg, p->order, &a);
		mb_decode(back, 1, p->type, p->arg, p->order, &b);
		same = a.i == b.i;
	} else {
		for (i = 0; i < n; i++)
			same &= back[i] == (p->type == MB_BOOL ? t->regs[i] != 0 : t->regs[i]);
	}
	if (same)
		return 0;
	plx_warn("%s: %s unit %d: %s %d reads back %s, not %s", p->metric, w->c->dev[p->dev].name, p->unit_id,
	         mb_func_name(p->func), p->addr, shown(p, back, n, got, sizeof got), shown(p, t->regs, n, want, sizeof want));
	return EX_PROTOCOL;
}

/* -n: what would be sent, on stdout. */
static void
dry_run(const struct mb_device *d, const struct mb_point *p, const struct target *t, int n)
{
	int multiple = d->write_fn == MB_WRITE_MULTIPLE || (d->write_fn == MB_WRITE_AUTO && n > 1), i;
	char name[200];

	if (p->type == MB_BIT) {
		printf("%s, set bit %d to %lld, write it back (function %d)  %s=%s\n",
		       req_name(d, p, 0, p->addr, 1, 0, name, sizeof name), p->arg, (long long)t->raw.i,
		       function(p->func, 1, multiple), p->metric, t->text);
		return;
	}
	if (!multiple && n > 1)
		printf("%s, a register at a time:", req_name(d, p, 1, p->addr, n, 0, name, sizeof name));
	else
		printf("%s:", req_name(d, p, 1, p->addr, n, multiple, name, sizeof name));
	for (i = 0; i < n; i++)
		printf(" %04x", t->regs[i]);
	printf("  %s=%s\n", p->metric, t->text);
}

/* One target: 0, or the exit status. */
static int
write_value(struct wctx *w, struct target *t)
{
	const struct mb_point *p = &w->c->pt[t->pt];
	const struct mb_device *d = &w->c->dev[p->dev];
	int n = mb_type_regs(p->type, p->arg), e, k, multiple;
	char name[200];

	if (w->o->dry_run) {
		dry_run(d, p, t, n);
		return 0;
	}
	if (p->type == MB_BIT) {
		/* the register as it is, its bit changed */
		if ((e = send_req(w, p, 0, p->addr, 1, t->regs, 0)))
			return failed(w, p, 0, p->addr, 1, 0, e);
		mb_encode(&t->raw, p->type, p->arg, p->order, t->regs);
	}
	multiple = d->write_fn == MB_WRITE_MULTIPLE || (d->write_fn == MB_WRITE_AUTO && n > 1);
	if (!multiple && n > 1) {
		for (k = 0; k < n; k++)
			if ((e = send_req(w, p, 1, p->addr + k, 1, t->regs + k, 0)))
				return failed(w, p, 1, p->addr + k, 1, 0, e);
	} else if ((e = send_req(w, p, 1, p->addr, n, t->regs, multiple))) {
		if (multiple || d->write_fn != MB_WRITE_AUTO || mb_exception(e) != 1)
			return failed(w, p, 1, p->addr, n, multiple, e);
		plx_info("%s: refused with exception 1 (illegal function): written with function %d",
		         req_name(d, p, 1, p->addr, n, 0, name, sizeof name), function(p->func, 1, 1));
		if ((e = send_req(w, p, 1, p->addr, n, t->regs, 1)))
			return failed(w, p, 1, p->addr, n, 1, e);
	}
	return w->o->verify ? verify(w, p, t, n) : 0;
}

/* The line of device dev locked (RTU) and the device opened: 0, or the
 * exit status. */
static int
take(struct wctx *w, int dev)
{
	const struct mb_device *d = &w->c->dev[dev];
	char why[300];

	mb_dev_free(&w->v);
	w->dev = -1;
	if (mb_dev_lock(&w->v, d, w->o->lock_wait_ms, stopped, w->o->l, why, sizeof why) < 0) {
		plx_warn("%s: %s", d->name, why);
		return errno == EWOULDBLOCK || errno == ECANCELED ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	if (mb_dev_open(&w->v, d, why, sizeof why) < 0) {
		plx_warn("%s: unable to open: %s", d->name, why);
		return EX_UNAVAILABLE;
	}
	w->dev = dev;
	w->last = 0;
	if (d->pause_connect_ms)
		plx_sleep_ms(d->pause_connect_ms);
	return 0;
}

int
write_all(const struct mb_conf *c, struct target *t, int n, const struct wopts *o)
{
	struct wctx w = { .c = c, .o = o, .dev = -1 };
	char rest[512];
	size_t len = 0;
	int i, j, rc = 0;

	mb_dev_init(&w.v);
	for (i = 0; i < n; i++) {
		if (plx_loop_signalled(o->l)) {
			plx_warn("stopped by a signal");
			rc = EX_TEMPFAIL;
		} else if (!o->dry_run && c->pt[t[i].pt].dev != w.dev) {
			rc = take(&w, c->pt[t[i].pt].dev);
		}
		if (rc || (rc = write_value(&w, &t[i])))
			break;
	}
	mb_dev_free(&w.v);
	if (!rc)
		return 0;
	/* i: the first target not written whole */
	for (j = i; j < n && len < sizeof rest; j++)
		len += (size_t)snprintf(rest + len, sizeof rest - len, "%s%s", j > i ? ", " : "", c->pt[t[j].pt].metric);
	plx_warn("not written: %s%s", rest, len >= sizeof rest ? "..." : "");
	return rc;
}

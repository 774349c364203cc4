/* The status policy of DESIGN §4, applied to one batch:
 *
 *   2xx           delivered when the body is the ingest service's answer
 *                 ({"success":true,"count":N...}, answer.c): acknowledge its
 *                 seqs to the spool (rows go only now).  Any other 2xx (a
 *                 captive portal, a proxy) is said and retried as below
 *   408 429 5xx   retried forever: backoff doubling from --backoff to
 *   no answer     --backoff-max, times U[0.5, 1] so that many gateways
 *   1xx 3xx       restarted together do not retry in step; never sooner
 *                 than the answer's Retry-After.  A 3xx names its Location
 *                 (not followed: it would take the key elsewhere)
 *   5xx, no answer, BREAK_TRIES times in a row: is it the batch?  An
 *                 empty request (the SDKs' key check) is sent; answered as
 *                 the ingest service answers, the server is up and one of
 *                 the records breaks it: bisect as for 400, each half that
 *                 fails again asking the empty request again, and a single
 *                 record that fails is a dead letter.  Else retried.
 *   401 403       the key is refused: hold everything (nothing acknowledged,
 *                 nothing dropped), say so once, re-read the key every
 *                 --auth-retry and try again — a revoked key must not delete data
 *   413           too large (a proxy's limit may be lower than the gateway's):
 *                 send each half
 *   400 422 4xx   one invalid point refuses the whole request, so bisect: the
 *                 half that passes is delivered, the half that fails is split
 *                 again, and a single record refused is a dead letter.  When
 *                 the first half passes whole, the second is known to fail and
 *                 is split without being sent: about log2(n) + 1 requests for
 *                 one bad record in n, 2 log2(n) at worst.
 *
 * The recursion of split and bisect is a stack of ranges (struct send), so
 * that a wait is a timer of the loop and not a sleep: SIGTERM, SIGINT and
 * SIGHUP are taken during a backoff or while the key is refused, as at any
 * other time.  A request itself blocks, for at most --timeout.
 *
 * After a stop signal nothing waits any more: a request that does not come
 * back 2xx ends delivery, and what it carried stays unacknowledged, for
 * plx-buffer to replay. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sysexits.h>
#include <json-c/json.h>

#include "clock.h"
#include "log.h"
#include "upload.h"

#define RETRY_AFTER_MAX 3600000   /* a Retry-After past an hour is a server bug */
#define QUIET_MS        30000     /* a batch stuck this long is reported even with PLEXUS_QUIET */
#define BREAK_TRIES     6         /* 5xx or no answer this often in a row: is it the batch? */

enum verdict { DELIVERED, NOT_INGEST, RETRY, AUTH, SPLIT, REFUSED };

static int
acknowledged(const struct http *h)
{
	int64_t count, dropped;

	return answer_ack(h->ans, h->alen, &count, &dropped);
}

int
send_ok(const struct http *h)
{
	return h->status >= 200 && h->status < 300 && acknowledged(h);
}

static enum verdict
classify(const struct http *h)
{
	long st = h->status;

	if (st >= 200 && st < 300)
		return acknowledged(h) ? DELIVERED : NOT_INGEST;
	if (st == 401 || st == 403)
		return AUTH;
	if (st == 413)
		return SPLIT;
	if (st >= 400 && st < 500 && st != 408 && st != 429)
		return REFUSED;
	/* No answer, 408, 429, 5xx; 1xx and 3xx are no verdict either. */
	return RETRY;
}

/* The server's reason on one line: {"error":"..."}, else the start of the
 * body, else why no answer came. */
const char *
send_reason(const struct http *h, char *buf, size_t n)
{
	json_object *o = NULL, *e;
	char *p;

	if (h->status == 0)
		snprintf(buf, n, "no answer: %s", h->err);
	else if (h->status >= 300 && h->status < 400)
		snprintf(buf, n, "%ld redirect to %s, not followed", h->status,
		         h->location[0] ? h->location : "(no Location)");
	else if (h->status >= 200 && h->status < 300 && !acknowledged(h))
		snprintf(buf, n, "%ld answer not from the ingest service (a captive portal, a proxy?): %.120s",
		         h->status, h->alen ? h->ans : "(empty)");
	else if (h->alen && (o = json_tokener_parse(h->ans)) &&
	         json_object_object_get_ex(o, "error", &e) && json_object_is_type(e, json_type_string))
		snprintf(buf, n, "%ld %s", h->status, json_object_get_string(e));
	else if (h->alen)
		snprintf(buf, n, "%ld %.200s", h->status, h->ans);
	else
		snprintf(buf, n, "%ld (no message)", h->status);
	json_object_put(o);
	for (p = buf; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
	return buf;
}

/* The top range begins: its failures are counted from none. */
static void
fresh(struct send *s)
{
	s->tries = 0;
	s->loud = 0;
	plx_backoff_reset(&s->b);
}

static void
wait_for(struct up *u, int64_t ms, int hold)
{
	u->s.waiting = 1;
	u->s.hold = hold;
	plx_loop_arm(u->l, u->s.timer, plx_mono_ms() + ms);
}

static void
wait_retry(struct up *u, int64_t ra, const char *why)
{
	struct send *s = &u->s;
	int64_t d = plx_backoff_next(&s->b, 1);

	if (ra > RETRY_AFTER_MAX)
		ra = RETRY_AFTER_MAX;
	if (ra > d)
		d = ra;
	if (s->tries++ == 0)
		s->since = plx_mono_ms();
	u->c.retries++;
	if (!s->loud && plx_mono_ms() - s->since >= QUIET_MS) {
		plx_warn("%s: not delivered for %lld s, still retrying (%zu records held)",
		         why, (long long)(plx_mono_ms() - s->since) / 1000, s->sealed);
		s->loud = 1;
	} else {
		plx_info("%s: retry %d in %lld ms%s", why, s->tries, (long long)d,
		         ra >= 0 ? " (Retry-After)" : "");
	}
	wait_for(u, d, 0);
}

static void
hold(struct up *u, const char *why)
{
	if (!u->holding)
		plx_warn("%s: the API key (from %s) is refused: holding all data, nothing is dropped;"
		         " retrying every %lld ms with the key re-read each time",
		         why, u->cf.key_from, (long long)u->o.auth_retry_ms);
	u->holding = 1;
	u->c.retries++;
	wait_for(u, u->o.auth_retry_ms, 1);
}

void
send_delivered(struct up *u, const struct http *h, size_t lo, size_t hi)
{
	struct rec *r = u->b.rec;
	size_t i, n = hi - lo;
	int64_t count, dropped;

	answer_ack(h->ans, h->alen, &count, &dropped);
	if (count < (int64_t)n)
		plx_warn("the server counted %lld of the %zu points sent", (long long)count, n);
	if (dropped > 0) {
		plx_warn("the server dropped %lld of the %zu points sent (rate or device limit)",
		         (long long)dropped, n);
		u->c.server_dropped += dropped;
	}
	for (i = lo; i < hi; i++) {
		if (r[i].seq >= 0 && u->sp)
			ack_add(u, r[i].seq);
		if (r[i].boot_ms >= 0 && u->b.clock_fix != INT64_MIN)
			u->c.clock_corrected++;
		else if (r[i].boot_ms >= 0 && !u->c.clock_uncorrected++)
			plx_warn("records stamped while the clock was not synchronised are sent as"
			         " stamped: the server's time is not known (no Date header)");
	}
	ack_kick(u);
	u->c.delivered += n;
}

static int
append_line(int fd, const char *text, size_t len)
{
	struct iovec v[2] = { { (void *)text, len }, { "\n", 1 } };

	/* One writev on an O_APPEND file: the line lands whole. */
	return writev(fd, v, 2) == (ssize_t)len + 1 ? 0 : -1;
}

/* A single record the server refuses for good. */
static void
bury(struct up *u, size_t i, long status, const char *why)
{
	struct rec *r = &u->b.rec[i];
	const char *text = u->b.text + r->off;
	char who[64];
	int rc;

	if (r->seq >= 0)
		snprintf(who, sizeof who, "line %lu (seq %lld)", r->line, (long long)r->seq);
	else
		snprintf(who, sizeof who, "line %lu", r->line);
	u->c.dead++;
	ack_db_lock(u);
	rc = r->seq >= 0 && u->sp ? spool_bury(u->sp, r->seq, text, r->len, status, why) : -1;
	ack_db_unlock(u);
	if (rc == 0)
		plx_warn("%s: refused by the server: %s; kept as a dead letter in %s", who, why, u->sp->path);
	else if (u->dead_fd >= 0 && append_line(u->dead_fd, text, r->len) == 0)
		plx_warn("%s: refused by the server: %s; appended to %s", who, why, u->o.dead_file);
	else
		plx_warn("%s: refused by the server: %s; dropped, no dead-letter store: %.*s",
		         who, why, (int)(r->len > 512 ? 512 : r->len), text);
}

/* Replaces the top range by its halves, the first on top.  bisect: it
 * was refused for a bad point; if the first half then goes through without
 * a dead letter, the bad point is in the second, which needs no request to
 * prove it.  breaks: it made the server fail while the server was up; so
 * may its halves, which are not retried as long before being suspected. */
static void
halves(struct up *u, int bisect, int breaks)
{
	struct send *s = &u->s;
	struct range r = s->st[s->n - 1];
	size_t mid = r.lo + (r.hi - r.lo) / 2;

	breaks |= r.breaks;
	if (s->n == SEND_DEPTH)
		plx_die(EX_SOFTWARE, "more than %d ranges to send", SEND_DEPTH);
	s->st[s->n - 1] = (struct range){ mid, r.hi, bisect, u->c.dead, breaks };
	s->st[s->n++] = (struct range){ r.lo, mid, 0, 0, breaks };
	fresh(s);
}

/* The top range failed with a 5xx or no answer: is it what breaks the
 * server?  Only after BREAK_TRIES failures in a row (one for a half of a
 * range that broke it), and only if the server answers an empty request
 * as the ingest service does, so that an outage never makes dead letters. */
static int
breaks_server(struct up *u, const struct http *h, const struct range *r)
{
	const void *body;
	size_t len;
	int gz;

	if (h->status != 0 && h->status < 500)
		return 0;
	if (!r->breaks && u->s.tries + 1 < BREAK_TRIES)
		return 0;
	body = batch_body(&u->b, r->lo, r->lo, &len, &gz);
	http_post(&u->http, body, len, gz);
	u->c.requests++;
	return send_ok(&u->http);
}

static void
pop(struct send *s)
{
	s->n--;
	fresh(s);
}

static int
done(struct up *u)
{
	batch_drop_front(&u->b, u->s.sealed);
	u->s.sealed = 0;
	u->s.n = 0;
	if (u->b.n)
		u->b.t0 = plx_mono_ms();
	return SEND_DONE;
}

void
send_give_up(struct up *u)
{
	u->s.waiting = 0;
	plx_loop_arm(u->l, u->s.timer, -1);
	batch_clear(&u->b);
	window_forget(u);
	u->s.sealed = 0;
	u->s.n = 0;
}

/* After a stop signal nothing waits: what is not confirmed stays
 * unacknowledged. */
static int
stopped(struct up *u)
{
	send_give_up(u);
	return SEND_DONE;
}

static void
on_timer(struct plx_loop *l, void *arg)
{
	struct up *u = arg;

	u->s.waiting = 0;
	if (u->s.hold)
		key_reload(u, 0);
	feed(u);
}

void
send_init(struct up *u)
{
	plx_backoff_init(&u->s.b, u->o.backoff_ms, u->o.backoff_max_ms);
	u->s.timer = plx_loop_timer(u->l, -1, on_timer);
}

void
send_start(struct up *u, size_t k)
{
	u->s.sealed = k;
	u->s.st[0] = (struct range){ 0, k, 0, 0, 0 };
	u->s.n = 1;
	fresh(&u->s);
}

#define NEXT (-1)   /* apply: the top range changed, go on */

/* The top range's answer h, by the status policy: NEXT, SEND_WAIT, or
 * SEND_DONE (stopped). */
static int
apply(struct up *u, const struct http *h)
{
	struct send *s = &u->s;
	struct range *r = &s->st[s->n - 1];
	char why[600];
	enum verdict v;
	long st = h->status;

	send_reason(h, why, sizeof why);
	switch ((v = classify(h))) {
	case NOT_INGEST:
		if (!s->tries)
			plx_warn("%s: holding the %zu records, retrying", why, r->hi - r->lo);
		/* fall through */
	case RETRY:
		if (plx_loop_signalled(u->l))
			return stopped(u);
		if (v == RETRY && breaks_server(u, h, r)) {
			if (r->hi - r->lo == 1) {
				bury(u, r->lo, st, why);
				pop(s);
				return NEXT;
			}
			plx_warn("%s, %d times, while the server answers an empty request:"
			         " looking for the record that breaks it in the %zu", why,
			         s->tries + 1, r->hi - r->lo);
			halves(u, 1, 1);
			return NEXT;
		}
		wait_retry(u, h->retry_after_ms, why);
		return SEND_WAIT;
	case DELIVERED:
		send_delivered(u, h, r->lo, r->hi);
		if (u->holding)
			plx_warn("the API key is accepted again: delivering");
		if (s->tries)      /* the end of an outage, loud if it was said loudly */
			(s->loud ? plx_warn : plx_info)("delivered again after %lld s (%d retries)",
			                                (long long)(plx_mono_ms() - s->since + 500) / 1000, s->tries);
		u->holding = 0;
		pop(s);
		return NEXT;
	case AUTH:
		if (plx_loop_signalled(u->l))
			return stopped(u);
		hold(u, why);
		return SEND_WAIT;
	case SPLIT:
	case REFUSED:
		if (r->hi - r->lo == 1) {
			bury(u, r->lo, st, why);
			pop(s);
			return NEXT;
		}
		if (plx_loop_signalled(u->l))
			return stopped(u);
		plx_info("%s: %s the %zu records", why, v == SPLIT ? "splitting" : "bisecting", r->hi - r->lo);
		halves(u, v == REFUSED, 0);
		return NEXT;
	}
	return NEXT;
}

int
send_run(struct up *u)
{
	struct send *s = &u->s;
	struct range *r;
	const void *body;
	char why[600];
	size_t len;
	int gz, rc;

	if (s->waiting)
		return SEND_WAIT;
	while (s->n) {
		r = &s->st[s->n - 1];
		/* known to be refused as a whole: split at once */
		if (r->bisect && u->c.dead == r->dead && r->hi - r->lo > 1) {
			if (plx_loop_signalled(u->l))
				return stopped(u);
			halves(u, 1, 0);
			continue;
		}
		clock_fix(u);
		body = batch_body(&u->b, r->lo, r->hi, &len, &gz);
		http_post(&u->http, body, len, gz);
		u->c.requests++;
		health_answer(u, &u->http, send_reason(&u->http, why, sizeof why));
		if ((rc = apply(u, &u->http)) != NEXT)
			return rc;
	}
	return done(u);
}

int
send_answer(struct up *u, const struct http *h)
{
	int rc = apply(u, h);

	if (rc != NEXT)
		return rc;
	return u->s.n ? send_run(u) : done(u);
}

/* What plx-upload knows of its own health, in three places:
 *
 *   - the spool's uploader table, after each answer (at most once a second
 *     while nothing changes), for `plx-buffer --status` and health checks;
 *   - records gateway.upload.* every --status-interval, sent with the data,
 *     so the Plexus dashboard shows the gateway itself;
 *   - stderr, loudly, when our clock is off the server's by more than
 *     --clock-warn: the server's Date header, against the middle of the
 *     exchange, gives the offset to about half a second plus half the
 *     round trip.  A board without a real-time clock boots in 1970 or at
 *     the time it last saved, and stamps records with it until NTP comes;
 *   - and the clock_fix that corrects the records the readers marked as
 *     stamped by such a clock (clock.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "recs.h"
#include "upload.h"

#define NOTE_EVERY_MS  1000
#define CLOCK_WARN_EVERY_MS 3600000

static void
clock_check(struct up *u, int64_t off, int64_t now)
{
	struct health *h = &u->h;
	int64_t a = off < 0 ? -off : off;

	if (off == INT64_MIN || !u->o.clock_warn_ms)
		return;
	if (a < u->o.clock_warn_ms) {
		if (h->clock_warned)
			plx_warn("the system clock agrees with the server's again (%+.1f s)", off / 1000.0);
		h->clock_warned = 0;
		return;
	}
	if (h->clock_warned && now - h->clock_warned < CLOCK_WARN_EVERY_MS)
		return;
	plx_warn("the system clock is %+.1f s off the server's (its Date header); records are"
	         " stamped with it%s", -off / 1000.0,
	         plx_clock_synced() == 0 ? ", and the kernel says it is not synchronised (NTP?)" : "");
	h->clock_warned = now;
}

void
health_answer(struct up *u, const struct http *a, const char *why)
{
	struct spool_upload *l = &u->h.last;
	int64_t now = plx_now_ms(), mono = plx_mono_ms();
	long prev = l->status;
	int ok = a->status >= 200 && a->status < 300;

	l->t = now;
	l->status = a->status;
	snprintf(l->error, sizeof l->error, "%s", ok ? "" : why);
	l->latency_ms = a->latency_ms;
	if (a->offset_ms != INT64_MIN)
		l->clock_offset_ms = a->offset_ms;
	if (ok)
		l->last_success = now;
	l->requests = (int64_t)u->c.requests;
	l->retries = (int64_t)u->c.retries;
	clock_check(u, a->offset_ms, mono);
	/* a row per answer would be a commit per request under a backlog */
	if (!u->sp || (prev == l->status && mono - u->h.noted < NOTE_EVERY_MS))
		return;
	u->h.noted = mono;
	ack_db_lock(u);
	spool_note_upload(u->sp, l);
	ack_db_unlock(u);
}

void
health_records(struct up *u)
{
	const struct spool_upload *l = &u->h.last;
	struct plx_recs r;
	int64_t now = plx_now_ms();
	int synced = plx_clock_synced();
	const struct { const char *name; int64_t v; int have; } m[] = {
		{ "gateway.upload.read", (int64_t)u->c.read, 1 },
		{ "gateway.upload.rejected", (int64_t)u->c.rejected, 1 },
		{ "gateway.upload.delivered", (int64_t)u->c.delivered, 1 },
		{ "gateway.upload.dead", (int64_t)u->c.dead, 1 },
		{ "gateway.upload.requests", (int64_t)u->c.requests, 1 },
		{ "gateway.upload.retries", (int64_t)u->c.retries, 1 },
		{ "gateway.upload.server_dropped", (int64_t)u->c.server_dropped, 1 },
		{ "gateway.upload.held", u->holding, 1 },
		{ "gateway.upload.latency_ms", l->latency_ms, l->t != 0 },
		{ "gateway.upload.last_success_age_s", (now - l->last_success) / 1000, l->last_success != 0 },
		{ "gateway.upload.clock_offset_ms", l->clock_offset_ms, l->clock_offset_ms != INT64_MIN },
		{ "gateway.upload.clock_synced", synced, synced >= 0 },
		{ "gateway.upload.clock_corrected", (int64_t)u->c.clock_corrected, 1 },
		{ "gateway.upload.clock_uncorrected", (int64_t)u->c.clock_uncorrected, 1 },
	};
	char *s, *e;
	size_t i;

	/* Without a valid envelope source every record must carry one, and
	 * these would not: leave them out rather than have them refused. */
	if (u->need_source)
		return;
	plx_recs_init(&r);
	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (m[i].have)
			plx_recs_num(&r, m[i].name, (double)m[i].v, now, NULL);
	/* through the input's path: a record stamped while the clock is not
	 * synchronised carries _plx_clk, which the server must not see */
	for (s = r.s; s && s < r.s + r.len; s = e + 1) {
		e = memchr(s, '\n', (size_t)(r.s + r.len - s));
		*e = '\0';
		if (take(u, s, (size_t)(e - s), 0) == 0)
			u->c.own++;
	}
	plx_recs_free(&r);
}

void
clock_fix(struct up *u)
{
	struct batch *b = &u->b;
	int64_t off = u->h.last.clock_offset_ms;

	b->clock_fix = INT64_MIN;
	if (!b->marked)
		return;
	if (plx_clock_synced() == 1) {
		b->clock_fix = plx_now_ms() - plx_boot_ms();
		return;
	}
	if (off == INT64_MIN) {
		/* no answer told us the server's time yet: ask for it */
		http_probe(&u->http);
		if ((off = u->http.offset_ms) != INT64_MIN)
			u->h.last.clock_offset_ms = off;
	}
	if (off != INT64_MIN)
		b->clock_fix = plx_now_ms() + off - plx_boot_ms();
}

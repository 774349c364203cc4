/* What plx-command knows of its own health, as records on stdout every
 * --status-interval and at the end, for the spool like every tool's
 * (plx-command --status-interval 60 | plx-buffer -a):
 *
 *   gateway.command.received     commands that arrived (both protocols)
 *   gateway.command.succeeded    runs that exited 0 with a result
 *   gateway.command.failed       runs that failed, timed out, crashed
 *   gateway.command.refused      refused before running: unknown, bad
 *                                params, expired, busy, seen before
 *   gateway.command.connected    1 while authenticated, else 0
 *   gateway.command.connects     authentications since the start
 *   gateway.command.running      runs in progress
 *   gateway.command.clock_offset_ms  the server's clock (server_time_ms of
 *                                the last "authenticated") minus ours at
 *                                receipt: late by the one-way latency
 *
 * The offset is also said on stderr when it is past a minute: records are
 * stamped with this machine's clock. */
#include <stdio.h>

#include "clock.h"
#include "command.h"
#include "log.h"
#include "recs.h"

#define CLOCK_SAY_MS 60000

void
health_clock(struct app *a, int64_t server_time_ms, int64_t local_ms)
{
	int64_t off = server_time_ms - local_ms;

	if ((off > CLOCK_SAY_MS || off < -CLOCK_SAY_MS) &&
	    (!a->have_offset || (a->offset_ms <= CLOCK_SAY_MS && a->offset_ms >= -CLOCK_SAY_MS)))
		plx_warn("the system clock is %+.1f s off the server's (server_time_ms)%s", -off / 1000.0,
		         plx_clock_synced() == 0 ? ", and the kernel says it is not synchronised (NTP?)" : "");
	a->offset_ms = off;
	a->have_offset = 1;
}

void
health_records(struct plx_loop *l, void *arg)
{
	struct app *a = arg;
	const struct { const char *name; int64_t v; int have; } m[] = {
		{ "gateway.command.received", (int64_t)a->received, 1 },
		{ "gateway.command.succeeded", (int64_t)a->succeeded, 1 },
		{ "gateway.command.failed", (int64_t)a->failed, 1 },
		{ "gateway.command.refused", (int64_t)a->refused, 1 },
		{ "gateway.command.connected", a->state == LINK_UP, 1 },
		{ "gateway.command.connects", (int64_t)a->connects, 1 },
		{ "gateway.command.running", runner_running(a->runner), 1 },
		{ "gateway.command.clock_offset_ms", a->offset_ms, a->have_offset },
	};
	struct plx_tags t = { 0 };
	struct plx_recs r;
	int64_t now = plx_now_ms();
	char err[200];
	size_t i;

	if (plx_tags_set_source(&t, a->source_id, err, sizeof err) < 0)
		return;   /* said at the start */
	plx_recs_init(&r);
	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (m[i].have)
			plx_recs_num(&r, m[i].name, (double)m[i].v, now, &t);
	plx_loop_put(l, r.s, r.len, r.n);
	plx_recs_free(&r);
}

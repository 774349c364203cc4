/* Waiting between attempts: see backoff.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"

void
plx_backoff_init(struct plx_backoff *b, int64_t min, int64_t max)
{
	b->min = min;
	b->max = max < min ? min : max;
	b->next = min;
}

void
plx_backoff_reset(struct plx_backoff *b)
{
	b->next = b->min;
}

int64_t
plx_backoff_next(struct plx_backoff *b, int jitter)
{
	int64_t w = b->next;

	b->next = b->next > b->max / 2 ? b->max : b->next * 2;
	if (jitter && w > 1)
		w = w / 2 + (int64_t)(random() % (w - w / 2 + 1));
	return w;
}

void
plx_reopen_init(struct plx_reopen *r, const char *name, int64_t max_ms)
{
	memset(r, 0, sizeof *r);
	r->name = name;
	plx_backoff_init(&r->b, PLX_REOPEN_FIRST_MS, max_ms);
}

int
plx_reopen_due(const struct plx_reopen *r, int64_t now)
{
	return now >= r->at;
}

void
plx_reopen_ok(struct plx_reopen *r)
{
	if (r->failing)
		plx_warn("%s: open again", r->name);
	r->failing = 0;
	r->said[0] = '\0';
	plx_backoff_reset(&r->b);
}

void
plx_reopen_failed(struct plx_reopen *r, const char *why)
{
	if (strcmp(why, r->said)) {
		plx_warn("%s: unable to open: %s; retrying", r->name, why);
		snprintf(r->said, sizeof r->said, "%s", why);
	}
	r->failing = 1;
	r->at = plx_mono_ms() + plx_backoff_next(&r->b, 0);
}

void
plx_reopen_lost(struct plx_reopen *r, const char *why, int64_t delay)
{
	if (why) {
		plx_warn("%s: device gone (%s); reopening", r->name, why);
		snprintf(r->said, sizeof r->said, "%s", why);
		r->failing = 1;
		r->lost++;
	}
	plx_backoff_reset(&r->b);
	r->at = plx_mono_ms() + delay;
}

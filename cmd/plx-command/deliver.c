/* Delivery: what happens to a command, in both protocols (plx-command(1),
 * DELIVERY).  A command is
 *
 *   acknowledged at once      legacy {"event":"ack"}, v1 state "acknowledged"
 *   refused, nothing run:     a run id seen before (v1 "duplicate": its last
 *                             status is sent again, it never runs twice);
 *                             no such command ("unknown_command"); v1
 *                             ttl_ms <= 0 ("expired_on_arrival"); params the
 *                             declaration refuses ("bad_params"); already
 *                             running and declared "reject", or --max-runs
 *                             running ("busy")
 *   else run:                 v1 "running", "progress" at most once a second,
 *                             then "succeeded" with the result or "failed"
 *                             ("handler_error" and its error text);
 *                             legacy "result" or "error".
 *
 * Legacy answers go on the connection there is, or the next one, once.
 * v1 statuses are kept (256 at most) until the server acknowledges them
 * (command_status_ack); after every authentication plx-command sends
 * command_sync, the runs it knows and their last seq, and then every
 * status not yet acknowledged, in order.  256 run ids are remembered, for
 * the life of the process: a redelivery after a reconnect is reported
 * again, never run again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "command.h"
#include "log.h"
#include "record.h"

#define PROGRESS_EVERY_MS 1000

static struct seen *
seen_find(struct app *a, const char *id)
{
	int i;

	for (i = 0; i < CMD_SEEN_MAX; i++)
		if (a->seen[i].used && !strcmp(a->seen[i].id, id))
			return &a->seen[i];
	return NULL;
}

static void
held_drop(struct app *a, int i)
{
	free(a->held[i].frame);
	memmove(&a->held[i], &a->held[i + 1], (size_t)(a->nheld - i - 1) * sizeof *a->held);
	a->nheld--;
}

/* A frame kept for the next connection (v1: until acknowledged). */
static void
hold(struct app *a, int run, int64_t seq, const char *frame)
{
	if (a->nheld == CMD_UNACKED_MAX) {
		if (!a->held_dropped_said++)
			plx_warn("more than %d results wait for the server: the oldest are dropped", CMD_UNACKED_MAX);
		held_drop(a, 0);
	}
	a->held[a->nheld++] = (struct held){ run, seq, plx_xstrdup(frame) };
}

/* A new entry, the oldest one that is not running given up for it. */
static struct seen *
seen_new(struct app *a, const char *id, const char *command, int proto)
{
	struct seen *s = NULL;
	int i, k;

	for (k = 0; k < CMD_SEEN_MAX && !s; k++) {
		i = (a->seen_next + k) % CMD_SEEN_MAX;
		if (!a->seen[i].used || a->seen[i].slot < 0) {
			s = &a->seen[i];
			a->seen_next = (i + 1) % CMD_SEEN_MAX;
		}
	}
	if (!s)
		return NULL;   /* cannot be: at most CMD_RUNS_MAX run */
	for (i = a->nheld - 1; i >= 0; i--)
		if (a->held[i].run == (int)(s - a->seen))
			held_drop(a, i);
	free(s->last);
	memset(s, 0, sizeof *s);
	s->used = 1;
	s->proto = proto;
	s->slot = -1;
	s->prog_pct = -1;
	snprintf(s->id, sizeof s->id, "%s", id);
	snprintf(s->command, sizeof s->command, "%.*s", CMD_NAME_MAX, command);
	return s;
}

static void
keep_last(struct seen *s, const char *frame)
{
	free(s->last);
	s->last = plx_xstrdup(frame);
}

/* v1: the next status of s, sent and kept until acknowledged. */
static void
status(struct app *a, struct seen *s, struct status *st)
{
	char *f;

	st->run_id = s->id;
	st->seq = ++s->seq;
	s->state = st->state;
	f = frame_status(st);
	keep_last(s, f);
	hold(a, (int)(s - a->seen), st->seq, f);
	if (link_up(a) && a->protocol == 1)
		link_send(a, f);
	else
		free(f);
}

/* legacy: an answer, on this connection or the next */
static void
legacy(struct app *a, struct seen *s, const char *event, json_object *result, const char *error)
{
	char *f = frame_result(s->id, s->command, event, result, error);

	if (strcmp(event, "ack"))
		keep_last(s, f);
	if (link_up(a) && a->protocol == 0)
		link_send(a, f);
	else {
		hold(a, -1, 0, f);
		free(f);
	}
}

static void
ack(struct app *a, struct seen *s)
{
	struct status st = { .state = ST_ACKNOWLEDGED, .progress = -1 };

	if (s->proto)
		status(a, s, &st);
	else
		legacy(a, s, "ack", NULL, NULL);
}

/* The end of a run, or of a command refused: code NULL is success. */
static void
outcome(struct app *a, struct seen *s, json_object *result, const char *code, const char *msg)
{
	struct status st = { .state = code ? ST_FAILED : ST_SUCCEEDED, .result = result, .error_code = code,
	                     .error_message = msg, .progress = -1 };
	char text[300];

	if (s->proto) {
		status(a, s, &st);
	} else {
		/* legacy has no codes: the SDK's texts */
		if (code && !strcmp(code, "unknown_command"))
			snprintf(text, sizeof text, "unknown command: %s", s->command);
		else
			snprintf(text, sizeof text, "%s", msg ? msg : "");
		s->state = st.state;
		legacy(a, s, code ? "error" : "result", result, code ? text : NULL);
	}
}

static void
refuse(struct app *a, struct seen *s, const char *code, const char *msg)
{
	a->refused++;
	plx_warn("%s %s: refused: %s", s->command, s->id, msg);
	outcome(a, s, NULL, code, msg);
}

static int
declares(const struct decl *d, const char *param)
{
	int i;

	for (i = 0; i < d->np; i++)
		if (!strcmp(d->p[i].name, param))
			return 1;
	return 0;
}

void
deliver_command(struct app *a, const struct frame *f)
{
	int proto = f->type == FR_COMMAND_RUN, slot;
	const struct decl *d;
	json_object *params = NULL, *given;
	char err[300], msg[400];
	struct seen *s;

	a->received++;
	if ((s = seen_find(a, f->id))) {
		/* a redelivery: reported again, never run again */
		a->refused++;
		plx_info("%s %s: seen before (attempt %lld): reported again, not run", s->command, s->id,
		         (long long)f->attempt);
		if (s->last && link_up(a))
			link_send(a, plx_xstrdup(s->last));
		return;
	}
	if (!(s = seen_new(a, f->id, f->command, proto)))
		return;
	ack(a, s);
	if (!(d = cmdset_find(&a->cs, f->command))) {
		snprintf(msg, sizeof msg, "unknown command: %.64s", f->command);
		refuse(a, s, "unknown_command", msg);
		return;
	}
	if (proto && f->has_ttl && f->ttl_ms <= 0) {
		snprintf(msg, sizeof msg, "expired on arrival (ttl_ms %lld)", (long long)f->ttl_ms);
		refuse(a, s, "expired_on_arrival", msg);
		return;
	}
	/* the legacy gateway adds params.source_id to every command: not a
	 * parameter unless the declaration has one of that name */
	given = json_object_get(f->params);
	if (!proto && given && json_object_object_get_ex(given, "source_id", NULL) && !declares(d, "source_id")) {
		json_object *c = NULL;
		json_object_deep_copy(given, &c, NULL);
		json_object_put(given);
		json_object_object_del(c, "source_id");
		given = c;
	}
	params = decl_check(d, given, err, sizeof err);
	json_object_put(given);
	if (!params) {
		snprintf(msg, sizeof msg, "bad params: %s", err);
		refuse(a, s, "bad_params", msg);
		return;
	}
	if (d->reject && runner_busy(a->runner, d->name)) {
		snprintf(msg, sizeof msg, "command already in progress: %s", d->name);
		refuse(a, s, "busy", msg);
	} else if (a->stopping || (slot = runner_free_slot(a->runner)) < 0) {
		snprintf(msg, sizeof msg, a->stopping ? "plx-command is stopping" : "%d commands are running already",
		         runner_running(a->runner));
		refuse(a, s, "busy", msg);
	} else if (runner_start(a->runner, slot, d, s->id, params, err, sizeof err) < 0) {
		a->failed++;
		snprintf(msg, sizeof msg, "unable to run %s: %s", d->path, err);
		plx_warn("%s %s: %s", s->command, s->id, msg);
		outcome(a, s, NULL, "handler_error", msg);
	} else {
		struct status st = { .state = ST_RUNNING, .progress = -1 };
		s->slot = slot;
		plx_info("%s %s: running", s->command, s->id);
		if (proto)
			status(a, s, &st);
	}
	json_object_put(params);
}

static struct seen *
by_slot(struct app *a, int slot)
{
	int i;

	for (i = 0; i < CMD_SEEN_MAX; i++)
		if (a->seen[i].used && a->seen[i].slot == slot)
			return &a->seen[i];
	return NULL;
}

static void
send_progress(struct app *a, struct seen *s)
{
	struct status st = { .state = ST_PROGRESS, .progress = s->prog_pct, .message = s->prog_msg[0] ? s->prog_msg : NULL };

	s->prog_at = plx_mono_ms();
	s->prog_pct = -1;
	status(a, s, &st);
}

void
deliver_progress(void *arg, int slot, int pct, const char *msg)
{
	struct app *a = arg;
	struct seen *s = by_slot(a, slot);

	if (!s || !s->proto)
		return;   /* legacy has no progress */
	s->prog_pct = pct;
	snprintf(s->prog_msg, sizeof s->prog_msg, "%s", msg);
	if (plx_mono_ms() - s->prog_at >= PROGRESS_EVERY_MS)
		send_progress(a, s);
}

int64_t
deliver_prepare(struct app *a)
{
	int64_t due = -1, now = plx_mono_ms(), t;
	int i;

	for (i = 0; i < CMD_SEEN_MAX; i++) {
		struct seen *s = &a->seen[i];
		if (!s->used || s->slot < 0 || s->prog_pct < 0)
			continue;
		if ((t = s->prog_at + PROGRESS_EVERY_MS) <= now)
			send_progress(a, s);
		else if (due < 0 || t < due)
			due = t;
	}
	return due;
}

/* stdout as the result: a JSON object as it is, nothing as {}, any other
 * text as {"output":text}. */
static json_object *
result_of(const struct run_out *o, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *r = NULL;
	size_t b = 0, e = o->nout;

	while (b < e && strchr(" \t\r\n", o->out[b]))
		b++;
	while (e > b && strchr(" \t\r\n", o->out[e - 1]))
		e--;
	if (b == e)
		return json_object_new_object();
	if (plx_utf8_bad((const unsigned char *)o->out + b, e - b) != e - b || memchr(o->out + b, '\0', e - b)) {
		snprintf(err, errlen, "its output is not UTF-8 text");
		return NULL;
	}
	tok = plx_tokener_new();
	r = json_tokener_parse_ex(tok, o->out + b, (int)(e - b));
	if (r && (json_tokener_get_parse_end(tok) != e - b || !json_object_is_type(r, json_type_object))) {
		json_object_put(r);
		r = NULL;
	}
	json_tokener_free(tok);
	if (!r) {
		r = json_object_new_object();
		json_object_object_add(r, "output", json_object_new_string_len(o->out + b, (int)(e - b)));
	}
	return r;
}

void
deliver_done(void *arg, int slot, const struct run_out *o)
{
	struct app *a = arg;
	struct seen *s = by_slot(a, slot);
	char msg[CMD_ERR_MAX + 200], err[200];
	const char *d = o->err[0] ? ": " : "";
	json_object *r = NULL;

	if (!s)
		return;
	s->slot = -1;
	s->prog_pct = -1;   /* the end says more than a progress held back */
	if (o->timed_out)
		snprintf(msg, sizeof msg, "time limit exceeded: killed%s%s", d, o->err);
	else if (!o->exited)
		snprintf(msg, sizeof msg, "killed by signal %d%s%s", o->signal, d, o->err);
	else if (o->code)
		snprintf(msg, sizeof msg, "%s", o->err[0] ? o->err : "");
	else if (o->too_big)
		snprintf(msg, sizeof msg, "its output is larger than %d bytes", CMD_OUT_MAX);
	else if (!(r = result_of(o, err, sizeof err)))
		snprintf(msg, sizeof msg, "%s", err);
	if (o->exited && o->code && !o->timed_out && !o->err[0])
		snprintf(msg, sizeof msg, "exit status %d", o->code);
	if (r) {
		a->succeeded++;
		plx_info("%s %s: succeeded", s->command, s->id);
		outcome(a, s, r, NULL, NULL);
		json_object_put(r);
	} else {
		a->failed++;
		plx_warn("%s %s: failed: %s", s->command, s->id, msg);
		outcome(a, s, NULL, "handler_error", msg);
	}
	link_maybe_goodbye(a);
}

void
deliver_status_ack(struct app *a, const char *run_id, int64_t seq)
{
	struct seen *s = seen_find(a, run_id);
	int i, run;

	if (!s || !s->proto)
		return;
	run = (int)(s - a->seen);
	if (seq > s->acked)
		s->acked = seq;
	for (i = a->nheld - 1; i >= 0; i--)
		if (a->held[i].run == run && a->held[i].seq <= seq)
			held_drop(a, i);
}

void
deliver_connected(struct app *a)
{
	struct sync_run runs[CMD_SEEN_MAX];
	int i, n = 0, kept = 0;

	if (a->protocol == 1) {
		for (i = 0; i < CMD_SEEN_MAX; i++) {
			struct seen *s = &a->seen[i];
			if (s->used && s->proto && (s->slot >= 0 || s->seq > s->acked))
				runs[n++] = (struct sync_run){ s->id, s->state, s->seq };
		}
		link_send(a, frame_sync(runs, n));
	}
	/* what the last connection could not take, in order */
	for (i = 0; i < a->nheld; i++) {
		struct held *h = &a->held[i];
		if ((h->run >= 0) == (a->protocol == 1)) {
			link_send(a, plx_xstrdup(h->frame));
		} else {
			kept++;
		}
	}
	/* legacy answers are sent once; v1 ones wait for their ack */
	for (i = a->nheld - 1; i >= 0; i--)
		if (a->held[i].run < 0 && a->protocol == 0)
			held_drop(a, i);
	if (kept)
		plx_warn("%d results of the other protocol wait (the server changed protocol)", kept);
}

void
deliver_free(struct app *a)
{
	int i;

	for (i = 0; i < CMD_SEEN_MAX; i++)
		free(a->seen[i].last);
	while (a->nheld)
		held_drop(a, a->nheld - 1);
}

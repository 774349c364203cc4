/* The session on the device WebSocket (PLEXUS-WS.md §2, §3, §5, §6):
 *
 *   connect ─▶ upgraded: device_auth (key, source id, the manifest,
 *              protocol 1, hears_goodbye) ─▶ "authenticated" within
 *              --auth-wait (10 s), else closed and retried
 *           ─▶ up: the protocol the server names (1, or legacy when it
 *              names none), the clock offset from server_time_ms, a
 *              command_sync and the replay (deliver.c), a heartbeat every
 *              --heartbeat (30 s); the server's pings are answered by
 *              libwebsockets (ws.c)
 *           ─▶ closed: when to try again, by why:
 *                1001 goodbye (a deploy)       0.1-0.5 s, at random
 *                refused: 1008 after an error  --auth-retry (60 s), said
 *                frame ("Invalid API key")     loudly: a key needs a person
 *                anything else, a failed       --backoff doubling to
 *                connect, 1006 (no close)      --backoff-max, with jitter;
 *                                              the first after a connection
 *                                              that was up is --backoff
 *
 * A connection dropped without a close frame right after its
 * authentication, again and again, is what the server does to the older
 * of two clients with one source id: said once it happened three times.
 * SIGTERM: the runs in hand finish and their results go out, then a close
 * 1001 "going away", then the exit; no new connection is made meanwhile.
 * A second SIGTERM ends the runs (SIGTERM to each) and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "command.h"
#include "log.h"

#define GOODBYE_MIN_MS 100
#define GOODBYE_MAX_MS 500
#define EVICTED_MS     5000   /* dropped this soon after auth: maybe evicted */
#define EVICTED_SAY    3

int
link_up(const struct app *a)
{
	return a->state == LINK_UP;
}

void
link_send(struct app *a, char *frame)
{
	if (a->state == LINK_UP || a->state == LINK_AUTHING)
		ws_send(a->ws, frame);
	else
		free(frame);
}

/* A failure said when it is new, not at every attempt. */
static void
say(struct app *a, const char *fmt, const char *why, int64_t delay)
{
	char line[300];

	snprintf(line, sizeof line, fmt, why);
	if (!strcmp(line, a->said))
		return;
	snprintf(a->said, sizeof a->said, "%s", line);
	plx_warn("%s; retrying in %.1f s", line, delay / 1000.0);
}

static void
on_open(void *arg)
{
	struct app *a = arg;

	a->state = LINK_AUTHING;
	a->auth_error[0] = '\0';
	a->auth_timed_out = 0;
	a->auth_deadline = plx_mono_ms() + a->o.auth_wait_ms;
	ws_send(a->ws, frame_device_auth(a->key, a->source_id, a->manifest));
}

static void
authenticated(struct app *a, const struct frame *f)
{
	a->state = LINK_UP;
	a->protocol = f->protocol;
	a->up_since = plx_mono_ms();
	a->next_heartbeat = a->up_since + a->o.heartbeat_ms;
	a->connects++;
	plx_backoff_reset(&a->bo);
	if (f->server_time_ms > 0)
		health_clock(a, f->server_time_ms, plx_now_ms());
	if (a->said[0])
		plx_warn("connected again");
	a->said[0] = '\0';
	plx_info("connected to %s as %s (%s protocol, %d commands%s)", a->url, a->source_id,
	         f->protocol ? "v1" : "legacy", a->cs.n, a->have_offset ? ", clock offset known" : "");
	deliver_connected(a);
}

static void
on_message(void *arg, const char *s, size_t len)
{
	struct app *a = arg;
	struct frame f;
	char err[200];

	if (frame_parse(&f, s, len, err, sizeof err) < 0) {
		plx_warn_limited(&a->rl, "a frame from the server dropped: %s", err);
		return;
	}
	switch (f.type) {
	case FR_AUTHENTICATED:
		if (a->state == LINK_AUTHING)
			authenticated(a, &f);
		break;
	case FR_ERROR:
		if (a->state == LINK_AUTHING)
			snprintf(a->auth_error, sizeof a->auth_error, "%s", f.message ? f.message : f.code ? f.code : "error");
		else
			plx_warn_limited(&a->rl, "the server says: %s%s%s", f.code ? f.code : f.message ? f.message : "error",
			                 f.detail ? ": " : "", f.detail ? f.detail : "");
		break;
	case FR_TYPED_COMMAND:
	case FR_COMMAND_RUN:
		if (a->state == LINK_UP)
			deliver_command(a, &f);
		break;
	case FR_STATUS_ACK:
		deliver_status_ack(a, f.id, f.seq);
		break;
	case FR_OTHER:
		plx_warn_limited(&a->rl, "a frame of type \"%.40s\" from the server ignored", f.type_name);
		break;
	}
	frame_free(&f);
}

static void
on_closed(void *arg, int code, const char *reason, const char *error)
{
	struct app *a = arg;
	int64_t now = plx_mono_ms(), delay;
	int was = a->state;
	char why[300];

	a->state = LINK_DOWN;
	if (a->stopping) {
		/* the runs in hand still finish: a device is not left half-written */
		link_maybe_goodbye(a);
		return;
	}
	if (a->reconnect_now) {
		a->reconnect_now = 0;
		a->next_connect = now;
		return;
	}
	if (code == 1001) {
		delay = GOODBYE_MIN_MS + random() % (GOODBYE_MAX_MS - GOODBYE_MIN_MS + 1);
		plx_info("the server is going away (%s): reconnecting", reason && *reason ? reason : "1001");
	} else if (was == LINK_AUTHING && (a->auth_error[0] || code == 1008)) {
		delay = a->o.auth_retry_ms;
		snprintf(why, sizeof why, "%s", a->auth_error[0] ? a->auth_error : reason && *reason ? reason : "refused");
		say(a, "the server refused us (%s): check the API key (" "its write scope) and the source id", why, delay);
	} else {
		delay = plx_backoff_next(&a->bo, 1);
		if (error)
			snprintf(why, sizeof why, "%s", error);
		else if (was == LINK_AUTHING && a->auth_timed_out)
			snprintf(why, sizeof why, "no answer to device_auth in %g s", a->o.auth_wait_ms / 1000.0);
		else if (code == 1006)
			snprintf(why, sizeof why, "connection lost without a close frame");
		else
			snprintf(why, sizeof why, "closed by the server (%d%s%s)", code, reason && *reason ? " " : "",
			         reason ? reason : "");
		if (was == LINK_UP && code == 1006 && now - a->up_since < EVICTED_MS) {
			if (++a->drops == EVICTED_SAY)
				plx_warn("connections keep being dropped right after authentication: is another"
				         " gateway connected with source id %s? (the server keeps the newest)", a->source_id);
		} else if (was == LINK_UP) {
			a->drops = 0;
		}
		say(a, was == LINK_UP ? "connection to the server ended: %s" : "unable to connect: %s", why, delay);
	}
	a->next_connect = now + delay;
}

void
link_start(struct app *a)
{
	a->state = LINK_DOWN;
	a->next_connect = plx_mono_ms();
	a->started = a->next_connect;
	plx_backoff_init(&a->bo, a->o.backoff_ms, a->o.backoff_max_ms);
}

struct ws_hooks
link_hooks(struct app *a)
{
	return (struct ws_hooks){ on_open, on_message, on_closed, a };
}

int64_t
link_prepare(struct app *a)
{
	int64_t now = plx_mono_ms();
	char err[300];

	switch (a->state) {
	case LINK_DOWN:
		if (a->stopping || a->next_connect < 0)
			return -1;
		if (now < a->next_connect)
			return a->next_connect;
		a->state = LINK_CONNECTING;
		a->next_connect = -1;
		if (ws_connect(a->ws, a->url, err, sizeof err) < 0)
			plx_die(78, "%s", err);   /* checked at start: cannot be */
		return -1;
	case LINK_CONNECTING:
		return -1;   /* libwebsockets' own time limit */
	case LINK_AUTHING:
		if (now >= a->auth_deadline && !a->auth_timed_out) {
			a->auth_timed_out = 1;
			a->auth_deadline = now + a->o.auth_wait_ms;   /* the close's own time limit is libwebsockets' */
			ws_close(a->ws, 1000, "no authenticated frame");
		}
		return a->auth_deadline;
	case LINK_UP:
		if (now >= a->next_heartbeat) {
			link_send(a, frame_heartbeat(a->source_id, (now - a->started) / 1000));
			a->next_heartbeat = now + a->o.heartbeat_ms;
		}
		return a->next_heartbeat;
	}
	return -1;
}

void
link_reload(struct app *a)
{
	if (a->state == LINK_DOWN) {
		a->next_connect = plx_mono_ms();
		return;
	}
	a->reconnect_now = 1;
	ws_close(a->ws, 1001, "reloading");
}

void
link_maybe_goodbye(struct app *a)
{
	if (!a->stopping || runner_running(a->runner))
		return;
	if (a->state == LINK_DOWN) {
		plx_loop_stop(&a->l, 0);
		return;
	}
	ws_close(a->ws, 1001, "going away");
}

void
link_stop(struct app *a)
{
	if (a->stopping) {
		/* the second one: do not wait for the runs */
		runner_kill_all(a->runner);
		plx_loop_stop(&a->l, 0);
		return;
	}
	a->stopping = 1;
	if (runner_running(a->runner))
		plx_info("stopping: waiting for %d commands to finish", runner_running(a->runner));
	link_maybe_goodbye(a);
}

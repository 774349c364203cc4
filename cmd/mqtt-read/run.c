/* The run (lib/loop): messages from the broker through their format and
 * the names into records on stdout, and the status records.
 *
 * Stdout is a bounded queue (lib/out): a consumer that takes nothing
 * makes records dropped and counted (overruns), while the broker's socket
 * is read on as ever, so that the broker never sees a stalled client (it
 * would drop us, or queue for us without bound).  A message no format can
 * read is said on stderr (rate-limited), counted as rejected, and the run
 * goes on.  SIGHUP reads the login and the devices file again and
 * connects anew; SIGTERM and SIGINT disconnect cleanly (the session stays
 * at the broker) and end the run with status 0. */
#include <mosquitto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "mqtt.h"

#define WARN_PER_S 20          /* stderr lines about bad messages, per second */

struct app {
	const struct opts *o;
	struct namer *nm;
	struct plx_loop *l;
	struct client *c;
	struct mq_dec dec;
	struct plx_recs st;        /* status records being built */
	struct plx_ratelim rl;
	char broker[300];          /* the broker tag of status records */
	unsigned long n_msg, n_rejected, n_ignored;
};

const struct sub *
sub_find(const struct opts *o, const char *topic)
{
	bool match;
	int i;

	for (i = 0; i < o->nsub; i++)
		if (mosquitto_topic_matches_sub(o->sub[i].filter, topic, &match) == MOSQ_ERR_SUCCESS && match)
			return &o->sub[i];
	return NULL;
}

static void
on_message(void *arg, const char *topic, const void *payload, size_t len)
{
	struct app *a = arg;
	const struct sub *s = sub_find(a->o, topic);
	char err[400];
	int n;

	a->n_msg++;
	if (!s) {
		/* a session kept at the broker from a run with other filters */
		a->n_ignored++;
		return;
	}
	n = mq_decode(&a->dec, s->fmt, topic, payload, len, plx_now_ms(), err, sizeof err);
	if (n == MQ_IGNORE) {
		a->n_ignored++;
		return;
	}
	if (n >= 0)
		n = name_records(a->nm, &a->dec, plx_mono_ms(), err, sizeof err);
	if (n < 0) {
		a->n_rejected++;
		plx_warn_limited(&a->rl, "%.200s: %s", topic, err);
		return;
	}
	if (err[0])
		plx_warn_limited(&a->rl, "%.200s: %s", topic, err);
	if (n > 0)
		plx_loop_put(a->l, a->nm->out.s, a->nm->out.len, n);
}

static void
on_state(void *arg, int up)
{
	struct app *a = arg;

	if (!up)
		name_all_down(a->nm);
}

static void
status(struct plx_loop *l, void *arg)
{
	struct app *a = arg;
	const struct { const char *name; unsigned long v; } c[] = {
		{ "gateway.mqtt.messages", a->n_msg }, { "gateway.mqtt.rejected", a->n_rejected },
		{ "gateway.mqtt.ignored", a->n_ignored }, { "gateway.mqtt.readings_refused", a->nm->refused },
		{ "gateway.mqtt.reconnects", client_reconnects(a->c) }, { "gateway.mqtt.overruns", l->out.overruns },
		{ "gateway.mqtt.connected", (unsigned long)client_connected(a->c) },
	};
	int synced = plx_clock_synced();
	struct plx_tags t = a->nm->base;
	char err[200];
	int64_t ts = plx_now_ms();
	size_t i;

	if (plx_tags_add(&t, "broker", a->broker, err, sizeof err) < 0)
		plx_warn("status records: %s", err);
	plx_recs_clear(&a->st);
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		plx_recs_num(&a->st, c[i].name, (double)c[i].v, ts, &t);
	if (synced >= 0)
		plx_recs_num(&a->st, "gateway.mqtt.clock_synced", synced, ts, &t);
	if (plx_live_records(&a->nm->live, &a->st, ts, plx_mono_ms(), &a->nm->base) < 0)
		plx_warn("status records: %s", a->st.err);
	plx_loop_put(l, a->st.s, a->st.len, a->st.n);
}

static void
live_tick(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	(void)l;
	plx_live_check(&a->nm->live, plx_mono_ms());
}

static int64_t
prepare(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	(void)l;
	return client_prepare(a->c);
}

static void
on_hup(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	(void)l;
	name_devices(a->nm);
	client_reconnect(a->c);
}

static void
finish(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	/* the last status as things stood: connected (the DISCONNECT after it
	 * is ours, not the broker's going) */
	if (a->o->status_ms && plx_loop_drain(l) == 0)   /* room for it */
		status(l, a);
	client_stop(a->c);
}

int
run(const struct opts *o, struct namer *nm)
{
	struct plx_loop l;
	struct app a = { .o = o, .nm = nm, .l = &l, .rl = { .per_s = WARN_PER_S, .what = "bad messages" } };
	int rc;

	plx_loop_init(&l, &a);
	plx_loop_output(&l, STDOUT_FILENO, (size_t)o->queue_max, 0);   /* the broker cannot wait */
	plx_loop_ratelim(&l, &a.rl);
	mq_dec_init(&a.dec);
	plx_recs_init(&a.st);
	snprintf(a.broker, sizeof a.broker, "%s:%lld", o->host, (long long)o->port);
	a.c = client_new(o, &l, on_message, on_state, &a);
	if (o->status_ms)
		plx_loop_every(&l, o->status_ms, status);
	plx_loop_every(&l, 1000, live_tick);
	l.prepare = prepare;
	l.on_hup = on_hup;
	l.on_stop = finish;
	plx_clock_say_unsynced();
	rc = plx_loop_run(&l);
	client_free(a.c);
	mq_dec_free(&a.dec);
	plx_recs_free(&a.st);
	plx_loop_free(&l);
	return rc;
}

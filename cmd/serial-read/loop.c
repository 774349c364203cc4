/* The loop (lib/loop.c): the input, and deadlines for --flush-ms and the
 * status records.
 *
 * A port that fails (EIO, a hang-up, a 0-byte read: the USB adapter was
 * pulled) is closed, said once on stderr, and reopened with a backoff that
 * doubles from 100 ms up to --backoff-max (lib/backoff.c); the tool never
 * exits for it.  A file or stdin ends at EOF.  SIGTERM and SIGINT end the
 * run (final status out first), SIGHUP reopens the port, a broken stdout
 * (EPIPE) ends the run: the supervisor restarts the pipeline.
 *
 * A line that never got its end is not a reading: what the device had
 * printed of an unfinished line when the port went away, was reopened or
 * the run stopped is dropped, counted (fragments_dropped) and said.  Only
 * the end of a file or stdin, or --flush-ms, ends a line without its end.
 *
 * With --control, lines from serial-write go to the port (control.c): the
 * port is watched for POLLOUT too while lines wait for it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "serial.h"

#define READ_CHUNK 65536
#define WARN_PER_S 20          /* stderr lines about bad input, per second */
#define PAUSE_NOTE_MS 500      /* a refused line that paused this long: said */

struct reader {
	const struct opts *o;
	struct lp *lp;
	struct plx_loop *l;
	struct frame fr;
	struct plx_recs st;     /* status records being built */
	struct plx_reopen port; /* the port's comings and goings */
	struct plx_ratelim rl;  /* warnings about input */
	struct identity id;     /* the port's device and its liveness */
	struct ctl *ctl;        /* --control, or NULL */
	int fd;
	int in;                 /* the input's watch */
	int eof;                /* a file or stdin ended */
	unsigned long lineno;   /* lines since start (all reconnects) */
	unsigned long n_read, n_rejected, n_truncated, n_fragments;
	int port_tag_said;      /* the port's name is no tag: said */
};

static void
input_warn(struct reader *r, const char *why)
{
	plx_warn_limited(&r->rl, "%s:%lu: %s", r->o->name, r->lineno, why);
}

static void
on_line(void *ctx, const struct fr_line *l)
{
	struct reader *r = ctx;
	char err[300], why[420];
	int n;

	r->lineno++;
	r->n_read++;
	plx_live_data(&r->id.live, r->id.dev, plx_mono_ms());
	if (!l->s) {
		/* a device ending lines otherwise than -d says gives one endless line */
		r->n_truncated++;
		snprintf(why, sizeof why, "longer than %zu bytes, dropped%s", r->o->max_line,
		         l->stray == '\r' ? " (it holds CRs but no LF: for a device that ends lines"
		                            " with CR only, --delimiter auto or cr)"
		         : l->stray == '\n' ? " (it holds LFs that do not end it: --delimiter auto or lf)" : "");
		input_warn(r, why);
		return;
	}
	if ((n = lp_parse(r->lp, l->s, l->len, l->ts, err, sizeof err)) < 0) {
		r->n_rejected++;
		/* a pause inside a refused line: likely the start of an unfinished
		 * line run into the next one (the device restarted) */
		if (l->pause >= PAUSE_NOTE_MS)
			snprintf(why, sizeof why, "%s (a pause of %lld ms before byte %zu)", err,
			         (long long)l->pause, l->pause_at + 1);
		else
			snprintf(why, sizeof why, "%s", err);
		input_warn(r, why);
		return;
	}
	if (n > 0)
		plx_loop_put(r->l, r->lp->out.s, r->lp->out.len, n);
}

/* The line in progress can no longer get its end: dropped, counted, said. */
static void
drop_fragment(struct reader *r, const char *cause)
{
	char why[200];
	size_t n = frame_drop(&r->fr);

	if (n == 0)
		return;
	r->lineno++;
	r->n_fragments++;
	snprintf(why, sizeof why, "%zu bytes of a line without its end dropped (%s)", n, cause);
	input_warn(r, why);
}

static void
status(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;
	const struct { const char *name; unsigned long v; } c[] = {
		{ "gateway.serial.lines_read", r->n_read }, { "gateway.serial.lines_rejected", r->n_rejected },
		{ "gateway.serial.lines_truncated", r->n_truncated }, { "gateway.serial.reconnects", r->port.lost },
		{ "gateway.serial.overruns", l->out.overruns },
		{ "gateway.serial.fragments_dropped", r->n_fragments },
		{ "gateway.serial.values_missing", r->lp->missing },
	};
	int synced = plx_clock_synced();
	struct plx_tags t = r->lp->tags;
	char port[PLX_NAME_MAX + 1], err[200];
	int64_t ts = plx_now_ms();
	size_t i;

	snprintf(port, sizeof port, "%s", r->o->name);
	/* a port name that is no tag value (not UTF-8): left out, alone, and
	 * said once; the other tags stay */
	if (plx_tags_add(&t, "port", port, err, sizeof err) < 0 && !r->port_tag_said++)
		plx_warn("status records: %s: left out", err);
	plx_recs_clear(&r->st);
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		plx_recs_num(&r->st, c[i].name, (double)c[i].v, ts, &t);
	if (synced >= 0)
		plx_recs_num(&r->st, "gateway.serial.clock_synced", synced, ts, &t);
	ctl_status(r->ctl, &r->st, ts, &t);
	if (plx_live_records(&r->id.live, &r->st, ts, plx_mono_ms(), &r->lp->tags) < 0)
		plx_warn("status records: %s", r->st.err);
	plx_loop_put(l, r->st.s, r->st.len, r->st.n);
}

/* The port failed (or SIGHUP): closed, and reopened after delay ms. */
static void
port_close(struct reader *r, const char *why, int64_t delay)
{
	drop_fragment(r, why ? "the device went away" : "the port was reopened");
	plx_reopen_lost(&r->port, why, delay);
	ctl_port_lost(r->ctl);
	plx_live_connected(&r->id.live, r->id.dev, 0);
	close(r->fd);
	r->fd = -1;
	lp_reset(r->lp);
}

static void
on_input(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct reader *r = arg;
	static char buf[READ_CHUNK];
	ssize_t n;

	if ((revents & POLLOUT) && ctl_write(r->ctl, r->fd) < 0) {
		port_close(r, strerror(errno), 100);
		return;
	}
	if (!(revents & ~POLLOUT))
		return;
	if ((n = plx_read(r->fd, buf, sizeof buf)) > 0) {
		frame_feed(&r->fr, buf, (size_t)n, plx_now_ms(), plx_mono_ms());
		/* a file's records may have waited for stdout meanwhile: the
		 * quiet (a pause, --flush-ms) starts now */
		r->fr.last_mono = plx_mono_ms();
	} else if (n < 0 && errno == EAGAIN && !(revents & (POLLHUP | POLLERR | POLLNVAL))) {
		;
	} else if (!r->o->port) {
		if (n < 0)
			plx_warn("read %s:", r->o->name);
		r->eof = 1;
		plx_loop_stop(l, 0);
	} else {
		/* a pulled USB adapter takes a moment to vanish and come back */
		port_close(r, n == 0 ? "end of file" : n < 0 && errno == EAGAIN ? "hang-up"
		           : strerror(errno), 100);
	}
}

static void
on_hup(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;

	if (!r->o->port)
		return;
	identity_load(&r->id, r->o, r->lp);     /* the devices file, read again */
	if (r->fd < 0)
		return;
	plx_info("%s: SIGHUP, reopening", r->o->name);
	port_close(r, NULL, 0);
}

/* Before each wait: the port opened when due; the input read while
 * stdout keeps up (a port always: what does not fit the queue is dropped
 * and counted; a file or stdin waits); a pause that ends a line. */
static int64_t
prepare(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;
	int64_t now = plx_mono_ms(), due = -1, d;
	char err[200];
	int reading;

	if (r->o->port && r->fd < 0 && plx_reopen_due(&r->port, now)) {
		if ((r->fd = port_open(r->o, err, sizeof err)) >= 0) {
			plx_reopen_ok(&r->port);
			plx_live_connected(&r->id.live, r->id.dev, 1);
		} else
			plx_reopen_failed(&r->port, err);
	}
	if (r->o->port && r->fd < 0)
		due = r->port.at;
	reading = r->fd >= 0 && (r->o->port || plx_out_pending(&l->out) < (size_t)r->o->queue_max / 2);
	plx_loop_fd_set(l, r->in, r->fd, (reading ? POLLIN : 0) | ctl_events(r->ctl));
	if (r->fd >= 0 && !reading && frame_pending(&r->fr))
		r->fr.last_mono = now;      /* not reading is not quiet */
	if ((d = ctl_prepare(r->ctl, r->fd, now, r->port.said)) >= 0 && (due < 0 || d < due))
		due = d;
	if (r->o->flush_ms && frame_pending(&r->fr)) {
		if (now - r->fr.last_mono >= r->o->flush_ms)
			frame_flush(&r->fr);    /* the user says a pause ends a line */
		else if (due < 0 || r->fr.last_mono + r->o->flush_ms < due)
			due = r->fr.last_mono + r->o->flush_ms;
	}
	return due;
}

static void
live_tick(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;

	plx_live_check(&r->id.live, plx_mono_ms());
}

static void
finish(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;

	if (r->eof)
		frame_flush(&r->fr);    /* the input is whole: its last line needs no end */
	else
		drop_fragment(r, "stopped");
	ctl_stop(r->ctl);
	if (r->o->status_ms)
		status(l, r);
}

int
run(const struct opts *o, struct lp *lp)
{
	struct plx_loop l;
	struct reader r = { .o = o, .lp = lp, .l = &l, .fd = -1,
	                    .rl = { .per_s = WARN_PER_S, .what = "bad lines" } };
	int rc;

	plx_loop_init(&l, &r);
	plx_loop_output(&l, STDOUT_FILENO, o->queue_max, !o->port);  /* a file can wait */
	plx_loop_ratelim(&l, &r.rl);
	if (frame_init(&r.fr, o->max_line, o->delim, on_line, &r) < 0)
		plx_die(EX_OSERR, "out of memory");
	plx_recs_init(&r.st);
	plx_reopen_init(&r.port, o->name, o->backoff_max_ms);
	identity_init(&r.id, o, lp);
	if (!o->port) {
		if (!strcmp(o->file, "-"))
			r.fd = STDIN_FILENO;
		else if ((r.fd = open(o->file, O_RDONLY | O_CLOEXEC)) < 0)
			plx_die(EX_NOINPUT, "unable to open %s:", o->file);
		plx_nonblock(r.fd, 1);
	}
	r.in = plx_loop_fd(&l, r.fd, POLLIN, on_input);
	if (o->control)
		r.ctl = ctl_open(o, &l);
	if (o->status_ms)
		plx_loop_every(&l, o->status_ms, status);
	if (o->port)
		plx_loop_every(&l, 1000, live_tick);
	l.prepare = prepare;
	l.on_hup = on_hup;
	l.on_stop = finish;
	plx_clock_say_unsynced();
	rc = plx_loop_run(&l);
	if (r.fd >= 0)
		close(r.fd);
	frame_free(&r.fr);
	plx_recs_free(&r.st);
	identity_free(&r.id);
	ctl_free(r.ctl);
	plx_loop_free(&l);
	return rc;
}

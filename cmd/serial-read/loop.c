/* The loop: one ppoll() on the input, with signals unblocked only inside
 * it (so a signal is never lost between a check and the wait), and deadlines
 * for --flush-ms and the status records.
 *
 * A port that fails (EIO, a hang-up, a 0-byte read: the USB adapter was
 * pulled) is closed, said once on stderr, and reopened with a backoff that
 * doubles from 100 ms up to --backoff-max; the tool never exits for it.
 * A file or stdin ends at EOF.  SIGTERM and SIGINT end the run (final
 * status out first), SIGHUP reopens the port, a broken stdout (EPIPE) ends
 * the run: the supervisor restarts the pipeline.
 *
 * A line that never got its end is not a reading: what the device had
 * printed of an unfinished line when the port went away, was reopened or
 * the run stopped is dropped, counted (fragments_dropped) and said.  Only
 * the end of a file or stdin, or --flush-ms, ends a line without its end. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "sig.h"
#include "out.h"
#include "serial.h"

#define READ_CHUNK 65536
#define WARN_PER_S 20          /* stderr lines about bad input, per second */
#define PAUSE_NOTE_MS 500      /* a refused line that paused this long: said */

struct reader {
	const struct opts *o;
	struct plx_lp *lp;
	struct frame fr;
	struct plx_out out;     /* stdout: bounded queue, never blocks the port */
	struct plx_recs st;     /* status records being built */
	int fd;
	int stop;               /* 0, or the exit status to end with */
	unsigned long lineno;   /* lines since start (all reconnects) */
	unsigned long n_read, n_rejected, n_truncated, n_reconnects, n_fragments;
	int64_t warn_second;    /* rate limit of warnings about input */
	int nwarn;
	unsigned long suppressed;
	unsigned long overruns_told;  /* stdout overruns already said on stderr */
	int64_t overrun_warned;       /* ... when (monotonic) */
	int64_t next_open;      /* port closed: when to try again (monotonic) */
	int64_t backoff;        /* ... and the wait after that, ms */
	char last_err[200];     /* the last reason said about the port */
	int port_tag_said;      /* the port's name is no tag: said */
};

/* Warnings about input, at most WARN_PER_S a second: line noise at 921600
 * baud must not turn into a flood on stderr. */
static void
warn_tick(struct reader *r)
{
	int64_t sec = plx_mono_ms() / 1000;

	if (sec != r->warn_second) {
		if (r->suppressed)
			plx_warn("%s: %lu more bad lines not reported", r->o->name, r->suppressed);
		r->warn_second = sec;
		r->nwarn = 0;
		r->suppressed = 0;
	}
}

static void
input_warn(struct reader *r, const char *why)
{
	warn_tick(r);
	if (r->nwarn++ < WARN_PER_S)
		plx_warn("%s:%lu: %s", r->o->name, r->lineno, why);
	else
		r->suppressed++;
}

/* Queues the records of one line (or the status); a broken stdout ends the
 * run (DESIGN §2: the supervisor restarts the pipeline). */
static void
out_failed(struct reader *r)
{
	if (r->stop)
		return;
	if (errno == EPIPE) {
		plx_info("stdout closed, exiting");
		r->stop = 0x100;    /* exit 0 */
	} else {
		plx_warn("write to stdout:");
		r->stop = EX_IOERR;
	}
}

static void
put(struct reader *r, const char *text, size_t len, int n)
{
	if (!r->stop && plx_out_put(&r->out, text, len, n) < 0)
		out_failed(r);
}

static void
on_line(void *ctx, const struct fr_line *l)
{
	struct reader *r = ctx;
	char err[300], why[420];
	int n;

	r->lineno++;
	r->n_read++;
	if (!l->s) {
		/* a device ending lines otherwise than -d says gives one endless line */
		r->n_truncated++;
		snprintf(why, sizeof why, "longer than %zu bytes, dropped%s", r->o->max_line,
		         l->stray == '\r' ? " (it holds CRs but no LF: for a device that ends lines"
		                            " with CR only, -d auto or -d cr)"
		         : l->stray == '\n' ? " (it holds LFs that do not end it: -d auto or -d lf)" : "");
		input_warn(r, why);
		return;
	}
	if ((n = plx_lp_parse(r->lp, l->s, l->len, l->ts, err, sizeof err)) < 0) {
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
		put(r, r->lp->out.s, r->lp->out.len, n);
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
status(struct reader *r)
{
	const struct { const char *name; unsigned long v; } c[] = {
		{ "gateway.serial.lines_read", r->n_read }, { "gateway.serial.lines_rejected", r->n_rejected },
		{ "gateway.serial.lines_truncated", r->n_truncated }, { "gateway.serial.reconnects", r->n_reconnects },
		{ "gateway.serial.overruns", r->out.overruns },
		{ "gateway.serial.fragments_dropped", r->n_fragments },
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
	put(r, r->st.s, r->st.len, r->st.n);
}

/* Records dropped because stdout was too slow: said at most every 10 s. */
static void
overrun_tick(struct reader *r, int64_t now)
{
	if (r->out.overruns == r->overruns_told || now - r->overrun_warned < 10000)
		return;
	plx_warn("stdout too slow: dropped %lu records (%lu in all)",
	         r->out.overruns - r->overruns_told, r->out.overruns);
	r->overruns_told = r->out.overruns;
	r->overrun_warned = now;
}

/* One attempt to open the port; on failure the next one is planned with a
 * backoff doubling from 100 ms to --backoff-max, and a reason that changed
 * is said once. */
static void
try_open(struct reader *r, int64_t now)
{
	char err[200];

	if ((r->fd = port_open(r->o, err, sizeof err)) >= 0) {
		if (*r->last_err)
			plx_warn("%s: open again", r->o->name);
		*r->last_err = '\0';
		r->backoff = 100;
		return;
	}
	if (strcmp(err, r->last_err)) {
		plx_warn("%s: unable to open: %s; retrying", r->o->name, err);
		snprintf(r->last_err, sizeof r->last_err, "%s", err);
	}
	r->next_open = now + r->backoff;
	r->backoff = r->backoff * 2 > r->o->backoff_max_ms ? r->o->backoff_max_ms : r->backoff * 2;
}

/* The port failed (or SIGHUP): close it, and reopen after delay ms. */
static void
port_close(struct reader *r, const char *why, int64_t delay)
{
	if (why) {
		plx_warn("%s: device gone (%s); reopening", r->o->name, why);
		snprintf(r->last_err, sizeof r->last_err, "%s", why);
		r->n_reconnects++;
	}
	drop_fragment(r, why ? "the device went away" : "the port was reopened");
	close(r->fd);
	r->fd = -1;
	plx_lp_reset(r->lp);
	r->next_open = plx_mono_ms() + delay;
	r->backoff = 100;
}

/* Bytes from the input; 1 at the end of a file or stdin. */
static int
on_input(struct reader *r, short revents)
{
	static char buf[READ_CHUNK];
	ssize_t n = plx_read(r->fd, buf, sizeof buf);

	if (n > 0) {
		frame_feed(&r->fr, buf, (size_t)n, plx_now_ms(), plx_mono_ms());
		/* a file's records may have waited for stdout meanwhile: the
		 * quiet (a pause, --flush-ms) starts now */
		r->fr.last_mono = plx_mono_ms();
	} else if (n < 0 && errno == EAGAIN && !(revents & (POLLHUP | POLLERR | POLLNVAL))) {
		;
	} else if (!r->o->port) {
		if (n < 0)
			plx_warn("read %s:", r->o->name);
		return 1;
	} else {
		/* a pulled USB adapter takes a moment to vanish and come back */
		port_close(r, n == 0 ? "end of file" : n < 0 && errno == EAGAIN ? "hang-up"
		           : strerror(errno), 100);
	}
	return 0;
}

/* Milliseconds to the nearest deadline (--flush-ms, the warning rate
 * limit, status, reopening the port), or -1 for none. */
static int64_t
next_wait(const struct reader *r, int64_t now, int64_t next_status)
{
	const struct opts *o = r->o;
	int64_t wait = -1;

	if (o->flush_ms && frame_pending(&r->fr))
		wait = r->fr.last_mono + o->flush_ms - now;
	if (r->suppressed && (wait < 0 || 1000 - now % 1000 < wait))
		wait = 1000 - now % 1000;
	if (o->status_s && (wait < 0 || next_status - now < wait))
		wait = next_status - now;
	if (r->fd < 0 && (wait < 0 || r->next_open - now < wait))
		wait = r->next_open - now;
	if (wait < 0 && ((o->flush_ms && frame_pending(&r->fr)) || o->status_s || r->fd < 0))
		wait = 0;
	return wait;
}

int
run(const struct opts *o, struct plx_lp *lp)
{
	struct reader r = { .o = o, .lp = lp, .fd = -1, .backoff = 100 };
	sigset_t orig;
	struct pollfd pf[2];
	struct timespec tmo;
	int64_t now, next_status, wait;
	int nf, in, eof = 0;

	if (frame_init(&r.fr, o->max_line, o->delim, on_line, &r) < 0 ||
	    plx_out_init(&r.out, STDOUT_FILENO, o->queue_max) < 0)
		plx_die(EX_OSERR, "unable to set up:");
	r.out.wait = !o->port;      /* a file can wait for a slow consumer */
	plx_recs_init(&r.st);
	plx_signals_setup(&orig);
	if (!o->port) {
		if (!strcmp(o->file, "-"))
			r.fd = STDIN_FILENO;
		else if ((r.fd = open(o->file, O_RDONLY | O_CLOEXEC)) < 0)
			plx_die(EX_NOINPUT, "unable to open %s:", o->file);
		plx_nonblock(r.fd, 1);
	}
	next_status = plx_mono_ms() + (int64_t)o->status_s * 1000;
	if (plx_clock_synced() == 0)
		plx_info("the system clock is not synchronised: records are stamped with it as it is");

	while (!r.stop && !plx_got_term) {
		now = plx_mono_ms();
		if (o->port && r.fd < 0 && now >= r.next_open)
			try_open(&r, now);
		wait = next_wait(&r, now, next_status);
		tmo.tv_sec = wait / 1000;
		tmo.tv_nsec = (wait % 1000) * 1000000;
		/* A port is read on while stdout is slow (what does not fit the
		 * queue is dropped and counted); a file or stdin waits. */
		nf = 0, in = -1;
		if (r.fd >= 0 && (o->port || plx_out_pending(&r.out) < o->queue_max / 2))
			pf[in = nf++] = (struct pollfd){ .fd = r.fd, .events = POLLIN };
		else if (frame_pending(&r.fr))
			r.fr.last_mono = now;   /* not reading is not quiet */
		if (plx_out_pending(&r.out))
			pf[nf++] = (struct pollfd){ .fd = STDOUT_FILENO, .events = POLLOUT };
		if (ppoll(pf, (nfds_t)nf, wait < 0 ? NULL : &tmo, &orig) < 0 && errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		if (plx_got_term)
			break;
		if (plx_got_hup && o->port && r.fd >= 0) {
			plx_info("%s: SIGHUP, reopening", o->name);
			port_close(&r, NULL, 0);
		} else if (in >= 0 && pf[in].revents && (eof = on_input(&r, pf[in].revents))) {
			break;      /* EOF of a file or stdin */
		}
		plx_got_hup = 0;
		if (plx_out_flush(&r.out) < 0)
			out_failed(&r);
		now = plx_mono_ms();
		if (r.suppressed)
			warn_tick(&r);
		overrun_tick(&r, now);
		if (o->flush_ms && frame_pending(&r.fr) && now - r.fr.last_mono >= o->flush_ms)
			frame_flush(&r.fr);     /* the user says a pause ends a line */
		if (o->status_s && now >= next_status) {
			status(&r);
			next_status = now + (int64_t)o->status_s * 1000;
		}
	}
	if (eof)
		frame_flush(&r.fr);     /* the input is whole: its last line needs no end */
	else if (!r.stop)           /* (stdout is gone: nothing more is said) */
		drop_fragment(&r, "stopped");
	r.warn_second = -1;
	warn_tick(&r);
	if (o->status_s && !r.stop)
		status(&r);
	if (!r.stop && plx_out_drain(&r.out, plx_got_term) < 0)
		out_failed(&r);
	r.overrun_warned = -10000;
	overrun_tick(&r, 0);
	if (r.fd >= 0)
		close(r.fd);
	frame_free(&r.fr);
	plx_out_free(&r.out);
	plx_recs_free(&r.st);
	return r.stop == 0x100 ? 0 : r.stop;
}

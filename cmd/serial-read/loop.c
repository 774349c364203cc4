/* The loop: one ppoll() on the input, with signals unblocked only inside
 * it (so a signal is never lost between a check and the wait), and deadlines
 * for the partial-line flush and the status records.
 *
 * A port that fails (EIO, a hang-up, a 0-byte read: the USB adapter was
 * pulled) is closed, said once on stderr, and reopened with a backoff that
 * doubles from 100 ms up to --backoff-max; the tool never exits for it.
 * A file or stdin ends at EOF.  SIGTERM and SIGINT end the run (partial
 * line and final status out first), SIGHUP reopens the port, a broken
 * stdout (EPIPE) ends the run: the supervisor restarts the pipeline. */
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
#include "serial.h"

#define READ_CHUNK 65536
#define WARN_PER_S 20          /* stderr lines about bad input, per second */

struct reader {
	const struct opts *o;
	struct plx_lp *lp;
	struct frame fr;
	int fd;
	int stop;               /* 0, or the exit status to end with */
	unsigned long lineno;   /* lines since start (all reconnects) */
	unsigned long n_read, n_rejected, n_truncated, n_reconnects;
	int64_t warn_second;    /* rate limit of warnings about input */
	int nwarn;
	unsigned long suppressed;
	int64_t next_open;      /* port closed: when to try again (monotonic) */
	int64_t backoff;        /* ... and the wait after that, ms */
	char last_err[200];     /* the last reason said about the port */
};

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig) { if (sig == SIGHUP) got_hup = 1; else got_term = 1; }

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

static void
put(struct reader *r, json_object *rec)
{
	if (r->stop)
		return;
	if (plx_record_write(STDOUT_FILENO, rec) == 0)
		return;
	if (errno == EPIPE) {
		plx_info("stdout closed, exiting");
		r->stop = 0x100;    /* exit 0 */
	} else if (errno == EMSGSIZE) {
		r->n_rejected++;
		input_warn(r, "record longer than 64 KiB, dropped");
	} else {
		plx_warn("write to stdout:");
		r->stop = EX_IOERR;
	}
}

static void
on_line(void *ctx, char *line, size_t len, int64_t ts)
{
	struct reader *r = ctx;
	char err[300], why[340];
	int i, n;

	r->lineno++;
	r->n_read++;
	if (!line) {
		r->n_truncated++;
		snprintf(why, sizeof why, "longer than %zu bytes, dropped", r->o->max_line);
		input_warn(r, why);
		return;
	}
	if ((n = plx_lp_parse(r->lp, line, len, ts, err, sizeof err)) < 0) {
		r->n_rejected++;
		input_warn(r, err);
		return;
	}
	for (i = 0; i < n; i++)
		put(r, r->lp->rec[i]);
}

static void
status(struct reader *r)
{
	const struct { const char *name; unsigned long *v; } c[] = {
		{ "serial.lines_read", &r->n_read }, { "serial.lines_rejected", &r->n_rejected },
		{ "serial.lines_truncated", &r->n_truncated }, { "serial.reconnects", &r->n_reconnects },
	};
	char port[PLX_NAME_MAX + 1];
	int64_t ts = plx_now_ms();
	size_t i;
	int k;

	snprintf(port, sizeof port, "%s", r->o->name);
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		json_object *rec = plx_record_new(c[i].name, json_object_new_int64((int64_t)*c[i].v), ts);
		if (r->lp->source_id)
			json_object_object_add(rec, "source_id", json_object_new_string(r->lp->source_id));
		for (k = 0; k < r->lp->ntags; k++)
			plx_record_tag(rec, r->lp->tag_key[k], r->lp->tag_val[k]);
		plx_record_tag(rec, "port", port);
		put(r, rec);
		json_object_put(rec);
	}
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
	frame_flush(&r->fr);
	close(r->fd);
	r->fd = -1;
	plx_lp_reset(r->lp);
	r->next_open = plx_mono_ms() + delay;
	r->backoff = 100;
}

int
run(const struct opts *o, struct plx_lp *lp)
{
	static char buf[READ_CHUNK];
	struct reader r = { .o = o, .lp = lp, .fd = -1, .backoff = 100 };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	struct pollfd pfd;
	struct timespec tmo;
	int64_t now, next_status, wait;
	ssize_t n;

	if (frame_init(&r.fr, o->max_line, o->delim, on_line, &r) < 0)
		plx_die(EX_OSERR, "out of memory");
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!o->port) {
		if (!strcmp(o->file, "-"))
			r.fd = STDIN_FILENO;
		else if ((r.fd = open(o->file, O_RDONLY | O_CLOEXEC)) < 0)
			plx_die(EX_NOINPUT, "unable to open %s:", o->file);
		plx_nonblock(r.fd, 1);
	}
	next_status = plx_mono_ms() + (int64_t)o->status_s * 1000;

	while (!r.stop && !got_term) {
		now = plx_mono_ms();
		if (o->port && r.fd < 0 && now >= r.next_open)
			try_open(&r, now);
		/* the nearest deadline: flush, status, next attempt to open */
		wait = -1;
		if (frame_pending(&r.fr))
			wait = r.fr.last_mono + o->flush_ms - now;
		if (r.suppressed && (wait < 0 || 1000 - now % 1000 < wait))
			wait = 1000 - now % 1000;
		if (o->status_s && (wait < 0 || next_status - now < wait))
			wait = next_status - now;
		if (r.fd < 0 && (wait < 0 || r.next_open - now < wait))
			wait = r.next_open - now;
		if (wait < 0 && (frame_pending(&r.fr) || o->status_s || r.fd < 0))
			wait = 0;
		tmo.tv_sec = wait / 1000;
		tmo.tv_nsec = (wait % 1000) * 1000000;
		pfd.fd = r.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (ppoll(&pfd, r.fd >= 0, wait < 0 ? NULL : &tmo, &orig) < 0 && errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		if (got_term)
			break;
		if (got_hup && o->port && r.fd >= 0) {
			plx_info("%s: SIGHUP, reopening", o->name);
			port_close(&r, NULL, 0);
		}
		got_hup = 0;
		if (pfd.revents) {
			n = plx_read(r.fd, buf, sizeof buf);
			if (n > 0) {
				frame_feed(&r.fr, buf, (size_t)n, plx_now_ms(), plx_mono_ms());
			} else if (n < 0 && errno == EAGAIN &&
			           !(pfd.revents & (POLLHUP | POLLERR | POLLNVAL))) {
				;
			} else if (!o->port) {
				if (n < 0)
					plx_warn("read %s:", o->name);
				break;      /* EOF of a file or stdin */
			} else {
				/* a pulled USB adapter takes a moment to vanish and come back */
				port_close(&r, n == 0 ? "end of file" : n < 0 && errno == EAGAIN ? "hang-up"
				           : strerror(errno), 100);
			}
		}
		now = plx_mono_ms();
		if (r.suppressed)
			warn_tick(&r);
		/* Only after a poll that found nothing to read: when writing the
		 * records out blocked longer than flush_ms (a slow consumer), the
		 * rest of the partial line may be waiting unread in the input. */
		if (!pfd.revents && frame_pending(&r.fr) && now - r.fr.last_mono >= o->flush_ms)
			frame_flush(&r.fr);
		if (o->status_s && now >= next_status) {
			status(&r);
			next_status = now + (int64_t)o->status_s * 1000;
		}
	}
	frame_flush(&r.fr);
	r.warn_second = -1;
	warn_tick(&r);
	if (o->status_s && !r.stop)
		status(&r);
	if (r.fd >= 0)
		close(r.fd);
	frame_free(&r.fr);
	return r.stop == 0x100 ? 0 : r.stop;
}

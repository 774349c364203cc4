/* The loops: one ppoll() on the inputs and, while records are queued, on
 * stdout; signals are unblocked only inside it, so none is lost between a
 * check and the wait.
 *
 * Live (sockets, --fd): the bus cannot be paused, so the sockets are read
 * whatever stdout does; when the queue (lib/out.c) is full whole records
 * are dropped and counted as overruns, and the kernel's own drops
 * (SO_RXQ_OVFL) are counted too: both are in the status records.  An
 * interface that goes down (ENETDOWN) is said once and waited for on the
 * same socket; one that goes away (ENODEV and other errors) is closed and
 * reopened with a backoff doubling from 100 ms to --backoff-max.
 *
 * Replay (-r): a file can wait, so nothing is dropped: lines are read only
 * while the queue is less than half full.
 *
 * SIGTERM/SIGINT: the open interval windows and a last status go out, the
 * queue is drained, exit 0.  SIGHUP reopens the sockets.  A broken stdout
 * (EPIPE) ends the run with 0: the supervisor restarts the pipeline. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "can.h"
#include "clock.h"
#include "io.h"
#include "log.h"
#include "sig.h"

#define BATCHES_PER_WAKE 16     /* recvmmsg calls per socket before stdout gets a turn */
#define SWEEP_MS 100            /* how often interval windows are checked (live) */

/* The exit status once the queue failed: EPIPE is the consumer leaving. */
static int
out_status(int err)
{
	if (err == EPIPE) {
		plx_info("stdout closed, exiting");
		return 0;
	}
	errno = err;
	plx_warn("write to stdout:");
	return EX_IOERR;
}

static void
try_open(struct opts *o, struct iface *ic, int64_t now)
{
	char err[sizeof ic->last_err];

	if ((ic->sock = sock_open(ic, o->rcvbuf, err, sizeof err)) >= 0) {
		if (*ic->last_err)
			plx_warn("%s: open again", ic->name);
		*ic->last_err = '\0';
		ic->backoff = 100;
		ic->drops = 0;
		ic->down = 0;
		return;
	}
	if (!strncmp(err, "socket(", 7) && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
		plx_die(EX_UNAVAILABLE, "%s (no CAN support in this kernel: modprobe can-raw)", err);
	if (strcmp(err, ic->last_err)) {
		plx_warn("%s: unable to open: %s; retrying", ic->name, err);
		snprintf(ic->last_err, sizeof ic->last_err, "%s", err);
	}
	ic->next_open = now + ic->backoff;
	ic->backoff = ic->backoff * 2 > o->backoff_max_ms ? o->backoff_max_ms : ic->backoff * 2;
}

static void
iface_close(struct iface *ic, struct counters *c, const char *why, int64_t delay)
{
	if (why) {
		plx_warn("%s: %s; reopening", ic->name, why);
		snprintf(ic->last_err, sizeof ic->last_err, "%s", why);
		c->reconnects++;
	}
	close(ic->sock);
	ic->sock = -1;
	ic->next_open = plx_mono_ms() + delay;
	ic->backoff = 100;
}

/* The interface name of a frame on an "any" socket, by its ifindex. */
static int
any_name(struct emit *e, int ifindex, int fallback)
{
	static int cache_idx[64], cache_name[64];
	char name[IF_NAMESIZE];
	int slot = ifindex & 63;

	if (ifindex <= 0)
		return fallback;
	if (cache_idx[slot] == ifindex)
		return cache_name[slot];
	if (!if_indextoname((unsigned)ifindex, name))
		snprintf(name, sizeof name, "if%d", ifindex);
	cache_idx[slot] = ifindex;
	return cache_name[slot] = emit_name(e, name, strlen(name));
}

/* Reads what the socket has (up to a fair share); -2 at EOF of --fd. */
static int
drain_socket(struct opts *o, struct emit *e, struct sockbatch *b, struct iface *ic, int userfilter)
{
	static struct cframe fr[SOCK_BATCH];
	static int ifx[SOCK_BATCH];
	struct counters *c = emit_counters(e);
	uint32_t drops;
	int i, k, n, has;

	for (k = 0; k < BATCHES_PER_WAKE; k++) {
		has = 0;
		n = sock_read(ic->sock, b, fr, ifx, SOCK_BATCH, &drops, &has, &c->bad);
		if (n == -2)
			return -2;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (has) {
			c->kdrops += (uint32_t)(drops - ic->drops);
			ic->drops = drops;
		}
		if (ic->down && n > 0) {
			plx_warn("%s: up again", ic->name);
			ic->down = 0;
		}
		for (i = 0; i < n; i++) {
			fr[i].iface = strcmp(ic->name, "any") ? ic->name_idx : any_name(e, ifx[i], ic->name_idx);
			emit_frame(e, &fr[i], userfilter ? &ic->fl : NULL);
		}
		if (n < SOCK_BATCH)
			return sockbatch_eof(b) ? -2 : 0;
	}
	return 0;
}

static int64_t
nearest(int64_t a, int64_t b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

/* One socket's turn after poll: read, and on failure close or wait. */
static int
serve(struct opts *o, struct emit *e, struct sockbatch *b, struct iface *ic, int is_fd)
{
	int r = drain_socket(o, e, b, ic, is_fd);

	if (r == 0)
		return 0;
	if (is_fd) {
		if (r == -1)
			plx_warn("read fd %d:", ic->sock);
		return -1;           /* EOF (or a broken socket): the end of the input */
	}
	if (r == -2)
		return 0;
	if (errno == ENETDOWN) {
		if (!ic->down)
			plx_warn("%s: interface down; waiting for it", ic->name);
		ic->down = 1;
		return 0;
	}
	iface_close(ic, emit_counters(e), strerror(errno), 100);
	return 0;
}

static void
set_bitrates(struct opts *o)
{
	char err[300];
	int i;

	for (i = 0; o->bitrate && i < o->nifc; i++) {
		if (!strcmp(o->ifc[i].name, "any"))
			plx_die(EX_USAGE, "--bitrate: name the interfaces, not \"any\"");
		if (link_set_bitrate(o->ifc[i].name, o->bitrate, err, sizeof err) < 0)
			plx_die(errno == EPERM || errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE, "--bitrate: %s", err);
		plx_info("%s: bitrate set to %lu bit/s", o->ifc[i].name, o->bitrate);
	}
}

static int
finish(struct opts *o, struct emit *e, struct plx_out *out, int status_on, int live)
{
	int rc = 0;

	/* the queue may be full (a consumer that stalled): the last windows and
	 * status must not be the records dropped, so it is written out first */
	if (!emit_failed(e) && plx_out_drain(out, plx_got_term) == 0) {
		emit_due(e, INT64_MAX);
		if (status_on)
			emit_status(e, live);
	}
	if (!emit_failed(e) && plx_out_drain(out, plx_got_term) < 0)
		rc = out_status(errno);
	else if (emit_failed(e))
		rc = out_status(emit_failed(e));
	emit_free(e);
	plx_out_free(out);
	return rc;
}

int
run_live(struct opts *o)
{
	struct pollfd pfd[MAX_IFACES + 1];
	struct plx_out out;
	struct sockbatch *b;
	struct timespec tmo;
	struct emit *e;
	sigset_t orig;
	int64_t now, wait, next_status, next_sweep;
	int i, n, is_fd = o->in_fd >= 0, end = 0;
	char err[300];

	plx_signals_setup(&orig);
	set_bitrates(o);
	if (plx_out_init(&out, STDOUT_FILENO, o->queue_max) < 0)
		plx_die(EX_OSERR, "stdout:");
	if (!(e = emit_new(o, &out, err, sizeof err)))
		plx_die(EX_DATAERR, "%s", err);
	if (!(b = sockbatch_new()))
		plx_die(EX_OSERR, "out of memory");
	if (is_fd) {
		o->nifc = 1;
		o->ifc[0].name = o->fd_name;
		o->ifc[0].fl = o->fl;
		o->ifc[0].sock = o->in_fd;
		plx_nonblock(o->in_fd, 1);
	}
	for (i = 0; i < o->nifc; i++)
		o->ifc[i].name_idx = emit_name(e, o->ifc[i].name, strlen(o->ifc[i].name));
	now = plx_mono_ms();
	next_status = o->status_s ? now + (int64_t)o->status_s * 1000 : -1;
	next_sweep = o->rate.interval_ms ? now + SWEEP_MS : -1;

	while (!plx_got_term && !end && !emit_failed(e)) {
		now = plx_mono_ms();
		wait = next_status >= 0 ? next_status - now : -1;
		wait = nearest(wait, next_sweep >= 0 ? next_sweep - now : -1);
		for (i = 0; i < o->nifc; i++) {
			if (!is_fd && o->ifc[i].sock < 0 && now >= o->ifc[i].next_open)
				try_open(o, &o->ifc[i], now);
			if (o->ifc[i].sock < 0)
				wait = nearest(wait, o->ifc[i].next_open - now);
			pfd[i].fd = o->ifc[i].sock;     /* < 0: ignored by poll */
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[o->nifc].fd = plx_out_pending(&out) ? STDOUT_FILENO : -1;
		pfd[o->nifc].events = POLLOUT;
		pfd[o->nifc].revents = 0;
		if (wait < 0 && next_status >= 0)
			wait = 0;
		if (wait >= 0) {
			tmo.tv_sec = wait / 1000;
			tmo.tv_nsec = (wait % 1000) * 1000000;
		}
		if ((n = ppoll(pfd, (nfds_t)o->nifc + 1, wait < 0 ? NULL : &tmo, &orig)) < 0 && errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		if (plx_got_term)
			break;
		if (plx_got_hup && !is_fd) {
			plx_info("SIGHUP: reopening the interfaces");
			for (i = 0; i < o->nifc; i++)
				if (o->ifc[i].sock >= 0)
					iface_close(&o->ifc[i], emit_counters(e), NULL, 0);
		}
		plx_got_hup = 0;
		for (i = 0; n > 0 && i < o->nifc; i++)
			if (pfd[i].revents && o->ifc[i].sock >= 0 && serve(o, e, b, &o->ifc[i], is_fd) < 0)
				end = 1;
		if (plx_out_pending(&out) && plx_out_flush(&out) < 0)
			break;
		now = plx_mono_ms();
		if (next_sweep >= 0 && now >= next_sweep) {
			emit_due(e, plx_now_ms());
			next_sweep = now + SWEEP_MS;
		}
		if (next_status >= 0 && now >= next_status) {
			emit_status(e, !is_fd);
			next_status = now + (int64_t)o->status_s * 1000;
		}
	}
	for (i = 0; i < o->nifc; i++)
		if (o->ifc[i].sock >= 0 && o->ifc[i].sock != STDIN_FILENO)
			close(o->ifc[i].sock);
	sockbatch_free(b);
	return finish(o, e, &out, o->status_s != 0, !is_fd);
}

/* One log line into a frame and through the decode path. */
static void
replay_line(struct opts *o, struct emit *e, const char *name, unsigned long lineno, char *line,
            size_t len, int64_t *next_sweep)
{
	struct logline l;
	struct cframe cf;
	char err[200];

	if (!len || line[0] == '#' || line[0] == '\t')   /* blank, comment, candump -e's explanation */
		return;
	if (log_parse(line, len, &l, err, sizeof err) < 0) {
		emit_counters(e)->bad++;
		emit_warn(e, "%s:%lu: %s", name, lineno, err);
		return;
	}
	cf.f = l.f;
	cf.fd = l.fd;
	cf.ts = o->now || l.ts_us < 0 ? plx_now_ms() : l.ts_us / 1000;
	cf.iface = emit_name(e, l.iface, l.ifacelen);
	/* windows close by the log's own clock */
	if (o->rate.interval_ms && cf.ts >= *next_sweep) {
		emit_due(e, cf.ts);
		*next_sweep = cf.ts + (o->rate.interval_ms < 1000 ? o->rate.interval_ms : 1000);
	}
	emit_where(e, name, lineno);
	emit_frame(e, &cf, &o->fl);
	emit_where(e, NULL, 0);
}

int
run_replay(struct opts *o)
{
	struct pollfd pfd[2];
	struct plx_lines in;
	struct plx_out out;
	struct emit *e;
	sigset_t orig;
	int64_t next_status, next_sweep = INT64_MIN, wait;
	struct timespec tmo;
	const char *name = strcmp(o->replay, "-") ? o->replay : "stdin";
	char err[300], *line;
	size_t len;
	int fd, r, eof = 0;

	plx_signals_setup(&orig);
	if (!strcmp(o->replay, "-"))
		fd = STDIN_FILENO;
	else if ((fd = open(o->replay, O_RDONLY | O_CLOEXEC)) < 0)
		plx_die(EX_NOINPUT, "unable to open %s:", o->replay);
	if (plx_out_init(&out, STDOUT_FILENO, o->queue_max) < 0)
		plx_die(EX_OSERR, "stdout:");
	if (!(e = emit_new(o, &out, err, sizeof err)))
		plx_die(EX_DATAERR, "%s", err);
	if (plx_lines_init(&in, fd, 4096) < 0)
		plx_die(EX_OSERR, "out of memory");
	plx_nonblock(fd, 1);
	next_status = o->status_s ? plx_mono_ms() + (int64_t)o->status_s * 1000 : -1;

	while (!plx_got_term && !emit_failed(e)) {
		/* lines already read, while the queue has room */
		while (plx_out_pending(&out) < out.max / 2 && !emit_failed(e)) {
			r = plx_lines_next(&in, &line, &len);
			if (r == PLX_LINE)
				replay_line(o, e, name, in.lineno, line, len, &next_sweep);
			else if (r == PLX_LINE_LONG) {
				emit_counters(e)->bad++;
				emit_warn(e, "%s:%lu: line longer than 4096 bytes", name, in.lineno);
			} else {
				eof = r == PLX_LINE_EOF;
				break;
			}
		}
		if (eof || emit_failed(e))
			break;
		if (next_status >= 0 && plx_mono_ms() >= next_status) {
			emit_status(e, 0);
			next_status = plx_mono_ms() + (int64_t)o->status_s * 1000;
		}
		pfd[0].fd = plx_out_pending(&out) < out.max / 2 ? fd : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = plx_out_pending(&out) ? STDOUT_FILENO : -1;
		pfd[1].events = POLLOUT;
		pfd[0].revents = pfd[1].revents = 0;
		wait = next_status >= 0 ? next_status - plx_mono_ms() : -1;
		if (wait >= 0) {
			tmo.tv_sec = wait / 1000;
			tmo.tv_nsec = (wait % 1000) * 1000000;
		}
		if (ppoll(pfd, 2, wait < 0 ? NULL : &tmo, &orig) < 0 && errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		if (pfd[1].revents && plx_out_flush(&out) < 0)
			break;
		if (pfd[0].revents && plx_lines_fill(&in) < 0 && errno != EAGAIN) {
			plx_warn("read %s:", name);
			break;
		}
	}
	plx_lines_free(&in);
	if (fd != STDIN_FILENO)
		close(fd);
	return finish(o, e, &out, o->status_s != 0, 0);
}

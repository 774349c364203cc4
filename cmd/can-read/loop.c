/* The inputs as callbacks of lib/loop: the CAN sockets, a socket passed
 * with --fd, or a candump log; timers for the interval windows and the
 * status records.
 *
 * Live (sockets, --fd): the bus cannot be paused, so the sockets are read
 * whatever stdout does; when the queue (lib/out.c) is full whole records
 * are dropped and counted as overruns, and the kernel's own drops
 * (SO_RXQ_OVFL) are counted too: both are in the status records.  An
 * interface that goes down (ENETDOWN) is said once and waited for on the
 * same socket; one that goes away (ENODEV and other errors) is closed and
 * reopened with a backoff doubling from 100 ms to --backoff-max
 * (lib/backoff.c).
 *
 * Replay (-r): a file can wait, so nothing is dropped: lines are read only
 * while the queue is less than half full.
 *
 * SIGTERM/SIGINT: the open interval windows and a last status go out, the
 * queue is drained, exit 0.  SIGHUP reads the devices file again (ident.c)
 * and reopens the sockets (nothing for a log or --fd).  A broken stdout (EPIPE) ends the run with 0: the supervisor
 * restarts the pipeline. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "can.h"
#include "clock.h"
#include "io.h"
#include "log.h"
#include "loop.h"

#define BATCHES_PER_WAKE 16     /* recvmmsg calls per socket before stdout gets a turn */
#define SWEEP_MS 100            /* how often interval windows are checked (live) */
#define LOG_LINE_MAX 4096

struct reader {
	struct opts *o;
	struct plx_loop *l;
	struct emit *e;
	struct sockbatch *b;    /* live */
	int live;               /* CAN interfaces (not --fd, not a log) */
	struct plx_lines in;    /* replay: the log */
	const char *name;       /* ... its name in messages */
	int in_watch;
	int64_t next_sweep;     /* ... the log's time at which windows are checked next */
};

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

/* Reads what the socket has (up to a fair share): 0; -2 at its end, -1
 * with errno. */
static int
drain_socket(struct reader *r, struct iface *ic, int userfilter)
{
	static struct cframe fr[SOCK_BATCH];
	static int ifx[SOCK_BATCH];
	struct counters *c = emit_counters(r->e);
	uint32_t drops;
	int i, k, n, has;

	for (k = 0; k < BATCHES_PER_WAKE; k++) {
		has = 0;
		n = sock_read(ic->sock, r->b, fr, ifx, SOCK_BATCH, &drops, &has, &c->bad);
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
			ident_up(r->e, ic->name_idx, 1);
		}
		if (n > 0)
			ident_data(r->e, ic->name_idx, plx_mono_ms());
		for (i = 0; i < n; i++) {
			fr[i].iface = strcmp(ic->name, "any") ? ic->name_idx : any_name(r->e, ifx[i], ic->name_idx);
			emit_frame(r->e, &fr[i], userfilter ? &ic->fl : NULL);
		}
		if (n < SOCK_BATCH)
			return sockbatch_eof(r->b) ? -2 : 0;
	}
	return 0;
}

/* An interface's socket closed: reopened after delay ms; why: it failed
 * (said and counted), NULL: SIGHUP. */
static void
iface_close(struct reader *r, struct iface *ic, const char *why, int64_t delay)
{
	plx_reopen_lost(&ic->ro, why, delay);
	ident_up(r->e, ic->name_idx, 0);
	close(ic->sock);
	ic->sock = -1;
	plx_loop_fd_set(r->l, ic->watch, -1, 0);
}

static void
try_open(struct reader *r, struct iface *ic)
{
	char err[200];
	int s = r->o->open_iface(ic, (int)r->o->rcvbuf, err, sizeof err);

	if (s == SOCK_NO_CAN)
		plx_die(EX_UNAVAILABLE, "%s (no CAN support in this kernel: modprobe can-raw)", err);
	if (s < 0) {
		plx_reopen_failed(&ic->ro, err);
		return;
	}
	plx_reopen_ok(&ic->ro);
	ic->sock = s;
	ic->drops = 0;
	ic->down = 0;
	ident_up(r->e, ic->name_idx, 1);
	plx_loop_fd_set(r->l, ic->watch, s, POLLIN);
}

static struct iface *
iface_of(struct reader *r, int fd)
{
	int i;

	for (i = 0; i < r->o->nifc; i++)
		if (r->o->ifc[i].sock == fd)
			return &r->o->ifc[i];
	return NULL;
}

/* A CAN socket has frames, or failed. */
static void
on_sock(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct reader *r = arg;
	struct iface *ic = iface_of(r, fd);
	int n;

	if (!ic || !(n = drain_socket(r, ic, 0)))
		return;
	if (n == -1 && errno == ENETDOWN) {
		if (!ic->down)
			plx_warn("%s: interface down; waiting for it", ic->name);
		ic->down = 1;
		ident_up(r->e, ic->name_idx, 0);
		return;
	}
	iface_close(r, ic, n == -2 ? "end of file" : strerror(errno), 100);
}

/* --fd: its end (or a failure) is the end of the input. */
static void
on_fd(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct reader *r = arg;
	int n = drain_socket(r, &r->o->ifc[0], 1);

	if (n == 0)
		return;
	if (n == -1)
		plx_warn("read fd %d:", fd);
	ident_up(r->e, r->o->ifc[0].name_idx, 0);
	plx_loop_stop(l, 0);
}

/* Before each wait (interfaces): the ones due opened; the next attempt. */
static int64_t
live_prepare(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;
	int64_t now = plx_mono_ms(), due = -1;
	struct iface *ic;
	int i;

	for (i = 0; i < r->o->nifc; i++) {
		ic = &r->o->ifc[i];
		if (ic->sock < 0 && plx_reopen_due(&ic->ro, now))
			try_open(r, ic);
		if (ic->sock < 0 && (due < 0 || ic->ro.at < due))
			due = ic->ro.at;
	}
	return due;
}

static void
on_hup(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;
	int i;

	ident_reload(r->e);         /* the devices file, read again */
	if (!r->live) {
		plx_info("SIGHUP: nothing to reopen (the devices file read again)");
		return;
	}
	plx_info("SIGHUP: reopening the interfaces");
	for (i = 0; i < r->o->nifc; i++)
		if (r->o->ifc[i].sock >= 0)
			iface_close(r, &r->o->ifc[i], NULL, 0);
}

/* One log line into a frame and through the decode path. */
static void
replay_line(struct reader *r, char *line, size_t len)
{
	const struct opts *o = r->o;
	struct logline l;
	struct cframe cf;
	char err[200];

	if (!len || line[0] == '#' || line[0] == '\t')   /* blank, comment, candump -e's explanation */
		return;
	if (log_parse(line, len, &l, err, sizeof err) < 0) {
		emit_counters(r->e)->bad++;
		plx_warn_limited(emit_ratelim(r->e), "%s:%lu: %s", r->name, r->in.lineno, err);
		return;
	}
	cf.f = l.f;
	cf.fd = l.fd;
	cf.ts = o->now || l.ts_us < 0 ? plx_now_ms() : l.ts_us / 1000;
	cf.iface = emit_name(r->e, l.iface, l.ifacelen);
	/* windows close by the log's own clock */
	if (o->rate.interval_ms && cf.ts >= r->next_sweep) {
		emit_due(r->e, cf.ts);
		r->next_sweep = cf.ts + (o->rate.interval_ms < 1000 ? o->rate.interval_ms : 1000);
	}
	emit_where(r->e, r->name, r->in.lineno);
	emit_frame(r->e, &cf, &o->fl);
	emit_where(r->e, NULL, 0);
}

/* The lines already read, while the queue is less than half full. */
static void
replay_lines(struct reader *r)
{
	struct plx_loop *l = r->l;
	size_t len;
	char *line;
	int k;

	while (!l->stopping && plx_out_pending(&l->out) < l->out.max / 2) {
		k = plx_lines_next(&r->in, &line, &len);
		if (k == PLX_LINE) {
			replay_line(r, line, len);
		} else if (k == PLX_LINE_LONG) {
			emit_counters(r->e)->bad++;
			plx_warn_limited(emit_ratelim(r->e), "%s:%lu: line longer than %d bytes", r->name,
			                 r->in.lineno, LOG_LINE_MAX);
		} else {
			if (k == PLX_LINE_EOF)
				plx_loop_stop(l, 0);
			return;
		}
	}
}

static void
on_log(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct reader *r = arg;

	if (plx_lines_fill(&r->in) < 0 && errno != EAGAIN) {
		plx_warn("read %s:", r->name);
		plx_loop_stop(l, 0);
		return;
	}
	replay_lines(r);
}

/* Before each wait (replay): what was read while stdout was behind; the
 * log read again once the queue is less than half full. */
static int64_t
replay_prepare(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;

	replay_lines(r);
	plx_loop_fd_set(l, r->in_watch, r->in.fd, plx_out_pending(&l->out) < l->out.max / 2 ? POLLIN : 0);
	return -1;
}

static void
sweep(struct plx_loop *l, void *arg)
{
	emit_due(((struct reader *)arg)->e, plx_now_ms());
}

static void
live_tick(struct plx_loop *l, void *arg)
{
	ident_check(((struct reader *)arg)->e, plx_mono_ms());
}

static void
status(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;

	emit_status(r->e, r->live);
}

static void
finish(struct plx_loop *l, void *arg)
{
	struct reader *r = arg;

	/* the queue may be full (a consumer that stalled): the last windows and
	 * status must not be the records dropped, so it is written out first */
	if (plx_loop_drain(l) < 0)
		return;
	emit_due(r->e, INT64_MAX);
	if (r->o->status_ms)
		emit_status(r->e, r->live);
}

static void
set_bitrates(struct opts *o)
{
	char err[300];
	int i;

	for (i = 0; o->bitrate && i < o->nifc; i++) {
		if (!strcmp(o->ifc[i].name, "any"))
			plx_die(EX_USAGE, "--bitrate: name the interfaces, not \"any\"");
		if (link_set_bitrate(o->ifc[i].name, (unsigned long)o->bitrate, err, sizeof err) < 0)
			plx_die(errno == EPERM || errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE, "--bitrate: %s", err);
		plx_info("%s: bitrate set to %lld bit/s", o->ifc[i].name, (long long)o->bitrate);
	}
}

/* The log of -r: opened, read as lines. */
static void
replay_setup(struct reader *r)
{
	int fd = STDIN_FILENO;

	r->name = strcmp(r->o->replay, "-") ? r->o->replay : "stdin";
	if (strcmp(r->o->replay, "-") && (fd = open(r->o->replay, O_RDONLY | O_CLOEXEC)) < 0)
		plx_die(EX_NOINPUT, "unable to open %s:", r->o->replay);
	if (plx_lines_init(&r->in, fd, LOG_LINE_MAX) < 0)
		plx_die(EX_OSERR, "out of memory");
	plx_nonblock(fd, 1);
	r->in_watch = plx_loop_fd(r->l, fd, POLLIN, on_log);
	r->l->prepare = replay_prepare;
	r->next_sweep = INT64_MIN;
}

/* The sockets: --fd's, or the interfaces', opened before the first wait. */
static void
live_setup(struct reader *r)
{
	struct opts *o = r->o;
	struct iface *ic;
	int i;

	r->b = sockbatch_new();
	if (o->in_fd >= 0) {
		o->nifc = 1;
		o->ifc[0].name = o->fd_name;
		o->ifc[0].fl = o->fl;
		o->ifc[0].sock = o->in_fd;
		plx_nonblock(o->in_fd, 1);
		o->ifc[0].watch = plx_loop_fd(r->l, o->in_fd, POLLIN, on_fd);
	} else {
		r->live = 1;
		for (i = 0; i < o->nifc; i++) {
			ic = &o->ifc[i];
			plx_reopen_init(&ic->ro, ic->name, o->backoff_max_ms);
			ic->watch = plx_loop_fd(r->l, -1, 0, on_sock);
		}
		r->l->prepare = live_prepare;
	}
	for (i = 0; i < o->nifc; i++) {
		ic = &o->ifc[i];
		ic->name_idx = emit_name(r->e, ic->name, strlen(ic->name));
		if (strcmp(ic->name, "any"))    /* frames of many interfaces: none followed */
			ident_follow(r->e, ic->name_idx);
	}
	if (o->in_fd >= 0)
		ident_up(r->e, o->ifc[0].name_idx, 1);
	plx_loop_every(r->l, 1000, live_tick);
	if (o->rate.interval_ms)
		plx_loop_every(r->l, SWEEP_MS, sweep);
}

int
run(struct opts *o)
{
	struct plx_loop l;
	struct reader r = { .o = o, .l = &l };
	char err[300];
	int i, rc;

	plx_loop_init(&l, &r);
	plx_loop_output(&l, STDOUT_FILENO, (size_t)o->queue_max, o->replay != NULL);   /* a log can wait */
	if (o->replay)
		replay_setup(&r);
	set_bitrates(o);
	if (!(r.e = emit_new(o, &l, err, sizeof err)))
		plx_die(EX_DATAERR, "%s", err);
	if (!o->replay)
		live_setup(&r);
	if (o->status_ms)
		plx_loop_every(&l, o->status_ms, status);
	l.on_stop = finish;
	l.on_hup = on_hup;
	rc = plx_loop_run(&l);
	for (i = 0; i < o->nifc; i++)
		if (o->ifc[i].sock >= 0 && o->ifc[i].sock != STDIN_FILENO)
			close(o->ifc[i].sock);
	if (o->replay) {
		if (r.in.fd != STDIN_FILENO)
			close(r.in.fd);
		plx_lines_free(&r.in);
	}
	sockbatch_free(r.b);
	emit_free(r.e);
	plx_loop_free(&l);
	return rc;
}

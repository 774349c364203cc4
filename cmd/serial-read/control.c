/* The control socket (--control): lines from serial-write (or any client
 * of the protocol in lib/serctl.h) written to the port that serial-read
 * holds exclusively.
 *
 * Each client has at most one line in hand: its next request is read only
 * once the last one is answered, so the queue is at most CTL_CLIENTS lines
 * of at most SERCTL_TEXT_MAX bytes, kept in the clients' own slots.  Lines
 * go to the port whole and in the order their requests came: the head of
 * the queue is written (non-blocking, as the port allows: reading never
 * waits for it), then drained (TIOCOUTQ polled, as tcdrain(3) would wait
 * for it without stalling the loop), and only then answered "ok" and the
 * next one started.  So two clients' lines never mix within a line.
 *
 * A line waits while the port is away (unplugged, reopening) up to its
 * request's timeout, then is answered "timeout".  A line the port failed
 * in the middle of is answered "gone": part of it may have reached the
 * device.  A client that leaves takes its waiting line with it; a line
 * already started is finished, so the device never gets half a line
 * followed by another.
 *
 * A request that is not one of the protocol, or a line the protocol
 * refuses, is answered "err", said on stderr (rate-limited), counted
 * (gateway.serial.control_malformed); the client may go on.  A request
 * longer than SERCTL_REQ_MAX ends its connection after the answer. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "recs.h"
#include "serctl.h"
#include "serial.h"

#define CTL_CLIENTS    16      /* connected at once; more are answered busy */
#define CTL_WARN_PER_S 5       /* stderr lines about bad requests, per second */
#define DRAIN_POLL_MAX 100     /* ms between two looks at a draining queue, at most */

struct client {
	int fd;                /* -1: the slot is free (or its client left) */
	int h;                 /* its loop watch */
	char in[SERCTL_REQ_MAX];   /* what it sent that is not yet a request */
	size_t inlen;
	int queued;            /* its line is in the queue */
	char line[SERCTL_TEXT_MAX + 2];   /* the line and its end */
	size_t len, off;       /* its bytes, and how many the port took */
	int64_t deadline;      /* monotonic ms: answered "timeout" then */
};

struct ctl {
	const struct opts *o;
	struct plx_loop *l;
	int lfd, lh;           /* the listening socket and its watch */
	dev_t dev;             /* the socket file, as made: removed at the end */
	ino_t ino;             /* ... if it is still ours */
	struct client cl[CTL_CLIENTS];
	int q[CTL_CLIENTS];    /* the queue: client slots, oldest first */
	int nq;
	int draining;          /* the head is written; its bytes leave the port */
	int stopping;          /* serial-read is: no more requests */
	int64_t drain_at;      /* when to look again */
	struct plx_ratelim rl;
	unsigned long written, failed, malformed;
};

static void client_next(struct ctl *c, struct client *k);

static void
client_close(struct ctl *c, struct client *k)
{
	if (k->fd < 0)
		return;
	close(k->fd);
	k->fd = -1;
	k->inlen = 0;
	plx_loop_fd_set(c->l, k->h, -1, 0);
}

/* One answer line; a client that does not take a few bytes is closed. */
static void
answer(struct ctl *c, struct client *k, enum serctl_code code, const char *msg)
{
	char buf[SERCTL_ANSWER_MAX];
	size_t n = serctl_format_answer(buf, code, msg);

	if (k->fd >= 0 && send(k->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		client_close(c, k);
}

static void
bad_request(struct ctl *c, struct client *k, enum serctl_code code, const char *why)
{
	c->malformed++;
	plx_warn_limited(&c->rl, "control %s: %s request: %s", c->o->control,
	                 serctl_code_name(code), why);
	answer(c, k, code, why);
}

/* The queue's entry i leaves it; its client. */
static struct client *
dequeue(struct ctl *c, int i)
{
	struct client *k = &c->cl[c->q[i]];

	if (i == 0)
		c->draining = 0;
	memmove(c->q + i, c->q + i + 1, (size_t)(c->nq - i - 1) * sizeof c->q[0]);
	c->nq--;
	k->queued = 0;
	return k;
}

/* The queue's entry i is done: counted, answered (when its client is
 * still there), and its client's next request read. */
static void
done(struct ctl *c, int i, enum serctl_code code, const char *msg)
{
	struct client *k = dequeue(c, i);

	if (code == SERCTL_OK)
		c->written++;
	else
		c->failed++;
	if (k->fd < 0)
		return;
	answer(c, k, code, msg);
	if (c->stopping)
		client_close(c, k);
	else
		client_next(c, k);
}

/* The requests k has sent in full, up to one that is queued. */
static void
client_next(struct ctl *c, struct client *k)
{
	struct serctl_req r;
	enum serctl_code code;
	char err[200];
	char *nl;
	size_t n;
	int rc;

	while (k->fd >= 0 && !k->queued) {
		if (!(nl = memchr(k->in, '\n', k->inlen))) {
			if (k->inlen == sizeof k->in) {
				snprintf(err, sizeof err, "longer than %d bytes", SERCTL_REQ_MAX - 1);
				bad_request(c, k, SERCTL_MALFORMED, err);
				client_close(c, k);     /* where the next request starts is lost */
			}
			break;
		}
		n = (size_t)(nl - k->in);
		rc = serctl_parse_req(k->in, n, &r, &code, err, sizeof err);
		if (rc == 0) {
			memcpy(k->line, r.text, r.len);
			memcpy(k->line + r.len, c->o->eol, strlen(c->o->eol));
			k->len = r.len + strlen(c->o->eol);
			k->off = 0;
			k->deadline = plx_mono_ms() + r.timeout_ms;
			k->queued = 1;
			c->q[c->nq++] = (int)(k - c->cl);
		}
		/* the request taken out before the answer, which may close k */
		k->inlen -= n + 1;
		memmove(k->in, nl + 1, k->inlen);
		if (rc < 0)
			bad_request(c, k, code, err);
	}
	/* read on while its line waits, to know when it leaves, up to a full
	 * buffer of requests to come */
	if (k->fd >= 0)
		plx_loop_fd_set(c->l, k->h, k->fd, k->inlen < sizeof k->in ? POLLIN : 0);
}

static void
on_client(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	struct client *k;
	ssize_t n;
	int i;

	for (i = 0; i < CTL_CLIENTS && c->cl[i].fd != fd; i++)
		;
	if (i == CTL_CLIENTS)
		return;
	k = &c->cl[i];
	n = plx_read(fd, k->in + k->inlen, sizeof k->in - k->inlen);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		/* gone: a line not yet started goes with it */
		client_close(c, k);
		for (i = 0; i < c->nq; i++)
			if (&c->cl[c->q[i]] == k) {
				if (i > 0 || k->off == 0)
					dequeue(c, i);
				break;
			}
		return;
	}
	k->inlen += (size_t)n;
	client_next(c, k);
}

static void
on_listen(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	char buf[SERCTL_ANSWER_MAX];
	size_t n;
	int s, i;

	while ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* a free slot: no client, no line of a client that left */
		for (i = 0; i < CTL_CLIENTS && (c->cl[i].fd >= 0 || c->cl[i].queued); i++)
			;
		if (i == CTL_CLIENTS) {
			n = serctl_format_answer(buf, SERCTL_BUSY, "too many clients at once");
			send(s, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);   /* it may have left */
			close(s);
			continue;
		}
		c->cl[i].fd = s;
		c->cl[i].inlen = 0;
		plx_loop_fd_set(l, c->cl[i].h, s, POLLIN);
	}
}

/* The path is ours to make: a stale socket (nobody answers on it) is
 * removed, a live one or anything else left alone. */
static void
clear_path(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int s;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			plx_die(EX_CANTCREAT, "--control %s:", path);
		return;
	}
	if (!S_ISSOCK(st.st_mode))
		plx_die(EX_CANTCREAT, "--control %s: exists and is not a socket", path);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		plx_die(EX_OSERR, "socket:");
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
		plx_die(EX_UNAVAILABLE, "--control %s: another process answers on it", path);
	if (errno != ECONNREFUSED)
		plx_die(EX_CANTCREAT, "--control %s:", path);
	close(s);
	if (unlink(path) < 0)
		plx_die(EX_CANTCREAT, "--control %s: a stale socket that cannot be removed:", path);
	plx_info("--control %s: a stale socket (nobody answered on it) removed", path);
}

struct ctl *
ctl_open(const struct opts *o, struct plx_loop *l)
{
	struct ctl *c = plx_xcalloc(1, sizeof *c);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t um;
	int i, rc;

	c->o = o;
	c->l = l;
	c->rl = (struct plx_ratelim){ .per_s = CTL_WARN_PER_S, .what = "bad control requests" };
	plx_loop_ratelim(l, &c->rl);
	if (strlen(o->control) >= sizeof a.sun_path)
		plx_die(EX_USAGE, "--control %s: longer than %zu bytes", o->control, sizeof a.sun_path - 1);
	memcpy(a.sun_path, o->control, strlen(o->control));
	clear_path(o->control);
	if ((c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		plx_die(EX_OSERR, "socket:");
	/* made 0600, then opened up to --control-mode: never wider meanwhile */
	um = umask(0177);
	rc = bind(c->lfd, (struct sockaddr *)&a, sizeof a);
	umask(um);
	if (rc < 0)
		plx_die(EX_CANTCREAT, "--control %s:", o->control);
	if (o->control_gid >= 0 && chown(o->control, (uid_t)-1, (gid_t)o->control_gid) < 0)
		plx_die(EX_NOPERM, "--control-group: %s:", o->control);
	if (chmod(o->control, (mode_t)o->control_mode) < 0 || stat(o->control, &st) < 0)
		plx_die(EX_CANTCREAT, "--control %s:", o->control);
	c->dev = st.st_dev, c->ino = st.st_ino;
	if (listen(c->lfd, CTL_CLIENTS) < 0)
		plx_die(EX_OSERR, "listen %s:", o->control);
	c->lh = plx_loop_fd(l, c->lfd, POLLIN, on_listen);
	plx_loop_fd_arg(l, c->lh, c);
	for (i = 0; i < CTL_CLIENTS; i++) {
		c->cl[i].fd = -1;
		c->cl[i].h = plx_loop_fd(l, -1, 0, on_client);
		plx_loop_fd_arg(l, c->cl[i].h, c);
	}
	return c;
}

short
ctl_events(const struct ctl *c)
{
	return c && c->nq > 0 && !c->draining ? POLLOUT : 0;
}

/* The head's bytes have left the kernel's queue: done.  Else when to look
 * again: about the time the bytes take at the port's speed. */
static void
drain_check(struct ctl *c, int fd, int64_t now)
{
	int n = 0;
	int64_t ms;

	if (ioctl(fd, TIOCOUTQ, &n) < 0 || n <= 0) {
		done(c, 0, SERCTL_OK, "");
		return;
	}
	ms = (int64_t)n * 10 * 1000 / (c->o->baud > 0 ? c->o->baud : 9600) + 1;
	c->drain_at = now + (ms < DRAIN_POLL_MAX ? ms : DRAIN_POLL_MAX);
}

int
ctl_write(struct ctl *c, int fd)
{
	struct client *k;
	ssize_t n;

	while (c && c->nq > 0 && !c->draining) {
		k = &c->cl[c->q[0]];
		n = plx_write(fd, k->line + k->off, k->len - k->off);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if ((k->off += (size_t)n) < k->len)
			return 0;
		c->draining = 1;
		drain_check(c, fd, plx_mono_ms());
	}
	return 0;
}

int64_t
ctl_prepare(struct ctl *c, int fd, int64_t now, const char *why_away)
{
	char msg[300];
	int64_t due = -1;
	struct client *k;
	int i;

	if (!c)
		return -1;
	if (c->draining && fd >= 0 && now >= c->drain_at)
		drain_check(c, fd, now);
	for (i = 0; i < c->nq; i++) {
		k = &c->cl[c->q[i]];
		if (now < k->deadline) {
			due = due < 0 || k->deadline < due ? k->deadline : due;
			continue;
		}
		if (fd < 0)
			snprintf(msg, sizeof msg, "the port %s was not there in time (%s)", c->o->name,
			         why_away && *why_away ? why_away : "reopening");
		else if (i == 0 && (k->off > 0 || c->draining)) {
			/* stuck (flow control, a device that reads nothing): what
			 * the port has not sent is discarded, or the next line
			 * would follow half of this one */
			tcflush(fd, TCOFLUSH);
			snprintf(msg, sizeof msg, "%s in time: %zu of %zu bytes written, the rest discarded",
			         c->draining ? "not drained" : "not written", k->off, k->len);
		} else if (i == 0)
			snprintf(msg, sizeof msg, "the port took none of it in time (flow control holding it?)");
		else
			snprintf(msg, sizeof msg, "%d lines before it were not written in time", i);
		done(c, i--, SERCTL_TIMEOUT, msg);
	}
	if (c->draining && (due < 0 || c->drain_at < due))
		due = c->drain_at;
	return due;
}

void
ctl_port_lost(struct ctl *c)
{
	struct client *k;
	char msg[200];

	if (!c || c->nq == 0)
		return;
	k = &c->cl[c->q[0]];
	if (k->off == 0)
		return;     /* not started: it waits for the port to return */
	snprintf(msg, sizeof msg, "the port went away with %zu of %zu bytes %s", k->off, k->len,
	         c->draining ? "written, before they drained" : "written");
	done(c, 0, SERCTL_GONE, msg);
}

void
ctl_status(const struct ctl *c, struct plx_recs *st, int64_t ts, const struct plx_tags *t)
{
	if (!c)
		return;
	plx_recs_num(st, "gateway.serial.lines_written", (double)c->written, ts, t);
	plx_recs_num(st, "gateway.serial.writes_failed", (double)c->failed, ts, t);
	plx_recs_num(st, "gateway.serial.control_malformed", (double)c->malformed, ts, t);
}

void
ctl_stop(struct ctl *c)
{
	if (!c)
		return;
	c->stopping = 1;
	while (c->nq > 0)
		done(c, c->nq - 1, SERCTL_STOPPED, "serial-read is stopping");
}

void
ctl_free(struct ctl *c)
{
	struct stat st;
	int i;

	if (!c)
		return;
	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			close(c->cl[i].fd);
	close(c->lfd);
	/* the socket file, unless another process made its own there since */
	if (stat(c->o->control, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->o->control);
	free(c);
}

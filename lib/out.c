/* A reader's bounded, non-blocking stdout queue: see out.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "out.h"

#define WRITE_AT 65536     /* queued bytes that trigger a write from plx_out_put */

int
plx_out_init(struct plx_out *o, int fd, size_t max)
{
	struct stat st;

	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->max = max ? max : PLX_OUT_MAX_DEFAULT;
	/* Only a pipe or a socket can hold the reader up for long; a file or a
	 * terminal keeps blocking writes (and their file description, shared
	 * with the shell, is left alone). */
	o->pipe = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
	if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    !(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
		if (plx_nonblock(fd, 1) < 0)
			return -1;
		o->made_nonblock = 1;
	}
	return 0;
}

void
plx_out_free(struct plx_out *o)
{
	if (o->made_nonblock)
		plx_nonblock(o->fd, 0);
	free(o->buf);
	o->buf = NULL;
	o->off = o->len = o->cap = 0;
}

size_t
plx_out_pending(const struct plx_out *o)
{
	return o->len - o->off;
}

/* Room for n more bytes at the end: move the queue down, or grow it. */
static int
room(struct plx_out *o, size_t n)
{
	size_t cap;
	char *b;

	if (o->len + n <= o->cap)
		return 0;
	if (o->off) {
		memmove(o->buf, o->buf + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
		if (o->len + n <= o->cap)
			return 0;
	}
	for (cap = o->cap ? o->cap : 16384; cap < o->len + n; cap *= 2)
		;
	if (!(b = realloc(o->buf, cap)))
		return -1;
	o->buf = b;
	o->cap = cap;
	return 0;
}

/* What to write next.  Into a pipe, at most PIPE_BUF bytes ending at a
 * newline: such a write is atomic, so records stay whole even when several
 * readers share one pipe (`{ serial-read ..& can-read ..; } | plx-buffer`).
 * Only a record longer than PIPE_BUF goes out in one larger write. */
static size_t
chunk(const struct plx_out *o)
{
	size_t n = o->len - o->off, i;

	if (!o->pipe || n <= PIPE_BUF)
		return n;
	for (i = PIPE_BUF; i > 0; i--)
		if (o->buf[o->off + i - 1] == '\n')
			return i;
	for (i = PIPE_BUF; i < n; i++)
		if (o->buf[o->off + i] == '\n')
			return i + 1;
	return n;
}

int
plx_out_flush(struct plx_out *o)
{
	ssize_t w;

	if (o->err) {
		errno = o->err;
		return -1;
	}
	while (o->off < o->len) {
		if ((w = plx_write(o->fd, o->buf + o->off, chunk(o))) < 0) {
			if (errno == EAGAIN)
				return 0;
			o->err = errno;
			return -1;
		}
		o->off += (size_t)w;
	}
	o->off = o->len = 0;
	return 0;
}

int
plx_out_put(struct plx_out *o, const char *text, size_t len, int nrec)
{
	if (o->err) {
		errno = o->err;
		return -1;
	}
	if (plx_out_pending(o) + len > o->max) {
		/* full: one more try at making room before dropping */
		if ((o->wait ? plx_out_drain(o, 0) : plx_out_flush(o)) < 0)
			return -1;
		if (plx_out_pending(o) + len > o->max && !o->wait) {
			o->overruns += (unsigned long)nrec;
			return 1;
		}
	}
	if (room(o, len) < 0) {
		o->overruns += (unsigned long)nrec;
		return 1;
	}
	memcpy(o->buf + o->len, text, len);
	o->len += len;
	o->records += (unsigned long)nrec;
	if (plx_out_pending(o) >= WRITE_AT)
		return plx_out_flush(o) < 0 ? -1 : 0;
	return 0;
}

/* A SIGTERM or SIGINT waiting (readers keep them blocked outside ppoll). */
static int
term_pending(void)
{
	sigset_t set;

	return sigpending(&set) == 0 && (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1);
}

int
plx_out_drain(struct plx_out *o, int bounded)
{
	struct pollfd pf = { .fd = o->fd, .events = POLLOUT };
	int64_t moved = plx_mono_ms();
	size_t left;
	unsigned long n = 0;
	const char *p;

	while ((left = plx_out_pending(o))) {
		if (plx_out_flush(o) < 0)
			return -1;
		if (plx_out_pending(o) < left)
			moved = plx_mono_ms();
		if (!plx_out_pending(o))
			break;
		if ((bounded || term_pending()) && plx_mono_ms() - moved >= PLX_OUT_STUCK_MS) {
			for (p = o->buf + o->off; (p = memchr(p, '\n', (size_t)(o->buf + o->len - p))); p++)
				n++;
			o->overruns += n;
			o->off = o->len = 0;
			plx_warn("stdout took nothing for %d s: %lu records dropped", PLX_OUT_STUCK_MS / 1000, n);
			return 1;
		}
		if (poll(&pf, 1, 100) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

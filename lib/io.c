/* EINTR-safe I/O and the NDJSON line reader: see io.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

ssize_t
plx_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
plx_write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	do
		r = write(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

int
plx_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n > 0) {
		if ((r = plx_write(fd, p, n)) < 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

int
plx_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

int
plx_readable(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, 0) > 0;
}

int
plx_lines_init(struct plx_lines *l, int fd, size_t max)
{
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->max = max;
	l->cap = 2 * max + 3;   /* a whole maximal line and its CR always fit after compaction */
	if (!(l->buf = malloc(l->cap)))
		return -1;
	return 0;
}

void
plx_lines_free(struct plx_lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

int
plx_lines_next(struct plx_lines *l, char **line, size_t *len)
{
	char *s, *nl;
	size_t n;

	for (;;) {
		s = l->buf + l->start;
		n = l->end - l->start;
		nl = memchr(s, '\n', n);
		if (l->skipping) {
			if (!nl) {
				l->start = l->end = 0;
				return l->eof ? PLX_LINE_EOF : PLX_LINE_NONE;
			}
			l->skipping = 0;
			l->start += nl - s + 1;
			continue;
		}
		if (!nl) {
			/* max bytes and a CR may still be a line ending in CRLF */
			if (n > l->max + 1 || (n == l->max + 1 && s[n - 1] != '\r')) {
				/* Too long and still no newline: drop it whole. */
				l->lineno++;
				l->skipping = !l->eof;
				l->start = l->end = 0;
				return PLX_LINE_LONG;
			}
			if (!l->eof)
				return PLX_LINE_NONE;
			if (n == 0)
				return PLX_LINE_EOF;
			nl = s + n;         /* last line without a newline */
			l->start = l->end;
		} else {
			l->start += nl - s + 1;
		}
		l->lineno++;
		if (nl > s && nl[-1] == '\r')
			nl--;
		if ((size_t)(nl - s) > l->max)
			return PLX_LINE_LONG;
		*nl = '\0';
		*line = s;
		*len = nl - s;
		return PLX_LINE;
	}
}

ssize_t
plx_lines_fill(struct plx_lines *l)
{
	ssize_t r;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	/* Keep one byte spare to NUL-terminate a final line without newline. */
	r = plx_read(l->fd, l->buf + l->end, l->cap - l->end - 1);
	if (r > 0)
		l->end += r;
	else if (r == 0)
		l->eof = 1;
	return r;
}

void
plx_denied(const char *path, char *err, size_t errlen)
{
	char gbuf[4096], pbuf[4096];
	struct group g, *gp = NULL;
	struct passwd pw, *pp = NULL;
	struct stat st;

	if (stat(path, &st) == 0 && st.st_gid != 0 && getgrgid_r(st.st_gid, &g, gbuf, sizeof gbuf, &gp) == 0 && gp) {
		getpwuid_r(geteuid(), &pw, pbuf, sizeof pbuf, &pp);
		snprintf(err, errlen, "Permission denied (the port belongs to group %s: usermod -aG %s %s,"
		         " then log in again)", gp->gr_name, gp->gr_name, pp ? pp->pw_name : "USER");
	} else {
		snprintf(err, errlen, "Permission denied");
	}
}

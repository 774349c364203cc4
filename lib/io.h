/* EINTR-safe I/O and a line reader for NDJSON streams.
 *
 * plx_read/plx_write retry EINTR; on a non-blocking fd they return -1 with
 * errno EAGAIN for "nothing yet", and plx_read returns 0 only at EOF, so the
 * three cases stay distinct (skalibs' fd_read habit).
 *
 * The line reader never holds more than two maximal lines: a line longer than
 * its limit is dropped whole and reported (PLX_LINE_LONG) rather than split. */
#ifndef PLX_IO_H
#define PLX_IO_H
#include <stddef.h>
#include <sys/types.h>

ssize_t plx_read(int fd, void *buf, size_t n);
ssize_t plx_write(int fd, const void *buf, size_t n);
int plx_write_all(int fd, const void *buf, size_t n);   /* 0, or -1 with errno */
int plx_nonblock(int fd, int on);
/* Input (or its end) is waiting on fd now: a read would not block. */
int plx_readable(int fd);

/* "Permission denied" opening a device node, with what to do: such nodes
 * belong to a group (dialout for serial ports on Debian) the user must be
 * in: "Permission denied (the port belongs to group dialout: usermod -aG
 * dialout pi, then log in again)".  Thread-safe. */
void plx_denied(const char *path, char *err, size_t errlen);

enum { PLX_LINE, PLX_LINE_LONG, PLX_LINE_NONE, PLX_LINE_EOF };

struct plx_lines {
	int fd;
	char *buf;             /* unread bytes are buf[start, end) */
	size_t cap, start, end;
	size_t max;            /* longest line accepted, without its newline */
	int skipping;          /* inside an overlong line: drop until newline */
	int eof;               /* read() returned 0 */
	unsigned long lineno;  /* number of the line last returned */
};

int plx_lines_init(struct plx_lines *l, int fd, size_t max);
void plx_lines_free(struct plx_lines *l);
/* The next line already read: PLX_LINE with *line NUL-terminated (newline and
 * a trailing CR removed), PLX_LINE_LONG when an overlong line was dropped,
 * PLX_LINE_NONE when more input must be read, PLX_LINE_EOF when done.  A last
 * line without a newline is still returned at EOF. */
int plx_lines_next(struct plx_lines *l, char **line, size_t *len);
/* One read() into the buffer: bytes read, 0 at EOF, -1 with errno. */
ssize_t plx_lines_fill(struct plx_lines *l);

#endif

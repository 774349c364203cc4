/* serial-read: lines from a UART (or stdin, or a file) into Plexus records.
 *
 *   main.c     options
 *   port.c     opening a port: termios raw mode, speed, exclusive access
 *   baud2.c    non-standard speeds through termios2/BOTHER
 *   frame.c    bytes into lines: line ends, maximum length, unfinished lines
 *   lines.c    a line into records: the table of formats, typing, records
 *   fmt_*.c    the formats: json, kv, csv, nmea, pattern
 *   identity.c the port's device (plexus-devices(5)) and its liveness
 *   control.c  --control: lines from serial-write to the port
 *   loop.c     the loop's callbacks: read, frame, parse, print; hot-plug,
 *              signals, status records */
#ifndef SERIAL_READ_H
#define SERIAL_READ_H
#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "lines.h"
#include "live.h"

struct opts {
	const char *port;      /* device path, NULL when reading a file or stdin */
	const char *file;      /* file path, "-" for stdin */
	const char *name;      /* the input as messages and the port tag name it */
	int64_t baud;          /* bits/s */
	int64_t databits;      /* 5..8 */
	char parity;           /* 'n', 'e', 'o' */
	int64_t stopbits;      /* 1, 2 */
	int rtscts, xonxoff;   /* flow control */
	int delim;             /* FR_AUTO, FR_LF, FR_CR, FR_CRLF or a byte (>= 0) */
	int64_t max_line;      /* bytes in a line, delimiter excluded */
	int64_t flush_ms;      /* a partial line is a line after this much quiet; 0: never */
	int64_t status_ms;     /* status records every this many ms; 0: none */
	int64_t backoff_max_ms;/* longest wait between two attempts to reopen */
	int64_t queue_max;     /* bytes of records waiting for a slow stdout */
	int source_given;      /* -s on the command line (not PLEXUS_SOURCE_ID) */
	const char *control;   /* --control: the socket's path, or NULL */
	int64_t control_mode;  /* its permissions */
	long control_gid;      /* its group, -1: the process's */
	const char *eol;       /* what ends a line written through it */
};

enum { FR_LF = -1, FR_CR = -2, FR_CRLF = -3, FR_AUTO = -4 };

/* frame.c */
struct fr_line {
	char *s;               /* the line, NUL-terminated; NULL: longer than max, dropped */
	size_t len;            /* its bytes (dropped: how many when it passed max) */
	int64_t ts;            /* wall clock of the read that brought its end */
	int64_t pause;         /* the longest quiet between two reads inside it, ms */
	size_t pause_at;       /* ... after this many of its bytes */
	int stray;             /* dropped: '\r' or '\n' if it held one that did not end it, else 0 */
};
typedef void frame_fn(void *ctx, const struct fr_line *l);
struct frame {
	char *buf;             /* the line so far: len bytes, room for max + 2 */
	size_t len, max;
	int delim;             /* as in struct opts */
	int skipping;          /* in an overlong line: drop up to the delimiter */
	int after_cr;          /* a CR ended the last line: an LF next is its CRLF */
	int64_t pause;         /* the longest quiet inside the line so far, ms */
	size_t pause_at;       /* ... after this many of its bytes */
	int64_t last_ts;       /* wall clock of the read that brought the last byte */
	int64_t last_mono;     /* ... and its monotonic time (pauses, --flush-ms) */
	frame_fn *fn;
	void *ctx;
};
int frame_init(struct frame *f, size_t max, int delim, frame_fn *fn, void *ctx);
void frame_free(struct frame *f);
void frame_feed(struct frame *f, const char *data, size_t n, int64_t ts, int64_t mono);
/* Hands out an unfinished line as a line (the input ended; --flush-ms);
 * ends an overlong one. */
void frame_flush(struct frame *f);
/* Forgets an unfinished line; its length (0: none, or an overlong one
 * already reported). */
size_t frame_drop(struct frame *f);
int frame_pending(const struct frame *f);   /* bytes or a skip in progress */

/* port.c */
int port_open(const struct opts *o, char *err, size_t errlen);
/* baud2.c */
int baud_custom(int fd, long baud);        /* -1 with errno */

/* identity.c */
struct identity {
	struct plx_tags base;     /* the records' tags and source before any device */
	struct plx_devices devs;  /* the devices file as last read */
	struct plx_live live;     /* the port's device, alive or not */
	int dev;                  /* its index in live, -1: none (a file, stdin) */
};
void identity_init(struct identity *id, const struct opts *o, struct lp *lp);
void identity_load(struct identity *id, const struct opts *o, struct lp *lp);
void identity_free(struct identity *id);

/* control.c: the --control socket, its clients and the lines they write;
 * all take NULL (no --control) and do nothing. */
struct ctl;
struct plx_loop;
struct plx_recs;
struct ctl *ctl_open(const struct opts *o, struct plx_loop *l);   /* dies on failure */
short ctl_events(const struct ctl *c);          /* POLLOUT when lines wait for the port */
int ctl_write(struct ctl *c, int fd);           /* the port is writable: 0, -1 with errno */
/* Timeouts and drains, before each wait (fd: the port, -1 while away,
 * why_away: its last failure); the next deadline or -1. */
int64_t ctl_prepare(struct ctl *c, int fd, int64_t now, const char *why_away);
void ctl_port_lost(struct ctl *c);              /* a line half written: failed */
void ctl_status(const struct ctl *c, struct plx_recs *st, int64_t ts, const struct plx_tags *t);
void ctl_stop(struct ctl *c);                   /* every waiting line answered "stopped" */
void ctl_free(struct ctl *c);                   /* the socket file removed */

/* loop.c: runs until EOF, a signal or a broken stdout; the exit status. */
int run(const struct opts *o, struct lp *lp);

#endif

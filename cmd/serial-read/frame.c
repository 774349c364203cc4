/* Bytes into lines.  What ends a line (-d):
 *
 *   FR_AUTO  an LF, a CR, or a CRLF (one end): devices that end lines with
 *            LF, with CRLF or with CR only all work (the default)
 *   FR_LF    an LF (a CR before it is dropped, so CRLF works too)
 *   FR_CR    a CR (an LF right after it is dropped)
 *   FR_CRLF  strictly "\r\n" (a bare LF is data)
 *   a byte   that byte
 *
 * A line is handed out when its end arrives, and only then: pieces a device
 * printed with pauses between them ("t=", a slow sensor read, "21.5\r\n")
 * are joined, and the longest pause is told with the line.  An unfinished
 * line is never handed out on its own: the caller either forgets it
 * (frame_drop: the device went away, the tool stops) or declares it ended
 * (frame_flush: the end of a file, or --flush-ms).
 *
 * A CR that ends a line is handed out at once: whether an LF follows is
 * only known with the next byte, which is then skipped if it is one.  So
 * the lines do not depend on how reads split the bytes.
 *
 * A line longer than max is reported once (fn with s NULL) as soon as it
 * passes max, and the rest of it is skipped up to the next end, so neither
 * memory nor time depends on what the device sends.  The report says
 * whether the line held a CR or an LF that did not end it (a device that
 * ends lines with CR only, read with -d lf). */
#include <stdlib.h>
#include <string.h>

#include "serial.h"

int
frame_init(struct frame *f, size_t max, int delim, frame_fn *fn, void *ctx)
{
	memset(f, 0, sizeof *f);
	f->max = max;
	f->delim = delim;
	f->fn = fn;
	f->ctx = ctx;
	return (f->buf = malloc(max + 2)) ? 0 : -1;
}

void
frame_free(struct frame *f)
{
	free(f->buf);
	f->buf = NULL;
}

int
frame_pending(const struct frame *f)
{
	return f->len > 0 || f->skipping;
}

/* The next line is empty so far. */
static void
restart(struct frame *f)
{
	f->len = 0;
	f->skipping = 0;
	f->pause = 0;
	f->pause_at = 0;
}

static void
end_line(struct frame *f, int64_t ts)
{
	struct fr_line l = { .s = f->buf, .len = f->len, .ts = ts, .pause = f->pause,
	                     .pause_at = f->pause_at };
	int skipped = f->skipping;

	restart(f);
	if (skipped)
		return;
	if (f->delim != FR_CR && l.len > 0 && l.s[l.len - 1] == '\r')
		l.len--;
	if (l.len > f->max) {
		l.s = NULL;
		f->fn(f->ctx, &l);
		return;
	}
	l.s[l.len] = '\0';
	f->fn(f->ctx, &l);
}

/* An LF, else a CR, in part of a line that passed max (leaving out its
 * last byte, which may be the CR of a CRLF): what ends the device's lines
 * is likely not what -d says. */
static int
stray_end(const char *s, size_t n)
{
	return memchr(s, '\n', n) ? '\n' : memchr(s, '\r', n) ? '\r' : 0;
}

/* Appends data to the line, or starts skipping when it grows too long.
 * max + 1 bytes fit: a line of max bytes and the CR of its CRLF. */
static void
append(struct frame *f, const char *data, size_t n, int64_t ts)
{
	struct fr_line l = { .ts = ts };
	int a, b;

	if (f->skipping || n == 0)
		return;
	if (f->len + n > f->max + 1) {
		l.len = f->len + n;
		a = stray_end(f->buf, f->len), b = stray_end(data, n - 1);
		l.stray = a == '\n' || b == '\n' ? '\n' : a ? a : b;
		f->skipping = 1;
		f->len = 0;
		f->fn(f->ctx, &l);
		return;
	}
	memcpy(f->buf + f->len, data, n);
	f->len += n;
}

/* The first byte of data[0, n) that ends a line (or its candidate: the LF
 * of strict CRLF is checked by the caller), or NULL.  *lf keeps the next
 * LF of a read for auto (NULL: none; lf_end: not looked for yet), so that
 * CR-only lines do not each search the rest of the read for an LF. */
static const char lf_end[1];

static const char *
find_end(const struct frame *f, const char *data, size_t n, const char **lf)
{
	const char *cr;

	switch (f->delim) {
	case FR_AUTO:
		if (*lf == lf_end || (*lf && *lf < data))
			*lf = memchr(data, '\n', n);
		cr = memchr(data, '\r', *lf ? (size_t)(*lf - data) : n);
		return cr ? cr : *lf;
	case FR_CR:
		return memchr(data, '\r', n);
	case FR_LF:
	case FR_CRLF:
		return memchr(data, '\n', n);
	default:
		return memchr(data, f->delim, n);
	}
}

void
frame_feed(struct frame *f, const char *data, size_t n, int64_t ts, int64_t mono)
{
	const char *p, *lf = lf_end;
	size_t take;

	if (n == 0)
		return;
	/* a line in progress: the quiet before these bytes is a pause inside it */
	if (frame_pending(f) && mono - f->last_mono > f->pause) {
		f->pause = mono - f->last_mono;
		f->pause_at = f->len;
	}
	f->last_ts = ts, f->last_mono = mono;
	if (f->after_cr) {
		f->after_cr = 0;
		if (*data == '\n')
			data++, n--;    /* the LF of a CRLF whose CR ended the line */
	}
	while (n > 0) {
		p = find_end(f, data, n, &lf);
		take = p ? (size_t)(p - data) : n;
		append(f, data, take, ts);
		if (!p)
			return;
		data += take + 1;
		n -= take + 1;
		/* strict CRLF: a '\n' not after a '\r' is a byte of the line */
		if (f->delim == FR_CRLF && !f->skipping && (f->len == 0 || f->buf[f->len - 1] != '\r')) {
			append(f, "\n", 1, ts);
			continue;
		}
		end_line(f, ts);
		if (*p == '\r' && (f->delim == FR_AUTO || f->delim == FR_CR)) {
			if (n == 0)
				f->after_cr = 1;
			else if (*data == '\n')
				data++, n--;
		}
	}
}

void
frame_flush(struct frame *f)
{
	if (frame_pending(f))
		end_line(f, f->last_ts);
}

size_t
frame_drop(struct frame *f)
{
	size_t n = f->skipping ? 0 : f->len;

	restart(f);
	f->after_cr = 0;
	return n;
}

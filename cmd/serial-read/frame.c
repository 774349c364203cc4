/* Bytes into lines.  The delimiter is '\n' (a CR before it is dropped, so
 * CRLF works too), '\r' (an LF after it is dropped), strictly "\r\n" (a bare
 * '\n' is data), or any one byte.  A line longer than max is reported once
 * (fn with line NULL) as soon as it passes max, and the rest of it is
 * skipped up to the next delimiter, so neither memory nor time depends on
 * what the device sends.  frame_flush ends a partial line (the device
 * stopped without a delimiter). */
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

static void
end_line(struct frame *f, int64_t ts)
{
	char *s = f->buf;
	size_t n = f->len;

	f->len = 0;
	if (f->skipping) {
		f->skipping = 0;
		return;
	}
	if (f->delim != FR_CR && n > 0 && s[n - 1] == '\r')
		n--;
	if (f->delim == FR_CR)
		for (; n > 0 && *s == '\n'; s++, n--)
			;
	if (n > f->max) {
		f->fn(f->ctx, NULL, n, ts);
		return;
	}
	s[n] = '\0';
	f->fn(f->ctx, s, n, ts);
}

/* Appends data to the line, or starts skipping when it grows too long.
 * max + 1 bytes fit: a line of max bytes and the CR of its CRLF. */
static void
append(struct frame *f, const char *data, size_t n, int64_t ts)
{
	if (f->skipping || n == 0)
		return;
	if (f->len + n > f->max + 1) {
		f->skipping = 1;
		f->fn(f->ctx, NULL, f->len + n, ts);
		f->len = 0;
		return;
	}
	memcpy(f->buf + f->len, data, n);
	f->len += n;
}

void
frame_feed(struct frame *f, const char *data, size_t n, int64_t ts, int64_t mono)
{
	const char *p;
	char d = f->delim == FR_CR ? '\r' : f->delim < 0 ? '\n' : (char)f->delim;
	size_t take;

	if (n > 0)
		f->last_ts = ts, f->last_mono = mono;
	while (n > 0) {
		p = memchr(data, d, n);
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
	}
}

void
frame_flush(struct frame *f)
{
	if (frame_pending(f))
		end_line(f, f->last_ts);
}

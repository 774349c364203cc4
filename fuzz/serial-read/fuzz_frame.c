/* libFuzzer target: serial-read's framer (cmd/serial-read/frame.c), bytes
 * from a port into lines.
 *
 * Input: byte 0 picks the delimiter (% 8: LF, CR, strict CRLF, byte 1, auto;
 * 5..7 auto too) and, with bit 7, how the input ends (an unfinished line
 * flushed, or dropped as when the device goes away); byte 2 the maximum
 * line length (1..64), byte 3 seeds the chunk sizes; the rest is what the
 * device sent.  It is fed once whole and once in chunks of 1..16 bytes, a
 * millisecond apart.  Checked: both feeds give the same lines, the same
 * overlong reports and the same unfinished line in the same order (framing
 * does not depend on how reads split the bytes); every line fits the
 * maximum, is NUL-terminated and holds no delimiter (with auto no CR and no
 * LF); a pause is within the line and no longer than the feed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serial.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_frame: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

struct log {
	char text[1 << 16];    /* lines, each followed by '\n'; an overlong one is "#\n",
	                          an unfinished one dropped "~N\n" */
	size_t len;
	int delim;
	size_t max;
	int64_t feeds;         /* reads so far: no pause can be longer */
};

static void
add(struct log *l, const char *s, size_t len)
{
	if (l->len + len + 1 > sizeof l->text)
		return;            /* enough to compare */
	memcpy(l->text + l->len, s, len);
	l->len += len;
	l->text[l->len++] = '\n';
}

static void
on_line(void *ctx, const struct fr_line *fl)
{
	struct log *l = ctx;
	const char *line = fl->s;
	size_t len = fl->len;

	CHECK(fl->pause >= 0 && fl->pause <= l->feeds, "pause of %lld ms in %lld reads",
	      (long long)fl->pause, (long long)l->feeds);
	if (!line) {
		CHECK(len > l->max, "overlong report of %zu bytes, max %zu", len, l->max);
		CHECK(fl->stray == 0 || fl->stray == '\r' || fl->stray == '\n', "stray %d", fl->stray);
		add(l, "#", 1);
		return;
	}
	CHECK(len <= l->max && line[len] == '\0', "line of %zu bytes, max %zu", len, l->max);
	CHECK(fl->pause_at <= len + 1, "pause after byte %zu of %zu", fl->pause_at, len);
	if (l->delim == FR_LF)
		CHECK(!memchr(line, '\n', len), "LF inside a line");
	if (l->delim == FR_CR)
		CHECK(!memchr(line, '\r', len), "CR inside a line");
	if (l->delim == FR_AUTO)
		CHECK(!memchr(line, '\r', len) && !memchr(line, '\n', len), "CR or LF inside a line");
	if (l->delim >= 0)
		CHECK(!memchr(line, l->delim, len), "delimiter inside a line");
	if (l->delim == FR_CRLF)
		CHECK(!memmem(line, len, "\r\n", 2), "CRLF inside a line");
	add(l, line, len);
}

static void
feed(struct log *l, const uint8_t *d, size_t n, unsigned seed, int chunked, int drop)
{
	struct frame f;
	char tail[32];
	size_t k;

	l->len = 0;
	l->feeds = 0;
	CHECK(frame_init(&f, l->max, l->delim, on_line, l) == 0, "init");
	while (n > 0) {
		k = chunked ? 1 + (seed = seed * 1103515245u + 12345u) % 16 : n;
		if (k > n)
			k = n;
		frame_feed(&f, (const char *)d, k, 1, ++l->feeds);
		d += k, n -= k;
	}
	if (drop) {
		k = frame_drop(&f);
		CHECK(k <= l->max + 1 && !frame_pending(&f), "dropped %zu bytes, max %zu", k, l->max);
		add(l, tail, (size_t)snprintf(tail, sizeof tail, "~%zu", k));
	} else {
		frame_flush(&f);
	}
	frame_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int delims[] = { FR_LF, FR_CR, FR_CRLF, 0, FR_AUTO, FR_AUTO, FR_AUTO, FR_AUTO };
	static struct log whole, parts;
	int drop;

	if (size < 4)
		return 0;
	whole.delim = data[0] % 8 == 3 ? data[1] : delims[data[0] % 8];
	drop = data[0] >> 7;
	whole.max = 1 + data[2] % 64;
	parts.delim = whole.delim;
	parts.max = whole.max;
	feed(&whole, data + 4, size - 4, data[3], 0, drop);
	feed(&parts, data + 4, size - 4, data[3], 1, drop);
	CHECK(whole.len == parts.len && !memcmp(whole.text, parts.text, whole.len),
	      "fed whole and in chunks, the lines differ");
	return 0;
}

/* libFuzzer target: serial-read's framer (cmd/serial-read/frame.c), bytes
 * from a port into lines.
 *
 * Input: byte 0 picks the delimiter (LF, CR, strict CRLF, or byte 1), byte 2
 * the maximum line length (1..64), byte 3 seeds the chunk sizes; the rest is
 * what the device sent.  It is fed once whole and once in chunks of 1..16
 * bytes, each followed by a final flush.  Checked: both feeds give the same
 * lines and the same overlong reports in the same order (framing does not
 * depend on how reads split the bytes); every line fits the maximum, is
 * NUL-terminated and holds no delimiter. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serial.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_frame: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

struct log {
	char text[1 << 16];    /* lines, each followed by '\n'; an overlong one is "#\n" */
	size_t len;
	int delim;
	size_t max;
};

static void
on_line(void *ctx, char *line, size_t len, int64_t ts)
{
	struct log *l = ctx;

	(void)ts;
	if (!line) {
		CHECK(len > l->max, "overlong report of %zu bytes, max %zu", len, l->max);
		line = "#", len = 1;
	} else {
		CHECK(len <= l->max && line[len] == '\0', "line of %zu bytes, max %zu", len, l->max);
		if (l->delim == FR_LF)
			CHECK(!memchr(line, '\n', len), "LF inside a line");
		if (l->delim == FR_CR)
			CHECK(!memchr(line, '\r', len), "CR inside a line");
		if (l->delim >= 0)
			CHECK(!memchr(line, l->delim, len), "delimiter inside a line");
		if (l->delim == FR_CRLF)
			CHECK(!memmem(line, len, "\r\n", 2), "CRLF inside a line");
	}
	if (l->len + len + 1 > sizeof l->text)
		return;            /* enough to compare */
	memcpy(l->text + l->len, line, len);
	l->len += len;
	l->text[l->len++] = '\n';
}

static void
feed(struct log *l, const uint8_t *d, size_t n, unsigned seed, int chunked)
{
	struct frame f;
	size_t k;

	l->len = 0;
	CHECK(frame_init(&f, l->max, l->delim, on_line, l) == 0, "init");
	while (n > 0) {
		k = chunked ? 1 + (seed = seed * 1103515245u + 12345u) % 16 : n;
		if (k > n)
			k = n;
		frame_feed(&f, (const char *)d, k, 1, 1);
		d += k, n -= k;
	}
	frame_flush(&f);
	frame_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int delims[] = { FR_LF, FR_CR, FR_CRLF };
	static struct log whole, parts;

	if (size < 4)
		return 0;
	whole.delim = data[0] % 4 < 3 ? delims[data[0] % 4] : data[1];
	whole.max = 1 + data[2] % 64;
	parts.delim = whole.delim;
	parts.max = whole.max;
	feed(&whole, data + 4, size - 4, data[3], 0);
	feed(&parts, data + 4, size - 4, data[3], 1);
	CHECK(whole.len == parts.len && !memcmp(whole.text, parts.text, whole.len),
	      "fed whole and in chunks, the lines differ");
	return 0;
}

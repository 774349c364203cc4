/* libFuzzer target: the line reader against a model of it.
 *
 * Input: byte 0 picks the line limit (0..31), byte 1 the pattern of read
 * sizes; the rest is the stream, written into a non-blocking pipe in chunks
 * while the reader drains it, so lines straddle reads in every way.  The
 * model splits the stream at '\n' (a last piece without one is a line too),
 * strips one trailing CR, and calls a line longer than the limit dropped.
 * The reader must return exactly that: same lines, same bytes, same line
 * numbers, each dropped line reported once, then EOF; and every line it
 * returns holds no '\n', is at most max bytes and is NUL-terminated. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_lines: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

struct model { const uint8_t *s, *end; size_t max; unsigned long lineno; };

/* The next expected event: PLX_LINE with *p, *n set, PLX_LINE_LONG, or EOF. */
static int
model_next(struct model *m, const uint8_t **p, size_t *n)
{
	const uint8_t *nl;
	size_t len;

	if (m->s == m->end)
		return PLX_LINE_EOF;
	nl = memchr(m->s, '\n', m->end - m->s);
	len = (nl ? nl : m->end) - m->s;
	*p = m->s;
	m->s = nl ? nl + 1 : m->end;
	if (len > 0 && (*p)[len - 1] == '\r')
		len--;
	*n = len;
	m->lineno++;
	return len > m->max ? PLX_LINE_LONG : PLX_LINE;
}

/* Takes every event the reader has ready and checks it against the model. */
static int
drain(struct plx_lines *l, struct model *m)
{
	const uint8_t *want;
	size_t wlen, len;
	char *line;
	int rc, exp;

	while ((rc = plx_lines_next(l, &line, &len)) != PLX_LINE_NONE) {
		exp = model_next(m, &want, &wlen);
		CHECK(rc == exp, "line %lu: reader says %d, model %d", m->lineno, rc, exp);
		if (rc == PLX_LINE_EOF)
			return rc;
		CHECK(l->lineno == m->lineno, "line number %lu, model %lu", l->lineno, m->lineno);
		if (rc == PLX_LINE) {
			CHECK(len <= l->max, "line %lu: %zu bytes > max %zu", m->lineno, len, l->max);
			CHECK(!memchr(line, '\n', len), "line %lu holds a newline", m->lineno);
			CHECK(line[len] == '\0', "line %lu not NUL-terminated", m->lineno);
			CHECK(len == wlen && !memcmp(line, want, len), "line %lu: wrong bytes", m->lineno);
		}
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plx_lines l;
	struct model m;
	const uint8_t *s, *end;
	char *line;
	unsigned pattern;
	size_t chunk;
	ssize_t w;
	int p[2], rc = PLX_LINE_NONE;

	if (size < 2)
		return 0;
	m.max = data[0] % 32;
	pattern = data[1];
	s = m.s = data + 2;
	end = m.end = data + size;
	m.lineno = 0;
	if (pipe(p) < 0)
		abort();
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	plx_nonblock(p[0], 1);
	plx_nonblock(p[1], 1);
	CHECK(plx_lines_init(&l, p[0], m.max) == 0, "init");
	while (s < end) {
		/* read sizes 1..16 in a pattern, now and then a big one */
		pattern = pattern * 1103515245u + 12345u;
		chunk = (pattern >> 16) % 8 == 0 ? 4096 : 1 + (pattern >> 20) % 16;
		if (chunk > (size_t)(end - s))
			chunk = end - s;
		w = write(p[1], s, chunk);
		CHECK(w > 0 || errno == EAGAIN, "write");
		if (w > 0)
			s += w;
		while (plx_lines_fill(&l) > 0)
			drain(&l, &m);
		CHECK(errno == EAGAIN, "fill: %s", strerror(errno));
		drain(&l, &m);
	}
	close(p[1]);
	while (rc != PLX_LINE_EOF) {
		CHECK(plx_lines_fill(&l) >= 0, "fill at the end");
		rc = drain(&l, &m);
	}
	CHECK(plx_lines_next(&l, &line, &chunk) == PLX_LINE_EOF, "EOF twice");
	plx_lines_free(&l);
	close(p[0]);
	return 0;
}

/* batch.c: a gzipped body (libdeflate), unpacked by another
 * implementation (zlib), is the plain body, records with corrected
 * timestamps too; the texts of records released into a body come back
 * from it whole, in place, gzipped or not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "upload.h"
#include "unit.h"

#define N 3000

static char *
gunzip(const void *gz, size_t len, size_t *out)
{
	size_t cap = 8 << 20;
	char *p = malloc(cap);
	z_stream z = { 0 };

	inflateInit2(&z, 15 + 16);
	z.next_in = (unsigned char *)gz;
	z.avail_in = len;
	z.next_out = (unsigned char *)p;
	z.avail_out = cap;
	if (inflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(p);
		p = NULL;
	}
	*out = cap - z.avail_out;
	inflateEnd(&z);
	return p;
}

/* N records of different lengths; every seventh stamped while the clock
 * was unsynchronised (its timestamp last, in 20 characters). */
static void
fill(struct batch *b)
{
	char t[256];
	int i, n;

	for (i = 0; i < N; i++) {
		if (i % 7 == 3) {
			n = snprintf(t, sizeof t, "{\"metric\":\"m%d\",\"value\":%d,\"timestamp\":%20d}", i,
			             (int)(unit_rand() % 100000), i);
			batch_add(b, t, (size_t)n, i, (unsigned long)i + 1);
			batch_mark(b, 1000 + i);
		} else {
			n = snprintf(t, sizeof t, "{\"metric\":\"m%d\",\"value\":%d,\"pad\":\"%.*s\"}", i,
			             (int)(unit_rand() % 100000), (int)(unit_rand() % 60), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
			batch_add(b, t, (size_t)n, i, (unsigned long)i + 1);
		}
	}
}

static char *
dup_body(struct batch *b, size_t lo, size_t hi, size_t *len, int *gz)
{
	const void *p = batch_body(b, lo, hi, len, gz);
	char *c = malloc(*len);

	memcpy(c, p, *len);
	return c;
}

/* Records [lo, lo + k) released into their body and taken back: every
 * text in its place again (the corrected timestamps corrected). */
static void
round_trip(struct batch *b, size_t lo, size_t k, const char *what)
{
	size_t len, i, tlen = b->tlen, size_after = batch_size(b, lo + k, b->n);
	char *body, *texts = malloc(b->tlen);
	struct rec *rec = malloc(b->n * sizeof *rec);
	int gz, same = 1;

	memcpy(texts, b->text, b->tlen);
	memcpy(rec, b->rec, b->n * sizeof *rec);
	body = dup_body(b, lo, lo + k, &len, &gz);
	batch_release(b, lo, k);
	T(b->n == N && b->tlen < tlen, "%s: released, the index stays, the texts leave", what);
	T(batch_size(b, lo + k, b->n) == size_after, "%s: the records after them are still whole", what);
	batch_restore(b, lo, k, body, len, gz);
	T(b->tlen == tlen, "%s: restored, every byte back", what);
	for (i = 0; i < N; i++)
		if (b->rec[i].off != rec[i].off || b->rec[i].len != rec[i].len ||
		    (b->rec[i].boot_ms < 0 && memcmp(b->text + rec[i].off, texts + rec[i].off, rec[i].len)))
			same = 0;
	T(same, "%s: restored, each record's text in its place", what);
	free(body);
	free(texts);
	free(rec);
}

int
main(void)
{
	struct batch plain, gz;
	size_t plen, glen, ulen, i;
	char *pb, *gb, *ub;
	int pz, gzd;

	batch_init(&plain, "src", 0, 1 << 20);
	batch_init(&gz, "src", 6, 1 << 20);
	fill(&plain);
	for (i = 0; i < plain.n; i++) {
		batch_add(&gz, plain.text + plain.rec[i].off, plain.rec[i].len, plain.rec[i].seq, plain.rec[i].line);
		if (plain.rec[i].boot_ms >= 0)
			batch_mark(&gz, plain.rec[i].boot_ms);
	}
	plain.clock_fix = gz.clock_fix = 1764000000000LL;

	pb = dup_body(&plain, 0, N, &plen, &pz);
	gb = dup_body(&gz, 0, N, &glen, &gzd);
	T(!pz && gzd, "level 0: plain; level 6: gzipped");
	T(plen > 3 * 65536, "a body of several hundred KiB (%zu bytes)", plen);
	ub = gunzip(gb, glen, &ulen);
	T(ub && ulen == plen && !memcmp(ub, pb, plen), "the gzipped body is the plain body (%zu bytes)", ulen);
	T(memmem(pb, plen, "\"timestamp\":       1764000001003}", 33) != NULL, "a timestamp corrected");
	free(ub);
	free(gb);

	round_trip(&gz, 1000, 1200, "gzipped");
	round_trip(&gz, 0, 500, "gzipped, at the front");
	round_trip(&plain, 1000, 1200, "plain");
	gb = dup_body(&gz, 0, N, &glen, &gzd);
	ub = gunzip(gb, glen, &ulen);
	T(ub && ulen == plen && !memcmp(ub, pb, plen), "after the round trips the body is the same");
	free(ub);
	free(gb);
	free(pb);
	batch_free(&plain);
	batch_free(&gz);
	UNIT_END();
}

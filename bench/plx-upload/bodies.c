/* bench/plx-upload/bodies: request bytes per point of plx-upload's own
 * bodies (batch.c, libdeflate) against gzip level, points per request and
 * the class kept or left to the server (lean, input.c), with the CPU the
 * gzip takes per million points.
 *
 *   bodies < records.ndjson        (bench/uplink.sh's stream: BENCH_KEEP=1)
 *
 * Records are taken as plx-upload takes plx-buffer's lines, in input order;
 * every point keeps its own timestamp and tags, as the API wants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "upload.h"

static double
cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int
main(void)
{
	static const int levels[] = { 1, 4, 6, 7, 9, 12 }, sizes[] = { 1000, 5000, 10000 };
	size_t cap = 1 << 20, n = 0, nl = 0, j, k, lo, len, bytes;
	char *in = malloc(cap), *p, *q, *e, **line;
	size_t *llen;
	struct batch b;
	double t, cpu;
	int gz, li, si, cls;

	while ((k = fread(in + n, 1, cap - n, stdin)) > 0)
		if ((n += k) == cap)
			in = realloc(in, cap *= 2);
	line = malloc((n / 16 + 1) * sizeof *line);
	llen = malloc((n / 16 + 1) * sizeof *llen);
	for (p = in, e = in + n; p < e && nl < 200000; p = q + 1) {
		if (!(q = memchr(p, '\n', (size_t)(e - p))))
			q = e;
		line[nl] = p;
		llen[nl++] = (size_t)(q - p);
	}
	printf("%zu records, %.0f bytes each\n%-7s %-6s %-6s %12s %10s\n", nl, (double)n / nl,
	       "level", "points", "class", "bytes/point", "gzip CPU s/M");
	for (li = 0; li < (int)(sizeof levels / sizeof *levels); li++)
		for (si = 0; si < (int)(sizeof sizes / sizeof *sizes); si++)
			for (cls = 1; cls >= 0; cls--) {
				batch_init(&b, "bench", levels[li], 5 << 20);
				bytes = 0;
				cpu = 0;
				for (lo = 0; lo < nl; lo += (size_t)sizes[si]) {
					batch_clear(&b);
					for (j = lo; j < nl && j < lo + (size_t)sizes[si]; j++) {
						char *copy = strndup(line[j], llen[j]);
						char *text = copy;
						struct plx_fields f;
						int has_source;
						len = llen[j];
						if (!cls && plx_record_quick_fields(copy, len, &has_source, &f) == PLX_QUICK_OK)
							text = lean(copy, &len, &f);
						batch_add(&b, text, len, -1, j);
						free(copy);
					}
					t = cpu_s();
					batch_body(&b, 0, b.n, &len, &gz);
					cpu += cpu_s() - t;
					bytes += len;
				}
				printf("%-7d %-6d %-6s %12.2f %10.2f\n", levels[li], sizes[si], cls ? "kept" : "left",
				       (double)bytes / nl, cpu / nl * 1e6);
				batch_free(&b);
			}
	free(line);
	free(llen);
	free(in);
	return 0;
}

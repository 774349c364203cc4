/* bench/can_decode.c: frames/s through can-read's DBC lookup and decoder
 * (lib/dbc.c, dbc_decode.c) alone, without I/O.
 *   can_decode FILE.dbc LOG [repeat]
 * LOG is a candump -L log ("(1763800000.000000) can0 123#11223344"; "##F"
 * for CAN FD).  It is read and its frames parsed into memory first, untimed;
 * then every frame goes through dbc_find + dbc_decode, `repeat` times
 * (default 3), and the best pass is reported:
 *   frames 1000000 signals 6021384 best 0.151 s 6622516 frames/s 39.9 M signals/s
 * The callback adds the values up, so that nothing is optimised away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbc.h"

struct frame { uint32_t id; uint8_t len, data[DBC_MAX_SIZE]; };

static void
sum(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double v, const char *label)
{
	if (v == v)                     /* not NaN (float signals) */
		*(double *)ctx += v + (label != NULL);
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
parse(const char *line, struct frame *f)
{
	const char *p = strrchr(line, ' '), *s;

	p = p ? p + 1 : line;
	f->id = 0;
	for (s = p; hexval(*p) >= 0; p++)
		f->id = f->id << 4 | (uint32_t)hexval(*p);
	if (p - s == 8)
		f->id |= CAN_EFF_FLAG;
	if (*p++ != '#')
		return -1;
	if (*p == '#')
		p += 2;
	for (f->len = 0; hexval(p[0]) >= 0 && hexval(p[1]) >= 0 && f->len < DBC_MAX_SIZE; p += 2)
		f->data[f->len++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char err[512], line[256];
	struct dbc *d;
	struct frame *fr = NULL;
	size_t n = 0, cap = 0, i;
	long sigs = 0;
	int r, repeat = argc > 3 ? atoi(argv[3]) : 3;
	double t, best = 1e9, acc = 0;
	const struct dbc_msg *m;
	FILE *f;

	if (argc < 3 || !(f = fopen(argv[2], "r"))) {
		fprintf(stderr, "usage: can_decode FILE.dbc LOG [repeat]\n");
		return 64;
	}
	if (!(d = dbc_load(argv[1], err, sizeof err))) {
		fprintf(stderr, "can_decode: %s\n", err);
		return 65;
	}
	while (fgets(line, sizeof line, f)) {
		if (n == cap && !(fr = realloc(fr, (cap = cap ? 2 * cap : 1 << 16) * sizeof *fr)))
			return 70;
		if (parse(line, &fr[n]) == 0)
			n++;
	}
	fclose(f);
	for (r = 0; r < repeat; r++) {
		sigs = 0;
		t = now();
		for (i = 0; i < n; i++)
			if ((m = dbc_find(d, fr[i].id)))
				sigs += dbc_decode(m, fr[i].data, fr[i].len, sum, &acc);
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("frames %zu signals %ld best %.3f s %.0f frames/s %.1f M signals/s (checksum %g)\n",
	       n, sigs, best, n / best, sigs / best / 1e6, acc);
	free(fr);
	dbc_free(d);
	return 0;
}

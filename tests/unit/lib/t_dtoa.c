/* lib/dtoa.c: plx_fmt_fixed writes q / 10^dec in decimal as a person would
 * (checked against printf's digits with the point put in by hand), and
 * plx_fmt_double gives, byte for byte, what the C library's way
 * gives (the first of "%.15g", "%.16g", "%.17g" that strtod reads back as
 * the same double), on the values where it computes in integers and where
 * it hands over: powers of two (the gap below them is half the gap above),
 * powers of ten, halfway cases, float32 values, the ends of the range, and
 * random doubles of every exponent.  Each text is a JSON number too. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"
#include "unit.h"

static size_t
reference(char *buf, double d)
{
	int prec;
	size_t n = 0;

	if (fabs(d) < 1e15 && d == (double)(int64_t)d)
		return (size_t)snprintf(buf, 32, "%lld", (long long)d);
	for (prec = 15; prec <= 17; prec++) {
		n = (size_t)snprintf(buf, 32, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return n;
}

static unsigned long nchecked, nbad;

static void
one(double d)
{
	char got[40], want[40];
	size_t g, w;

	if (!isfinite(d))
		return;
	g = plx_fmt_double(got, d);
	w = reference(want, d);
	nchecked++;
	got[g] = want[w] = '\0';
	if (g != w || strcmp(got, want) || plx_rule_number(got, g)) {
		if (nbad++ < 10)
			printf("#   %.17g (%a): got %s, want %s\n", d, d, got, want);
	}
}

/* q / 10^dec the slow way: printf's digits, the point put in, zeros cut. */
static void
fixed_ref(char *out, int64_t q, int dec)
{
	char dig[32];
	int n = snprintf(dig, sizeof dig, "%llu", q < 0 ? -(unsigned long long)q : (unsigned long long)q), k = 0, i;

	if (q < 0)
		out[k++] = '-';
	if (n <= dec) {                               /* 0.000ddd */
		memmove(dig + dec + 1 - n, dig, (size_t)n + 1);
		memset(dig, '0', (size_t)(dec + 1 - n));
		n = dec + 1;
	}
	for (i = 0; i < n - dec; i++)
		out[k++] = dig[i];
	if (dec) {
		out[k++] = '.';
		for (; i < n; i++)
			out[k++] = dig[i];
		while (out[k - 1] == '0')
			k--;
		if (out[k - 1] == '.')
			k--;
	}
	out[k] = '\0';
}

static int
fixed_ok(int64_t q, int dec)
{
	char got[48], want[48];
	size_t n = plx_fmt_fixed(got, q, dec);

	got[n] = '\0';
	fixed_ref(want, q, dec);
	/* -2^63 is the one integer the rule refuses (json-c's clamp) */
	if (!strcmp(got, want) && (!plx_rule_number(got, n) || (q == INT64_MIN && dec == 0)))
		return 1;
	printf("#   %lld / 10^%d: got %s, want %s\n", (long long)q, dec, got, want);
	return 0;
}

int
main(void)
{
	static const double fixed[] = {
		0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 21.5, 4.6, 4.6000000000000005, 0.30000000000000004, 1e-11,
		9.99e-12, 1e-10, 1.5e-7, 1e-5, 1.25e-5, 0.0001, 0.001, 123456.789, 1e15, 1e15 + 1, 1e16,
		9007199254740993.0, 1e17, 1.2345678901234567e17, 1e21, 1e22, 1e23, 9.999999999999999e22,
		1e40, 1e41, 1e42, 1e100, DBL_MAX, DBL_MIN, 5e-324, 2.2250738585072009e-308,
		1.7976931348623157e308, 999999.99999999999, 0.099999999999999999, 9.5, 0.5, 1.5e300,
		123456789012345.6, 12345678901234.56, 3.4028234663852886e38, 1.1754943508222875e-38,
	};
	size_t i;
	int k;
	double d;
	float f;
	uint64_t b;

	static const int64_t qs[] = { 0, 1, -1, 5, -5, 10, 100, 2250, -2250, 123456789, 1000000000000000000,
	                              INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	int bad = 0;

	for (i = 0; i < sizeof qs / sizeof *qs; i++)
		for (k = 0; k <= 18; k++)
			bad += !fixed_ok(qs[i], k);
	for (i = 0; i < 200000 && bad < 10; i++) {
		b = unit_rand();
		bad += !fixed_ok((int64_t)b >> (b % 60), (int)(unit_rand() % 19));
	}
	T(bad == 0, "plx_fmt_fixed on 200,266 integers and decimals");

	for (i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		one(fixed[i]);
		one(-fixed[i]);
		one(nextafter(fixed[i], 0));
		one(nextafter(fixed[i], INFINITY));
	}
	T(nbad == 0, "%lu chosen values as the C library writes them (%lu differ)", nchecked, nbad);

	nchecked = nbad = 0;
	for (k = -1074; k <= 1023; k++) {     /* 2^k: the asymmetric gap */
		d = ldexp(1, k);
		one(d);
		one(nextafter(d, 0));
		one(nextafter(d, INFINITY));
		one(d * 3);
	}
	for (k = -30; k <= 45; k++) {         /* 10^k and its neighbours, 5 * 10^k */
		d = pow(10, k);
		one(d);
		one(nextafter(d, 0));
		one(nextafter(d, INFINITY));
		one(5 * d);
	}
	T(nbad == 0, "%lu powers of two and ten and their neighbours (%lu differ)", nchecked, nbad);

	nchecked = nbad = 0;
	for (i = 0; i < 300000; i++) {
		b = unit_rand();
		memcpy(&d, &b, sizeof d);
		if (isfinite(d))
			one(d);
		b = (b & ~(UINT64_C(0x7ff) << 52)) | (uint64_t)(1023 - 135 + (int)(unit_rand() % 280)) << 52;
		memcpy(&d, &b, sizeof d);                    /* 2^-135 .. 2^145: the integers' range */
		one(d);
		b = unit_rand();
		memcpy(&f, &b, sizeof f);
		one(f);                                      /* float32 readings, any bits */
		one((double)(int64_t)(unit_rand() % 2000000000) / 1000);   /* three decimals */
	}
	T(nbad == 0, "%lu random doubles (%lu differ)", nchecked, nbad);
	UNIT_END();
}

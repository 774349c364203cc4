/* lib/dtoa.c: plx_fmt_double gives, byte for byte, what the C library's way
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

	if (d == (double)(int64_t)d && fabs(d) < 1e15)
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

static uint64_t rng = 88172645463325252ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
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
		b = next();
		memcpy(&d, &b, sizeof d);
		if (isfinite(d))
			one(d);
		b = (b & ~(UINT64_C(0x7ff) << 52)) | (uint64_t)(1023 - 135 + (int)(next() % 280)) << 52;
		memcpy(&d, &b, sizeof d);                    /* 2^-135 .. 2^145: the integers' range */
		one(d);
		b = next();
		memcpy(&f, &b, sizeof f);
		one(f);                                      /* float32 readings, any bits */
		one((double)(int64_t)(next() % 2000000000) / 1000);   /* three decimals */
	}
	T(nbad == 0, "%lu random doubles (%lu differ)", nchecked, nbad);
	UNIT_END();
}

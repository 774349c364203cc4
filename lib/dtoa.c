/* Numbers as text for records (recs.h: plx_fmt_double): the shortest of
 * printf's "%.15g", "%.16g", "%.17g" that reads back as the same double,
 * as a reader of the C library would write it by trying each in turn with
 * snprintf and strtod, but computed exactly in 128-bit integers, without
 * either call, for 1e-38 <= |d| < 1e41 (readings, counters, every float32
 * a device sends); snprintf and strtod do the rest.
 *
 * For P digits, D = round(|d| * 10^s) with s = P - 1 - x, x the decimal
 * exponent of d.  With d = m * 2^e (m of 53 bits), |d| * 10^s is
 * m * 5^s * 2^(e + s): an integer shifted (s >= 0, 5^s < 2^128 up to
 * s = 55) or m * 2^(e + s) divided by 5^-s (s < 0).  The remainder of that rounding
 * says, exactly, whether D * 10^-s lies within half a unit in the last
 * place of d, i.e. whether strtod would read it back as d. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"

typedef unsigned __int128 u128;

static const uint64_t pow10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull,
	1000000000000000ull, 10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull,
};

/* 5^k for 0 <= k <= 55 (5^55 < 2^128) */
static u128
pow5(int k)
{
	static u128 p[56];
	int i;

	if (!p[0])
		for (p[0] = 1, i = 1; i < 56; i++)
			p[i] = p[i - 1] * 5;
	return p[k];
}

/* D = round(m * 2^e * 10^s), half to even, in *d (*up: rounded up): 1
 * when D * 10^-s reads back as m * 2^e (asym: m is 2^52 and not the least
 * normal, so the gap below is half the one above), 0 when it does not, -1
 * out of range. */
static int
digits(uint64_t m, int e, int s, int asym, uint64_t *d, int *up)
{
	u128 n, q, r, lo, hi, unit;
	int t = e + s, sh, u;

	if (s > 55 || s < -27)
		return -1;
	if (s >= 0) {
		/* value = m * 5^s / 2^sh, m * 5^s = hi * 2^64 + (uint64_t)lo (181 bits at most) */
		unit = pow5(s);
		lo = (u128)m * (uint64_t)unit;
		hi = (u128)m * (uint64_t)(unit >> 64) + (lo >> 64);
		if (t >= 0) {
			if (t > 10 || hi >> 64 || ((n = hi << 64 | (uint64_t)lo) << t) >> 64)
				return -1;
			*d = (uint64_t)(n << t);      /* exact */
			*up = 0;
			return 1;
		}
		sh = -t;
		if (sh > 127)
			return -1;
		if (sh >= 64) {
			q = hi >> (sh - 64);
			r = (hi - (q << (sh - 64))) << 64 | (uint64_t)lo;
		} else {
			if (hi >> 64)
				return -1;
			n = hi << 64 | (uint64_t)lo;
			q = n >> sh;
			r = n - (q << sh);
		}
		/* value = q + r / 2^sh; up: |value - q| = r / 2^sh, and the gap
		 * above d counts */
		if ((*up = r > (u128)1 << (sh - 1) || (r == (u128)1 << (sh - 1) && (q & 1))))
			q++, r = ((u128)1 << sh) - r, asym = 0;
		if (q >> 64)
			return -1;
		*d = (uint64_t)q;
		/* half an ulp is unit / 2^(sh + 1): it reads back if 2r < unit (4r
		 * below m = 2^52), i.e. r <= unit / 2 (unit / 4): unit is odd */
		return r <= unit >> (asym ? 2 : 1);
	}
	u = -s;
	if (t < 0 || t > 70)
		return -1;
	n = (u128)m << t;
	unit = pow5(u);
	q = n / unit;
	r = n - q * unit;                     /* value = q + r / 5^u */
	if ((*up = 2 * r > unit || (2 * r == unit && (q & 1))))
		q++, r = unit - r, asym = 0;
	if (q >> 64)
		return -1;
	*d = (uint64_t)q;
	/* half an ulp is 2^t / (2 * 5^u): 2r < 2^t, a tie to the even m */
	r <<= asym ? 2 : 1;
	return r < ((u128)1 << t) || (r == ((u128)1 << t) && !(m & 1));
}

/* d (P significant digits, trailing zeros cut to k) times 10^x as "%g" writes it. */
static size_t
print_g(char *buf, int neg, uint64_t d, int x, int p)
{
	char dig[24];
	int k = 0, i, n = 0, ax;

	while (d % 10 == 0 && d)
		d /= 10;
	for (; d; d /= 10)
		dig[k++] = (char)('0' + d % 10);          /* backwards */
	if (neg)
		buf[n++] = '-';
	if (x < -4 || x >= p) {
		buf[n++] = dig[k - 1];
		if (k > 1)
			buf[n++] = '.';
		for (i = k - 2; i >= 0; i--)
			buf[n++] = dig[i];
		buf[n++] = 'e';
		buf[n++] = x < 0 ? '-' : '+';
		ax = x < 0 ? -x : x;
		if (ax >= 100)
			buf[n++] = (char)('0' + ax / 100);
		buf[n++] = (char)('0' + ax / 10 % 10);
		buf[n++] = (char)('0' + ax % 10);
	} else if (x >= 0) {
		for (i = 0; i <= x; i++)
			buf[n++] = i < k ? dig[k - 1 - i] : '0';
		if (k > x + 1) {
			buf[n++] = '.';
			for (i = k - 2 - x; i >= 0; i--)
				buf[n++] = dig[i];
		}
	} else {
		buf[n++] = '0';
		buf[n++] = '.';
		for (i = -1; i > x; i--)
			buf[n++] = '0';
		for (i = k - 1; i >= 0; i--)
			buf[n++] = dig[i];
	}
	return (size_t)n;
}

/* The C library's way, for what the integers do not reach. */
static size_t
fmt_slow(char *buf, double d)
{
	int prec;
	size_t n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = (size_t)snprintf(buf, 32, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return n;
}

size_t
plx_fmt_int(char *buf, int64_t v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		tmp[n++] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		buf[i++] = '-';
	while (n)
		buf[i++] = tmp[--n];
	return i;
}

/* The last k digits of *u, written backwards ending at p, two at a time;
 * *u keeps the digits before them. */
static void
backwards(char *p, uint64_t *u, int k)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";

	for (; k >= 2; k -= 2, *u /= 100)
		memcpy(p -= 2, pairs + 2 * (*u % 100), 2);
	if (k) {
		*--p = (char)('0' + *u % 10);
		*u /= 10;
	}
}

size_t
plx_fmt_fixed(char *buf, int64_t q, int dec)
{
	uint64_t u = q < 0 ? -(uint64_t)q : (uint64_t)q;
	int digits, t, n;

	for (; dec > 0 && u % 10 == 0; dec--)
		u /= 10;
	/* digits of u: log10 from its bit length (1233 / 4096 ~ log10(2)), then one compare */
	t = (64 - __builtin_clzll(u | 1)) * 1233 >> 12;
	digits = t + (u >= pow10[t]);
	if (digits <= dec)
		digits = dec + 1;                        /* 0.05: a 0 before the point */
	n = (q < 0) + digits + (dec > 0);
	if (q < 0)
		buf[0] = '-';
	backwards(buf + n, &u, dec);                 /* the fraction, the point, the rest */
	if (dec > 0)
		buf[n - dec - 1] = '.';
	backwards(buf + n - dec - (dec > 0), &u, digits - dec);
	return (size_t)n;
}

size_t
plx_fmt_double(char *buf, double v)
{
	uint64_t bits, m, d;
	int be, e, x, p, rc, asym, up;

	if (fabs(v) < 1e15 && v == (double)(int64_t)v)     /* no cast of what int64_t cannot hold */
		return plx_fmt_int(buf, (int64_t)v);
	memcpy(&bits, &v, sizeof bits);
	be = (int)(bits >> 52 & 0x7ff);
	m = bits & ((UINT64_C(1) << 52) - 1);
	if (be == 0 || be == 0x7ff)
		return fmt_slow(buf, v);        /* subnormal, inf, nan */
	m |= UINT64_C(1) << 52;
	e = be - 1075;                      /* |v| = m * 2^e */
	asym = m == UINT64_C(1) << 52 && be > 1;
	/* the decimal exponent, 10^x <= |v| < 10^(x+1): 2^(e+52) <= |v| < 2^(e+53)
	 * makes it floor((e + 52) log10(2)) (78913 / 2^18 is log10(2) close
	 * enough) or one more, which 17 digits taken at x + 1 tell */
	x = (int)(((int64_t)(e + 52) * 78913) >> 18) + 1;
	if (digits(m, e, 16 - x, asym, &d, &up) < 0)
		return fmt_slow(buf, v);
	if (d - (uint64_t)up < pow10[16])
		x--;
	for (p = 15; p <= 17; p++) {
		if ((rc = digits(m, e, p - 1 - x, asym, &d, &up)) < 0)
			return fmt_slow(buf, v);
		if (d < pow10[p - 1] || d > pow10[p])
			return fmt_slow(buf, v);             /* not reached */
		if (rc == 1)                             /* d = 10^p: rounded up to 10^(x+1) */
			return d == pow10[p] ? print_g(buf, v < 0, pow10[p - 1], x + 1, p)
			                     : print_g(buf, v < 0, d, x, p);
	}
	return fmt_slow(buf, v);                     /* not reached: 17 digits always do */
}

/* Encoding CAN frames from signal values (dbc.h): the inverse of
 * dbc_decode.c, for can-send.  A value goes the decoder's way backwards:
 * physical value -> raw = (value - offset) / factor -> two's complement
 * bits (signed), or IEEE bits (SIG_VALTYPE_ float) -> the signal's bits of
 * the payload, Intel or Motorola (bit numbering in dbc_decode.c).  Nothing
 * is rounded into another value or wrapped into the bits: what is sent
 * decodes as the value given, or it is refused. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"
#include "log.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

void
dbc_put(const struct dbc_sig *s, uint8_t *data, uint64_t raw)
{
	unsigned k, q;

	/* bit k of raw (0 the least significant): Intel at payload bit
	 * start + k; Motorola at position bitpos + len - 1 - k of the bytes
	 * read as one big-endian bit string */
	for (k = 0; k < s->len; k++) {
		q = s->little_endian ? s->bitpos + k : s->bitpos + s->len - 1 - k;
		if (s->little_endian)
			data[q / 8] = (uint8_t)((data[q / 8] & ~(1u << q % 8)) | ((raw >> k & 1) << q % 8));
		else
			data[q / 8] = (uint8_t)((data[q / 8] & ~(0x80u >> q % 8)) | ((raw >> k & 1) << (7 - q % 8)));
	}
}

static uint64_t
mask(const struct dbc_sig *s, uint64_t raw)
{
	return s->len < 64 ? raw & ((UINT64_C(1) << s->len) - 1) : raw;
}

/* The bits of a float32 or float64 raw value. */
static uint64_t
float_bits(const struct dbc_sig *s, double r)
{
	uint64_t u = 0;
	uint32_t u32;
	float f = (float)r;

	if (s->vtype == DBC_FLOAT32) {
		memcpy(&u32, &f, sizeof u32);
		return u32;
	}
	memcpy(&u, &r, sizeof u);
	return u;
}

uint64_t
dbc_start_raw(const struct dbc *d, const struct dbc_sig *s)
{
	double v = s->has_init ? s->init : d->init_default;

	if (s->vtype != DBC_INT)
		return float_bits(s, v);
	if (!(v > -9223372036854775808.0 && v < 18446744073709551616.0))
		return 0;      /* a start value no signal can have */
	return mask(s, v < 0 ? (uint64_t)(int64_t)v : (uint64_t)v);
}

/* A number as people write it: [+-] digits [. digits] [e [+-] digits]
 * (strtod alone also takes blanks, hex, inf and nan). */
static int
number(const char *text, double *x)
{
	char *end;

	if (!*text || strspn(text, "0123456789+-.eE") != strlen(text))
		return -1;
	*x = strtod(text, &end);
	return *end || end == text || !isfinite(*x) ? -1 : 0;
}

/* An unscaled integer signal's value as written, all 64 bits of it: 0,
 * -1 when the text is no integer, 1 when it does not fit. */
static int
exact_int(const struct dbc_sig *s, const char *text, uint64_t *raw)
{
	const char *d = text + (*text == '-' || *text == '+');
	int neg = *text == '-';
	uint64_t mag = 0, lim;

	if (!*d || strspn(d, "0123456789") != strlen(d))
		return -1;
	for (; *d; d++) {
		if (mag > (UINT64_MAX - (uint64_t)(*d - '0')) / 10)
			return 1;
		mag = mag * 10 + (uint64_t)(*d - '0');
	}
	/* unsigned: 0 .. 2^len - 1; signed: -2^(len-1) .. 2^(len-1) - 1 */
	lim = s->is_signed ? UINT64_C(1) << (s->len - 1) : s->len < 64 ? UINT64_C(1) << s->len : 0;
	if (neg && mag && (!s->is_signed || mag > lim))
		return 1;
	if (!neg && lim && mag >= lim)
		return 1;
	*raw = mask(s, neg ? 0 - mag : mag);
	return 0;
}

/* The range of an integer signal's raw values, for messages. */
static const char *
raw_range(const struct dbc_sig *s, char *buf, size_t len)
{
	if (s->is_signed)
		snprintf(buf, len, "%u-bit signed", s->len);
	else
		snprintf(buf, len, "%u-bit unsigned", s->len);
	return buf;
}

int
dbc_value_parse(const struct dbc_sig *s, const char *text, uint64_t *raw, char *err, size_t errlen)
{
	int scaled = s->factor != 1 || s->offset != 0, i, r;
	double x, rd, whole, tol, lo, hi;
	char rr[32];

	for (i = 0; i < s->nvals; i++)
		if (!strcmp(s->vals[i].label, text)) {
			*raw = mask(s, (uint64_t)s->vals[i].raw);
			x = dbc_phys(s, *raw);
			goto limits;
		}
	if (s->vtype == DBC_INT && !scaled && (r = exact_int(s, text, raw)) >= 0) {
		if (r)
			FAIL("%.40s does not fit %s's %s bits", text, s->name, raw_range(s, rr, sizeof rr));
		x = dbc_phys(s, *raw);
		goto limits;
	}
	if (number(text, &x) < 0)
		FAIL("\"%.40s\" is not a number%s", text, s->nvals ? " nor a label of the signal's values" : "");
	if (s->factor == 0)
		FAIL("%s's factor is 0: no raw value decodes as %.40s", s->name, text);
	rd = (x - s->offset) / s->factor;
	if (!isfinite(rd))
		FAIL("%.40s is too large for %s", text, s->name);
	if (s->vtype != DBC_INT) {
		if (s->vtype == DBC_FLOAT32 && fabs(rd) > FLT_MAX)
			FAIL("%.40s does not fit %s's float32 (at most %g in size)", text, s->name, FLT_MAX);
		*raw = float_bits(s, rd);
		goto limits;
	}
	whole = nearbyint(rd);
	/* slack: the double rounding of the decoder's raw * factor + offset,
	 * and of (value - offset) / factor here (1e-06 steps from -2500: raw 1
	 * is -2499.9999990000001, which gives back 0.999999884) */
	if (fabs(rd - whole) > 1e-9 * fmax(1.0, fabs(whole)) + 8 * DBL_EPSILON * (fabs(x) + fabs(s->offset)) / fabs(s->factor))
		FAIL("%.40s is not a whole number of steps of %g from %g (raw %.9g): nearest %.15g and %.15g",
		     text, s->factor, s->offset, rd, floor(rd) * s->factor + s->offset, ceil(rd) * s->factor + s->offset);
	/* the raw range as doubles, the top exclusive (2^63, 2^64 are exact) */
	lo = s->is_signed ? -ldexp(1, (int)s->len - 1) : 0;
	hi = ldexp(1, (int)s->len - (s->is_signed ? 1 : 0));
	if (whole < lo || whole >= hi)
		FAIL("%.40s is raw %.17g, which does not fit %s's %s bits", text, whole, s->name, raw_range(s, rr, sizeof rr));
	*raw = mask(s, whole < 0 ? (uint64_t)(int64_t)whole : (uint64_t)whole);
limits:
	/* [0|0]: no limits.  A millionth of a step of slack: 2150 steps of 0.1
	 * are 215.00000000000003, and [0|215] holds them */
	tol = 1e-6 * fabs(s->factor) + 1e-12 * fmax(fabs(s->min), fabs(s->max));
	if ((s->min != 0 || s->max != 0) && (x < s->min - tol || x > s->max + tol))
		FAIL("%.40s is out of %s's range [%.15g|%.15g]", text, s->name, s->min, s->max);
	return 0;
}

/* The value a muxed signal's multiplexer needs to pick it. */
static uint64_t
pick_value(const struct dbc_sig *s)
{
	return s->nranges ? s->ranges[0].lo : s->mux_val;
}

int
dbc_encode(const struct dbc *d, const struct dbc_msg *m, const int *set, const uint64_t *raw, int n,
           uint8_t *data, char *err, size_t errlen)
{
	/* per signal of m: known (given, or implied by a muxed signal given),
	 * its value, 1 written or 2 not picked */
	char *known = plx_xcalloc((size_t)m->nsig + 1, 1), *done = plx_xcalloc((size_t)m->nsig + 1, 1);
	uint64_t *val = plx_xcalloc((size_t)m->nsig + 1, sizeof *val);
	const struct dbc_sig *t, *p;
	int i, j, progress, rc = -1;

	for (i = 0; i < n; i++) {
		if (known[set[i]]) {
			snprintf(err, errlen, "%s given twice", m->sig[set[i]].name);
			goto out;
		}
		known[set[i]] = 1;
		val[set[i]] = raw[i];
	}
	/* a muxed signal given: its multiplexers, up the chain, at values
	 * that pick it */
	for (i = 0; i < n; i++)
		for (t = &m->sig[set[i]]; t->mux == DBC_MUXED; t = p) {
			p = &m->sig[t->muxer];
			if (!known[t->muxer]) {
				known[t->muxer] = 1;
				val[t->muxer] = pick_value(t);
			} else if (!dbc_mux_picks(t, val[t->muxer])) {
				snprintf(err, errlen, "%s is not in the frame when %s is %llu", t->name, p->name,
				         (unsigned long long)val[t->muxer]);
				goto out;
			}
		}
	memset(data, 0, m->size);
	/* plain signals and the top multiplexer first, then the muxed ones
	 * whose multiplexer is written, pass after pass */
	do {
		progress = 0;
		for (j = 0; j < m->nsig; j++) {
			t = &m->sig[j];
			if (done[j] || (t->mux == DBC_MUXED && !done[t->muxer]))
				continue;
			progress = 1;
			if (t->mux == DBC_MUXED && (done[t->muxer] == 2 || !dbc_mux_picks(t, dbc_raw(&m->sig[t->muxer], data)))) {
				done[j] = 2;
				continue;
			}
			dbc_put(t, data, known[j] ? val[j] : dbc_start_raw(d, t));
			done[j] = 1;
		}
	} while (progress);
	for (i = 0; i < n; i++)
		if (done[set[i]] != 1) {
			snprintf(err, errlen, "%s is not in the frame with the multiplexers as they are", m->sig[set[i]].name);
			goto out;
		}
	rc = 0;
out:
	free(known);
	free(done);
	free(val);
	return rc;
}

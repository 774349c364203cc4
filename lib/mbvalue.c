/* A Modbus value to write, as a person writes it (mbcodec.h): the text of
 * `modbus-write setpoint=21.5`, checked against the point's type and with
 * its scale and offset inverted, into the raw value mb_encode writes.
 *
 *   type               accepted                              e.g.
 *   bool, bitN         0 1 true false on off                 pump_on=on
 *   integers           decimal; 0x hex when unscaled         mode=0x1F  delta=-7
 *   integers, scaled   a number that is a whole number of    21.5 with scale=0.1 (raw 215)
 *                      steps: raw = (value - offset) / scale
 *   float32, float64   a decimal number (1.5, -.5, 2e3)      setpoint=21.5
 *   stringN            at most N bytes of printable ASCII    label=PUMP-2
 *
 * Nothing is rounded into another value or wrapped into the type: a value
 * that is not a whole number of steps (21.55 with scale 0.1) is refused
 * with the two values on either side, one out of the type's range with the
 * range; a float64 beyond float32's range does not become infinity; nan and
 * inf are refused; a string's trailing spaces are refused, since
 * modbus-read trims them (what is written reads back as written). */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mbcodec.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* The range of an integer type. */
static const struct { int64_t lo; uint64_t hi; const char *text; } range[] = {
	[MB_BOOL] = { 0, 1, "0 or 1" }, [MB_BIT] = { 0, 1, "0 or 1" },
	[MB_INT16] = { INT16_MIN, INT16_MAX, "-32768 to 32767" }, [MB_UINT16] = { 0, UINT16_MAX, "0 to 65535" },
	[MB_INT32] = { INT32_MIN, INT32_MAX, "-2147483648 to 2147483647" },
	[MB_UINT32] = { 0, UINT32_MAX, "0 to 4294967295" },
	[MB_INT64] = { INT64_MIN, INT64_MAX, "-9223372036854775808 to 9223372036854775807" },
	[MB_UINT64] = { 0, UINT64_MAX, "0 to 18446744073709551615" },
};

/* Whether -mag (neg) or mag is in t's range. */
static int
in_range(enum mb_type t, int neg, uint64_t mag)
{
	if (!neg)
		return mag <= range[t].hi;
	return range[t].lo < 0 ? mag - 1 <= (uint64_t)(-(range[t].lo + 1)) || mag == 0 : mag == 0;
}

/* The same for a whole double: its bounds as doubles, the top exclusive
 * (2^63 and 2^64 are doubles, INT64_MAX and UINT64_MAX are not). */
static int
in_range_d(enum mb_type t, double w)
{
	double hi = range[t].hi == UINT64_MAX ? 18446744073709551616.0
	          : range[t].hi == INT64_MAX ? 9223372036854775808.0 : (double)range[t].hi + 1;

	return w >= (double)range[t].lo && w < hi;
}

/* The text as messages show it: at most 40 bytes of it. */
static const char *
shown(const char *text, char *buf, size_t len)
{
	snprintf(buf, len, "%.40s%s", text, strlen(text) > 40 ? "..." : "");
	return buf;
}

static int
is_int_type(enum mb_type t)
{
	return t != MB_FLOAT32 && t != MB_FLOAT64 && t != MB_STRING;
}

/* A decimal number: [+-] digits [. digits] [e [+-] digits], one digit at
 * least before the exponent; strtod alone would take inf, nan, hex and
 * leading blanks. */
static int
decimal(const char *s)
{
	int digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (!digits)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == 0;
}

/* An integer written exactly, [+-]digits or 0xHEX: 0 and *neg, *mag; -1
 * when it is none, 1 when it is one past 64 bits. */
static int
exact(const char *s, int *neg, uint64_t *mag)
{
	int base = 10;
	char *end;

	*neg = *s == '-';
	if (*s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !*neg) {
		base = 16;
		s += 2;
	}
	/* digits alone: strtoull would also take blanks, a sign, a 0x */
	if (!*s || strspn(s, base == 16 ? "0123456789abcdefABCDEF" : "0123456789") != strlen(s))
		return -1;
	errno = 0;
	*mag = strtoull(s, &end, base);
	if (*end)
		return -1;
	return errno == ERANGE ? 1 : 0;
}

/* A whole number already in range, as the raw value of t. */
static void
int_value(enum mb_type t, int neg, uint64_t mag, struct mb_value *v)
{
	if (t == MB_UINT64 && !neg) {
		v->kind = MB_V_UINT;
		v->u = mag;
	} else {
		v->kind = MB_V_INT;
		v->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	}
}

static int
string_value(const char *text, int arg, struct mb_value *v, char *err, size_t errlen)
{
	size_t n = strlen(text), i;
	char sh[48];

	if (n > (size_t)arg)
		FAIL("\"%s\" is %zu bytes, string%d holds %d", shown(text, sh, sizeof sh), n, arg, arg);
	for (i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			FAIL("byte %zu of the string is not printable ASCII (what modbus-read reads back as it is)", i + 1);
	if (n && text[n - 1] == ' ')
		FAIL("\"%s\" ends with a space, which modbus-read trims: it would not read back", shown(text, sh, sizeof sh));
	v->kind = MB_V_STR;
	memcpy(v->s, text, n + 1);
	return 0;
}

int
mb_value_parse(const char *text, enum mb_type t, int arg, double scale, double offset, struct mb_value *v,
               char *err, size_t errlen)
{
	int scaled = scale != 1 || offset != 0, neg, r;
	uint64_t mag;
	double x, raw, whole;
	const char *name = mb_type_name(t);
	char tname[16], sh[48];

	memset(v, 0, sizeof *v);
	if (t == MB_STRING)
		return string_value(text, arg, v, err, errlen);
	if (t == MB_BIT)
		snprintf(tname, sizeof tname, "bit%d", arg);
	else
		snprintf(tname, sizeof tname, "%s", name);
	if (t == MB_BOOL || t == MB_BIT) {
		if (!strcasecmp(text, "true") || !strcasecmp(text, "on"))
			text = "1";
		else if (!strcasecmp(text, "false") || !strcasecmp(text, "off"))
			text = "0";
	}
	if (is_int_type(t) && !scaled && (r = exact(text, &neg, &mag)) >= 0) {
		/* an integer as written, all 64 bits of it */
		if (r > 0 || !in_range(t, neg, mag))
			FAIL("%s does not fit %s (%s)", shown(text, sh, sizeof sh), tname, range[t].text);
		int_value(t, neg, mag, v);
		return 0;
	}
	if (!decimal(text))
		FAIL("\"%s\" is not a number%s", shown(text, sh, sizeof sh),
		     t == MB_BOOL || t == MB_BIT ? " (0, 1, true, false, on, off)" : !scaled && is_int_type(t) ?
		     " (decimal, or 0x hex)" : "");
	x = strtod(text, NULL);
	if (!isfinite(x))
		FAIL("%s is too large for a number", shown(text, sh, sizeof sh));
	if (scale == 0)
		FAIL("the point's scale is 0: no value reads back as %s", shown(text, sh, sizeof sh));
	raw = scaled ? (x - offset) / scale : x;
	if (!isfinite(raw))
		FAIL("%s is out of range: (value - %g) / %g is too large", shown(text, sh, sizeof sh), offset, scale);
	if (t == MB_FLOAT32 || t == MB_FLOAT64) {
		if (t == MB_FLOAT32 && fabs(raw) > FLT_MAX)
			FAIL("%s%s does not fit float32 (at most %g in size)", shown(text, sh, sizeof sh), scaled ? " (scaled)" : "", FLT_MAX);
		v->kind = MB_V_FLOAT;
		v->f = raw;
		return 0;
	}
	/* an integer type: a whole number of steps, within the type */
	whole = nearbyint(raw);
	if (fabs(raw - whole) > 1e-9 * fmax(1.0, fabs(whole))) {
		if (!scaled)
			FAIL("%s is not a whole number (%s)", shown(text, sh, sizeof sh), tname);
		FAIL("%s is not a whole number of steps of %g from %g (raw %.9g): nearest %.15g and %.15g", shown(text, sh, sizeof sh), scale,
		     offset, raw, floor(raw) * scale + offset, ceil(raw) * scale + offset);
	}
	if (!in_range_d(t, whole)) {
		if (scaled)
			FAIL("%s is raw %.17g, which does not fit %s (%s)", shown(text, sh, sizeof sh), whole, tname, range[t].text);
		FAIL("%s does not fit %s (%s)", shown(text, sh, sizeof sh), tname, range[t].text);
	}
	if (whole < 0)
		int_value(t, 1, (uint64_t)(-(whole + 1)) + 1, v);   /* -2^63 too */
	else
		int_value(t, 0, (uint64_t)whole, v);
	return 0;
}

/* The record rules on spans of bytes: see record.h, "The rules".  Each
 * function is the one place its rule lives; the builder (recs.c), the fast
 * path (plx_record_quick) and the full check (plx_record_check) call it on
 * what they hold: a caller's bytes, a span of the line, a json-c string.
 * A span is decoded text (JSON escapes already undone) and need not be
 * NUL-terminated. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

/* Index of the first byte that is not part of well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or len.
 * json-c's own check lets those three through, and the server's Go decoder
 * turns each such byte into U+FFFD (3 bytes), which can push a string that
 * fits here over a length limit there.  ASCII, the common case, is skipped
 * eight bytes at a time. */
size_t
plx_utf8_bad(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	unsigned c, lo, hi;
	uint64_t w;

	while (i < len) {
		if (len - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!(w & UINT64_C(0x8080808080808080))) {
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		else
			return i;
		if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* Text: at most 256 bytes of UTF-8 without NUL; empty only if allowed.
 * The length half stands alone for the fast path, which has checked the
 * whole line's encoding once (short spans pay more for the calls than
 * for the bytes). */
const char *
plx_rule_text_length(size_t n, int empty_ok)
{
	if (n == 0)
		return empty_ok ? NULL : "empty";
	if (n > PLX_NAME_MAX)
		return "longer than 256 bytes";
	return NULL;
}

static const char *
text(const char *s, size_t n, int empty_ok)
{
	const char *why = plx_rule_text_length(n, empty_ok);

	if (why || n == 0)
		return why;
	if (memchr(s, '\0', n))
		return "holds a NUL character";
	if (plx_utf8_bad((const unsigned char *)s, n) != n)
		return "not valid UTF-8";
	return NULL;
}

const char *plx_rule_name(const char *s, size_t n) { return text(s, n, 0); }
const char *plx_rule_tag_key(const char *s, size_t n) { return text(s, n, 0); }
const char *plx_rule_tag_value(const char *s, size_t n) { return text(s, n, 1); }
const char *plx_rule_event_string(const char *s, size_t n) { return text(s, n, 1); }

const char *
plx_rule_source_id(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty";
	if (n > PLX_NAME_MAX)
		return "longer than 256 bytes";
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return "does not match ^[a-z0-9][a-z0-9._-]*$";
	}
	return NULL;
}

int
plx_source_id_ok(const char *s)
{
	return !plx_rule_source_id(s, strlen(s));
}

#define DIGIT(p, e) ((p) < (e) && *(p) >= '0' && *(p) <= '9')

/* A magnitude of digits [s, s + n) (no leading zero) below the limit's
 * digits: the integer json-c would not clamp. */
static int
below(const char *s, size_t n, const char *limit)
{
	size_t ln = strlen(limit);

	return n < ln || (n == ln && memcmp(s, limit, n) < 0);
}

/* JSON's grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and a value
 * json-c reads without loss and Go decodes into a float64:
 * - an integer (no fraction, no exponent) json-c reads as int64 or uint64
 *   and clamps beyond them, to -2^63 or 2^64-1, without a word: those two
 *   values, and all past them, are refused (a clamped number is one nobody
 *   sent);
 * - anything else must be finite as a float64 (1e999 is not: Go refuses the
 *   whole request); an underflow to 0 (1e-999) is 0 for both.
 * -0 is JSON, and 0 to json-c and to the server: accepted. */
const char *
plx_rule_number(const char *s, size_t n)
{
	const char *p = s, *e = s + n, *d;
	long idig, lead, x = 0, xsign = 1;
	int dbl = 0, neg = 0, nonzero;
	char buf[512], *copy;
	double v;

	if (p < e && *p == '-')
		p++, neg = 1;
	d = p;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (DIGIT(p, e))
			p++;
	else
		return "not a JSON number";
	idig = p - d;
	nonzero = *d != '0';
	lead = nonzero ? idig : 0;     /* digits before the point, past leading zeros */
	if (p < e && *p == '.') {
		const char *f = ++p;
		while (DIGIT(p, e)) {
			if (!nonzero && *p != '0')
				nonzero = 1, lead = -(p - f);
			p++;
		}
		if (p == f)
			return "not a JSON number";
		dbl = 1;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			xsign = *p++ == '-' ? -1 : 1;
		for (d = p; DIGIT(p, e); p++)
			if (x < 100000)          /* capped: only "large" matters */
				x = x * 10 + (*p - '0');
		if (p == d)
			return "not a JSON number";
		dbl = 1;
	}
	if (p != e)
		return "not a JSON number";
	if (!dbl) {
		if (idig <= 18 || below(s + neg, (size_t)idig, neg ? "9223372036854775808" : "18446744073709551615"))
			return NULL;
		return "an integer past 64 bits";
	}
	/* the value is below 10^(lead + exponent): finite up to 10^308 */
	if (!nonzero || lead + xsign * x <= 308)
		return NULL;
	if (lead + xsign * x > 309)
		return "not a finite number";
	/* 1e308 to 9.99e308: strtod says (DBL_MAX is 1.797...e308) */
	copy = n < sizeof buf ? buf : malloc(n + 1);
	if (!copy)
		return "out of memory";
	memcpy(copy, s, n);
	copy[n] = '\0';
	v = strtod(copy, NULL);
	if (copy != buf)
		free(copy);
	return isfinite(v) ? NULL : "not a finite number";
}

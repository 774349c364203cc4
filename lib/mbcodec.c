/* The Modbus codec (mbcodec.h): the decoder, and the encoder, its inverse.  Registers + data type + word/byte order ->
 * value, then raw * scale + offset.  Pure: no I/O, table-driven.
 *
 * A Modbus register is a 16-bit word sent high byte first.  A 32-bit value
 * whose bytes are A (most significant) B C D arrives, depending on the
 * device, as
 *
 *   order  registers      e.g. float32 20.5 = 0x41A40000
 *   ABCD   AB CD          41A4 0000   (big endian, "Modbus order")
 *   CDAB   CD AB          0000 41A4   (word swap, many PLCs)
 *   BADC   BA DC          A441 0000   (byte swap)
 *   DCBA   DC BA          0000 A441   (little endian)
 *
 * and the same rule extends to every value of more than one register: the
 * word swap puts its words in reverse order (64-bit values, ABCDEFGH;
 * strings: "SN-1234X" in words "SN" "-1" "23" "4X" is sent word-swapped
 * as "4X" "23" "-1" "SN").  These are pymodbus' BinaryPayloadBuilder orders:
 * ABCD = byteorder Big, wordorder Big; CDAB = Big, Little; BADC = Little,
 * Big; DCBA = Little, Little (its word order reverses the words of a
 * value; it has none for strings, and its byte order reaches a string's
 * registers only with repack).  The decoding is: swap the bytes of each
 * word if the order says so, reverse the words if it says so, read big
 * endian.  A value of one register (16-bit types, a bit of a register)
 * has no word to swap: CDAB reads as ABCD and DCBA as BADC. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbcodec.h"

static const char *const func_names[] = { "coil", "discrete", "holding", "input" };

static const struct {
	const char *name;
	int regs;                   /* registers spanned; 0: given by arg */
} types[] = {
	[MB_BOOL] = { "bool", 1 },     [MB_BIT] = { "bit", 1 },
	[MB_INT16] = { "int16", 1 },   [MB_UINT16] = { "uint16", 1 },
	[MB_INT32] = { "int32", 2 },   [MB_UINT32] = { "uint32", 2 },
	[MB_INT64] = { "int64", 4 },   [MB_UINT64] = { "uint64", 4 },
	[MB_FLOAT32] = { "float32", 2 }, [MB_FLOAT64] = { "float64", 4 },
	[MB_STRING] = { "string", 0 },
};

static const char *const order_names[] = { "ABCD", "CDAB", "BADC", "DCBA" };

const char *mb_func_name(enum mb_func f) { return func_names[f]; }
int mb_func_bits(enum mb_func f) { return f == MB_COIL || f == MB_DISCRETE; }
const char *mb_type_name(enum mb_type t) { return types[t].name; }
const char *mb_order_name(enum mb_order o) { return order_names[o]; }

int
mb_func_parse(const char *s, enum mb_func *f)
{
	static const struct { const char *name; enum mb_func f; } alias[] = {
		{ "coil", MB_COIL }, { "coils", MB_COIL }, { "discrete", MB_DISCRETE },
		{ "discrete-input", MB_DISCRETE }, { "holding", MB_HOLDING },
		{ "input", MB_INPUT }, { "input-register", MB_INPUT },
	};
	size_t i;

	for (i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (!strcmp(s, alias[i].name)) {
			*f = alias[i].f;
			return 0;
		}
	return -1;
}

/* A whole integer in [min, max], decimal or 0x hex: the map parser's and
 * the type names' ("bit3", "string16") one reading of numbers. */
int
mb_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	/* hex after 0x, as datasheets give addresses (0x0100); a leading 0
	 * alone is still decimal (0100 is 100), not octal */
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

	if (hex ? !s[2] || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2)
	        : !isdigit((unsigned char)*s) && !(*s == '-' && isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	v = strtol(hex ? s + 2 : s, &end, hex ? 16 : 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
mb_type_parse(const char *s, enum mb_type *t, int *arg)
{
	size_t i;

	*arg = 0;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (i == MB_BIT || i == MB_STRING)
			continue;
		if (!strcmp(s, types[i].name)) {
			*t = (enum mb_type)i;
			return 0;
		}
	}
	if (!strncmp(s, "bit", 3) && mb_int(s + 3, 0, 15, arg) == 0) {
		*t = MB_BIT;
		return 0;
	}
	if (!strncmp(s, "string", 6) && mb_int(s + 6, 1, MB_STR_MAX, arg) == 0) {
		*t = MB_STRING;
		return 0;
	}
	return -1;
}

int
mb_type_regs(enum mb_type t, int arg)
{
	return t == MB_STRING ? (arg + 1) / 2 : types[t].regs;
}

int
mb_order_parse(const char *s, enum mb_order *o)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, order_names[i])) {
			*o = (enum mb_order)i;
			return 0;
		}
	return -1;
}

/* The n registers as big endian bytes, after the order's swaps. */
static void
bytes_of(const uint16_t *regs, size_t n, enum mb_order o, unsigned char *b)
{
	int bswap = o == MB_BADC || o == MB_DCBA, wswap = o == MB_CDAB || o == MB_DCBA;
	size_t i;
	uint16_t w;

	for (i = 0; i < n; i++) {
		w = regs[wswap ? n - 1 - i : i];
		b[2 * i] = bswap ? w & 0xff : w >> 8;
		b[2 * i + 1] = bswap ? w >> 8 : w & 0xff;
	}
}

int
mb_decode(const uint16_t *regs, size_t n, enum mb_type t, int arg, enum mb_order o,
          struct mb_value *v)
{
	unsigned char b[MB_STR_MAX];
	uint64_t u = 0;
	size_t i, need = (size_t)mb_type_regs(t, arg);
	float f32;
	double f64;
	uint32_t u32;

	memset(v, 0, sizeof *v);
	if (n < need || need == 0 || need > MB_MAX_REGS)
		return -1;
	if (t == MB_BOOL) {
		v->kind = MB_V_INT;
		v->i = regs[0] != 0;
		return 0;
	}
	bytes_of(regs, need, o, b);
	if (t == MB_BIT) {
		/* bit 0 is the least significant bit of the value, once its bytes
		 * are where the order says */
		v->kind = MB_V_INT;
		v->i = ((b[0] << 8 | b[1]) >> arg) & 1;
		return 0;
	}
	if (t == MB_STRING) {
		v->kind = MB_V_STR;
		memcpy(v->s, b, arg);
		v->s[arg] = 0;
		for (i = strlen(v->s); i > 0 && v->s[i - 1] == ' '; i--)
			v->s[i - 1] = 0;
		return 0;
	}
	for (i = 0; i < 2 * need; i++)
		u = u << 8 | b[i];
	switch (t) {
	case MB_INT16: v->kind = MB_V_INT; v->i = (int16_t)u; break;
	case MB_INT32: v->kind = MB_V_INT; v->i = (int32_t)u; break;
	case MB_INT64: v->kind = MB_V_INT; v->i = (int64_t)u; break;
	case MB_UINT16: case MB_UINT32:
		v->kind = MB_V_INT; v->i = (int64_t)u; break;
	case MB_UINT64: v->kind = MB_V_UINT; v->u = u; break;
	case MB_FLOAT32:
		u32 = (uint32_t)u;
		memcpy(&f32, &u32, 4);
		v->kind = MB_V_FLOAT; v->f = f32; v->single = 1;
		break;
	case MB_FLOAT64:
		memcpy(&f64, &u, 8);
		v->kind = MB_V_FLOAT; v->f = f64;
		break;
	default:
		return -1;
	}
	return 0;
}

/* The inverse of bytes_of: big endian bytes into n registers in order o. */
static void
regs_of(const unsigned char *b, size_t n, enum mb_order o, uint16_t *regs)
{
	int bswap = o == MB_BADC || o == MB_DCBA, wswap = o == MB_CDAB || o == MB_DCBA;
	size_t i;

	for (i = 0; i < n; i++)
		regs[wswap ? n - 1 - i : i] = bswap ? (uint16_t)(b[2 * i + 1] << 8 | b[2 * i])
		                                    : (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
}

/* Whether v is a value of type t: the range of its bits, never wrapped. */
static int
fits(const struct mb_value *v, enum mb_type t, int arg)
{
	static const struct { int64_t lo, hi; } range[] = {
		[MB_BOOL] = { 0, 1 }, [MB_BIT] = { 0, 1 }, [MB_INT16] = { INT16_MIN, INT16_MAX },
		[MB_UINT16] = { 0, UINT16_MAX }, [MB_INT32] = { INT32_MIN, INT32_MAX },
		[MB_UINT32] = { 0, UINT32_MAX }, [MB_INT64] = { INT64_MIN, INT64_MAX }, [MB_UINT64] = { 0, INT64_MAX },
	};

	switch (t) {
	case MB_FLOAT32: return v->kind == MB_V_FLOAT && !(isfinite(v->f) && fabs(v->f) > FLT_MAX);
	case MB_FLOAT64: return v->kind == MB_V_FLOAT;
	case MB_STRING: return v->kind == MB_V_STR && strlen(v->s) <= (size_t)arg;
	case MB_UINT64: if (v->kind == MB_V_UINT) return 1; /* fall through */
	default: return v->kind == MB_V_INT && v->i >= range[t].lo && v->i <= range[t].hi;
	}
}

int
mb_encode(const struct mb_value *v, enum mb_type t, int arg, enum mb_order o, uint16_t *regs)
{
	unsigned char b[MB_STR_MAX] = { 0 };
	size_t i, need = (size_t)mb_type_regs(t, arg);
	uint64_t u;
	uint32_t u32;
	float f32;
	unsigned w;

	if (need == 0 || need > MB_MAX_REGS || !fits(v, t, arg))
		return -1;
	if (t == MB_BOOL) {
		regs[0] = v->i != 0;
		return 0;
	}
	if (t == MB_BIT) {
		/* the register as it is, its bit changed where mb_decode reads it */
		bytes_of(regs, 1, o, b);
		w = (unsigned)(b[0] << 8 | b[1]);
		w = v->i ? w | 1u << arg : w & ~(1u << arg);
		b[0] = (unsigned char)(w >> 8);
		b[1] = (unsigned char)w;
		regs_of(b, 1, o, regs);
		return 0;
	}
	if (t == MB_STRING) {
		memcpy(b, v->s, strlen(v->s));      /* the rest NUL, as mb_decode trims */
	} else {
		if (t == MB_FLOAT32) {
			f32 = (float)v->f;
			memcpy(&u32, &f32, 4);
			u = u32;
		} else if (t == MB_FLOAT64) {
			memcpy(&u, &v->f, 8);
		} else {
			u = v->kind == MB_V_UINT ? v->u : (uint64_t)v->i;
		}
		for (i = 0; i < 2 * need; i++)
			b[i] = (unsigned char)(u >> 8 * (2 * need - 1 - i));
	}
	regs_of(b, need, o, regs);
	return 0;
}

void
mb_scale(struct mb_value *v, double scale, double offset)
{
	if (v->kind == MB_V_STR || (scale == 1 && offset == 0))
		return;
	if (v->kind == MB_V_INT)
		v->f = (double)v->i;
	else if (v->kind == MB_V_UINT)
		v->f = (double)v->u;
	else
		v->single = 0;      /* the result is a double computed from it */
	v->f = v->f * scale + offset;
	v->kind = MB_V_FLOAT;
}

const char *
mb_value_text(const struct mb_value *v, char *buf, size_t len)
{
	int p;

	switch (v->kind) {
	case MB_V_INT: snprintf(buf, len, "%lld", (long long)v->i); break;
	case MB_V_UINT: snprintf(buf, len, "%llu", (unsigned long long)v->u); break;
	case MB_V_STR: snprintf(buf, len, "%s", v->s); break;
	case MB_V_FLOAT:
		if (isnan(v->f)) {
			snprintf(buf, len, "nan");
			break;
		}
		if (isinf(v->f)) {
			snprintf(buf, len, v->f < 0 ? "-inf" : "inf");
			break;
		}
		/* the shortest precision that reads back to the same value */
		for (p = v->single ? 6 : 15; p < 17; p++) {
			snprintf(buf, len, "%.*g", p, v->f);
			if (v->single ? (float)strtod(buf, NULL) == (float)v->f : strtod(buf, NULL) == v->f)
				break;
		}
		if (p == 17)
			snprintf(buf, len, "%.17g", v->f);
		break;
	}
	return buf;
}

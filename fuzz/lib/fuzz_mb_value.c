/* libFuzzer target: a Modbus value to write, as a person writes it
 * (lib/mbvalue.c), and its encoding (lib/mbcodec.c: mb_encode).
 *
 * Input: byte 0 picks the type (and bitN's bit or stringN's length),
 * byte 1 the order and the point's scale and offset; the rest is the text.
 * Checked: a text is taken or refused with a reason, never both; a value
 * taken fits its type and is encoded into exactly its registers (a guard
 * after them stays as it was; bitN changes one bit of the register at
 * most); decoding those registers gives the value back (float32: the
 * value as a float), and it is the text's number with the scale and
 * offset inverted, a whole number of steps for the integer types (within
 * 1e-9 of a step), or the text itself for a string. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mbcodec.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_mb_value: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static const struct { double scale, offset; } scales[] = {
	{ 1, 0 }, { 0.1, 0 }, { 0.001, 0 }, { 1, -273.15 }, { 2, 5 }, { -0.5, 1 }, { 1e-300, 0 }, { 1e300, 0 },
};

static int
same(const struct mb_value *a, const struct mb_value *b, enum mb_type t)
{
	switch (t) {
	case MB_STRING: return !strcmp(a->s, b->s);
	case MB_FLOAT32: return (float)a->f == (float)b->f || (isnan(a->f) && isnan(b->f));
	case MB_FLOAT64: return a->f == b->f;
	default:
		if (a->kind == MB_V_UINT || b->kind == MB_V_UINT)
			return (a->kind == MB_V_UINT ? a->u : (uint64_t)a->i) == (b->kind == MB_V_UINT ? b->u : (uint64_t)b->i) &&
			       (a->kind == MB_V_UINT || a->i >= 0) && (b->kind == MB_V_UINT || b->i >= 0);
		return a->i == b->i;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t regs[MB_MAX_REGS + 4], before;
	char text[300], err[300];
	struct mb_value v, back;
	enum mb_type t;
	enum mb_order o;
	double scale, offset, x, raw;
	int arg = 0, n, i;

	if (size < 2)
		return 0;
	t = (enum mb_type)(data[0] % (MB_STRING + 1));
	if (t == MB_BIT)
		arg = data[0] / 16 % 16;
	else if (t == MB_STRING)
		arg = 1 + data[0] / 16 % 12;
	o = (enum mb_order)(data[1] % 4);
	scale = scales[data[1] / 4 % 8].scale;
	offset = scales[data[1] / 4 % 8].offset;
	if (t == MB_STRING)
		scale = 1, offset = 0;
	n = (int)(size - 2 < sizeof text - 1 ? size - 2 : sizeof text - 1);
	memcpy(text, data + 2, (size_t)n);
	text[n] = 0;
	*err = 0;
	if (mb_value_parse(text, t, arg, scale, offset, &v, err, sizeof err) < 0) {
		CHECK(*err && strlen(err) < sizeof err - 1, "\"%s\" refused without a reason", text);
		return 0;
	}
	n = mb_type_regs(t, arg);
	for (i = 0; i < (int)(sizeof regs / sizeof regs[0]); i++)
		regs[i] = (uint16_t)(0xA5C3 ^ i * 0x1111);
	before = regs[0];
	CHECK(mb_encode(&v, t, arg, o, regs) == 0, "\"%s\" as %s: taken but not encoded", text, mb_type_name(t));
	for (i = n; i < (int)(sizeof regs / sizeof regs[0]); i++)
		CHECK(regs[i] == (uint16_t)(0xA5C3 ^ i * 0x1111), "register %d past the value's %d written", i, n);
	if (t == MB_BIT)
		CHECK(__builtin_popcount((unsigned)(regs[0] ^ before)) <= 1, "bit%d changed %04x into %04x", arg, before, regs[0]);
	CHECK(mb_decode(regs, (size_t)n, t, arg, o, &back) == 0 && same(&v, &back, t),
	      "\"%s\" as %s %s: does not decode back", text, mb_type_name(t), mb_order_name(o));
	if (t == MB_STRING) {
		CHECK(!strcmp(back.s, text), "\"%s\" reads back as \"%s\"", text, back.s);
		return 0;
	}
	if ((t == MB_BOOL || t == MB_BIT) && (!strcasecmp(text, "on") || !strcasecmp(text, "true") ||
	                                      !strcasecmp(text, "off") || !strcasecmp(text, "false")))
		x = !strcasecmp(text, "on") || !strcasecmp(text, "true");
	else if (!strncasecmp(text, "0x", 2) || !strncasecmp(text, "+0x", 3))
		return 0;           /* hex: taken only unscaled, and exact (same() above) */
	else
		x = strtod(text, NULL);
	raw = (x - offset) / scale;
	if (t == MB_FLOAT32)
		CHECK((float)raw == (float)back.f, "\"%s\": float32 %g, not %g", text, back.f, raw);
	else if (t == MB_FLOAT64)
		CHECK(raw == back.f, "\"%s\": float64 %.17g, not %.17g", text, back.f, raw);
	else {
		double got = back.kind == MB_V_UINT ? (double)back.u : (double)back.i;
		CHECK(fabs(got - raw) <= 1e-9 * fmax(1, fabs(got)), "\"%s\": raw %.17g, not %.17g", text, got, raw);
	}
	return 0;
}

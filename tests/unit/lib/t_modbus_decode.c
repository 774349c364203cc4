/* The Modbus codec (lib/mbcodec.c, mbvalue.c) against the golden cases of
 * tests/modbus-decode.golden (registers + type + order -> value): each is
 * decoded, and encoded back, from the decoded value and from the value's
 * text as a person would write it, into the same registers; plus the
 * parsing of type, order and function names, decoding limits, and the
 * values a write refuses.  A new case is a line of that file, not code. */
#include <math.h>
#include <stdlib.h>

#include "mbcodec.h"
#include "unit.h"

/* The encoder's side of a golden case: registers r (n) read as t, arg, o
 * and scaled hold the value whose text is exp.  0, or -1 with why. */
static int
inverse(const uint16_t *r, size_t n, enum mb_type t, int arg, enum mb_order o, const char *exp,
        double scale, double offset, char *msg, size_t len)
{
	uint16_t c[MB_MAX_REGS];
	struct mb_value v0, v1, back;
	char err[300], got[512];
	size_t i;
	int scaled = scale != 1 || offset != 0;

	/* the decoded value, encoded: the same registers */
	mb_decode(r, n, t, arg, o, &v0);
	if (t == MB_BIT) {
		/* every other bit of the register stays as it was */
		c[0] = (uint16_t)~r[0];
		if (mb_encode(&v0, t, arg, o, c) < 0 || mb_decode(c, 1, t, arg, o, &back) < 0 || back.i != v0.i ||
		    __builtin_popcount((uint16_t)(c[0] ^ (uint16_t)~r[0])) > 1)
			return snprintf(msg, len, "bit written into %04x gives %04x", (uint16_t)~r[0], c[0]), -1;
	} else if (mb_encode(&v0, t, arg, o, c) < 0) {
		return snprintf(msg, len, "mb_encode refuses the value it decoded"), -1;
	} else if (t == MB_STRING) {
		if (mb_decode(c, n, t, arg, o, &back) < 0 || strcmp(back.s, v0.s))
			return snprintf(msg, len, "the string encoded reads back as \"%s\"", back.s), -1;
	} else {
		for (i = 0; i < n; i++)
			if (c[i] != (t == MB_BOOL ? r[0] != 0 : r[i]))
				return snprintf(msg, len, "encoded: register %zu is %04x, not %04x", i, c[i], r[i]), -1;
	}
	/* the value as text, parsed and encoded: the same registers (a bool
	 * register of 2 reads 1, written 1; strings and scaled floats read back) */
	if (mb_value_parse(exp, t, arg, scale, offset, &v1, err, sizeof err) < 0)
		return snprintf(msg, len, "mb_value_parse refuses \"%s\": %s", exp, err), -1;
	memcpy(c, r, n * sizeof *c);
	if (mb_encode(&v1, t, arg, o, c) < 0 || mb_decode(c, n, t, arg, o, &back) < 0)
		return snprintf(msg, len, "\"%s\" parsed but not encoded", exp), -1;
	mb_scale(&back, scale, offset);
	mb_value_text(&back, got, sizeof got);
	if (t == MB_STRING)
		return strcmp(back.s, exp) ? snprintf(msg, len, "\"%s\" reads back as \"%s\"", exp, got), -1 : 0;
	if ((t == MB_FLOAT32 || t == MB_FLOAT64) && scaled)
		return fabs(back.f - strtod(exp, NULL)) > 1e-9 * fmax(1, fabs(back.f))
		       ? snprintf(msg, len, "%s reads back as %s", exp, got), -1 : 0;
	for (i = 0; i < n; i++)
		if (c[i] != (t == MB_BOOL ? r[0] != 0 : r[i]))
			return snprintf(msg, len, "\"%s\" encoded: register %zu is %04x, not %04x", exp, i, c[i], r[i]), -1;
	return 0;
}

/* Values a write takes or refuses: the text, the point's type, scale and
 * offset, and the raw value (as mb_value_text prints it) or a part of the
 * reason it is refused. */
static const struct { const char *text, *type; double scale, offset; const char *raw, *refused; } values[] = {
	{ "21.5", "float32", 1, 0, "21.5", NULL },
	{ "21.5", "int16", 0.1, 0, "215", NULL },
	{ "21.55", "int16", 0.1, 0, NULL, "nearest 21.5 and 21.6" },
	{ "-1", "int16", 0.1, 0, "-10", NULL },
	{ "-173.15", "uint16", 1, -273.15, "100", NULL },
	{ "-274", "uint16", 1, -273.15, NULL, "nearest -274.15 and -273.15" },
	{ "-273.15", "uint16", 1, -273.15, "0", NULL },
	{ "-274.15", "uint16", 1, -273.15, NULL, "raw -1, which does not fit uint16 (0 to 65535)" },
	{ "65535", "uint16", 1, 0, "65535", NULL },
	{ "65536", "uint16", 1, 0, NULL, "65536 does not fit uint16 (0 to 65535)" },
	{ "-1", "uint16", 1, 0, NULL, "does not fit uint16" },
	{ "-0", "uint16", 1, 0, "0", NULL },
	{ "-32768", "int16", 1, 0, "-32768", NULL },
	{ "-32769", "int16", 1, 0, NULL, "does not fit int16 (-32768 to 32767)" },
	{ "32768", "int16", 1, 0, NULL, "does not fit int16" },
	{ "0xFFFF", "uint16", 1, 0, "65535", NULL },
	{ "0x10000", "uint16", 1, 0, NULL, "does not fit uint16" },
	{ "0x1F", "uint16", 0.1, 0, NULL, "is not a number" },
	{ "-0x1", "int16", 1, 0, NULL, "is not a number" },
	{ "0X0x6", "int16", 1, 0, NULL, "is not a number" },
	{ "0x", "int16", 1, 0, NULL, "is not a number" },
	{ "4294967295", "uint32", 1, 0, "4294967295", NULL },
	{ "4294967296", "uint32", 1, 0, NULL, "does not fit uint32" },
	{ "-9223372036854775808", "int64", 1, 0, "-9223372036854775808", NULL },
	{ "9223372036854775807", "int64", 1, 0, "9223372036854775807", NULL },
	{ "9223372036854775808", "int64", 1, 0, NULL, "does not fit int64" },
	{ "-9223372036854775809", "int64", 1, 0, NULL, "does not fit int64" },
	{ "18446744073709551615", "uint64", 1, 0, "18446744073709551615", NULL },
	{ "18446744073709551616", "uint64", 1, 0, NULL, "does not fit uint64" },
	{ "1e3", "int32", 1, 0, "1000", NULL },
	{ "1.5", "int32", 1, 0, NULL, "1.5 is not a whole number (int32)" },
	{ "1e19", "uint64", 1, 0, "10000000000000000000", NULL },
	{ "1e20", "uint64", 1, 0, NULL, "does not fit uint64" },
	{ "3.4028234e38", "float32", 1, 0, "3.4028234e+38", NULL },
	{ "3.5e38", "float32", 1, 0, NULL, "does not fit float32" },
	{ "1e308", "float64", 1, 0, "1e+308", NULL },
	{ "1e309", "float64", 1, 0, NULL, "too large" },
	{ "nan", "float32", 1, 0, NULL, "is not a number" },
	{ "inf", "float64", 1, 0, NULL, "is not a number" },
	{ " 1", "int16", 1, 0, NULL, "is not a number" },
	{ "1 ", "float32", 1, 0, NULL, "is not a number" },
	{ "", "int16", 1, 0, NULL, "is not a number" },
	{ ".5", "float32", 1, 0, "0.5", NULL },
	{ "5.", "float32", 1, 0, "5", NULL },
	{ "1e", "float32", 1, 0, NULL, "is not a number" },
	{ "0x1p3", "float32", 1, 0, NULL, "is not a number" },
	{ "21.5", "float32", 0, 0, NULL, "scale is 0" },
	{ "on", "bool", 1, 0, "1", NULL },
	{ "OFF", "bool", 1, 0, "0", NULL },
	{ "true", "bit3", 1, 0, "1", NULL },
	{ "2", "bool", 1, 0, NULL, "2 does not fit bool (0 or 1)" },
	{ "yes", "bit3", 1, 0, NULL, "(0, 1, true, false, on, off)" },
	{ "PUMP-2", "string8", 1, 0, "PUMP-2", NULL },
	{ "12345678", "string8", 1, 0, "12345678", NULL },
	{ "123456789", "string8", 1, 0, NULL, "is 9 bytes, string8 holds 8" },
	{ "AB ", "string8", 1, 0, NULL, "ends with a space" },
	{ "caf\xc3\xa9", "string8", 1, 0, NULL, "not printable ASCII" },
	{ "", "string8", 1, 0, "", NULL },
};

/* One golden line: 0 if it holds, else -1 with why in msg. */
static int
golden(char *line, char *msg, size_t len)
{
	char type[32], order[8], regs[1024], *p, *exp, *end, got[512];
	uint16_t r[MB_MAX_REGS];
	size_t n = 0;
	double scale = 1, offset = 0, want;
	enum mb_type t;
	enum mb_order o;
	struct mb_value v;
	int arg, k, ok = 0;

	if (sscanf(line, "%31s %7s %1023s %n", type, order, regs, &k) != 3)
		return snprintf(msg, len, "malformed line"), -1;
	if (mb_type_parse(type, &t, &arg) || mb_order_parse(order, &o))
		return snprintf(msg, len, "unknown type or order"), -1;
	for (p = strtok(regs, ","); p && n < MB_MAX_REGS; p = strtok(NULL, ","))
		r[n++] = (uint16_t)strtoul(p, NULL, 16);
	exp = line + k;
	if (*exp == '"') {
		exp++;
		end = strchr(exp, '"');
		*end++ = 0;
	} else {
		end = exp + strcspn(exp, " \t");
		if (*end)
			*end++ = 0;
	}
	sscanf(end, "%lf %lf", &scale, &offset);
	if ((size_t)mb_type_regs(t, arg) != n)
		return snprintf(msg, len, "%zu registers for a %d-register type", n, mb_type_regs(t, arg)), -1;
	if (mb_decode(r, n, t, arg, o, &v))
		return snprintf(msg, len, "mb_decode failed"), -1;
	mb_scale(&v, scale, offset);
	mb_value_text(&v, got, sizeof got);
	snprintf(msg, len, "got %s, want %s", got, exp);
	switch (v.kind) {
	case MB_V_STR: ok = !strcmp(v.s, exp); break;
	case MB_V_INT: ok = v.i == strtoll(exp, NULL, 10); break;
	case MB_V_UINT: ok = v.u == strtoull(exp, NULL, 10); break;
	case MB_V_FLOAT:
		want = strtod(exp, NULL);
		if (v.single)
			ok = (float)v.f == (float)want && signbit(v.f) == signbit(want);
		/* scaled values: as close as the arithmetic allows */
		else if (scale != 1 || offset != 0)
			ok = fabs(v.f - want) <= 1e-9 * fmax(1, fabs(want));
		else
			ok = v.f == want && signbit(v.f) == signbit(want);
		break;
	}
	if (!ok)
		return -1;
	return inverse(r, n, t, arg, o, exp, scale, offset, msg, len);
}

int
main(void)
{
	FILE *f = fopen("tests/modbus-decode.golden", "r");
	char line[2048], msg[600];
	int lineno = 0, cases = 0, bad = 0, arg, k;
	uint16_t r[4] = { 0x41a4, 0, 0, 0 };
	enum mb_type t;
	enum mb_order o;
	enum mb_func fn;
	struct mb_value v;
	char buf[64];

	T(f != NULL, "golden file opens (run from the top of the tree)");
	if (!f)
		UNIT_END();
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!*line || *line == '#')
			continue;
		cases++;
		if (golden(line, msg, sizeof msg)) {
			bad++;
			T(0, "modbus-decode.golden:%d: %s: %s", lineno, line, msg);
		}
	}
	fclose(f);
	T(cases > 150 && bad == 0, "%d golden cases, %d wrong", cases, bad);

	/* values to write */
	for (k = 0; k < (int)(sizeof values / sizeof values[0]); k++) {
		char err[300], raw[64];

		mb_type_parse(values[k].type, &t, &arg);
		if (mb_value_parse(values[k].text, t, arg, values[k].scale, values[k].offset, &v, err, sizeof err) < 0) {
			T(values[k].refused && strstr(err, values[k].refused), "\"%s\" as %s: refused: %s", values[k].text,
			  values[k].type, err);
			continue;
		}
		mb_value_text(&v, raw, sizeof raw);
		T(values[k].raw && !strcmp(raw, values[k].raw), "\"%s\" as %s (scale %g, offset %g): raw %s%s%s",
		  values[k].text, values[k].type, values[k].scale, values[k].offset, raw,
		  values[k].refused ? ", not refused: " : "", values[k].refused ? values[k].refused : "");
	}
	/* names */
	T(mb_type_parse("bit15", &t, &arg) == 0 && t == MB_BIT && arg == 15, "bit15");
	T(mb_type_parse("bit16", &t, &arg) < 0, "bit16 refused");
	T(mb_type_parse("bit", &t, &arg) < 0, "bit without a number refused");
	T(mb_type_parse("string250", &t, &arg) == 0 && mb_type_regs(t, arg) == 125, "string250 is 125 registers");
	T(mb_type_parse("string251", &t, &arg) < 0, "string251 refused (more than one request)");
	T(mb_type_parse("string0", &t, &arg) < 0, "string0 refused");
	T(mb_type_parse("bit+3", &t, &arg) < 0 && mb_type_parse("float", &t, &arg) < 0, "bit+3, float refused");
	T(mb_order_parse("CDAB", &o) == 0 && o == MB_CDAB && mb_order_parse("abcd", &o) < 0, "orders are upper case");
	T(mb_func_parse("discrete", &fn) == 0 && fn == MB_DISCRETE && mb_func_parse("hold", &fn) < 0, "functions");
	/* limits */
	T(mb_decode(r, 1, MB_FLOAT32, 0, MB_ABCD, &v) < 0, "too few registers refused");
	T(mb_decode(r, 4, MB_FLOAT32, 0, MB_ABCD, &v) == 0 && !strcmp(mb_value_text(&v, buf, sizeof buf), "20.5"),
	  "extra registers ignored, float32 printed short: %s", buf);
	r[0] = 0x7fc0; r[1] = 0;
	T(mb_decode(r, 2, MB_FLOAT32, 0, MB_ABCD, &v) == 0 && isnan(v.f) &&
	  !strcmp(mb_value_text(&v, buf, sizeof buf), "nan"), "NaN decodes and prints as nan");
	r[0] = 0x3dcc; r[1] = 0xcccd;
	mb_decode(r, 2, MB_FLOAT32, 0, MB_ABCD, &v);
	T_STR(mb_value_text(&v, buf, sizeof buf), "0.1", "float32 0.1 printed at float precision");
	UNIT_END();
}

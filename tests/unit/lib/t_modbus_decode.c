/* The Modbus decoder (lib/mbcodec.c) against the golden cases
 * of tests/modbus-decode.golden (registers + type + order -> value), plus the
 * parsing of type, order and function names and decoding limits.  A new case
 * is a line of that file, not code. */
#include <math.h>
#include <stdlib.h>

#include "mbcodec.h"
#include "unit.h"

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
	int arg, k;

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
	case MB_V_STR: return strcmp(v.s, exp) ? -1 : 0;
	case MB_V_INT: return v.i == strtoll(exp, NULL, 10) ? 0 : -1;
	case MB_V_UINT: return v.u == strtoull(exp, NULL, 10) ? 0 : -1;
	case MB_V_FLOAT:
		want = strtod(exp, NULL);
		if (v.single)
			return (float)v.f == (float)want && signbit(v.f) == signbit(want) ? 0 : -1;
		/* scaled values: as close as the arithmetic allows */
		if (scale != 1 || offset != 0)
			return fabs(v.f - want) <= 1e-9 * fmax(1, fabs(want)) ? 0 : -1;
		return v.f == want && signbit(v.f) == signbit(want) ? 0 : -1;
	}
	return -1;
}

int
main(void)
{
	FILE *f = fopen("tests/modbus-decode.golden", "r");
	char line[2048], msg[600];
	int lineno = 0, cases = 0, bad = 0, arg;
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

/* The DBC parser and decoder (lib/dbc.c, dbc_decode.c):
 * the test files of tests/golden/can/ parsed field by field, frames decoded
 * to values worked out by hand from the bit layout (Intel, Motorola across
 * bytes, sign extension, floats, 64-bit and 9-byte signals, CAN FD),
 * multiplexing, frames of another size than their message refused, the id
 * lookup, one error message per way a DBC can be wrong, each naming the
 * file and line, the bits a signal occupies in either byte order, and the
 * warnings of signals that share bits. */
#include <math.h>
#include <stdlib.h>

#include "dbc.h"
#include "unit.h"

#define MAXV 32
struct got { int n; char name[MAXV][64]; double v[MAXV]; const char *label[MAXV]; };

static void
collect(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double v, const char *label)
{
	struct got *g = ctx;

	if (g->n == MAXV)
		return;
	snprintf(g->name[g->n], sizeof g->name[0], "%s", s->name);
	g->v[g->n] = v;
	g->label[g->n++] = label;
}

static int
hex(const char *h, uint8_t *data)
{
	int n = 0;
	unsigned b;

	while (*h && sscanf(h, "%2x", &b) == 1) {
		data[n++] = (uint8_t)b;
		h += 2;
	}
	return n;
}

/* Decodes frame HEX of message id, returns what it decoded; n -1 when
 * dbc_decode refused the frame (then it must have decoded nothing). */
static struct got
decode(const struct dbc *d, uint32_t id, const char *h)
{
	struct got g = { 0 };
	uint8_t data[DBC_MAX_SIZE];
	int n = hex(h, data), r;
	const struct dbc_msg *m = dbc_find(d, id);

	if (m) {
		r = dbc_decode(m, data, n, collect, &g);
		T(r == g.n || (r == -1 && g.n == 0), "dbc_decode counts what it decoded, %s", m->name);
		g.n = r;
	}
	return g;
}

static int
has(const struct got *g, const char *name, double v, const char *label)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name)) {
			if (fabs(g->v[i] - v) > 1e-9 * fmax(1, fabs(v)))
				printf("#   %s = %.17g, want %.17g\n", name, g->v[i], v);
			else if (!label != !g->label[i] || (label && strcmp(label, g->label[i])))
				printf("#   %s label '%s', want '%s'\n", name, g->label[i] ? g->label[i] : "(null)",
				       label ? label : "(null)");
			else
				return 1;
			return 0;
		}
	printf("#   %s not decoded\n", name);
	return 0;
}

static struct dbc *
load(const char *name)
{
	char path[256], err[256];
	struct dbc *d;

	snprintf(path, sizeof path, "tests/golden/can/%s", name);
	d = dbc_load(path, err, sizeof err);
	T(d != NULL, "%s loads%s%s", name, d ? "" : ": ", d ? "" : err);
	if (!d)
		exit(1);
	return d;
}

static const struct dbc_sig *
sig(const struct dbc *d, uint32_t id, const char *name)
{
	const struct dbc_msg *m = dbc_find(d, id);
	int i;

	for (i = 0; m && i < m->nsig; i++)
		if (!strcmp(m->sig[i].name, name))
			return &m->sig[i];
	printf("#   no signal %s\n", name);
	exit(1);
}

static void
test_basic(void)
{
	struct dbc *d = load("basic.dbc");
	const struct dbc_msg *m = dbc_find(d, 0x100);
	const struct dbc_sig *s;
	struct got g;
	unsigned seen[64] = { 0 }, i, k;

	T(d->nmsg == 7 && d->nsig == 16, "7 messages, 16 signals (%d, %u)", d->nmsg, d->nsig);
	for (i = 0; i < (unsigned)d->nmsg; i++)
		for (k = 0; k < (unsigned)d->msg[i].nsig; k++)
			if (d->msg[i].sig[k].index < 64)
				seen[d->msg[i].sig[k].index]++;
	for (i = 0; i < d->nsig && seen[i] == 1; i++)
		;
	T(i == d->nsig, "signal indices are 0..nsig-1, each once");
	T_STR(d->version, "1.2 test", "VERSION");
	T_STR(d->comment, "Test database; global comment.", "global CM_");
	T(d->nnode == 3 && !strcmp(d->node[2].name, "Gateway"), "BU_ nodes");
	T_STR(d->node[0].comment, "Engine control unit", "CM_ BU_");
	T(d->ntable == 2 && d->table[0].nvals == 4 && !strcmp(d->table[0].vals[3].label, "D"), "VAL_TABLE_");
	T(m && !strcmp(m->name, "EngineData") && m->size == 8 && m->nsig == 7, "BO_ 256 EngineData: 8");
	T_STR(m->transmitter, "Engine", "transmitter");
	T_STR(m->comment, "Engine data,\nsent every 10 ms; two lines.", "multi-line CM_ BO_");
	s = sig(d, 0x100, "Rpm");
	T_STR(s->comment, "Engine speed with \"quotes\"", "CM_ SG_ with escaped quotes");
	T_STR(s->unit, "rpm", "unit");
	T(s->start == 0 && s->len == 16 && s->little_endian && !s->is_signed && s->factor == 0.25 &&
	  s->offset == 0 && s->min == 0 && s->max == 16383.75 && s->mux == DBC_PLAIN, "SG_ Rpm fields");
	s = sig(d, 0x100, "Accel");
	T(s->start == 53 && s->len == 14 && !s->little_endian && s->is_signed, "SG_ Accel: Motorola, signed");
	s = sig(d, 0x700, "Odd");
	T(s->nvals == 2 && s->vals[0].raw == -64 && s->vals[1].raw == 63, "VAL_ sorted by raw, negative ones too");
	s = sig(d, 0x7ff, "Scaled");
	T(s->factor == 1e-6 && s->offset == -2500 && s->min == -1e13, "exponents in factor, offset, min");
	T(sig(d, 0x100, "Coolant")->comment == NULL && !strcmp(sig(d, 0x100, "Gear")->unit, ""), "no comment, empty unit");

	/* 12 34 56 78 9A BC DE F0: see the bit layout in dbc_decode.c */
	g = decode(d, 0x100, "123456789ABCDEF0");
	T(g.n == 7, "EngineData: 7 signals");
	T(has(&g, "Rpm", 3332.5, NULL), "Intel 16 bits: 0x3412 * 0.25");
	T(has(&g, "Coolant", 46, NULL), "offset: 0x56 - 40");
	T(has(&g, "Torque", -708, NULL), "Intel signed 12 bits across bytes: 0xA78 -> -1416 * 0.5");
	T(has(&g, "Gear", 1, "R") && has(&g, "Running", 1, "On"), "bit fields with VAL_ labels");
	T(has(&g, "Throttle", 75.5, NULL), "Motorola 10 bits from byte 5 bit 7: 0x2F3 * 0.1");
	T(has(&g, "Accel", 79.2, NULL), "Motorola signed 14 bits from byte 6 bit 5: 0x1EF0 * 0.01");
	g = decode(d, 0x100, "FFFF00FF0F000000");
	T(has(&g, "Torque", -0.5, "MinusOne"), "a signed raw value's label (-1)");
	g = decode(d, 0x700, "12345678");
	T(has(&g, "Speed", 46.6, NULL) && has(&g, "Fuel", 43, NULL) && has(&g, "Odd", -8, NULL),
	  "Motorola 16 bits from bit 7; Motorola signed 7 bits from bit 30");
	g = decode(d, 0x700, "00000040");
	T(has(&g, "Odd", -64, "Low"), "the most negative 7-bit value and its label");
	g = decode(d, 0x7ff, "8000000000000000");
	T(has(&g, "Scaled", -9223372036854775808.0 * 1e-6 - 2500, NULL), "64-bit signed Motorola");

	g = decode(d, 0x0CF004FE | CAN_EFF_FLAG, "00007D401F000000");
	T(g.n == 2 && has(&g, "EngineSpeed", 1000, NULL) && has(&g, "ActualTorque", 0, NULL), "extended id (J1939 EEC1)");
	T(dbc_find(d, 0x0CF004FE) == NULL, "the extended id's low bits as a standard id: no match");
	g = decode(d, 1, "0102");
	T(g.n == 1 && has(&g, "Word", 258, NULL) && !strcmp(dbc_find(d, 1)->name, "StdLow"), "standard id 1");
	g = decode(d, 1 | CAN_EFF_FLAG, "0102");
	T(g.n == 1 && has(&g, "Word", 513, NULL) && !strcmp(dbc_find(d, 1 | CAN_EFF_FLAG)->name, "ExtLow"),
	  "extended id 1 is another message");
	T(dbc_find(d, 0x100 | CAN_RTR_FLAG) == dbc_find(d, 0x100), "RTR flag ignored");
	T(dbc_find(d, 0x100 | CAN_ERR_FLAG) == dbc_find(d, 0x100), "ERR flag ignored");
	T(dbc_find(d, 0x101) == NULL && dbc_find(d, CAN_EFF_FLAG) == NULL, "unknown ids, and no frame for VECTOR__INDEPENDENT_SIG_MSG");

	/* a frame of another size is not this message: none of its values is decoded,
	 * not even those of the bytes it has */
	g = decode(d, 0x100, "12345678");
	T(g.n == -1, "a 4-byte frame of an 8-byte message: refused");
	g = decode(d, 0x100, "123456789ABCDEF000");
	T(g.n == -1, "a 9-byte frame of an 8-byte message: refused");
	g = decode(d, 0x100, "");
	T(g.n == -1, "an empty frame: refused");
	dbc_free(d);
}

static void
test_mux(void)
{
	struct dbc *d = load("mux.dbc");
	const struct dbc_msg *m = dbc_find(d, 0x200);
	struct got g;

	T(m->muxer == 0 && m->sig[0].mux == DBC_MUXER, "M: the multiplexer");
	T(sig(d, 0x200, "C1")->mux == DBC_MUXED && sig(d, 0x200, "C1")->mux_val == 1, "m1");
	T(sig(d, 0x200, "E15")->mux_val == 15 && sig(d, 0x200, "Common")->mux == DBC_PLAIN, "m15, plain");
	g = decode(d, 0x200, "0122123456789ABC");
	T(g.n == 4 && has(&g, "Selector", 1, "Amps") && has(&g, "Common", 34, NULL), "selector 1: 4 signals");
	T(has(&g, "A1", 0x1A2B, NULL), "m1: Motorola 16 bits from byte 2 bit 0");
	T(has(&g, "C1", 0x789ABC * 0.001 - 5, NULL), "m1: Motorola signed 24 bits");
	g = decode(d, 0x200, "0F000000000000FF");
	T(g.n == 3 && has(&g, "E15", -1, "MinusOne"), "selector 15: E15 = -1 * 2 + 1, label of raw -1");
	g = decode(d, 0x200, "0500000000000000");
	T(g.n == 2, "selector 5: no muxed signal");
	g = decode(d, 0x200, "02");
	T(g.n == -1, "a 1-byte frame: refused, the multiplexer too");
	g = decode(d, 0x18FEF1FE | CAN_EFF_FLAG, "60112233445566778800000000000000");
	T(g.n == 4 && has(&g, "Page", 3, "Third") && has(&g, "Count", 0, NULL), "extended, Motorola multiplexer");
	T(has(&g, "P3", 0x11223344 * 0.5, NULL) && has(&g, "P3b", 0x88, NULL), "m3: both its signals");
	g = decode(d, 0x18FEF1FE | CAN_EFF_FLAG, "601122334455667788");
	T(g.n == -1, "9 bytes of the 16-byte message: refused");
	dbc_free(d);

	d = load("mux-ext.dbc");
	T(sig(d, 600, "Sub")->mux == DBC_MUXED && sig(d, 600, "Sub")->mux_val == 1 &&
	  sig(d, 600, "Sub")->muxer == 0, "m1M: muxed by the M signal");
	T(sig(d, 600, "Leaf")->muxer == 2 && sig(d, 600, "Leaf")->nranges == 2 &&
	  sig(d, 600, "Leaf")->ranges[1].lo == 5 && sig(d, 600, "Leaf")->ranges[1].hi == 6, "SG_MUL_VAL_ Leaf Sub 2-2, 5-6");
	g = decode(d, 600, "0102040000000000");
	T(g.n == 4 && has(&g, "Sub", 2, "Two") && has(&g, "Leaf", 4, NULL), "Top 1, Sub 2: Leaf");
	g = decode(d, 600, "0109001234000000");
	T(g.n == 4 && has(&g, "LeafBE", 145.5, NULL), "Top 1, Sub 9 (in 9-15): LeafBE");
	g = decode(d, 600, "0400000000ABCD00");
	T(g.n == 5 && has(&g, "Ranged", 0, NULL) && has(&g, "Sub2", 0, NULL) && has(&g, "Deep", 0xCDAB, NULL),
	  "Top 4: Ranged (3-5), Sub2, and Sub2 0: Deep");
	g = decode(d, 600, "0300004200000000");
	T(g.n == 3 && has(&g, "Ranged", 0x42, NULL), "Top 3: Ranged alone");
	g = decode(d, 600, "0202040000000000");
	T(g.n == 2, "Top 2: no Sub, so no Leaf though its bits say 2");
	g = decode(d, 0x258 | CAN_EFF_FLAG, "C51234FFFE000000");
	T(g.n == 3 && has(&g, "Inner", 5, NULL) && has(&g, "X", 0x1234, NULL), "Motorola: Sel 3 (in 2-3), Inner 5: X");
	g = decode(d, 0x258 | CAN_EFF_FLAG, "A00000FFFE000000");
	T(g.n == 3 && has(&g, "Inner", 32, NULL) && has(&g, "Y", -2, NULL), "Sel 2, Inner 32: Y");
	g = decode(d, 0x258 | CAN_EFF_FLAG, "4500000000000000");
	T(g.n == 1, "Sel 1: nothing under it");
	dbc_free(d);
}

static void
test_float_fd(void)
{
	struct dbc *d = load("float.dbc");
	struct got g;

	T(sig(d, 768, "F32le")->vtype == DBC_FLOAT32 && sig(d, 768, "F64le")->vtype == DBC_FLOAT64 &&
	  sig(d, 770, "U64")->vtype == DBC_INT, "SIG_VALTYPE_ 1 and 2");
	g = decode(d, 768, "0000C03F40490FDB000000000000" "00C0");
	T(has(&g, "F32le", 1.5, NULL), "float32 Intel");
	T(has(&g, "F32be", 2 * (double)3.14159274101257324f + 1, NULL), "float32 Motorola, scaled");
	T(has(&g, "F64le", -2, NULL), "float64 Intel");
	g = decode(d, 769, "3FF0000000000000");
	T(has(&g, "F64be", 0.5, NULL), "float64 Motorola, scaled");
	g = decode(d, 770, "FFFFFFFFFFFFFFFF");
	T(has(&g, "U64", 18446744073709551615.0, NULL), "64-bit unsigned");
	g = decode(d, 771, "0FFFFFFFFFFFFFFFE0" "0000000000000000" "000000000000000000000000000000");
	T(has(&g, "S64be", -2, NULL), "64-bit Motorola over 9 bytes");
	g = decode(d, 771, "000000000000000000" "F8FFFFFFFFFFFFFF07" "0000000000000000000000000000");
	T(has(&g, "U64odd", 18446744073709551615.0, NULL) && has(&g, "S63", 0, NULL), "64-bit Intel over 9 bytes");
	dbc_free(d);

	d = load("fd.dbc");
	T(dbc_find(d, 0x200 | CAN_EFF_FLAG)->size == 64 && !dbc_find(d, 0x200), "a 64-byte extended message");
	g = decode(d, 0x200 | CAN_EFF_FLAG,
		   "01000000000000000000000000000000" "00000000000000000000000000000000"
		   "00000000000000000000000000000000" "000000000000000000000000000080AB");
	T(g.n == 8 && has(&g, "First", 1, NULL) && has(&g, "Last", 0xAB, NULL), "CAN FD: first and last byte");
	T(has(&g, "TopBit", 1, "Set") && has(&g, "Mid16", -10, NULL), "CAN FD: bit 503, offset");
	g = decode(d, 1000, "DEADBEEF00000000000000FE");
	T(g.n == 2 && has(&g, "B", 0xDEADBEEF, NULL) && has(&g, "A", 0xFE, NULL), "a 12-byte standard FD message");
	dbc_free(d);
}

/* Text -> the error it must give (or "" when it must parse). */
static const struct { const char *text, *err; } cases[] = {
	{ "BO_ 100 X 8 Y\n", "t.dbc:1: expected ':', found '8'" },
	{ "\n\nBO_ 100 X: 65 Y\n", "t.dbc:3: expected a message size in bytes (0 to 64), found '65'" },
	{ "BO_ 4096 X: 8 Y\n", "t.dbc:1: expected a standard id up to 2047 or an extended one with bit 31 set, found '4096'" },
	{ "BO_ 1 X: 8 Y\nBO_ 1 Z: 8 Y\n", "t.dbc:2: expected a message id not used before, found '1'" },
	{ "BO_ X: 8 Y\n", "t.dbc:1: expected a message id, found 'X'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@2+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected a byte order (0 Motorola, 1 Intel), found '2'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1 (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected '+' (unsigned) or '-' (signed), found '('" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|0@1+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected a length in bits (1 to 64), found '0'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|65@1+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected a length in bits (1 to 64), found '65'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1;0) [0|1] \"\" Y\n", "t.dbc:2: expected ',', found ';'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] deg Y\n", "t.dbc:2: expected a unit string, found 'deg'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (x,0) [0|1] \"\" Y\n", "t.dbc:2: expected a factor, found 'x'" },
	{ "BO_ 1 X: 2 Y\n SG_ a : 8|9@1+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected signal a within the 2 bytes of message X, found it ending in byte 3" },
	{ "BO_ 1 X: 2 Y\n SG_ a : 8|9@0+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected signal a within the 2 bytes of message X, found it ending in byte 3" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\n SG_ a : 8|8@1+ (1,0) [0|1] \"\" Y\n",
	  "t.dbc:3: expected a signal name not used before in message X, found 'a'" },
	{ "BO_ 1 X: 8 Y\n SG_ a mx : 0|8@1+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected ':' or a multiplexer indicator (M, m<n>), found 'mx'" },
	{ "BO_ 1 X: 8 Y\n SG_ a M : 0|8@1+ (1,0) [0|1] \"\" Y\n SG_ b M : 8|8@1+ (1,0) [0|1] \"\" Y\n",
	  "t.dbc:3: expected one multiplexer (M) in message X, found a and b" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\n SG_ b m1 : 8|8@1+ (1,0) [0|1] \"\" Y\n",
	  "t.dbc:3: expected a multiplexer (M) in message X for b, found none" },
	{ "BU_: A\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\n", "t.dbc:2: expected a BO_ line before SG_, found 'SG_'" },
	{ "CM_ BO_ 1 \"open\n\nstring;\n", "t.dbc:1: expected '\"' to end the string begun here, found end of file" },
	{ "CM_ \"a\nb\";\nCM_ BO_ 1 \"c\";\n42\n", "t.dbc:4: expected a DBC keyword (BO_, SG_, CM_, BA_, ...), found '42'" },
	/* a word the format does not have is not skipped with what it says */
	{ "BA_DEF_ BO_ \"x\" INT 0 1;\nBA_DEFX_ BO_ \"y\" INT 0 1;\n",
	  "t.dbc:2: expected a DBC keyword (BO_, SG_, CM_, BA_, ...), found 'BA_DEFX_'" },
	{ "FOO_ 1 2 \"x;y\" ;\nBO_ 1 X: 8 Y\n", "t.dbc:1: expected a DBC keyword (BO_, SG_, CM_, BA_, ...), found 'FOO_'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\n\nsg_ b : 8|8@1+ (1,0) [0|1] \"\" Y\n",
	  "t.dbc:4: expected a DBC keyword (BO_, SG_, CM_, BA_, ...), found 'sg_'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\nVAL_TABLE 1 \"x\" ;\n",
	  "t.dbc:3: expected a DBC keyword (BO_, SG_, CM_, BA_, ...), found 'VAL_TABLE'" },
	{ "CM_ XX_ 1 \"c\";\n", "t.dbc:1: expected a string or BU_, BO_, SG_, EV_, found 'XX_'" },
	{ "CM_ BO_ 1 \"c\"\nBO_ 1 X: 8 Y\n", "t.dbc:2: expected ';', found 'BO_'" },
	{ "VAL_ 1 a 1 \"x\" 2 ;\n", "t.dbc:1: expected a value label, found ';'" },
	{ "VAL_ 1 a 1.5 \"x\" ;\n", "t.dbc:1: expected a raw value, found '1.5'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|16@1+ (1,0) [0|1] \"\" Y\nSIG_VALTYPE_ 1 a : 1;\n",
	  "t.dbc:3: expected a 32-bit signal for SIG_VALTYPE_ 1, found a of 16 bits" },
	{ "SIG_VALTYPE_ 1 a : 3;\n", "t.dbc:1: expected a value type (0 integer, 1 float32, 2 float64), found '3'" },
	{ "BA_DEF_ BO_ \"x\" INT 0 1\nBO_ 1 X: 8 Y\n", "t.dbc:2: expected ';', found 'BO_'" },
	{ "BA_ \"x\" BO_ 1 \"a; b\"", "t.dbc:1: expected ';', found end of file" },
	{ "NS_ \n", "t.dbc:2: expected ':', found end of file" },
	{ "B0_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\n", "t.dbc:1: expected a DBC keyword (BO_, SG_, CM_, BA_, ...), found 'B0_'" },
	{ "BO_ 1 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] \"x\ny\" Y\n SG_ b : 0|8@1+ (1,0) [0|1] \"\" Y\nBO_ 1 Z: 8 Y\n",
	  "t.dbc:5: expected a message id not used before, found '1'" },
	{ "BO_ 1 X: 8 Y\n SG_ a M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ b m1M : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ c m1M : 12|4@1+ (1,0) [0|1] \"\" Y\nSG_MUL_VAL_ 1 b c 1-1;\nSG_MUL_VAL_ 1 c b 1-1;\n",
	  "t.dbc:3: expected multiplexers without a loop in message X, found one through b" },
	{ "BO_ 1 X: 8 Y\n SG_ a M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ b m1 : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  "SG_MUL_VAL_ 1 b zz 1-1;\n", "t.dbc:4: expected a multiplexer of message X, found 'zz'" },
	{ "BO_ 1 X: 8 Y\n SG_ a M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ b m1 : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  "SG_MUL_VAL_ 1 b a 1;\n", "t.dbc:4: expected '-' and the range's last value, found ';'" },
	{ "BO_ 1 X: 8 Y\n SG_ a M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ b m1 : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  "SG_MUL_VAL_ 1 b a 3-1;\n", "t.dbc:4: expected a last value not below the first, found '1'" },
	/* what must parse */
	{ "BO_ 1 X: 8 Y\n SG_ a M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ b m1 : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  "SG_MUL_VAL_ 1 b a 1 - 2 , 4-4;\nSG_MUL_VAL_ 9 nosuch a 1-1;\n", "" },
	{ "", "" },
	{ "VERSION \"\"\nNS_ :\n\tCM_\n\tBO_TX_BU_\nBS_: 500 : 12,34\nBU_:\n", "" },
	/* every keyword of the format's NS_ list that is not used: skipped to its ';' */
	{ "NS_ :\n\tNS_DESC_\n\tCM_\n\tBA_DEF_\n\tBA_\n\tVAL_\n\tCAT_DEF_\n\tCAT_\n\tFILTER\n\tBA_DEF_DEF_\n"
	  "\tEV_DATA_\n\tENVVAR_DATA_\n\tSGTYPE_\n\tSGTYPE_VAL_\n\tBA_DEF_SGTYPE_\n\tBA_SGTYPE_\n\tSIG_TYPE_REF_\n"
	  "\tVAL_TABLE_\n\tSIG_GROUP_\n\tSIG_VALTYPE_\n\tSIGTYPE_VALTYPE_\n\tBO_TX_BU_\n\tBA_DEF_REL_\n\tBA_REL_\n"
	  "\tBA_DEF_DEF_REL_\n\tBU_SG_REL_\n\tBU_EV_REL_\n\tBU_BO_REL_\n\tSG_MUL_VAL_\n\nBS_:\nBU_: A B\n"
	  "BO_ 1 X: 8 A\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" B\n"
	  "EV_ V: 0 [0|100] \"\" 0 1 DUMMY_NODE_VECTOR0 Vector__XXX;\nENVVAR_DATA_ V: 4;\nEV_DATA_ V: 4;\n"
	  "SGTYPE_ T : 8@1+ (1,0) [0|1] \"\" 0, Tab;\nSGTYPE_VAL_ T 0 \"z\";\nSIG_TYPE_REF_ 1 a : T;\n"
	  "SIGTYPE_VALTYPE_ T : 1;\nSIG_GROUP_ 1 G 1 : a;\nBO_TX_BU_ 1 : A,B;\nCAT_DEF_ 1 C 0;\nCAT_ BO_ 1 1;\n"
	  "FILTER 0 A;\nNS_DESC_ X \"d\";\nBA_DEF_SGTYPE_ \"s\" INT 0 1;\nBA_SGTYPE_ \"s\" SGTYPE_ T 1;\n"
	  "BA_DEF_REL_ BU_SG_REL_ \"r\" INT 0 1;\nBA_DEF_DEF_REL_ \"r\" 0;\nBA_REL_ \"r\" BU_SG_REL_ A SG_ 1 a 1;\n"
	  "BU_SG_REL_ A SG_ 1 a;\nBU_EV_REL_ A V;\nBU_BO_REL_ A 1;\n", "" },
	{ "BO_ 1 X: 8 Y\r\n SG_ a : 0|8@1+ (1,0) [0|1] \"\" Y\r\n\r\nCM_ BO_ 1 \"a\r\nb\";\r\n", "" },
	{ "// a comment\nBO_ 1 X: 8\n SG_ a : 0|8@1+ (1,0) [0|1] \"\"\n", "" },
	{ "BO_ 1 X : 8 Y\n SG_ a:0|8@1+(1,0)[0|1]\"\" A B,C\n SG_ b : 8|8@1+ (1,0) [0|1] \"\" Y\n", "" },
	{ "CM_ SG_ 9 nosuch \"x\";\nVAL_ 9 nosuch 1 \"a\";\nSIG_VALTYPE_ 9 nosuch : 1;\nCM_ BU_ nobody \"x\";\n", "" },
};

static void
test_errors(void)
{
	char err[256];
	struct dbc *d;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		err[0] = 0;
		d = dbc_parse(cases[i].text, strlen(cases[i].text), "t.dbc", err, sizeof err);
		if (*cases[i].err) {
			T(d == NULL, "case %zu fails", i);
			T_STR(err, cases[i].err, "its message");
		} else {
			T(d != NULL, "case %zu parses%s%s", i, d ? "" : ": ", err);
		}
		dbc_free(d);
	}
	d = dbc_load("tests/golden/can/nosuch.dbc", err, sizeof err);
	T_STR(err, "tests/golden/can/nosuch.dbc: No such file or directory", "a missing file");
	dbc_free(d);
}

static void
test_details(void)
{
	static const char text[] =
		"BO_ 1 X: 8 Y\n"
		" SG_ a : 0|8@1- (1,0) [0|1] \"\xb0" "C\" Y\n"
		" SG_ b : 8|8@1+ (1,0) [0|1] \"\xc2\xb0" "C\" Y\n"
		" SG_ c : 16|32@1+ (1,0) [0|1] \"\" Y\n"
		"SIG_VALTYPE_ 1 c : 1;\nSIG_VALTYPE_ 1 c : 0;\n"
		"VAL_ 1 a 1 \"one\" 2 \"two\" 1 \"uno\" ;\nVAL_ 1 b 5 \"five\" ;\nVAL_ 1 b 6 \"six\" ;\n";
	char err[256];
	struct dbc *d = dbc_parse(text, sizeof text - 1, "t.dbc", err, sizeof err);
	const struct dbc_sig *s;

	T(d != NULL, "details parse");
	if (!d)
		return;
	s = sig(d, 1, "a");
	T_STR(s->unit, "\xc2\xb0" "C", "a Latin-1 unit becomes UTF-8");
	T_STR(sig(d, 1, "b")->unit, "\xc2\xb0" "C", "a UTF-8 unit stays");
	T(s->nvals == 2 && !strcmp(dbc_label(s, 1), "uno") && !strcmp(dbc_label(s, 2), "two"), "of two labels for a value, the last");
	s = sig(d, 1, "b");
	T(s->nvals == 1 && !strcmp(s->vals[0].label, "six"), "a second VAL_ for a signal replaces the first");
	T(sig(d, 1, "c")->vtype == DBC_INT, "SIG_VALTYPE_ 0: back to integer");
	T(dbc_find(d, 1)->muxer == -1, "no multiplexer");
	dbc_free(d);
}

/* Bit n of the payload, as the DBC numbers them, is in s's bits. */
static int
bit(const struct dbc_sig *s, unsigned n)
{
	uint64_t b[DBC_MAX_SIZE / 8];

	dbc_sig_bits(s, b);
	return (int)(b[n / 64] >> (n % 64) & 1);
}

/* The bits of s as "12-8,23-21": runs in the order the signal takes them,
 * from the bit its start names. */
static const char *
runs(const struct dbc_sig *s)
{
	static char buf[256];
	uint64_t b[DBC_MAX_SIZE / 8];
	unsigned n = 0, i, k, first, last;
	int dir = s->little_endian ? 1 : -1;

	dbc_sig_bits(s, b);
	*buf = 0;
	for (i = s->start, k = 0; k < 8 * DBC_MAX_SIZE && (b[i / 64] >> (i % 64) & 1); k++) {
		first = last = i;
		b[i / 64] &= ~(UINT64_C(1) << (i % 64));
		while ((int)last + dir >= 0 && (int)last + dir < 8 * DBC_MAX_SIZE && (last + dir) / 8 == first / 8 &&
		       (b[(last + dir) / 64] >> ((last + dir) % 64) & 1)) {
			last += dir;
			b[last / 64] &= ~(UINT64_C(1) << (last % 64));
		}
		n += (unsigned)snprintf(buf + n, sizeof buf - n, "%s%u-%u", n ? "," : "", first, last);
		/* the next byte: Intel goes on at its bit 0, Motorola at its bit 7 */
		i = s->little_endian ? last + 1 : (last / 8 + 1) * 8 + 7;
		if (i >= 8 * DBC_MAX_SIZE)
			break;
	}
	for (i = 0; i < DBC_MAX_SIZE / 8; i++)
		if (b[i])
			return "bits off the run";
	return buf;
}

/* The bits a signal occupies, as Vector's DBC format documents them (start
 * bit of Intel its LSB, of Motorola its MSB, sawtooth numbering). */
static void
test_bits(void)
{
	static const char text[] =
		"BO_ 1 X: 16 Y\n"
		" SG_ m12 : 12|8@0+ (1,0) [0|1] \"\" Y\n"      /* byte 1 bits 4..0, byte 2 bits 7..5 */
		" SG_ i12 : 12|8@1+ (1,0) [0|1] \"\" Y\n"      /* byte 1 bits 4..7, byte 2 bits 0..3 */
		" SG_ m7 : 7|16@0+ (1,0) [0|1] \"\" Y\n"       /* bytes 0 and 1, whole */
		" SG_ m0 : 0|2@0+ (1,0) [0|1] \"\" Y\n"        /* byte 0 bit 0, byte 1 bit 7 */
		" SG_ m63 : 63|64@0+ (1,0) [0|1] \"\" Y\n"     /* bytes 7 to 14 */
		" SG_ i1 : 1|1@1+ (1,0) [0|1] \"\" Y\n"
		" SG_ m5 : 5|12@0- (1,0) [0|1] \"\" Y\n";      /* byte 0 bits 5..0, byte 1 bits 7..2 */
	char err[256];
	struct dbc *d = dbc_parse(text, sizeof text - 1, "t.dbc", err, sizeof err);

	T(d != NULL, "bits: parses%s%s", d ? "" : ": ", d ? "" : err);
	if (!d)
		return;
	T_STR(runs(sig(d, 1, "m12")), "12-8,23-21", "Motorola 12|8: 12 down to 8, then 23 down to 21");
	T_STR(runs(sig(d, 1, "i12")), "12-15,16-19", "Intel 12|8: 12 up to 19");
	T_STR(runs(sig(d, 1, "m7")), "7-0,15-8", "Motorola 7|16: bytes 0 and 1");
	T_STR(runs(sig(d, 1, "m0")), "0-0,15-15", "Motorola 0|2: bit 0, then bit 7 of byte 1");
	T_STR(runs(sig(d, 1, "m63")), "63-56,71-64,79-72,87-80,95-88,103-96,111-104,119-112", "Motorola 63|64: bytes 7 to 14");
	T_STR(runs(sig(d, 1, "i1")), "1-1", "Intel 1|1");
	T_STR(runs(sig(d, 1, "m5")), "5-0,15-10", "Motorola 5|12");
	T(bit(sig(d, 1, "m12"), 12) && bit(sig(d, 1, "i12"), 12) && !bit(sig(d, 1, "m12"), 13) &&
	  !bit(sig(d, 1, "i12"), 21), "m12 and i12 share bit 12 alone");
	dbc_free(d);
}

/* Text -> the warnings it must give, one a line ("" none). */
static const struct { const char *text, *warn; } warnings[] = {
	{ "BO_ 1 X: 8 Y\n SG_ a : 12|8@0+ (1,0) [0|1] \"\" Y\n SG_ b : 12|8@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ c : 16|8@1+ (1,0) [0|1] \"\" Y\n",
	  "t.dbc:3: signals a (line 2) and b of message X overlap: 1 bit in both, from bit 12\n"
	  "t.dbc:4: signals a (line 2) and c of message X overlap: 3 bits in both, from bit 21\n"
	  "t.dbc:4: signals b (line 3) and c of message X overlap: 4 bits in both, from bit 16\n" },
	/* side by side, across bytes, both orders: no overlap */
	{ "BO_ 1 X: 8 Y\n SG_ a : 12|8@0+ (1,0) [0|1] \"\" Y\n SG_ b : 13|3@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ c : 20|4@0+ (1,0) [0|1] \"\" Y\n SG_ d : 7|8@0+ (1,0) [0|1] \"\" Y\n SG_ e : 24|40@1+ (1,0) [0|1] \"\" Y\n", "" },
	/* multiplexed: two branches may share bits; a branch and a plain signal,
	 * or the multiplexer itself, may not */
	{ "BO_ 1 X: 8 Y\n SG_ s M : 0|8@1+ (1,0) [0|1] \"\" Y\n SG_ a m1 : 8|16@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ b m2 : 15|16@0+ (1,0) [0|1] \"\" Y\n SG_ c m1 : 16|8@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ p : 56|8@1+ (1,0) [0|1] \"\" Y\n SG_ d m3 : 48|16@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ e m4 : 7|8@0+ (1,0) [0|1] \"\" Y\n",
	  "t.dbc:5: signals a (line 3) and c of message X overlap: 8 bits in both, from bit 16\n"
	  "t.dbc:7: signals p (line 6) and d of message X overlap: 8 bits in both, from bit 56\n"
	  "t.dbc:8: signals s (line 2) and e of message X overlap: 8 bits in both, from bit 0\n" },
	/* extended multiplexing: under Top 1, Sub picks Leaf (2, 5-6) and Other (6-7);
	 * Far and Near are under Top 2 and 2-3, Mid (m3) meets Near at 3; then a signal beside Sub under
	 * Top 1 shares bits with Sub and Leaf, one under Top 3 with neither */
	{ "BO_ 1 X: 8 Y\n SG_ Top M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ Sub m1M : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ Leaf m0 : 16|8@1+ (1,0) [0|1] \"\" Y\n SG_ Other m0 : 20|8@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ Far m2 : 16|16@1+ (1,0) [0|1] \"\" Y\n SG_ Near m2 : 8|8@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ Mid m3 : 12|4@1+ (1,0) [0|1] \"\" Y\n"
	  "SG_MUL_VAL_ 1 Sub Top 1-1;\nSG_MUL_VAL_ 1 Leaf Sub 2-2, 5-6;\nSG_MUL_VAL_ 1 Other Sub 6-7;\n"
	  "SG_MUL_VAL_ 1 Far Top 2-2;\nSG_MUL_VAL_ 1 Near Top 2-3;\n",
	  "t.dbc:5: signals Leaf (line 4) and Other of message X overlap: 4 bits in both, from bit 20\n"
	  "t.dbc:8: signals Near (line 7) and Mid of message X overlap: 4 bits in both, from bit 12\n" },
	{ "BO_ 1 X: 8 Y\n SG_ Top M : 0|4@1+ (1,0) [0|1] \"\" Y\n SG_ Sub m1M : 8|4@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ Leaf m2 : 16|8@1+ (1,0) [0|1] \"\" Y\n SG_ Other m1 : 10|8@1+ (1,0) [0|1] \"\" Y\n"
	  " SG_ Apart m3 : 10|8@1+ (1,0) [0|1] \"\" Y\nSG_MUL_VAL_ 1 Leaf Sub 2-2;\n",
	  "t.dbc:5: signals Sub (line 3) and Other of message X overlap: 2 bits in both, from bit 10\n"
	  "t.dbc:5: signals Leaf (line 4) and Other of message X overlap: 2 bits in both, from bit 16\n" },
	/* a message that is no frame: its signals all start at 0, rightly */
	{ "BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX\n SG_ a : 0|8@1+ (1,0) [0|0] \"\" Y\n"
	  " SG_ b : 0|16@1+ (1,0) [0|0] \"\" Y\n", "" },
	{ "BO_ 1 X: 8 Y\nBO_ 2 Z: 10 Y\nBO_ 3 W: 9 Y\nBO_ 4 V: 48 Y\n",
	  "t.dbc:2: message Z has 10 bytes, a length no CAN frame has (0 to 8, 12, 16, 20, 24, 32, 48, 64): it will never be decoded\n"
	  "t.dbc:3: message W has 9 bytes, a length no CAN frame has (0 to 8, 12, 16, 20, 24, 32, 48, 64): it will never be decoded\n" },
};

static void
test_warnings(void)
{
	char err[256], text[8192], got[2048];
	struct dbc *d;
	size_t i, n;
	int k;

	for (i = 0; i < sizeof warnings / sizeof *warnings; i++) {
		d = dbc_parse(warnings[i].text, strlen(warnings[i].text), "t.dbc", err, sizeof err);
		T(d != NULL, "warnings case %zu parses%s%s", i, d ? "" : ": ", d ? "" : err);
		if (!d)
			continue;
		for (n = 0, *got = 0, k = 0; k < d->nwarn; k++)
			n += (size_t)snprintf(got + n, sizeof got - n, "%s\n", d->warn[k]);
		T_STR(got, warnings[i].warn, "its warnings");
		dbc_free(d);
	}
	/* 20 signals on the same byte: 190 pairs, the first DBC_MAX_WARN said */
	n = (size_t)snprintf(text, sizeof text, "BO_ 1 X: 8 Y\n");
	for (k = 0; k < 20; k++)
		n += (size_t)snprintf(text + n, sizeof text - n, " SG_ s%d : 0|8@1+ (1,0) [0|1] \"\" Y\n", k);
	d = dbc_parse(text, n, "t.dbc", err, sizeof err);
	T(d && d->nwarn == DBC_MAX_WARN && d->warn_more == 190 - DBC_MAX_WARN, "%d warnings kept, the other %u counted",
	  d ? d->nwarn : -1, d ? d->warn_more : 0);
	dbc_free(d);
}

int
main(void)
{
	test_basic();
	test_mux();
	test_float_fd();
	test_errors();
	test_details();
	test_bits();
	test_warnings();
	UNIT_END();
}

/* The DBC encoder (lib/dbc_encode.c), can-send's, against the decoder
 * (dbc_decode.c), can-read's: every signal of tests/golden/can/many.dbc
 * (48 messages: Intel and Motorola, 1 to 64 bits, signed, factor and
 * offset, float32 and float64, multiplexed, CAN FD sizes; written by
 * tests/gen-many-dbc.py) and of the other test DBCs (extended
 * multiplexing, 64-byte frames) at its extremes and at random raw values:
 * the value as a person writes it (the decoder's value printed, or the
 * integer), parsed, encoded into a frame, decoded, gives the same value,
 * bit for bit, and the same raw bits; then whole frames, every signal the
 * multiplexer picks set at once.  Then the values the encoder refuses,
 * labels, start values (GenSigStartValue) and the multiplexers a muxed
 * signal sets. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "dbc.h"
#include "unit.h"

struct got { int n; const struct dbc_sig *s[DBC_MAX_SIZE * 8]; double v[DBC_MAX_SIZE * 8]; };

static void
collect(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double v, const char *label)
{
	struct got *g = ctx;

	g->s[g->n] = s;
	g->v[g->n++] = v;
}

static uint64_t
sig_mask(const struct dbc_sig *s)
{
	return s->len < 64 ? (UINT64_C(1) << s->len) - 1 : ~UINT64_C(0);
}

static int
limited(const struct dbc_sig *s)
{
	return s->min != 0 || s->max != 0;
}

static int
scaled(const struct dbc_sig *s)
{
	return s->factor != 1 || s->offset != 0;
}

/* A raw value of s to try: the k-th of its extremes, else random; 0 when
 * it is not one a person can write (outside [min|max], a float that is
 * not finite, a scaled value past double's 53 bits). */
static int
pick(const struct dbc_sig *s, int k, uint64_t *raw)
{
	const uint64_t m = sig_mask(s);
	uint64_t top = s->is_signed ? m >> 1 : m;     /* the largest positive */
	double v;

	switch (k) {
	case 0: *raw = 0; break;
	case 1: *raw = 1 & m; break;
	case 2: *raw = top; break;
	case 3: *raw = s->is_signed ? (top + 1) & m : m; break;   /* the most negative */
	case 4: *raw = m; break;                                   /* -1 */
	default: *raw = unit_rand() & m;
	}
	if (s->vtype == DBC_INT && scaled(s) && s->len > 53) {
		int64_t sv = s->is_signed && *raw >> (s->len - 1) ? (int64_t)(*raw | ~m) : (int64_t)*raw;
		if (sv > (INT64_C(1) << 50) || sv < -(INT64_C(1) << 50))
			*raw = (uint64_t)(sv >> (s->len - 50)) & m;       /* within 50 bits, same sign */
	}
	v = dbc_phys(s, *raw);
	if (!isfinite(v))
		return 0;
	if (limited(s) && (v < s->min - 1e-6 * fabs(s->factor) || v > s->max + 1e-6 * fabs(s->factor)))
		return 0;
	return 1;
}

/* The value as a person writes it: an unscaled integer exactly, else the
 * decoder's value printed to round-trip. */
static void
text_of(const struct dbc_sig *s, uint64_t raw, char *buf, size_t len)
{
	uint64_t m = sig_mask(s);

	if (s->vtype == DBC_INT && !scaled(s)) {
		if (s->is_signed && raw >> (s->len - 1))
			snprintf(buf, len, "%" PRId64, (int64_t)(raw | ~m));
		else
			snprintf(buf, len, "%" PRIu64, raw);
	} else {
		snprintf(buf, len, "%.17g", dbc_phys(s, raw));
	}
}

/* Encodes the n signals set (raw values), decodes the frame, and checks
 * each: its value bit-exact and its bits; 0, or -1 said. */
static int
frame_back(const struct dbc *d, const struct dbc_msg *m, const int *set, const uint64_t *raw, int n)
{
	uint8_t data[DBC_MAX_SIZE];
	struct got g = { 0 };
	char err[300];
	double want;
	int i, k;

	if (dbc_encode(d, m, set, raw, n, data, err, sizeof err) < 0) {
		printf("#   %s: %s\n", m->name, err);
		return -1;
	}
	dbc_decode(m, data, m->size, collect, &g);
	for (i = 0; i < n; i++) {
		for (k = 0; k < g.n && g.s[k] != &m->sig[set[i]]; k++)
			;
		want = dbc_phys(&m->sig[set[i]], raw[i]);
		if (k == g.n || memcmp(&g.v[k], &want, sizeof want) || dbc_raw(&m->sig[set[i]], data) != raw[i]) {
			printf("#   %s.%s: raw %" PRIx64 " sent as %.17g, decoded %s%.17g (raw %" PRIx64 ")\n", m->name,
			       m->sig[set[i]].name, raw[i], want, k == g.n ? "not at all, " : "",
			       k == g.n ? 0.0 : g.v[k], dbc_raw(&m->sig[set[i]], data));
			return -1;
		}
	}
	return 0;
}

/* Every signal of every message alone, then whole frames: the checks
 * made, or -1 after a failure. */
static int
round_trip(const struct dbc *d, const struct dbc_msg *m)
{
	char text[64], err[300];
	uint64_t raw, back, raws[DBC_MAX_SIZE * 8], mv;
	int set[DBC_MAX_SIZE * 8], j, k, n, checks = 0;
	double pb, pr;

	for (j = 0; j < m->nsig; j++) {
		const struct dbc_sig *s = &m->sig[j];

		for (k = 0; k < 13; k++) {
			if (!pick(s, k, &raw))
				continue;
			text_of(s, raw, text, sizeof text);
			if (dbc_value_parse(s, text, &back, err, sizeof err) < 0) {
				printf("#   %s.%s = %s (raw %" PRIx64 "): %s\n", m->name, s->name, text, raw, err);
				return -1;
			}
			/* the same raw bits, but where two raw values decode to one
			 * double (a wide scaled signal; floats -0 and +0, or a
			 * denormal scaled to 0): the same value decoded */
			pb = dbc_phys(s, back);
			pr = dbc_phys(s, raw);
			if (back != raw && ((s->vtype == DBC_INT && !scaled(s)) || memcmp(&pb, &pr, sizeof pb))) {
				printf("#   %s.%s = %s: raw %" PRIx64 ", not %" PRIx64 "\n", m->name, s->name, text, back, raw);
				return -1;
			}
			if (frame_back(d, m, &j, &back, 1) < 0)
				return -1;
			checks++;
		}
	}
	/* whole frames: each value of the multiplexer (or none), every
	 * signal it picks at a random value */
	for (mv = 0; mv < (m->muxer >= 0 ? 16 : 1); mv++) {
		for (k = 0; k < 4; k++) {
			n = 0;
			for (j = 0; j < m->nsig; j++) {
				const struct dbc_sig *s = &m->sig[j];
				if (j == m->muxer) {
					raws[n] = mv & sig_mask(s);
				} else if (s->mux == DBC_MUXED && (s->muxer != m->muxer || !dbc_mux_picks(s, mv))) {
					continue;   /* another value's, or extended multiplexing: alone above */
				} else {
					int tries = 0;
					while (!pick(s, 5, &raws[n]) && ++tries < 100)
						;
					if (tries == 100)
						continue;
				}
				set[n++] = j;
			}
			if (frame_back(d, m, set, raws, n) < 0)
				return -1;
			checks++;
		}
	}
	return checks;
}

static struct dbc *
load(const char *name)
{
	char path[256], err[300];
	struct dbc *d;

	snprintf(path, sizeof path, "tests/golden/can/%s", name);
	if (!(d = dbc_load(path, err, sizeof err)))
		printf("#   %s\n", err);
	return d;
}

static const char small[] =
	"VERSION \"\"\n"
	"BO_ 100 M: 8 E\n"
	" SG_ Speed : 0|16@1+ (0.125,0) [0|8031.875] \"rpm\" X\n"
	" SG_ Temp : 16|8@1- (1,-40) [-40|100] \"degC\" X\n"
	" SG_ Gear : 24|3@1+ (1,0) [0|0] \"\" X\n"
	" SG_ F : 32|32@1- (1,0) [0|0] \"\" X\n"
	" SG_ Big : 63|8@0+ (1,0) [0|255] \"\" X\n"
	"BO_ 200 Mx: 8 E\n"
	" SG_ Mode M : 0|4@1+ (1,0) [0|15] \"\" X\n"
	" SG_ A m1 : 8|8@1+ (1,0) [0|255] \"\" X\n"
	" SG_ B m2 : 8|8@1+ (1,0) [0|255] \"\" X\n"
	" SG_ C : 16|8@1+ (1,0) [0|255] \"\" X\n"
	"BA_DEF_ SG_ \"GenSigStartValue\" INT 0 100000;\n"
	"BA_DEF_DEF_ \"GenSigStartValue\" 3;\n"
	"BA_ \"GenSigStartValue\" SG_ 100 Temp 60;\n"
	"BA_ \"GenMsgCycleTime\" BO_ 100 10;\n"
	"VAL_ 100 Gear 0 \"P\" 1 \"R\" 2 \"N\" 3 \"D\" ;\n"
	"SIG_VALTYPE_ 100 F : 1;\n";

static const char *
refused(const struct dbc_msg *m, int j, const char *text)
{
	static char err[300];
	uint64_t raw;

	if (dbc_value_parse(&m->sig[j], text, &raw, err, sizeof err) == 0)
		snprintf(err, sizeof err, "accepted, raw %" PRIu64, raw);
	return err;
}

int
main(void)
{
	static const char *const files[] = { "many.dbc", "basic.dbc", "mux.dbc", "mux-ext.dbc", "float.dbc", "fd.dbc" };
	char err[300];
	struct dbc *d;
	const struct dbc_msg *m;
	uint8_t data[8];
	uint64_t raw[2];
	int set[2];
	size_t f;
	int i, c, bad, total, msgs;

	for (f = 0; f < sizeof files / sizeof *files; f++) {
		if (!(d = load(files[f]))) {
			T(0, "%s loads", files[f]);
			continue;
		}
		bad = total = msgs = 0;
		for (i = 0; i < d->nmsg; i++) {
			if (d->msg[i].id & ~(CAN_EFF_FLAG | CAN_EFF_MASK))
				continue;
			if ((c = round_trip(d, &d->msg[i])) < 0)
				bad++;
			else
				total += c, msgs++;
		}
		T(!bad && (f || msgs >= 40), "%s: %d messages, every signal's values encoded and decoded back bit-exact "
		  "(%d frames)", files[f], msgs, total);
		dbc_free(d);
	}

	d = dbc_parse(small, sizeof small - 1, "small.dbc", err, sizeof err);
	T(d != NULL, "small.dbc parses");
	if (!d)
		UNIT_END();
	m = &d->msg[0];
	T_STR(refused(m, 0, "8032"), "8032 is out of Speed's range [0|8031.875]", "out of [min|max]: refused");
	T_STR(refused(m, 0, "1500.1"), "1500.1 is not a whole number of steps of 0.125 from 0 (raw 12000.8): "
	      "nearest 1500 and 1500.125", "not a whole number of steps: refused, the two nearest said");
	T_STR(refused(m, 0, "1500.125"), "accepted, raw 12001", "a whole number of steps");
	T_STR(refused(m, 1, "-41"), "-41 is out of Temp's range [-40|100]", "below min");
	T_STR(refused(m, 1, "-40"), "accepted, raw 0", "offset inverted: -40 is raw 0");
	T_STR(refused(m, 2, "8"), "8 does not fit Gear's 3-bit unsigned bits", "past the bits, no [min|max]: refused");
	T_STR(refused(m, 2, "-1"), "-1 does not fit Gear's 3-bit unsigned bits", "negative into unsigned: refused");
	T_STR(refused(m, 2, "D"), "accepted, raw 3", "a label of the value table");
	T_STR(refused(m, 2, "X"), "\"X\" is not a number nor a label of the signal's values", "an unknown label");
	T_STR(refused(m, 2, "0x3"), "\"0x3\" is not a number nor a label of the signal's values", "no hex");
	T_STR(refused(m, 3, "1e39"), "1e39 does not fit F's float32 (at most 3.40282e+38 in size)", "float32 overflow");
	T_STR(refused(m, 3, "nan"), "\"nan\" is not a number", "nan");
	T_STR(refused(m, 3, "-0.375"), "accepted, raw 3200253952", "a float32's bits");

	/* start values: Temp's own (raw 60), the file's default (3) for the
	 * others; a value given replaces it */
	set[0] = 0;
	raw[0] = 12000;
	T(dbc_encode(d, m, set, raw, 1, data, err, sizeof err) == 0, "encoded");
	T(dbc_raw(&m->sig[0], data) == 12000 && dbc_raw(&m->sig[1], data) == 60 && dbc_raw(&m->sig[2], data) == 3 &&
	  dbc_raw(&m->sig[4], data) == 3, "signals not given: their GenSigStartValue, else BA_DEF_DEF_'s");
	set[1] = 0;
	T(dbc_encode(d, m, set, raw, 2, data, err, sizeof err) < 0, "a signal given twice: refused");
	T_STR(err, "Speed given twice", "... said");

	m = &d->msg[1];
	set[0] = 2;
	raw[0] = 7;
	T(dbc_encode(d, m, set, raw, 1, data, err, sizeof err) == 0 && data[0] == 2 && data[1] == 7 && data[2] == 3,
	  "a muxed signal given: its multiplexer set to pick it (Mode 2), the others at their start value");
	set[1] = 0;
	raw[1] = 1;
	T(dbc_encode(d, m, set, raw, 2, data, err, sizeof err) < 0, "a multiplexer given that does not pick a muxed "
	  "signal given: refused");
	T_STR(err, "B is not in the frame when Mode is 1", "... said");
	set[0] = 1;
	set[1] = 2;
	T(dbc_encode(d, m, set, raw, 2, data, err, sizeof err) < 0, "two muxed signals of two multiplexer values");
	T_STR(err, "B is not in the frame when Mode is 1", "... said");
	set[0] = 0;
	raw[0] = 5;
	T(dbc_encode(d, m, set, raw, 1, data, err, sizeof err) == 0 && data[0] == 5 && data[1] == 0,
	  "a multiplexer value that picks nothing: the muxed bits left 0");
	dbc_free(d);

	/* GenSigStartValue in forms it does not take: skipped, as any
	 * attribute was before (can-read loads the file as it did) */
	{
		static const char odd[] =
			"BO_ 100 M: 1 E\n SG_ S : 0|8@1+ (1,0) [0|0] \"\" X\n"
			"BA_ \"GenSigStartValue\" SG_ 100 S \"5\";\n"
			"BA_ \"GenSigStartValue\" SG_ M S 5;\n"
			"BA_ \"GenSigStartValue\" BO_ 100 5;\n"
			"BA_DEF_DEF_ \"GenSigStartValue\" \"\";\n";
		d = dbc_parse(odd, sizeof odd - 1, "odd.dbc", err, sizeof err);
		T(d && !d->msg[0].sig[0].has_init && d->init_default == 0,
		  "GenSigStartValue as a string, with a message name, of a message: skipped, the file loads");
		if (!d)
			printf("#   %s\n", err);
		dbc_free(d);
	}
	UNIT_END();
}

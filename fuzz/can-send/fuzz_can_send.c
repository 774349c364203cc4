/* libFuzzer target: can-send's DBC message from "signal=value" arguments
 * (cmd/can-send/msg.c: cs_message, lib/dbc_encode.c's value syntax and
 * encoder) against a DBC with Intel and Motorola, signed, scaled, float,
 * value-table, multiplexed (simple and extended) and CAN FD signals.
 *
 * Input: lines; the first names the message, each other one is an argument.
 * Checked: a frame is made or refused with a reason, never both; a frame
 * made has the message's id and size, and every signal given holds in it
 * the raw value its text parses to (lib/dbc's decoder reads it back), its
 * multiplexers picking it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cansend.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_can_send: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static const char dbc_text[] =
	"VERSION \"\"\n"
	"BO_ 100 Plain: 8 E\n"
	" SG_ Speed : 0|16@1+ (0.125,0) [0|8031.875] \"rpm\" X\n"
	" SG_ Temp : 16|8@1- (1,-40) [-40|100] \"\" X\n"
	" SG_ Gear : 24|3@1+ (1,0) [0|0] \"\" X\n"
	" SG_ Be : 39|12@0- (0.5,10) [0|0] \"\" X\n"
	" SG_ W : 63|8@0+ (1,0) [0|255] \"\" X\n"
	"BO_ 2147483848 Float: 12 E\n"
	" SG_ F : 0|32@1- (1,0) [0|0] \"\" X\n"
	" SG_ D : 39|64@0- (2,1) [0|0] \"\" X\n"
	"BO_ 300 Mux: 8 E\n"
	" SG_ Mode M : 0|4@1+ (1,0) [0|15] \"\" X\n"
	" SG_ A m1 : 8|8@1+ (1,0) [0|255] \"\" X\n"
	" SG_ B m2 : 8|8@1- (1,0) [0|0] \"\" X\n"
	" SG_ Sub m3M : 16|4@1+ (1,0) [0|15] \"\" X\n"
	" SG_ Leaf m5 : 24|16@0+ (0.01,0) [0|655.35] \"\" X\n"
	"BO_ 400 Fd: 64 E\n"
	" SG_ First : 0|8@1+ (1,0) [0|255] \"\" X\n"
	" SG_ Wide : 300|64@1+ (1,0) [0|0] \"\" X\n"
	"SIG_VALTYPE_ 2147483848 F : 1;\n"
	"SIG_VALTYPE_ 2147483848 D : 2;\n"
	"SG_MUL_VAL_ 300 Sub Mode 3-3;\n"
	"SG_MUL_VAL_ 300 Leaf Sub 5-7;\n"
	"VAL_ 100 Gear 0 \"P\" 1 \"R\" 2 \"N\" 3 \"D\" ;\n"
	"BA_DEF_DEF_ \"GenSigStartValue\" 1;\n"
	"BA_ \"GenSigStartValue\" SG_ 100 W 200;\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dbc *d;
	char *text, *args[16], *p, *nl, err[512], why[300];
	const struct dbc_msg *m = NULL;
	const struct dbc_sig *s = NULL;
	struct canfd_frame f;
	uint64_t raw;
	int n = 0, fd, rc, i, j;

	if (!d) {
		d = dbc_parse(dbc_text, sizeof dbc_text - 1, "fuzz.dbc", err, sizeof err);
		CHECK(d, "the DBC: %s", err);
	}
	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	for (p = text; (nl = strchr(p, '\n')) && n < 16; p = nl + 1) {
		*nl = 0;
		args[n++] = nl + 1;
	}
	if (n && strchr(args[n - 1], '\n'))
		n--;                                   /* more than 16 lines: the rest is one argument */
	err[0] = 0;
	rc = cs_message(d, text, args, n, &f, &fd, err, sizeof err);
	CHECK(rc == 0 || (rc == -1 && err[0]), "refused without a reason");
	if (rc == 0) {
		for (i = 0; i < d->nmsg; i++)
			if (!strcmp(d->msg[i].name, text))
				m = &d->msg[i];
		CHECK(m && f.can_id == m->id && f.len == m->size && fd == (m->size > 8), "the frame of %s", text);
		for (i = 0; i < n; i++) {
			p = strchr(args[i], '=');
			CHECK(p, "an argument without '=' taken");
			for (j = 0; j < m->nsig; j++)
				if ((size_t)(p - args[i]) == strlen(m->sig[j].name) && !memcmp(m->sig[j].name, args[i], (size_t)(p - args[i])))
					s = &m->sig[j];
			CHECK(s, "an unknown signal taken");
			CHECK(dbc_value_parse(s, p + 1, &raw, why, sizeof why) == 0, "%s taken, but its value: %s", s->name, why);
			CHECK(dbc_raw(s, f.data) == raw, "%s: raw %llx sent as %llx", s->name, (unsigned long long)raw,
			      (unsigned long long)dbc_raw(s, f.data));
		}
	}
	free(text);
	return 0;
}

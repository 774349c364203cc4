/* Test helper: decodes CAN frames with lib/dbc.c alone, for the
 * cross-check against another decoder (tests/t-can-dbc-crosscheck.sh).
 *   tests/can-dbc-decode FILE.dbc < frames
 * A frame line is candump's "ID#HEX" (classic) or "ID##FHEX" (CAN FD, F the
 * flags nibble); anything before the last blank is ignored, so candump -L
 * lines work too.  An id of 8 hex digits is extended.  Prints one line per
 * decoded signal:
 *   LINE<TAB>MESSAGE.SIGNAL<TAB>VALUE<TAB>LABEL
 * VALUE in %.17g, LABEL empty when the raw value has none.  Exit 65 and the
 * parser's message when the DBC is bad; a malformed frame line, or a frame
 * of another length than its message's, is skipped with a message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"

struct out { long line; };

static void
print_sig(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double v, const char *label)
{
	printf("%ld\t%s.%s\t%.17g\t%s\n", ((struct out *)ctx)->line, m->name, s->name, v, label ? label : "");
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "123#1122" or "18FEF1FE##03344": 0 and the frame, or -1. */
static int
parse_frame(const char *f, uint32_t *id, uint8_t *data, unsigned *len)
{
	const char *p = f;
	unsigned n = 0;
	int hi, lo;

	*id = 0;
	for (; hexval(*p) >= 0; p++)
		*id = *id << 4 | (uint32_t)hexval(*p);
	if (p - f == 8)
		*id |= CAN_EFF_FLAG;
	else if (p - f != 3)
		return -1;
	if (*p++ != '#')
		return -1;
	if (*p == '#') {
		if (hexval(p[1]) < 0)
			return -1;
		p += 2;
	}
	while (*p && *p != '\n') {
		hi = hexval(p[0]);
		lo = hexval(p[1]);
		if (hi < 0 || lo < 0 || n == DBC_MAX_SIZE)
			return -1;
		data[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*len = n;
	return 0;
}

int
main(int argc, char **argv)
{
	char err[512], line[512], *f;
	struct dbc *d;
	struct out o = { 0 };
	const struct dbc_msg *m;
	uint8_t data[DBC_MAX_SIZE];
	unsigned len;
	uint32_t id;

	if (argc != 2) {
		fprintf(stderr, "usage: can-dbc-decode FILE.dbc < frames\n");
		return 64;
	}
	if (!(d = dbc_load(argv[1], err, sizeof err))) {
		fprintf(stderr, "can-dbc-decode: %s\n", err);
		return 65;
	}
	while (fgets(line, sizeof line, stdin)) {
		o.line++;
		f = strrchr(line, ' ');
		f = f ? f + 1 : line;
		if (parse_frame(f, &id, data, &len) < 0) {
			fprintf(stderr, "can-dbc-decode: line %ld: not a frame\n", o.line);
			continue;
		}
		if ((m = dbc_find(d, id)) && dbc_decode(m, data, len, print_sig, &o) < 0)
			fprintf(stderr, "can-dbc-decode: line %ld: %u bytes, message %s has %u: not decoded\n",
			        o.line, len, m->name, m->size);
	}
	dbc_free(d);
	return 0;
}

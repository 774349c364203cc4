/* lib/canframe.c: CAN frames in can-utils' notation.  The cases are the
 * examples of cansend's usage text (can-utils 2023.03, cansend.c), each
 * with the frame that notation stands for, the refusals its rules imply,
 * and the text canframe_format writes for each (sprint_canframe's: upper
 * case, no dots, R with its DLC, _X for a raw DLC). */
#include <stdlib.h>

#include "canframe.h"
#include "unit.h"

struct c {
	const char *text;           /* what is given */
	canid_t id;                 /* the frame: can_id with its flags */
	int len, fd, flags, dlc;    /* dlc: len8_dlc (0: none) */
	const char *data;           /* hex */
	const char *out;            /* as formatted */
};

static const struct c ok[] = {
	/* cansend's examples */
	{ "5A1#11.2233.44556677.88", 0x5A1, 8, 0, 0, 0, "1122334455667788", "5A1#1122334455667788" },
	{ "123#DEADBEEF", 0x123, 4, 0, 0, 0, "DEADBEEF", "123#DEADBEEF" },
	{ "5AA#", 0x5AA, 0, 0, 0, 0, "", "5AA#" },
	{ "123##1", 0x123, 0, 1, CANFD_FDF | CANFD_BRS, 0, "", "123##1" },
	{ "213##311223344", 0x213, 4, 1, CANFD_FDF | CANFD_BRS | CANFD_ESI, 0, "11223344", "213##311223344" },
	{ "1F334455#1122334455667788_B", 0x1F334455 | CAN_EFF_FLAG, 8, 0, 0, 0xB, "1122334455667788",
	  "1F334455#1122334455667788_B" },
	{ "123#R", 0x123 | CAN_RTR_FLAG, 0, 0, 0, 0, "", "123#R" },
	{ "00000123#R3", 0x123 | CAN_EFF_FLAG | CAN_RTR_FLAG, 3, 0, 0, 0, "", "00000123#R3" },
	{ "333#R8_E", 0x333 | CAN_RTR_FLAG, 8, 0, 0, 0xE, "", "333#R8_E" },
	/* lower case, an FD frame of 64 bytes, an error frame */
	{ "7ff#deadbeef", 0x7FF, 4, 0, 0, 0, "DEADBEEF", "7FF#DEADBEEF" },
	{ "18DAF110##0" "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
	  "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
	  0x18DAF110 | CAN_EFF_FLAG, 64, 1, CANFD_FDF, 0,
	  "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
	  "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
	  "18DAF110##0" "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
	  "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF" },
	{ "20000004#0004000000000000", CAN_ERR_FLAG | 4, 8, 0, 0, 0, "0004000000000000", "20000004#0004000000000000" },
};

static const char *const bad[] = {
	"12#00",                    /* 2 digits */
	"1234#00",                  /* 4 digits */
	"800#00",                   /* past 11 bits */
	"A0000000#", "60000004#",   /* error frames with other flags (EFF, RTR) */
	"123#112233445566778899",   /* 9 bytes classic */
	"123#1",                    /* half a byte */
	"123##",                    /* no flags nibble */
	"123##G00",
	"123#11223344_9",           /* a raw DLC after fewer than 8 bytes */
	"123#1122334455667788_8",   /* a raw DLC must be 9..F */
	"123#R8_",
	"20000004##100", "20000004#R",  /* an error frame is neither FD nor remote */
	"123#DEADBEEF ", "123#DEADBEEFX", "123",
};

static int
hex(const char *h, uint8_t *out)
{
	int n = 0;
	unsigned b;

	while (*h && sscanf(h, "%2x", &b) == 1)
		out[n++] = (uint8_t)b, h += 2;
	return n;
}

int
main(void)
{
	struct canfd_frame f;
	uint8_t want[CANFD_MAX_DLEN];
	char err[200], text[CANFRAME_TEXT_MAX];
	size_t i;
	int fd, n;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		const struct c *c = &ok[i];

		if (canframe_parse(c->text, &f, &fd, err, sizeof err) < 0) {
			T(0, "%s parses: %s", c->text, err);
			continue;
		}
		n = hex(c->data, want);
		T(f.can_id == c->id && f.len == c->len && fd == c->fd && (!fd || f.flags == c->flags) &&
		  (fd || f.__res1 == c->dlc) && !memcmp(f.data, want, (size_t)n),
		  "%s: id %08X len %d%s%s", c->text, f.can_id, f.len, fd ? " fd" : "", f.__res1 ? " raw dlc" : "");
		T_STR(canframe_format(&f, fd, text, sizeof text), c->out, c->text);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		*err = 0;
		T(canframe_parse(bad[i], &f, &fd, err, sizeof err) < 0 && *err, "'%s' refused: %s", bad[i], err);
	}
	UNIT_END();
}

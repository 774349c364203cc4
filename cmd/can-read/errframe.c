/* Error frames (linux/can/error.h) into words for events.  The class is in
 * the id, details in the data:
 *
 *   can_id 0x20000044 = CAN_ERR_FLAG | CAN_ERR_BUSOFF | CAN_ERR_CRTL
 *   data   00 20 00 00 00 00 80 00   data[1] 0x20: TX error passive; data[6] TX errors 128
 *
 * gives "controller: error-passive tx" and "bus-off".  One word per class
 * set, in the order of the header; the caller makes one event of each. */
#include <stdio.h>
#include <string.h>
#include <linux/can/error.h>

#include "can.h"

static const struct { uint8_t v; const char *s; } prot_loc[] = {
	{ CAN_ERR_PROT_LOC_SOF, "start-of-frame" }, { CAN_ERR_PROT_LOC_ID28_21, "id28-21" },
	{ CAN_ERR_PROT_LOC_ID20_18, "id20-18" }, { CAN_ERR_PROT_LOC_SRTR, "srtr" },
	{ CAN_ERR_PROT_LOC_IDE, "ide" }, { CAN_ERR_PROT_LOC_ID17_13, "id17-13" },
	{ CAN_ERR_PROT_LOC_ID12_05, "id12-05" }, { CAN_ERR_PROT_LOC_ID04_00, "id04-00" },
	{ CAN_ERR_PROT_LOC_RTR, "rtr" }, { CAN_ERR_PROT_LOC_RES1, "res1" },
	{ CAN_ERR_PROT_LOC_RES0, "res0" }, { CAN_ERR_PROT_LOC_DLC, "dlc" },
	{ CAN_ERR_PROT_LOC_DATA, "data" }, { CAN_ERR_PROT_LOC_CRC_SEQ, "crc-sequence" },
	{ CAN_ERR_PROT_LOC_CRC_DEL, "crc-delimiter" }, { CAN_ERR_PROT_LOC_ACK, "ack-slot" },
	{ CAN_ERR_PROT_LOC_ACK_DEL, "ack-delimiter" }, { CAN_ERR_PROT_LOC_EOF, "end-of-frame" },
	{ CAN_ERR_PROT_LOC_INTERM, "intermission" },
};

/* The names of the bits set in b, after head: "controller: rx-overflow tx-warning". */
static void
bits(char *buf, size_t n, const char *head, uint8_t b, const char *const names[8])
{
	size_t k = (size_t)snprintf(buf, n, "%s", head);
	int i, any = 0;

	for (i = 0; i < 8 && k < n; i++)
		if (b & (1u << i) && names[i]) {
			k += (size_t)snprintf(buf + k, n - k, "%s%s", any ? " " : ": ", names[i]);
			any = 1;
		}
}

static void
controller(char *buf, size_t n, uint8_t d)
{
	static const char *const names[8] = { "rx-overflow", "tx-overflow", "error-warning rx",
		"error-warning tx", "error-passive rx", "error-passive tx", "error-active", NULL };
	bits(buf, n, "controller", d, names);
}

static void
protocol(char *buf, size_t n, uint8_t type, uint8_t loc)
{
	static const char *const names[8] = { "bit", "form", "stuff", "bit0", "bit1", "overload",
		"active", "tx" };
	size_t i, k;

	bits(buf, n, "protocol-violation", type, names);
	for (i = 0; i < sizeof prot_loc / sizeof prot_loc[0]; i++)
		if (prot_loc[i].v == loc) {
			k = strlen(buf);
			snprintf(buf + k, n - k, " at %s", prot_loc[i].s);
		}
}

static void
transceiver(char *buf, size_t n, uint8_t d)
{
	static const char *const h[] = { NULL, NULL, NULL, NULL, "canh-no-wire", "canh-short-to-bat",
		"canh-short-to-vcc", "canh-short-to-gnd" };
	static const char *const l[] = { NULL, NULL, NULL, NULL, "canl-no-wire", "canl-short-to-bat",
		"canl-short-to-vcc", "canl-short-to-gnd", "canl-short-to-canh" };
	const char *a = h[d & 7], *b = (d >> 4) < 9 ? l[d >> 4] : NULL;

	snprintf(buf, n, "transceiver%s%s%s%s", a || b ? ":" : "", a ? " " : "", a ? a : "",
	         b ? " " : "");
	if (b)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s", b);
}

int
errframe_words(const struct canfd_frame *f, errword_fn *fn, void *ctx)
{
	canid_t c = f->can_id & CAN_ERR_MASK;
	uint8_t d[CAN_ERR_DLC] = { 0 };
	char buf[160];
	int n = 0;

	memcpy(d, f->data, f->len < CAN_ERR_DLC ? f->len : CAN_ERR_DLC);
	if (c & CAN_ERR_TX_TIMEOUT)
		fn(ctx, "tx-timeout"), n++;
	if (c & CAN_ERR_LOSTARB) {
		if (d[0])
			snprintf(buf, sizeof buf, "lost-arbitration: bit %u", d[0]);
		else
			snprintf(buf, sizeof buf, "lost-arbitration");
		fn(ctx, buf), n++;
	}
	if (c & CAN_ERR_CRTL)
		controller(buf, sizeof buf, d[1]), fn(ctx, buf), n++;
	if (c & CAN_ERR_PROT)
		protocol(buf, sizeof buf, d[2], d[3]), fn(ctx, buf), n++;
	if (c & CAN_ERR_TRX)
		transceiver(buf, sizeof buf, d[4]), fn(ctx, buf), n++;
	if (c & CAN_ERR_ACK)
		fn(ctx, "no-ack"), n++;
	if (c & CAN_ERR_BUSOFF)
		fn(ctx, "bus-off"), n++;
	if (c & CAN_ERR_BUSERROR)
		fn(ctx, "bus-error"), n++;
	if (c & CAN_ERR_RESTARTED)
		fn(ctx, "restarted"), n++;
	if (!n && !(c & CAN_ERR_CNT))
		fn(ctx, "unspecified"), n++;
	return n;
}

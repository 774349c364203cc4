/* libFuzzer target: CAN frames in can-utils' notation, cansend's arguments
 * (lib/canframe.c).
 *
 * Input: lines split at '\n', each parsed alone as one whole frame.
 * Checked: a line gives a frame or one reason, never both; a frame is
 * within the kernel's limits (classic at most 8 bytes and len8_dlc only
 * 9..15 after 8 bytes, FD at most 64 bytes with FDF set; the id within its
 * 11 or 29 bits; error frames without other flags, never FD or remote);
 * and formatting it gives text that parses back into the same frame, and
 * formats again into the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canframe.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_canframe: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static void
one(const char *line)
{
	struct canfd_frame f, g;
	char err[200], text[CANFRAME_TEXT_MAX], again[CANFRAME_TEXT_MAX];
	int fd, fd2;
	canid_t id;

	*err = 0;
	if (canframe_parse(line, &f, &fd, err, sizeof err) < 0) {
		CHECK(*err && strlen(err) < sizeof err, "refused without a reason");
		return;
	}
	id = f.can_id;
	CHECK(f.len <= (fd ? CANFD_MAX_DLEN : CAN_MAX_DLEN), "len %u", f.len);
	CHECK(!fd || (f.flags & CANFD_FDF), "FD without FDF");
	CHECK(fd || !f.__res1 || (f.len == CAN_MAX_DLEN && f.__res1 >= 9 && f.__res1 <= 15), "len8_dlc %u", f.__res1);
	if (id & CAN_ERR_FLAG)
		CHECK(!(id & (CAN_EFF_FLAG | CAN_RTR_FLAG)) && !fd, "error frame with flags");
	else if (id & CAN_EFF_FLAG)
		CHECK((id & ~(CAN_EFF_FLAG | CAN_RTR_FLAG)) <= CAN_EFF_MASK, "29-bit id out of range");
	else
		CHECK((id & ~CAN_RTR_FLAG) <= CAN_SFF_MASK, "11-bit id out of range");
	canframe_format(&f, fd, text, sizeof text);
	CHECK(strlen(text) < sizeof text - 1, "format filled its buffer");
	CHECK(canframe_parse(text, &g, &fd2, err, sizeof err) == 0, "'%s' (from '%s') does not parse: %s", text, line, err);
	CHECK(fd2 == fd && g.can_id == f.can_id && g.len == f.len && g.flags == f.flags &&
	      g.__res1 == f.__res1 && (f.can_id & CAN_RTR_FLAG || !memcmp(g.data, f.data, f.len)),
	      "'%s' reads back another frame than '%s'", text, line);
	CHECK(!strcmp(canframe_format(&g, fd2, again, sizeof again), text), "'%s' formats as '%s'", text, again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512];
	size_t i = 0, n;
	const uint8_t *nl;

	while (i < size) {
		nl = memchr(data + i, '\n', size - i);
		n = (nl ? (size_t)(nl - data) : size) - i;
		if (n < sizeof line && !memchr(data + i, 0, n)) {
			memcpy(line, data + i, n);
			line[n] = 0;
			one(line);
		}
		i += n + 1;
	}
	return 0;
}

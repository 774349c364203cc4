/* libFuzzer target: can-read's candump log line parser (cmd/can-read/log.c).
 *
 * Input: lines split at '\n', each parsed alone.  Checked: a line gives a
 * frame or one reason, never both; a frame is within the kernel's limits
 * (classic at most 8 bytes, FD at most 64; the id within its 11 or 29
 * bits; no EFF flag on an error frame); the interface name points into
 * the line and fits IFNAMSIZ. */
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "can.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_canlog: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static void
one(const char *line, size_t len)
{
	struct logline l;
	char err[200];
	canid_t id;

	memset(&l, 0xA5, sizeof l);
	*err = '\0';
	if (log_parse(line, len, &l, err, sizeof err) < 0) {
		CHECK(*err && strlen(err) < sizeof err, "refused without a reason");
		return;
	}
	id = l.f.can_id;
	CHECK(l.f.len <= (l.fd ? CANFD_MAX_DLEN : CAN_MAX_DLEN), "len %u", l.f.len);
	CHECK(l.iface >= line && l.iface + l.ifacelen <= line + len && l.ifacelen > 0 &&
	      l.ifacelen < IFNAMSIZ, "interface outside the line");
	if (id & CAN_ERR_FLAG)
		CHECK(!(id & (CAN_EFF_FLAG | CAN_RTR_FLAG)) && !l.fd, "error frame with flags");
	else if (id & CAN_EFF_FLAG)
		CHECK((id & ~(CAN_EFF_FLAG | CAN_RTR_FLAG)) <= CAN_EFF_MASK, "29-bit id out of range");
	else
		CHECK((id & ~CAN_RTR_FLAG) <= CAN_SFF_MASK, "11-bit id out of range");
	CHECK(l.ts_us >= -1, "negative timestamp");      /* -1: none in the line */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *nl;
	char *copy;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		/* a copy of exactly the line: reads past it are caught */
		copy = malloc((size_t)(nl - s) + 1);
		memcpy(copy, s, (size_t)(nl - s));
		one(copy, (size_t)(nl - s));
		free(copy);
		s = nl + 1;
	}
	return 0;
}

/* libFuzzer target: the input is a modbus-read map (modbus-read.conf(5)).
 * mb_conf_parse must never crash or leak, whatever the text; it either fails
 * with a message "FILE:LINE: ..." naming a line of the input, or gives a
 * map whose every point is sound (its device exists, its value ends by
 * address 65535, coils and discrete inputs are bool, without an order).  The plan of a good
 * map must then hold every point exactly once, inside a request of its own
 * device, unit, function and interval, within the protocol's limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modbus.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_modbus_conf: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mb_conf c = { 0 };
	struct mb_plan p;
	char err[512];
	const struct mb_point *pt;
	const struct mb_req *r;
	int i, j, k, *seen, line, lines = 1, end;

	for (i = 0; i < (int)size; i++)
		lines += data[i] == '\n';
	if (mb_conf_parse(&c, "f", (const char *)data, size, err, sizeof err) < 0) {
		CHECK(sscanf(err, "f:%d: ", &line) == 1 && line >= 1 && line <= lines + 1,
		      "error without a line: %s", err);
		CHECK(strlen(err) > 6, "empty reason: %s", err);
		mb_conf_free(&c);
		return 0;
	}
	CHECK(c.npt > 0 && c.ndev > 0, "a map without points");
	for (i = 0; i < c.npt; i++) {
		pt = &c.pt[i];
		CHECK(pt->dev >= 0 && pt->dev < c.ndev, "point %d: device %d", i, pt->dev);
		CHECK(pt->addr >= 0 && pt->addr + mb_type_regs(pt->type, pt->arg) <= 65536, "point %d: range", i);
		CHECK(!mb_func_bits(pt->func) || pt->type == MB_BOOL, "point %d: a bit function not bool", i);
		CHECK(!mb_func_bits(pt->func) || pt->order == MB_ABCD, "point %d: an order on a bit", i);
		CHECK(pt->metric && *pt->metric && pt->unit_id >= 0 && pt->unit_id <= 255, "point %d", i);
	}
	for (i = 0; i < c.ndev; i++)
		CHECK(!c.dev[i].host != !c.dev[i].tty, "device %d: neither or both transports", i);
	plan_make(&p, &c);
	seen = calloc(c.npt, sizeof *seen);
	for (i = 0; i < p.nreq; i++) {
		r = &p.req[i];
		CHECK(r->count >= 1 && r->count <= (mb_func_bits(r->func) ? MB_MAX_BITS : MB_MAX_REGS),
		      "request %d: count %d", i, r->count);
		CHECK(r->npt >= 1, "request %d: empty", i);
		for (j = 0; j < r->npt; j++) {
			k = r->pt[j];
			pt = &c.pt[k];
			seen[k]++;
			end = pt->addr + mb_type_regs(pt->type, pt->arg);
			CHECK(pt->dev == r->dev && pt->unit_id == r->unit_id && pt->func == r->func &&
			      pt->interval_ms == r->interval_ms, "point %d in a foreign request", k);
			CHECK(pt->addr >= r->addr && end <= r->addr + r->count, "point %d outside its request", k);
		}
	}
	for (i = 0; i < c.npt; i++)
		CHECK(seen[i] == 1, "point %d planned %d times", i, seen[i]);
	free(seen);
	plan_free(&p);
	mb_conf_free(&c);
	return 0;
}

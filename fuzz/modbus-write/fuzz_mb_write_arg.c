/* libFuzzer target: an argument of modbus-write's command line
 * (cmd/modbus-write/target.c): "NAME=VALUE" against a map, or
 * "FUNCTION:ADDRESS:TYPE[:ORDER]:NAME=VALUE" with -H (the one-line point of
 * lib/mbmap.c and the value of lib/mbvalue.c).
 *
 * Input: byte 0 even, a map's point by name; odd, a one-line point; the rest
 * is the argument.  Checked: taken, or refused with a sysexits status and a
 * reason; a value taken is one of a coil or holding point, and its
 * registers decode to a value that encodes to them again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "mbwrite.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_mb_write_arg: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static const char map[] =
	"[device a]\ntcp = 127.0.0.1:502\n"
	"holding:0:float32:CDAB:sp scale=0.1 offset=-5\n"
	"holding:2:int16:mode\n"
	"holding:3:bit4:flag\n"
	"holding:4:string6:label\n"
	"holding:8:uint64:DCBA:count scale=2\n"
	"coil:1:bool:pump\n"
	"input:0:uint16:temp\n"
	"[device b]\ntcp = 127.0.0.1:503\n"
	"holding:0:int32:BADC:mode\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mb_conf c = { 0 };
	struct target t;
	struct mb_value v;
	uint16_t again[MB_MAX_REGS];
	char *arg, err[512];
	const struct mb_point *p;
	int rc, n;

	if (size < 1 || size > 4096)
		return 0;
	if (data[0] & 1)
		CHECK(mb_conf_add_device(&c, "127.0.0.1:502", err, sizeof err) == 0, "the device: %s", err);
	else
		CHECK(mb_conf_parse(&c, "fuzz.map", map, sizeof map - 1, err, sizeof err) == 0, "the map: %s", err);
	arg = malloc(size);
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = 0;
	err[0] = 0;
	rc = target_parse(&c, arg, !(data[0] & 1), data[0] >> 1 & 1 ? 7 : -1, data[0] & 4 ? "b" : NULL, &t, err,
	                  sizeof err);
	CHECK(rc == 0 || ((rc == EX_USAGE || rc == EX_DATAERR) && err[0]), "status %d, '%s'", rc, err);
	if (rc == 0) {
		CHECK(t.pt >= 0 && t.pt < c.npt, "a point out of the map");
		p = &c.pt[t.pt];
		CHECK(p->func == MB_HOLDING || p->func == MB_COIL, "a point that cannot be written taken");
		if (p->type != MB_BIT) {
			n = mb_type_regs(p->type, p->arg);
			CHECK(mb_decode(t.regs, (size_t)n, p->type, p->arg, p->order, &v) == 0, "its registers do not decode");
			CHECK(mb_encode(&v, p->type, p->arg, p->order, again) == 0 && !memcmp(again, t.regs, (size_t)n * 2),
			      "its registers do not encode again");
		}
	}
	free(arg);
	mb_conf_free(&c);
	return 0;
}

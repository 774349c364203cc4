/* modbus-write: points of a Modbus register map, or of the command line,
 * written to their devices, encoded as modbus-read decodes them.
 *
 *   main.c   options
 *   target.c the points and values the command line names
 *   write.c  the writes: a device locked (RTU) and opened, each value in
 *            its request, read back on request (--verify) */
#ifndef MODBUS_WRITE_H
#define MODBUS_WRITE_H
#include <stdint.h>

#include "loop.h"
#include "mbmap.h"

/* A value to write into a point. */
struct target {
	int pt;                     /* the point: index in the map's points */
	const char *text;           /* the value as given */
	struct mb_value raw;        /* ... as the raw value mb_encode writes */
	uint16_t regs[MB_MAX_REGS]; /* ... encoded (bitN: once its register is read) */
};

/* One argument of the command line ("setpoint=21.5" with a map, from_map;
 * "holding:100:float32:CDAB:setpoint=21.5" with -H, the point added to c
 * with unit id unit): its point found, its value checked and encoded into
 * *t (text points into arg).  0, or the exit status (sysexits) with why in
 * err. */
int target_parse(struct mb_conf *c, const char *arg, int from_map, int unit, const char *device, struct target *t,
                 char *err, size_t errlen);

struct wopts {
	int verify;                 /* read each value back */
	int dry_run;                /* print the requests, send nothing */
	int lock_wait_ms;           /* how long to wait for a serial line's lock */
	struct plx_loop *l;         /* its signals: a stop between two writes */
};

/* Writes the n targets in order, a device after another; stops at the
 * first that fails, saying which were not written.  The exit status. */
int write_all(const struct mb_conf *c, struct target *t, int n, const struct wopts *o);

#endif

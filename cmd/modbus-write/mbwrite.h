/* modbus-write: points of a Modbus register map, or of the command line,
 * written to their devices, encoded as modbus-read decodes them.
 *
 *   main.c   options, and the points and values the command line names
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

/* A Modbus device's connection through libmodbus (mbdev.c): modbus-read's
 * and modbus-write's. */
#ifndef PLX_MBDEV_H
#define PLX_MBDEV_H
#include <modbus.h>
#include <stddef.h>

#include "mbmap.h"

struct mb_dev {
	modbus_t *ctx;              /* NULL while closed */
	int lockfd;                 /* flock on the serial line, -1 if none */
};

/* Opens (and for RTU locks) the device: 0, or -1 with why in err, for
 * people ("connect to 10.0.0.5:502: no TCP connection within 500ms"; the
 * caller only backs off, whatever the cause).  The wait for a serial
 * line's lock ends early when stop (if given) says so. */
int mb_dev_open(struct mb_dev *v, const struct mb_device *d, int lock_wait_ms, int (*stop)(void *), void *arg,
                char *err, size_t errlen);
void mb_dev_close(struct mb_dev *v);
/* Reads count registers or bits (one per element, 0 or 1) of unit_id at
 * addr: count, or -1 with errno (libmodbus: EMBX* exceptions, ETIMEDOUT...). */
int mb_dev_read(struct mb_dev *v, enum mb_func f, int unit_id, int addr, int count, uint16_t *out);

/* The Modbus exception code (1-11) of an errno from libmodbus, else 0
 * (not an exception answer; libmodbus's EMBBADEXC, a malformed exception
 * or a code past 11, is a garbled answer). */
int mb_exception(int err);
/* What a request's errno means, for people: "exception 2 (illegal data
 * address)" (the Modbus specification's names), "no response within
 * 500ms" (the response timeout, not a TCP connection's), else libmodbus's
 * text.  buf. */
const char *mb_failure(int err, int timeout_ms, char *buf, size_t len);

#endif

/* A Modbus device's connection through libmodbus (mbdev.c): modbus-read's
 * and modbus-write's. */
#ifndef PLX_MBDEV_H
#define PLX_MBDEV_H
#include <modbus.h>
#include <stddef.h>

#include "mbmap.h"

struct mb_dev {
	modbus_t *ctx;              /* the port or connection, NULL while closed */
	int lockfd;                 /* the serial line's lock file, -1 if not open */
	int locked;                 /* ... and its flock held */
};

void mb_dev_init(struct mb_dev *v);
/* RTU: takes the serial line's lock, waiting up to wait_ms, or less when
 * stop (if given) says so; the port, if open, is flushed.  0, or -1 with
 * errno EWOULDBLOCK (another process held the line all along), ECANCELED
 * (stopped), else the lock file's error, and why in err, for people.  TCP:
 * nothing to lock, 0. */
int mb_dev_lock(struct mb_dev *v, const struct mb_device *d, int wait_ms, int (*stop)(void *), void *arg,
                char *err, size_t errlen);
void mb_dev_unlock(struct mb_dev *v);
/* Opens the device (RTU: with its line locked): 0, or -1 with errno and
 * why in err ("connect to 10.0.0.5:502: no TCP connection within 500ms"). */
int mb_dev_open(struct mb_dev *v, const struct mb_device *d, char *err, size_t errlen);
void mb_dev_close(struct mb_dev *v);
/* Closes it, and the lock file (the lock let go). */
void mb_dev_free(struct mb_dev *v);
/* Reads count registers or bits (one per element, 0 or 1) of unit_id at
 * addr: count, or -1 with errno (libmodbus: EMBX* exceptions, ETIMEDOUT...). */
int mb_dev_read(struct mb_dev *v, enum mb_func f, int unit_id, int addr, int count, uint16_t *out);
/* Writes count holding registers (f MB_HOLDING) or coils (MB_COIL: one per
 * element, 0 or not) at addr, with the single (6, 5: count 1) or the
 * multiple (16, 15) function: count, or -1 with errno as mb_dev_read. */
int mb_dev_write(struct mb_dev *v, enum mb_func f, int unit_id, int addr, int count, const uint16_t *in,
                 int multiple);

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

/* modbus-read: a device's connection (dev.c). */
#ifndef MODBUS_READ_DEV_H
#define MODBUS_READ_DEV_H
#include <modbus.h>
#include <stddef.h>

#include "modbus.h"

struct dev {
	modbus_t *ctx;              /* NULL while closed */
	int lockfd;                 /* flock on the serial line, -1 if none */
};

/* Opens (and for RTU locks) the device: 0, or -1 with why in err, for
 * people ("connect to 10.0.0.5:502: no TCP connection within 500ms"; the
 * caller only backs off, whatever the cause).  The wait for a serial
 * line's lock ends early when stop (if given) says so. */
int dev_open(struct dev *v, const struct mb_device *d, int lock_wait_ms, int (*stop)(void *), void *arg,
             char *err, size_t errlen);
void dev_close(struct dev *v);
/* Reads count registers or bits (one per element, 0 or 1) of unit_id at
 * addr: count, or -1 with errno (libmodbus: EMBX* exceptions, ETIMEDOUT...). */
int dev_read(struct dev *v, enum mb_func f, int unit_id, int addr, int count, uint16_t *out);

#endif

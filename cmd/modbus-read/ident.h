/* modbus-read: who each unit is and whether it answers (ident.c). */
#ifndef MODBUS_READ_IDENT_H
#define MODBUS_READ_IDENT_H
#include "devices.h"
#include "live.h"
#include "modbus.h"

struct ident {
	struct plx_devices devs;    /* the devices file as last read */
	struct plx_live live;       /* per unit: answering, the age of its last data */
};

void ident_init(struct ident *id);
void ident_free(struct ident *id);
/* The devices file again (SIGHUP): 0, or -1 (said) and the one before kept. */
int ident_reload(struct ident *id);
/* The device the file says unit unit_id of d is, or NULL; said when found. */
const struct plx_device *ident_find(const struct ident *id, const struct mb_device *d, int unit_id);
/* Its liveness index, under the device's name, else "DEVICE/UNIT" (the
 * map's name): prev's (-1: none) renamed, with its state.  expect_ms: how
 * often it is polled, when the file does not say. */
int ident_live(struct ident *id, int prev, const struct plx_device *named, const struct mb_device *d,
               int unit_id, int64_t expect_ms);

#endif

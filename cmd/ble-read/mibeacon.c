/* ble-read: Xiaomi MiBeacon, service data under UUID 0xFE95, unencrypted.
 *
 *   off  field
 *   0    frame control uint16 LE: bit 3 encrypted, 4 MAC included,
 *        5 capability included, 6 object included, 7 mesh, 12-15 version
 *   2    product id uint16 LE
 *   4    frame counter uint8
 *   5    MAC (6, reversed)                      if bit 4
 *   ..   capability uint8 (+ I/O uint8 when capability bit 5)   if bit 5
 *   ..   objects: id uint16 LE, length uint8, value            if bit 6
 *
 *   5030 5b05 03 4c94b438c1a4 0d10 04 1001 ea01   (LYWSD03MMC, from
 *   ble_monitor's test_xiaomi_parser.py) -> object 0x100d: 27.2 °C, 49.0 %
 *
 * Objects read (ids from Xiaomi's MiBeacon object definitions, as
 * ble_monitor's xiaomi.py decodes them): 0x1004 temperature, 0x1006
 * humidity, 0x100d both, 0x100a battery, 0x1007 illuminance, 0x1008
 * moisture, 0x1009 conductivity, 0x1010 formaldehyde, and a few states and
 * newer float forms in the table.  Other objects are skipped with a note.
 * Encrypted beacons (bit 3) need a per-device key from Xiaomi's cloud: they
 * are reported, not read. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

enum kind { NUM = 1, SNUM, FLOAT, TH, OPENING };

static const struct mobj {
	uint16_t id;
	uint8_t len, kind;
	uint32_t div;
	const char *name, *unit;
} mobjs[] = {
	{ 0x1004, 2, SNUM, 10, "temperature", "°C" },
	{ 0x1006, 2, NUM, 10, "humidity", "%" },
	{ 0x1007, 3, NUM, 1, "illuminance", "lx" },
	{ 0x1008, 1, NUM, 1, "moisture", "%" },
	{ 0x1009, 2, NUM, 1, "conductivity", "µS/cm" },
	{ 0x100a, 1, NUM, 1, "battery", "%" },
	{ 0x100d, 4, TH, 10, "temperature", "°C" },
	{ 0x1010, 2, NUM, 100, "formaldehyde", "mg/m³" },
	{ 0x1012, 1, NUM, 1, "switch", "" },
	{ 0x1013, 1, NUM, 1, "consumable", "%" },
	{ 0x1014, 1, NUM, 1, "moisture_detected", "" },
	{ 0x1015, 1, NUM, 1, "smoke", "" },
	{ 0x1017, 4, NUM, 1, "no_motion_time", "s" },
	{ 0x1018, 1, NUM, 1, "light", "" },
	{ 0x1019, 1, OPENING, 1, "opening", "" },
	{ 0x4801, 4, FLOAT, 1, "temperature", "°C" },
	{ 0x4802, 1, NUM, 1, "humidity", "%" },
	{ 0x4803, 1, NUM, 1, "battery", "%" },
	{ 0x4805, 4, FLOAT, 1, "illuminance", "lx" },
	{ 0x4808, 4, FLOAT, 1, "humidity", "%" },
	{ 0x4c01, 4, FLOAT, 1, "temperature", "°C" },
	{ 0x4c02, 1, NUM, 1, "humidity", "%" },
	{ 0x4c03, 1, NUM, 1, "battery", "%" },
	{ 0x4c08, 4, FLOAT, 1, "humidity", "%" },
};

static const struct mobj *
find(unsigned id)
{
	size_t i;

	for (i = 0; i < sizeof mobjs / sizeof mobjs[0]; i++)
		if (mobjs[i].id == id)
			return &mobjs[i];
	return NULL;
}

static void
reading(struct ble_sink *s, const struct mobj *o, const uint8_t *v)
{
	uint32_t raw = ble_le(v, o->len == 3 ? 3 : o->len > 4 ? 4 : o->len);
	float f;

	switch (o->kind) {
	case NUM:
		ble_put(s, o->name, (double)raw / o->div, o->unit);
		break;
	case SNUM:
		ble_put(s, o->name, (double)ble_sext(raw, o->len) / o->div, o->unit);
		break;
	case FLOAT:
		memcpy(&f, &raw, sizeof f);
		if (isfinite(f))
			ble_put(s, o->name, f, o->unit);
		break;
	case TH:
		ble_put(s, "temperature", (double)ble_sext(ble_le(v, 2), 2) / 10, "°C");
		ble_put(s, "humidity", (double)ble_le(v + 2, 2) / 10, "%");
		break;
	case OPENING:   /* 0 opened, 1 closed, 2 not closed in time, 3 reset */
		if (v[0] <= 3)
			ble_put(s, o->name, v[0] != 1, "");
		break;
	}
}

static int
objects(const uint8_t *p, size_t n, size_t i, struct ble_sink *s, char *err, size_t errlen)
{
	const struct mobj *o;
	unsigned id;
	size_t len;
	int rc = BLE_OK;

	if (i >= n) {
		snprintf(err, errlen, "object flag set but no object");
		return BLE_ERR;
	}
	while (i < n) {
		if (n - i < 3) {
			snprintf(err, errlen, "object header at byte %zu truncated (%zu bytes left)", i, n - i);
			return BLE_ERR;
		}
		id = ble_le(p + i, 2);
		len = p[i + 2];
		if (len > n - i - 3) {
			snprintf(err, errlen, "object 0x%04x at byte %zu: truncated, needs %zu bytes, %zu left",
			         id, i, len, n - i - 3);
			return BLE_ERR;
		}
		if ((o = find(id)) && len != o->len) {
			snprintf(err, errlen, "object 0x%04x (%s) at byte %zu: %zu bytes, want %u",
			         id, o->name, i, len, o->len);
			return BLE_ERR;
		}
		if (o)
			reading(s, o, p + i + 3);
		else if (rc == BLE_OK) {
			snprintf(err, errlen, "object 0x%04x (%zu bytes) at byte %zu not read", id, len, i);
			rc = BLE_WARN;
		}
		i += 3 + len;
	}
	return rc;
}

int
mibeacon_decode(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
                char *err, size_t errlen)
{
	unsigned fc;
	size_t i = 5;

	if (n < 5) {
		snprintf(err, errlen, "%zu bytes: shorter than a frame header (5)", n);
		return BLE_ERR;
	}
	fc = ble_le(p, 2);
	if (fc >> 12 < 2 || fc & 0x80) {
		snprintf(err, errlen, "frame control 0x%04x: %s not read", fc,
		         fc & 0x80 ? "mesh beacons are" : "MiBeacon versions before 2 are");
		return BLE_ERR;
	}
	if (fc & 0x08) {
		snprintf(err, errlen, "encrypted (frame control 0x%04x), not supported: "
		         "the device needs its Xiaomi bindkey, or a custom firmware", fc);
		return BLE_ERR;
	}
	if (fc & 0x10)
		i += 6;
	if (fc & 0x20) {
		if (i < n && p[i] & 0x20)
			i++;
		i++;
	}
	if (i > n) {
		snprintf(err, errlen, "%zu bytes: the frame control 0x%04x announces %zu", n, fc, i);
		return BLE_ERR;
	}
	if (!(fc & 0x40))
		return BLE_OK;          /* a beacon without data: nothing to read */
	return objects(p, n, i, s, err, errlen);
}

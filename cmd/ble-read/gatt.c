/* ble-read: GATT characteristic values of the Environmental Sensing service
 * (0x181A) and the Battery service, little endian, scaled as the Bluetooth
 * SIG's GATT Specification Supplement says:
 *
 *   char   name         type    scale       unit (org.bluetooth.unit)   unknown
 *   2A6E   temperature  sint16  x 0.01      °C (thermodynamic_temp.       0x8000
 *                                           degree_celsius)
 *   2A6F   humidity     uint16  x 0.01      % (percentage)                0xffff
 *   2A6D   pressure     uint32  x 0.1       Pa (pressure.pascal), given   -
 *                                           here in hPa as BTHome gives it
 *   2A19   battery      uint8   x 1         % (percentage, 0..100)        -
 *
 *   2A6E = 2c 09  ->  temperature 23.48 °C */
#include <stdio.h>
#include <string.h>

#include "format.h"

static const struct gatt_char {
	uint16_t uuid;
	size_t len;
	int is_signed;
	uint32_t div;
	uint32_t unknown;           /* "value is not known", 0: none */
	uint32_t max;               /* largest valid raw value, 0: any */
	const char *name, *unit;
} chars[] = {
	{ 0x2a6e, 2, 1, 100, 0x8000, 0, "temperature", "°C" },
	{ 0x2a6f, 2, 0, 100, 0xffff, 10000, "humidity", "%" },
	{ 0x2a6d, 4, 0, 1000, 0, 0, "pressure", "hPa" },     /* 0.1 Pa = 0.001 hPa */
	{ 0x2a19, 1, 0, 1, 0, 100, "battery", "%" },
};

int
ble_decode_gatt(const char *char_uuid, const uint8_t *v, size_t len,
                struct ble_reading *out, int max, char *err, size_t errlen)
{
	struct ble_sink s = { .r = out, .max = max > 0 ? max : 0, .format = "gatt" };
	const struct gatt_char *g;
	long u = ble_uuid16(char_uuid);
	uint32_t raw;

	if (errlen)
		err[0] = 0;
	for (g = chars; g < chars + sizeof chars / sizeof chars[0] && g->uuid != u; g++)
		;
	if (g == chars + sizeof chars / sizeof chars[0]) {
		snprintf(err, errlen, "gatt %s: not a characteristic read here", char_uuid ? char_uuid : "(null)");
		return -1;
	}
	if (len != g->len) {
		snprintf(err, errlen, "gatt %04lx (%s): %zu bytes, want %zu", u, g->name, len, g->len);
		return -1;
	}
	raw = ble_le(v, (int)len);
	if (g->unknown && raw == g->unknown) {
		snprintf(err, errlen, "gatt %04lx (%s): the sensor says \"value is not known\"", u, g->name);
		return -1;
	}
	if (g->max && raw > g->max) {
		snprintf(err, errlen, "gatt %04lx (%s): %u is out of range (at most %u)", u, g->name,
		         (unsigned)raw, (unsigned)g->max);
		return -1;
	}
	if (max < 1) {
		snprintf(err, errlen, "gatt %04lx: no room for the reading", u);
		return -1;
	}
	ble_put(&s, g->name, (g->is_signed ? (double)ble_sext(raw, (int)len) : (double)raw) / g->div, g->unit);
	return 1;
}

/* ble-read: the custom firmwares of Xiaomi LYWSD03MMC-style thermometers,
 * service data under UUID 0x181A, told apart by length.
 *
 * atc1441 (https://github.com/atc1441/ATC_MiThermometer, "Advertising
 * format of the custom firmware"), 13 bytes, big endian:
 *   MAC (6, in order) | temperature int16 x 0.1 °C | humidity uint8 % |
 *   battery uint8 % | battery uint16 mV | frame counter uint8
 *   a4c1380283f4 00a2 2f 5f 0bf8 19  ->  16.2 °C, 47 %, 95 %, 3064 mV, 25
 *
 * pvvx custom (https://github.com/pvvx/ATC_MiThermometer, "Custom format
 * (all data little-endian)"), 15 bytes, little endian:
 *   MAC (6, reversed) | temperature int16 x 0.01 °C | humidity uint16 x
 *   0.01 % | battery uint16 mV | battery uint8 % | counter uint8 | flags uint8
 *   f4830238c1a4 a906 6911 b60b 58 f7 0d  ->  17.05 °C, 44.57 %, 2998 mV, 88 %
 *
 * Other lengths under 0x181A (pvvx's encrypted variants among them) are
 * reported, not guessed at. */
#include <stdio.h>

#include "format.h"

int
atc1441_decode(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
               char *err, size_t errlen)
{
	ble_put(s, "temperature", (double)(int16_t)ble_be16(p + 6) / 10, "°C");
	ble_put(s, "humidity", p[8], "%");
	ble_put(s, "battery", p[9], "%");
	ble_put(s, "battery_voltage", (double)ble_be16(p + 10) / 1000, "V");
	ble_put(s, "counter", p[12], "");
	return BLE_OK;
}

int
pvvx_decode(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
            char *err, size_t errlen)
{
	ble_put(s, "temperature", (double)ble_sext(ble_le(p + 6, 2), 2) / 100, "°C");
	ble_put(s, "humidity", (double)ble_le(p + 8, 2) / 100, "%");
	ble_put(s, "battery_voltage", (double)ble_le(p + 10, 2) / 1000, "V");
	ble_put(s, "battery", p[12], "%");
	ble_put(s, "counter", p[13], "");
	ble_put(s, "flags", p[14], "");
	return BLE_OK;
}

int
thermo181a_badlen(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
                  char *err, size_t errlen)
{
	snprintf(err, errlen, "%zu bytes: neither atc1441 (13) nor pvvx custom (15); "
	         "encrypted pvvx formats are not read", n);
	return BLE_ERR;
}

/* ble-read: Ruuvi RAWv2, data format 5, manufacturer data of company 0x0499
 * (https://github.com/ruuvi/ruuvi-sensor-protocols, dataformat_05.md).
 * 24 bytes, big endian:
 *
 *   off  field                      scale               not available
 *   0    format = 5
 *   1    temperature int16          x 0.005 °C          0x8000
 *   3    humidity uint16            x 0.0025 %          0xffff
 *   5    pressure uint16            + 50000 Pa (here: hPa) 0xffff
 *   7    acceleration x, y, z int16 mG (here: G)        0x8000
 *   13   power uint16: 11 bits battery mV above 1600    2047
 *                       5 bits tx power, 2 dBm above -40 31
 *   15   movement counter uint8                         255
 *   16   measurement sequence uint16                    65535
 *   18   MAC (6)
 *
 *   05 12fc 5394 c37c 0004 fffc 040c ac36 42 00cd cbb8334c884f  (the spec's
 *   "valid data" vector) -> 24.3 °C, 53.49 %, 1000.44 hPa, 0.004 / -0.004 /
 *   1.036 G, 2.977 V, 4 dBm, 66 moves, sequence 205
 *
 * A field at its "not available" value gives no reading.  Pressure is
 * given in hPa, as BTHome gives it: one reading name, one unit. */
#include <stdio.h>

#include "format.h"

static void
s16(struct ble_sink *s, const char *name, const uint8_t *p, double mul, const char *unit)
{
	int16_t v = (int16_t)ble_be16(p);

	if (v != INT16_MIN)
		ble_put(s, name, v * mul, unit);
}

int
ruuvi5_decode(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
              char *err, size_t errlen)
{
	uint32_t v, power;

	if (n != 24) {
		snprintf(err, errlen, "data format 5 is 24 bytes, got %zu", n);
		return BLE_ERR;
	}
	if ((int16_t)ble_be16(p + 1) != INT16_MIN)   /* x 0.005 as / 200: exact decimals */
		ble_put(s, "temperature", (double)(int16_t)ble_be16(p + 1) / 200, "°C");
	if ((v = ble_be16(p + 3)) != 0xffff)
		ble_put(s, "humidity", (double)v / 400, "%");
	if ((v = ble_be16(p + 5)) != 0xffff)
		ble_put(s, "pressure", (v + 50000.0) / 100, "hPa");
	s16(s, "acceleration_x", p + 7, 0.001, "G");
	s16(s, "acceleration_y", p + 9, 0.001, "G");
	s16(s, "acceleration_z", p + 11, 0.001, "G");
	power = ble_be16(p + 13);
	if (power >> 5 != 2047)
		ble_put(s, "battery_voltage", ((power >> 5) + 1600) / 1000.0, "V");
	if ((power & 31) != 31)
		ble_put(s, "tx_power", (double)(power & 31) * 2 - 40, "dBm");
	if (p[15] != 255)
		ble_put(s, "movement_counter", p[15], "");
	if ((v = ble_be16(p + 16)) != 0xffff)
		ble_put(s, "measurement_sequence", v, "");
	return BLE_OK;
}

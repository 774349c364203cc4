/* ble-read: BTHome v2 (https://bthome.io/format/, /encryption/).
 *
 * Service data under UUID 0xFCD2: a device information byte, then objects,
 * each an object id and a value of a length fixed by the id (little endian)
 * or, for text and raw, given by a length byte:
 *
 *   40 02 c409 03 bf13     info 0x40: not encrypted, BTHome version 2
 *                          0x02 temperature sint16 x 0.01 = 25.00 °C
 *                          0x03 humidity uint16 x 0.01 = 50.55 %
 *
 * Device info bits: 0 encrypted, 1 MAC included, 2 trigger based, 5-7
 * version (must be 2).  MAC included: the 6 bytes after the info byte are the
 * sensor's own MAC, least significant byte first (as the Bluetooth link
 * layer sends addresses: 54:48:E6:8F:80:A5 is a5 80 8f e6 48 54; bthome.io's
 * format page, and bthome-ble's parser, which reverses data[1:7]); objects
 * follow.  That MAC, not the address BlueZ reports (random, maybe rotating),
 * is the sensor's: its bindkey is looked up by it and the nonce is made of it.
 * Encrypted: info, [MAC,] ciphertext, counter (4), MIC (4); AES-128-CCM with
 * the bindkey, nonce = MAC + d2 fc + info + counter, the MAC there written
 * most significant byte first, as in bthome.io/encryption's example nonce
 * 5448e68f80a5 d2fc 41 33221100 (key.c):
 *
 *   41 e445f3c9962b 33221100 6c7c4519   (bthome.io's example: key
 *   231d39c1d7cc1ab1aee224cd096db932, MAC 54:48:E6:8F:80:A5 -> 02ca09 03bf13)
 *   43 a5808fe64854 30e7cc69bafb 33221100 51914c8b   (the same with MAC included)
 *
 * Object ids come in ascending order, so a receiver that meets one it does
 * not know stops there and keeps what it read (the spec's rule for adding
 * ids); a truncated object is an error for the whole packet.  Packet id
 * (0x00) equal to the device's last one: a repeat, ignored.  Several objects
 * of one kind are numbered by decode.c; a button event 0x00 ("none") keeps
 * its number but gives no reading ("3a00 3a01": button_2 = press).
 *
 * The object table is bthome.io's format page, with the ids added since
 * (0x60-0x64) as bthome-ble's const.py defines them (precipitation 0x5F is
 * x 0.1 mm there; the older page said x 1).  One reading name has one unit
 * in every decoder (ble-read(1), READINGS), so the objects that BTHome gives
 * in a second unit are converted: mass in lb to kg, distance in mm to m,
 * volume in mL to L. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

enum kind { NUM = 1, SNUM, BIN, PID, BUTTON, DIMMER, TEXT, RAW, FW };

static const struct obj {
	uint8_t len;                /* value bytes; 0: a length byte follows the id */
	uint8_t kind;
	double mul, div;            /* value = raw * mul / div (exact integers: one rounding) */
	const char *name, *unit;
} objs[256] = {
#define U(id, l, m, d, n, u)  [id] = { l, NUM, m, d, n, u }
#define S(id, l, m, d, n, u)  [id] = { l, SNUM, m, d, n, u }
#define B(id, n)              [id] = { 1, BIN, 1, 1, n, "" }
	[0x00] = { 1, PID, 1, 1, "packet_id", "" },
	U(0x01, 1, 1, 1, "battery", "%"),
	S(0x02, 2, 1, 100, "temperature", "°C"),
	U(0x03, 2, 1, 100, "humidity", "%"),
	U(0x04, 3, 1, 100, "pressure", "hPa"),
	U(0x05, 3, 1, 100, "illuminance", "lx"),
	U(0x06, 2, 1, 100, "mass", "kg"),
	U(0x07, 2, 45359237, 1e10, "mass", "kg"),      /* lb x 0.01, 1 lb = 0.45359237 kg */
	S(0x08, 2, 1, 100, "dewpoint", "°C"),
	U(0x09, 1, 1, 1, "count", ""),
	U(0x0a, 3, 1, 1000, "energy", "kWh"),
	U(0x0b, 3, 1, 100, "power", "W"),
	U(0x0c, 2, 1, 1000, "voltage", "V"),
	U(0x0d, 2, 1, 1, "pm2_5", "µg/m³"),
	U(0x0e, 2, 1, 1, "pm10", "µg/m³"),
	B(0x0f, "generic"),
	B(0x10, "power_on"),
	B(0x11, "opening"),
	U(0x12, 2, 1, 1, "co2", "ppm"),
	U(0x13, 2, 1, 1, "tvoc", "µg/m³"),
	U(0x14, 2, 1, 100, "moisture", "%"),
	B(0x15, "battery_low"),
	B(0x16, "battery_charging"),
	B(0x17, "carbon_monoxide"),
	B(0x18, "cold"),
	B(0x19, "connectivity"),
	B(0x1a, "door"),
	B(0x1b, "garage_door"),
	B(0x1c, "gas_detected"),
	B(0x1d, "heat"),
	B(0x1e, "light"),
	B(0x1f, "lock"),
	B(0x20, "moisture_detected"),
	B(0x21, "motion"),
	B(0x22, "moving"),
	B(0x23, "occupancy"),
	B(0x24, "plug"),
	B(0x25, "presence"),
	B(0x26, "problem"),
	B(0x27, "running"),
	B(0x28, "safety"),
	B(0x29, "smoke"),
	B(0x2a, "sound"),
	B(0x2b, "tamper"),
	B(0x2c, "vibration"),
	B(0x2d, "window"),
	U(0x2e, 1, 1, 1, "humidity", "%"),
	U(0x2f, 1, 1, 1, "moisture", "%"),
	[0x3a] = { 1, BUTTON, 1, 1, "button", "" },
	[0x3c] = { 2, DIMMER, 1, 1, "dimmer", "steps" },
	U(0x3d, 2, 1, 1, "count", ""),
	U(0x3e, 4, 1, 1, "count", ""),
	S(0x3f, 2, 1, 10, "rotation", "°"),
	U(0x40, 2, 1, 1000, "distance", "m"),          /* mm */
	U(0x41, 2, 1, 10, "distance", "m"),
	U(0x42, 3, 1, 1000, "duration", "s"),
	U(0x43, 2, 1, 1000, "current", "A"),
	U(0x44, 2, 1, 100, "speed", "m/s"),
	S(0x45, 2, 1, 10, "temperature", "°C"),
	U(0x46, 1, 1, 10, "uv_index", ""),
	U(0x47, 2, 1, 10, "volume", "L"),
	U(0x48, 2, 1, 1000, "volume", "L"),            /* mL */
	U(0x49, 2, 1, 1000, "volume_flow_rate", "m³/h"),
	U(0x4a, 2, 1, 10, "voltage", "V"),
	U(0x4b, 3, 1, 1000, "gas", "m³"),
	U(0x4c, 4, 1, 1000, "gas", "m³"),
	U(0x4d, 4, 1, 1000, "energy", "kWh"),
	U(0x4e, 4, 1, 1000, "volume", "L"),
	U(0x4f, 4, 1, 1000, "water", "L"),
	U(0x50, 4, 1, 1, "timestamp", "s"),
	U(0x51, 2, 1, 1000, "acceleration", "m/s²"),
	U(0x52, 2, 1, 1000, "gyroscope", "°/s"),
	[0x53] = { 0, TEXT, 1, 1, "text", "" },
	[0x54] = { 0, RAW, 1, 1, "raw", "" },
	U(0x55, 4, 1, 1000, "volume_storage", "L"),
	U(0x56, 2, 1, 1, "conductivity", "µS/cm"),
	S(0x57, 1, 1, 1, "temperature", "°C"),
	S(0x58, 1, 35, 100, "temperature", "°C"),
	S(0x59, 1, 1, 1, "count", ""),
	S(0x5a, 2, 1, 1, "count", ""),
	S(0x5b, 4, 1, 1, "count", ""),
	S(0x5c, 4, 1, 100, "power", "W"),
	S(0x5d, 2, 1, 1000, "current", "A"),
	U(0x5e, 2, 1, 100, "direction", "°"),
	U(0x5f, 2, 1, 10, "precipitation", "mm"),
	U(0x60, 1, 1, 1, "channel", ""),
	U(0x61, 2, 1, 1, "rotational_speed", "rpm"),
	S(0x62, 4, 1, 1000000, "speed", "m/s"),
	S(0x63, 4, 1, 1000000, "acceleration", "m/s²"),
	U(0x64, 1, 1, 1, "light_level", ""),
	U(0xf0, 2, 1, 1, "device_type_id", ""),
	[0xf1] = { 4, FW, 1, 1, "firmware_version", "" },
	[0xf2] = { 3, FW, 1, 1, "firmware_version", "" },
#undef U
#undef S
#undef B
};

static const char *const button_events[] = {
	"none", "press", "double_press", "triple_press", "long_press",
	"long_double_press", "long_triple_press",
};

/* Well-formed UTF-8 without NUL (a text object becomes a JSON string). */
static int
utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, k, more;
	uint32_t c;

	while (i < n) {
		c = p[i++];
		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
		if (!more || c > 0xf4 || i + more > n)
			return 0;
		c &= 0x3f >> more;
		for (k = 0; k < more; k++, i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((more == 2 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) ||
		    (more == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
	}
	return 1;
}

static void
event(struct ble_sink *s, const struct obj *o, const uint8_t *v)
{
	struct ble_reading *r;
	char buf[24];
	int steps;

	if (o->kind == BUTTON) {
		if (v[0] < sizeof button_events / sizeof button_events[0])
			snprintf(buf, sizeof buf, "%s", button_events[v[0]]);
		else if (v[0] == 0x80)
			snprintf(buf, sizeof buf, "hold_press");
		else
			snprintf(buf, sizeof buf, "event_0x%02x", v[0]);
		r = ble_put_text(s, o->name, buf);
		r->value = v[0];
	} else {
		steps = v[0] == 1 ? -v[1] : v[1];
		if (v[0] <= 2)
			snprintf(buf, sizeof buf, "%s", v[0] == 1 ? "rotate_left" : v[0] ? "rotate_right" : "none");
		else
			snprintf(buf, sizeof buf, "event_0x%02x", v[0]);
		r = ble_put_text(s, o->name, buf);
		r->value = steps;
		r->unit = o->unit;
	}
	r->none = v[0] == 0;
}

/* One object's value into a reading; -1 with why for a bad text. */
static int
value(struct ble_sink *s, const struct obj *o, const uint8_t *v, size_t len, char *err, size_t errlen)
{
	struct ble_reading *r;
	uint32_t raw;
	size_t i;

	switch (o->kind) {
	case NUM:
	case SNUM:
	case BIN:
	case PID:
		raw = ble_le(v, (int)len);
		ble_put(s, o->name, (o->kind == SNUM ? (double)ble_sext(raw, (int)len) : (double)raw) *
		        o->mul / o->div, o->unit);
		return 0;
	case BUTTON:
	case DIMMER:
		event(s, o, v);
		return 0;
	case TEXT:
		if (!utf8_ok(v, len)) {
			snprintf(err, errlen, "text object (0x53) is not UTF-8");
			return -1;
		}
		r = ble_put_text(s, o->name, "");
		memcpy(r->text, v, len);    /* len <= 255 < BLE_TEXT_MAX */
		r->text[len] = 0;
		r->value = (double)len;
		return 0;
	case RAW:
		r = ble_put_text(s, o->name, "");
		ble_hex(r->text, sizeof r->text, v, len);
		r->value = (double)len;
		return 0;
	case FW:
		r = ble_put_text(s, o->name, "");
		for (i = len; i-- > 0;)
			snprintf(r->text + strlen(r->text), sizeof r->text - strlen(r->text),
			         i ? "%u." : "%u", v[i]);
		r->value = ble_le(v, (int)len);
		return 0;
	}
	return 0;
}

/* The objects of a (decrypted) payload. */
static int
objects(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
        char *err, size_t errlen)
{
	const struct obj *o;
	size_t i = 0, len, at;
	int pid = -1, rc = BLE_OK;

	while (i < n && rc == BLE_OK) {
		o = &objs[p[i]];
		if (!o->name) {
			snprintf(err, errlen, "unknown object id 0x%02x at payload byte %zu: "
			         "the last %zu bytes skipped", p[i], i, n - i);
			rc = BLE_WARN;
			break;
		}
		at = i + 1;
		if (!o->len) {
			if (at >= n) {
				snprintf(err, errlen, "object 0x%02x (%s) at payload byte %zu: "
				         "no length byte", p[i], o->name, i);
				return BLE_ERR;
			}
			len = p[at++];
		} else
			len = o->len;
		if (len > n - at) {
			snprintf(err, errlen, "object 0x%02x (%s) at payload byte %zu: truncated, "
			         "needs %zu bytes, %zu left", p[i], o->name, i, len, n - at);
			return BLE_ERR;
		}
		if (o->kind == PID) {
			if (c->st && c->st->last_pid == p[at])
				return BLE_REPEAT;
			pid = p[at];
		}
		if (value(s, o, p + at, len, err, errlen))
			return BLE_ERR;
		i = at + len;
	}
	/* only a packet read is remembered: a damaged copy must not hide a good one */
	if (pid >= 0 && c->st)
		c->st->last_pid = pid;
	return rc;
}

/* The bindkey for a packet: the one of the MAC it carries, looked up by
 * that MAC (a key file names sensors by their own MAC); else the one the
 * device has (set by BlueZ's address). */
static void
key_for(const struct ble_ctx *c, const char *mac)
{
	struct ble_dev *d = c->st;
	const char *hex;
	char why[120];

	if (!d || !d->lookup || !strcmp(d->key_mac, mac))
		return;
	if ((hex = d->lookup(d->lookup_arg, mac)) && ble_dev_set_key(d, hex, why, sizeof why) == 0)
		snprintf(d->key_mac, sizeof d->key_mac, "%s", mac);
}

/* Encrypted: ciphertext | counter (4) | MIC (4), the n bytes after the info
 * byte and the MAC; own: the MAC the packet carried, "" when none, then the
 * nonce's MAC is the address BlueZ reports. */
static int
decrypt(const struct ble_ctx *c, uint8_t info, const uint8_t *p, size_t n, const char *own,
        uint8_t *out, size_t *outlen, char *err, size_t errlen)
{
	struct ble_dev *d = c->st;
	uint8_t nonce[13];
	uint32_t ctr;

	if (!d || !d->has_key) {
		snprintf(err, errlen, "encrypted packet (device info 0x%02x) and no bindkey for %s",
		         info, *own ? own : "this device");
		return BLE_ERR;
	}
	if (n < 1 + 8) {
		snprintf(err, errlen, "encrypted packet of %zu bytes: too short for counter and MIC",
		         n + (*own ? 7 : 1));
		return BLE_ERR;
	}
	if (ble_addr_parse(*own ? own : c->a->addr, nonce) < 0) {
		snprintf(err, errlen, "encrypted packet and no device address for the nonce");
		return BLE_ERR;
	}
	nonce[6] = 0xd2;
	nonce[7] = 0xfc;
	nonce[8] = info;
	memcpy(nonce + 9, p + n - 8, 4);
	*outlen = n - 8;
	if (ble_ccm_decrypt(d, nonce, p, *outlen, p + n - 4, out) < 0) {
		snprintf(err, errlen, "wrong MIC: the bindkey does not fit this packet (or it was damaged)");
		return BLE_ERR;
	}
	ctr = ble_le(p + n - 8, 4);
	if (d->last_counter && ctr == d->last_counter)
		return BLE_REPEAT;
	/* a lower counter: a replay, unless the device restarted (bthome-ble's rule) */
	if (ctr < d->last_counter && ctr >= 100) {
		snprintf(err, errlen, "encryption counter went back from %u to %u: replayed packet ignored",
		         (unsigned)d->last_counter, (unsigned)ctr);
		return BLE_ERR;
	}
	d->last_counter = ctr;
	return BLE_OK;
}

int
bthome_decode(const struct ble_ctx *c, const uint8_t *p, size_t n, struct ble_sink *s,
              char *err, size_t errlen)
{
	uint8_t plain[256];
	char own[18] = "";
	size_t len, hdr = 1;
	int rc;

	if (n < 1) {
		snprintf(err, errlen, "empty service data");
		return BLE_ERR;
	}
	if ((p[0] >> 5) != 2) {
		snprintf(err, errlen, "device info 0x%02x says BTHome version %d: only 2 is read", p[0], p[0] >> 5);
		return BLE_ERR;
	}
	if (p[0] & 2) {
		if (n < 7) {
			snprintf(err, errlen, "device info 0x%02x says MAC included, and %zu bytes follow", p[0], n - 1);
			return BLE_ERR;
		}
		snprintf(own, sizeof own, "%02X:%02X:%02X:%02X:%02X:%02X", p[6], p[5], p[4], p[3], p[2], p[1]);
		hdr = 7;
		key_for(c, own);
	}
	if (!(p[0] & 1)) {
		if (c->st && c->st->has_key) {
			snprintf(err, errlen, "not encrypted though this device has a bindkey: ignored");
			return BLE_ERR;
		}
		rc = objects(c, p + hdr, n - hdr, s, err, errlen);
	} else if (n > sizeof plain) {
		snprintf(err, errlen, "%zu bytes: longer than any advertisement", n);
		return BLE_ERR;
	} else if ((rc = decrypt(c, p[0], p + hdr, n - hdr, own, plain, &len, err, errlen)) == BLE_OK)
		rc = objects(c, plain, len, s, err, errlen);
	/* the sensor's own MAC, for the caller's names: from a packet that was read */
	if (*own && c->st && rc != BLE_ERR)
		memcpy(c->st->mac, own, sizeof own);
	return rc;
}

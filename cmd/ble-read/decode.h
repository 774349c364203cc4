/* ble-read: the decoders.  Pure C: no D-Bus, no JSON, no I/O.
 *
 * The D-Bus side fills a struct ble_adv from a BlueZ org.bluez.Device1 (its
 * Address, Alias, RSSI, ServiceData and ManufacturerData properties) and
 * calls ble_decode_adv; it reads GATT characteristics and calls
 * ble_decode_gatt.  Both give readings: a name, a number or a text, a unit.
 *
 *   Device1 ServiceData {"0000fcd2-0000-1000-8000-00805f9b34fb": 40 02 c4 09 03 bf 13}
 *     -> temperature 25.00 °C, humidity 50.55 %            (format "bthome")
 *   Device1 ManufacturerData {0x0499: 05 12 fc 53 94 ...}
 *     -> temperature 24.3 °C, humidity 53.49 %, pressure 1000.44 hPa, ...
 *   GATT 00002a6e-0000-1000-8000-00805f9b34fb = 2c 09  -> temperature 23.48 °C
 *
 * Which decoder reads which entry is a table in decode.c (service-data
 * UUID or company id, length, first byte); a format is one table entry and
 * a function in its own file: bthome.c, thermo181a.c (atc1441, pvvx),
 * ruuvi.c, mibeacon.c; gatt.c for the Environmental Sensing values. */
#ifndef BLE_DECODE_H
#define BLE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define BLE_MAX_SVC   8     /* service-data entries looked at per advertisement */
#define BLE_MAX_MFR   8     /* manufacturer-data entries */
#define BLE_TEXT_MAX  512   /* a text reading: 255 bytes as hex, and the NUL */

/* One advertisement as BlueZ reports it.  Pointers are the caller's; the
 * decoders only read them during the call. */
struct ble_adv {
	const char *addr;           /* "AA:BB:CC:DD:EE:FF": BTHome's nonce, unless the packet has its MAC */
	const char *name;           /* Alias, or NULL */
	int rssi, has_rssi;         /* dBm, when BlueZ gave one */
	struct {
		const char *uuid;           /* "0000fcd2-0000-1000-8000-00805f9b34fb" or "fcd2" */
		const uint8_t *data;
		size_t len;
	} svc[BLE_MAX_SVC];
	int nsvc;
	struct {
		uint16_t company;           /* the dict key: 0x0499 for Ruuvi */
		const uint8_t *data;        /* the value: bytes after the company id */
		size_t len;
	} mfr[BLE_MAX_MFR];
	int nmfr;
};

/* One value.  Metric name = name, or name_IDX when idx > 0 (BTHome: several
 * objects of one kind in one packet are numbered 1, 2, ... in packet order). */
struct ble_reading {
	char name[32];              /* "temperature", "button", "svc_fe95" ... */
	int idx;                    /* 0: the only one of its name, else 1, 2, ... */
	const char *unit;           /* static: "°C", "%", "hPa", ... or "": one per name (ble-read(1)) */
	const char *format;         /* static: "bthome", "ruuvi5", "gatt" ... */
	double value;               /* the number (an event: its id, a dimmer: its steps) */
	int is_text;                /* text holds the value: event, string, hex, version */
	int none;                   /* BTHome event "none": numbered, then dropped */
	char text[BLE_TEXT_MAX];
};

/* The bindkey (32 hex digits) of the sensor whose own MAC is mac
 * ("AA:BB:CC:DD:EE:FF", upper case), or NULL. */
typedef const char *ble_key_lookup(const void *arg, const char *mac);

/* What the caller keeps per device between advertisements. */
struct ble_dev {
	uint8_t key[16];            /* BTHome bindkey */
	int has_key;
	char key_mac[18];           /* the MAC key was looked up by, "" when set by the caller */
	ble_key_lookup *lookup;     /* keys by MAC, for packets that carry their MAC; may be NULL */
	const void *lookup_arg;
	char mac[18];               /* the sensor's own MAC, from a packet that carried it, "" */
	int last_pid;               /* last BTHome packet id, -1 before the first */
	uint32_t last_counter;      /* last BTHome encryption counter accepted */
	void *cipher;               /* OpenSSL context, made by ble_dev_set_key */
};

/* ble_decode_adv flags */
#define BLE_KEEP_UNKNOWN 1u     /* data no decoder claims -> one "svc_XXXX" / "mfr_XXXX" hex reading */

void ble_dev_init(struct ble_dev *d);
/* key: 32 hex digits.  0, or -1 with why in err. */
int ble_dev_set_key(struct ble_dev *d, const char *hex, char *err, size_t errlen);
void ble_dev_free(struct ble_dev *d);

/* Readings of one advertisement, through the decoder table.  Returns how
 * many were written to out (at most max), or -1 when none could be decoded
 * because of an error.  err is set (non-empty) whenever something was wrong:
 * a malformed or encrypted entry, a wrong key, an unknown object id that cut
 * a packet short.  The readings returned are good even then; the caller
 * warns with err once and uses them.  A BTHome packet whose packet id equals
 * the device's last one is a repeat: 0 readings, no error.  st may be NULL
 * (no keys, no repeat filtering). */
int ble_decode_adv(const struct ble_adv *a, struct ble_dev *st, unsigned flags,
                   struct ble_reading *out, int max, char *err, size_t errlen);

/* Reading of one GATT characteristic value (Environmental Sensing and
 * Battery: 2A6E, 2A6F, 2A6D, 2A19).  1, or -1 with why in err (unknown
 * characteristic, wrong length, "value is not known"). */
int ble_decode_gatt(const char *char_uuid, const uint8_t *v, size_t len,
                    struct ble_reading *out, int max, char *err, size_t errlen);

/* The 16-bit UUID of a Bluetooth-base 128-bit UUID string ("0000fcd2-0000-
 * 1000-8000-00805f9b34fb") or of a 4-hex-digit one ("fcd2"); -1 otherwise. */
long ble_uuid16(const char *uuid);

/* "AA:BB:CC:DD:EE:FF" -> 6 bytes in that order.  0 or -1. */
int ble_addr_parse(const char *s, uint8_t mac[6]);

/* The names of the advertisement formats, in table order (for -h, tests). */
const char *ble_format_name(int i);   /* NULL past the end */

#endif

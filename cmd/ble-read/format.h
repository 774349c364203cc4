/* ble-read: what a format decoder gets and gives (the contract between the
 * decoder table in decode.c and the format files).  Not for the D-Bus side:
 * it uses decode.h only. */
#ifndef BLE_FORMAT_H
#define BLE_FORMAT_H

#include "decode.h"

/* Where readings go.  ble_put never fails: past max it writes to spare and
 * sets full, and the table reports one error for the advertisement. */
struct ble_sink {
	struct ble_reading *r;      /* the caller's array */
	int n, max;
	const char *format;         /* stamped on every reading */
	int full;
	struct ble_reading spare;
};

/* What a decoder knows besides its bytes. */
struct ble_ctx {
	const struct ble_adv *a;
	struct ble_dev *st;         /* may be NULL */
	unsigned flags;
};

/* A decoder's answer. */
enum {
	BLE_OK = 0,
	BLE_ERR = -1,               /* why in err; its readings are dropped */
	BLE_WARN = 1,               /* readings good, something skipped: why in err */
	BLE_REPEAT = 2,             /* a packet already seen: its readings are dropped, no error */
};

typedef int ble_decoder(const struct ble_ctx *c, const uint8_t *p, size_t n,
                        struct ble_sink *s, char *err, size_t errlen);

ble_decoder bthome_decode, atc1441_decode, pvvx_decode, thermo181a_badlen,
	ruuvi5_decode, mibeacon_decode;

struct ble_reading *ble_put(struct ble_sink *s, const char *name, double v, const char *unit);
struct ble_reading *ble_put_text(struct ble_sink *s, const char *name, const char *text);
void ble_hex(char *dst, size_t cap, const uint8_t *p, size_t n);
int ble_hexval(int c);          /* a hex digit's value, or -1 */

/* AES-128-CCM with a 13-byte nonce and a 4-byte tag (ccm.c): out gets n
 * bytes; 0, or -1 when the tag does not match. */
int ble_ccm_decrypt(struct ble_dev *d, const uint8_t nonce[13], const uint8_t *in, size_t n,
                    const uint8_t tag[4], uint8_t *out);

static inline uint32_t ble_le(const uint8_t *p, int n)   /* n = 1..4 bytes, little endian */
{
	uint32_t v = 0;
	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}
static inline int32_t ble_sext(uint32_t v, int bytes)    /* sign-extend a bytes-wide value */
{
	int sh = 32 - 8 * bytes;
	return sh ? (int32_t)(v << sh) >> sh : (int32_t)v;
}
static inline uint32_t ble_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

#endif

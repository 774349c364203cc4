/* libFuzzer target: ble-read's decoders (cmd/ble-read/decode.h).
 *
 * Input: byte 0 is flags (bit 0: keep unknown data as hex; bit 1: the
 * device has the fixed bindkey below and MAC 54:48:E6:8F:80:A5; the key
 * file has that key for that MAC always), then
 * entries, each a kind byte, a length byte and that many bytes (cut at the
 * end of the input):
 *
 *   kind % 8:  0 svc fcd2   1 svc 181a   2 svc fe95   3 mfr 0499
 *              4 svc 180f   5 mfr 004c   6 a GATT value: its first byte
 *              picks 2a6e/2a6f/2a6d/2a19/2a00, the rest is the value
 *              7 svc fcd2, encrypted here with the fixed key, so that the
 *                decrypted-object parser is reached (a fuzzer cannot forge
 *                MICs): the bytes are device info + plaintext objects; with
 *                info bit 1 (MAC included) the MAC below goes in clear
 *                before the ciphertext, as a sensor sends it
 *
 * Checked: a result in -1..max; -1 only with a message; every reading has
 * a name, a unit and a format, a finite value, a text that ends within its
 * buffer, no "none" placeholder left; numbering is 0 or 1.. . */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "decode.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_ble: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

#define MAXR 16

static const uint8_t key[16] = {
	0x23, 0x1d, 0x39, 0xc1, 0xd7, 0xcc, 0x1a, 0xb1, 0xae, 0xe2, 0x24, 0xcd, 0x09, 0x6d, 0xb9, 0x32,
};
static const uint8_t mac[6] = { 0x54, 0x48, 0xe6, 0x8f, 0x80, 0xa5 };

/* info byte + objects -> info | [MAC] | ciphertext | counter | MIC, as a
 * device would */
static size_t
encrypt(const uint8_t *p, size_t n, uint8_t *out, uint32_t ctr)
{
	uint8_t nonce[13];
	EVP_CIPHER_CTX *c;
	size_t hdr = 1;
	int len, i;

	if (n < 1)
		return 0;
	memcpy(nonce, mac, 6);
	nonce[6] = 0xd2;
	nonce[7] = 0xfc;
	nonce[8] = p[0] | 1;
	memcpy(nonce + 9, &ctr, 4);     /* little-endian hosts: counter bytes LE */
	out[0] = nonce[8];
	if (p[0] & 2)                   /* MAC included: least significant byte first */
		for (i = 0; i < 6; i++)
			out[hdr++] = mac[5 - i];
	out += hdr - 1;
	c = EVP_CIPHER_CTX_new();
	CHECK(c && EVP_EncryptInit_ex(c, EVP_aes_128_ccm(), NULL, NULL, NULL) == 1 &&
	      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 13, NULL) == 1 &&
	      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 4, NULL) == 1 &&
	      EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1 &&
	      EVP_EncryptUpdate(c, NULL, &len, NULL, (int)n - 1) == 1 &&
	      EVP_EncryptUpdate(c, out + 1, &len, p + 1, (int)n - 1) == 1 &&
	      EVP_EncryptFinal_ex(c, out + n, &len) == 1, "encryption failed");
	memcpy(out + n, nonce + 9, 4);
	CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 4, out + n + 4) == 1, "no tag");
	EVP_CIPHER_CTX_free(c);
	return hdr - 1 + n + 8;
}

/* the key file: the fixed key under the fixed MAC */
static const char *
lookup(const void *arg, const char *m)
{
	(void)arg;
	return strcmp(m, "54:48:E6:8F:80:A5") ? NULL : "231d39c1d7cc1ab1aee224cd096db932";
}

static void
check(const struct ble_reading *r, int n, int max, const char *err)
{
	int i;

	CHECK(n >= -1 && n <= max, "result %d", n);
	CHECK(n != -1 || err[0], "-1 without a message");
	CHECK(strlen(err) < 300, "message not terminated");
	for (i = 0; i < n; i++) {
		CHECK(r[i].name[0] && memchr(r[i].name, 0, sizeof r[i].name), "reading %d: name", i);
		CHECK(r[i].unit && r[i].format, "reading %d: unit or format missing", i);
		CHECK(isfinite(r[i].value), "reading %d (%s): value not finite", i, r[i].name);
		CHECK(memchr(r[i].text, 0, sizeof r[i].text), "reading %d: text not terminated", i);
		CHECK(!r[i].none && r[i].idx >= 0, "reading %d: none %d idx %d", i, r[i].none, r[i].idx);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const svc[] = { "fcd2", "0000181a-0000-1000-8000-00805f9b34fb", "fe95",
	                                   NULL, "180f", NULL, NULL, "0000fcd2-0000-1000-8000-00805f9b34fb" };
	static const char *const chars[] = { "2a6e", "2a6f", "2a6d", "2a19", "2a00" };
	static uint8_t bufs[BLE_MAX_SVC + BLE_MAX_MFR][300];
	static struct ble_reading out[MAXR];
	struct ble_adv a = { .addr = "54:48:E6:8F:80:A5" };
	struct ble_dev d;
	char err[300];
	size_t i = 1, len;
	int kind, n, k = 0;

	if (size < 1)
		return 0;
	ble_dev_init(&d);
	d.lookup = lookup;
	if (data[0] & 2)
		CHECK(ble_dev_set_key(&d, "231d39c1d7cc1ab1aee224cd096db932", err, sizeof err) == 0, "key");
	while (i + 2 <= size && k < BLE_MAX_SVC + BLE_MAX_MFR) {
		kind = data[i] % 8;
		len = data[i + 1];
		i += 2;
		if (len > size - i)
			len = size - i;
		if (kind == 6) {
			n = ble_decode_gatt(len ? chars[data[i] % 5] : "2a19", data + i + !!len, len - !!len,
			                    out, MAXR, err, sizeof err);
			CHECK(n == 1 || (n == -1 && err[0]), "gatt result %d", n);
			check(out, n, MAXR, err);
		} else if ((kind == 3 || kind == 5) && a.nmfr < BLE_MAX_MFR) {
			a.mfr[a.nmfr].company = kind == 3 ? 0x0499 : 0x004c;
			a.mfr[a.nmfr].data = data + i;
			a.mfr[a.nmfr++].len = len;
		} else if (kind != 3 && kind != 5 && a.nsvc < BLE_MAX_SVC) {
			a.svc[a.nsvc].uuid = svc[kind];
			if (kind == 7) {
				a.svc[a.nsvc].len = encrypt(data + i, len, bufs[k], 1000 + (uint32_t)k);
				a.svc[a.nsvc].data = bufs[k];
			} else {
				a.svc[a.nsvc].data = data + i;
				a.svc[a.nsvc].len = len;
			}
			a.nsvc++;
		}
		k++;
		i += len;
	}
	n = ble_decode_adv(&a, &d, data[0] & 1 ? BLE_KEEP_UNKNOWN : 0, out, MAXR, err, sizeof err);
	check(out, n, MAXR, err);
	ble_dev_free(&d);
	return 0;
}

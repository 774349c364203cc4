/* ble-read: per-device keys and AES-128-CCM, through OpenSSL's libcrypto.
 *
 * BTHome v2 encrypts with AES-128-CCM: a 16-byte bindkey, a 13-byte nonce
 * (MAC, UUID 0xFCD2 little endian, device info byte, 4-byte counter) and a
 * 4-byte MIC, no associated data (https://bthome.io/encryption/).  One
 * cipher context per device is made when its key is set and reused: only the
 * nonce and the expected tag change from packet to packet. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "format.h"
#include "log.h"

void
ble_dev_init(struct ble_dev *d)
{
	memset(d, 0, sizeof *d);
	d->last_pid = -1;
}

void
ble_dev_free(struct ble_dev *d)
{
	EVP_CIPHER_CTX_free(d->cipher);
	OPENSSL_cleanse(d->key, sizeof d->key);
	ble_dev_init(d);
}

int
ble_dev_set_key(struct ble_dev *d, const char *hex, char *err, size_t errlen)
{
	uint8_t k[16];
	int i, hi, lo;

	if (!hex || strlen(hex) != 32) {
		snprintf(err, errlen, "a bindkey is 32 hex digits, got %zu characters", hex ? strlen(hex) : 0);
		return -1;
	}
	for (i = 0; i < 16; i++) {
		hi = ble_hexval((unsigned char)hex[2 * i]);
		lo = ble_hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "a bindkey is 32 hex digits: '%c%c' is not hex",
			         hex[2 * i], hex[2 * i + 1]);
			return -1;
		}
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!d->cipher && !(d->cipher = EVP_CIPHER_CTX_new()))
		plx_die(EX_OSERR, "out of memory");     /* the one OOM policy (log.h) */
	memcpy(d->key, k, sizeof k);
	OPENSSL_cleanse(k, sizeof k);
	d->has_key = 1;
	/* the key schedule once; ble_ccm_decrypt sets nonce and tag per packet */
	if (EVP_DecryptInit_ex(d->cipher, EVP_aes_128_ccm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->cipher, EVP_CTRL_AEAD_SET_IVLEN, 13, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->cipher, EVP_CTRL_AEAD_SET_TAG, 4, NULL) != 1 ||
	    EVP_DecryptInit_ex(d->cipher, NULL, NULL, d->key, NULL) != 1) {
		snprintf(err, errlen, "libcrypto refused AES-128-CCM");
		d->has_key = 0;
		return -1;
	}
	return 0;
}

int
ble_ccm_decrypt(struct ble_dev *d, const uint8_t nonce[13], const uint8_t *in, size_t n,
                const uint8_t tag[4], uint8_t *out)
{
	EVP_CIPHER_CTX *c = d->cipher;
	int len;

	if (!d->has_key || !c || n > 255)
		return -1;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 4, (void *)tag) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1)
		return -1;
	/* CCM wants the length first, then the data in one call, which fails
	 * when the MIC does not match */
	if (EVP_DecryptUpdate(c, NULL, &len, NULL, (int)n) != 1)
		return -1;
	return EVP_DecryptUpdate(c, out, &len, in, (int)n) == 1 ? 0 : -1;
}

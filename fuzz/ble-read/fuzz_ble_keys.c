/* libFuzzer target: ble-read's key files (cmd/ble-read/keyfile.c), read
 * from memory: lines "MAC KEY" or "MAC = KEY", comments, blanks, anything.
 *
 * Checked: every key taken has a MAC of 17 characters that parses and a
 * key of 32 hex digits; a refused file has a message; the keys are found
 * again by their MAC. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ble.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_ble_keys: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ble_opts o = { 0 };
	char err[200] = "";
	uint8_t mac[6];
	FILE *f;
	int i, j, rc;

	if (!size || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	rc = keys_stream(&o, f, "fuzz", err, sizeof err);
	fclose(f);
	CHECK(rc == 0 || (rc == -1 && *err), "refused without a message");
	for (i = 0; i < o.nkeys; i++) {
		CHECK(strlen(o.keys[i].mac) == 17 && ble_addr_parse(o.keys[i].mac, mac) == 0, "bad MAC kept");
		CHECK(strlen(o.keys[i].hex) == 32, "key of %zu digits kept", strlen(o.keys[i].hex));
		for (j = 0; j < 32; j++)
			CHECK(isxdigit((unsigned char)o.keys[i].hex[j]), "non-hex key kept");
		CHECK(keys_find(&o, o.keys[i].mac) != NULL, "a key not found by its MAC");
	}
	keys_wipe(&o);
	return 0;
}

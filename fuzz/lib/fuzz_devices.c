/* libFuzzer target: the devices file parser (lib/devices.c) on any bytes.
 * A file that parses must give devices that each have a name and at least
 * one key, and every key must find its own device.
 *
 *   fuzz/run 60 fuzz_devices */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plx_devices d;
	char err[300];
	int i;

	if (plx_devices_parse(&d, "f", (const char *)data, size, err, sizeof err) < 0) {
		if (strncmp(err, "f:", 2))
			abort();                  /* every fault names the file and line */
		return 0;
	}
	for (i = 0; i < d.nkeys; i++) {
		const struct plx_device *v = plx_devices_find(&d, d.key[i].kind, d.key[i].id);
		if (!v || v != &d.dev[d.key[i].dev])
			abort();
	}
	plx_devices_free(&d);
	return 0;
}

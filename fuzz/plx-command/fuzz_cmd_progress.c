/* libFuzzer target: an executable's progress lines (cmd/plx-command/
 * runner.c progress_parse), any bytes as one line.  Checked: a line taken
 * gives 0..100 and a message inside the line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "command.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg, *s = (const char *)data;
	int pct = -1;

	if (progress_parse(s, size, &pct, &msg) < 0)
		return 0;
	if (pct < 0 || pct > 100 || msg < s || msg > s + size) {
		fprintf(stderr, "fuzz_cmd_progress: %d\n", pct);
		abort();
	}
	return 0;
}

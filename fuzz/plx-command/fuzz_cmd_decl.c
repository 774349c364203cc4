/* libFuzzer target: plx-command's declarations (cmd/plx-command/decl.c),
 * any bytes as NAME.json, then the manifest built from what was taken.
 * Checked: refused with a reason, or taken with at most 16 parameters
 * whose defaults pass their own check (decl_check of {} succeeds unless a
 * parameter is required), and a manifest of one command. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

#define CHECK(c, what) do { if (!(c)) { fprintf(stderr, "fuzz_cmd_decl: %s\n", what); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decl d;
	struct cmdset s = { 0 };
	json_object *m, *p;
	char err[300] = "";
	int i, req = 0;

	if (decl_parse(&d, "fuzzed", (const char *)data, size, err, sizeof err) < 0) {
		CHECK(err[0], "refused without a reason");
		decl_free(&d);
		return 0;
	}
	CHECK(d.np <= CMD_PARAMS_MAX, "too many parameters");
	CHECK(d.expires_s >= 5 && d.expires_s <= 3600, "expires_in_s out of range");
	for (i = 0; i < d.np; i++)
		req |= d.p[i].required;
	p = decl_check(&d, NULL, err, sizeof err);
	CHECK(req || p, "no params refused though none is required");
	json_object_put(p);
	s.d = &d;
	s.n = 1;
	m = cmdset_manifest(&s);
	CHECK(json_object_array_length(m) == 1, "a manifest of one command");
	json_object_put(m);
	decl_free(&d);
	return 0;
}

/* libFuzzer target: plx-command's parser of the server's frames
 * (cmd/plx-command/frames.c), any bytes as one text frame.  Checked: a
 * frame is parsed or refused with a reason, never half; a command frame
 * has an id frame_id_ok takes and a command; params, when there, are an
 * object. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "command.h"

#define CHECK(c, what) do { if (!(c)) { fprintf(stderr, "fuzz_cmd_frame: %s\n", what); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame f;
	char err[200] = "";

	if (frame_parse(&f, (const char *)data, size, err, sizeof err) < 0) {
		CHECK(err[0], "refused without a reason");
		CHECK(!f.root, "refused but kept");
		return 0;
	}
	CHECK(f.root && f.type_name, "parsed without a type");
	if (f.type == FR_TYPED_COMMAND || f.type == FR_COMMAND_RUN) {
		CHECK(f.id && frame_id_ok(f.id), "a command without a good id");
		CHECK(f.command, "a command without its name");
		CHECK(!f.params || json_object_is_type(f.params, json_type_object), "params not an object");
	}
	if (f.type == FR_AUTHENTICATED)
		CHECK(f.protocol == 0 || f.protocol == 1, "a protocol out of range");
	frame_free(&f);
	return 0;
}

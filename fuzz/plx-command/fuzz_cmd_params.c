/* libFuzzer target: parameters from the network checked against a
 * declaration (cmd/plx-command/decl.c decl_check), any bytes as the
 * command's params.  The declaration has each type, a range, an enum, a
 * maxLength, a default and a required parameter.  Checked: what is taken
 * holds only declared parameters, the required one, each of its type and
 * within its limits; what is refused says why. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

#define CHECK(c, what) do { if (!(c)) { fprintf(stderr, "fuzz_cmd_params: %s\n", what); abort(); } } while (0)

static const char decl_text[] =
	"{\"params\":{\"value\":{\"type\":\"number\",\"minimum\":5,\"maximum\":30,\"required\":true},"
	"\"n\":{\"type\":\"integer\",\"minimum\":-3,\"maximum\":1000},"
	"\"mode\":{\"type\":\"string\",\"enum\":[\"heat\",\"cool\"],\"default\":\"heat\"},"
	"\"label\":{\"type\":\"string\",\"maxLength\":4},\"on\":{\"type\":\"boolean\"}}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct decl d;
	static int ready;
	json_tokener *tok;
	json_object *in, *out, *v;
	char err[300] = "";
	double x;

	if (!ready) {
		CHECK(decl_parse(&d, "f", decl_text, strlen(decl_text), err, sizeof err) == 0, err);
		ready = 1;
	}
	tok = json_tokener_new();
	in = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!in)
		return 0;
	out = decl_check(&d, in, err, sizeof err);
	if (!out) {
		CHECK(err[0], "refused without a reason");
	} else {
		CHECK(json_object_object_length(out) <= 5, "undeclared parameters taken");
		CHECK(json_object_object_get_ex(out, "value", &v), "the required one missing");
		x = json_object_get_double(v);
		CHECK(isfinite(x) && x >= 5 && x <= 30, "value out of its range");
		CHECK(json_object_object_get_ex(out, "mode", &v) && json_object_is_type(v, json_type_string) &&
		      (!strcmp(json_object_get_string(v), "heat") || !strcmp(json_object_get_string(v), "cool")),
		      "mode not one of its enum");
		if (json_object_object_get_ex(out, "n", &v))
			CHECK(json_object_get_double(v) == floor(json_object_get_double(v)), "n not an integer");
		if (json_object_object_get_ex(out, "on", &v))
			CHECK(json_object_is_type(v, json_type_boolean), "on not a boolean");
		json_object_put(out);
	}
	json_object_put(in);
	return 0;
}

/* plx-command's declarations, parameter checks, frames and URLs
 * (cmd/plx-command/decl.c, frames.c, runner.c, ws.c), from the examples of
 * PLEXUS-WS.md and plx-command.conf(5). */
#include <string.h>

#include "command.h"
#include "unit.h"

static struct decl d;

static const char *
checked(const char *params)
{
	static char out[400];
	json_object *in = params ? json_tokener_parse(params) : NULL, *o;
	char err[300];

	o = decl_check(&d, in, err, sizeof err);
	snprintf(out, sizeof out, "%s", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : err);
	json_object_put(o);
	json_object_put(in);
	return out;
}

static const char *
decl_err(const char *text)
{
	static char err[300];
	struct decl x;

	err[0] = '\0';
	if (decl_parse(&x, "x", text, strlen(text), err, sizeof err) == 0)
		snprintf(err, sizeof err, "ok");
	decl_free(&x);
	return err;
}

int
main(void)
{
	static const char t[] = "{\"params\":{\"value\":{\"type\":\"number\",\"minimum\":5,\"maximum\":30,\"required\":true},"
		"\"mode\":{\"type\":\"string\",\"enum\":[\"heat\",\"cool\"],\"default\":\"heat\"},"
		"\"n\":{\"type\":\"integer\"},\"label\":{\"type\":\"string\",\"maxLength\":3}}}";
	char err[300], host[256], path[1024];
	struct frame f;
	const char *msg;
	int pct, tls, port;

	T(decl_parse(&d, "set_point", t, strlen(t), err, sizeof err) == 0, "a declaration is read");
	T_STR(checked("{\"value\":21.5}"), "{\"value\":21.5,\"mode\":\"heat\"}", "the default filled in");
	T_STR(checked("{\"value\":5,\"mode\":\"cool\",\"n\":3.0}"), "{\"value\":5,\"mode\":\"cool\",\"n\":3.0}", "both ends of a range, an integral double for an integer");
	T_STR(checked("{\"value\":30.0001}"), "value: above the maximum 30", "above the maximum");
	T_STR(checked("{\"value\":4}"), "value: below the minimum 5", "below the minimum");
	T_STR(checked("{\"value\":\"21\"}"), "value: not a number", "a string is not a number");
	T_STR(checked("{\"value\":21,\"n\":1.5}"), "n: not an integer", "1.5 is not an integer");
	T_STR(checked("{\"value\":21,\"mode\":\"fan\"}"), "mode: not one of the values allowed", "not in the enum");
	T_STR(checked("{\"value\":21,\"label\":\"äöü\"}"), "{\"value\":21,\"mode\":\"heat\",\"label\":\"äöü\"}", "maxLength counts characters");
	T_STR(checked("{\"value\":21,\"label\":\"abcd\"}"), "label: longer than 3 characters", "maxLength");
	T_STR(checked("{\"value\":21,\"label\":\"a\\u0000b\"}"), "label: not a string", "no NUL inside a string");
	T_STR(checked("{\"mode\":\"cool\"}"), "value: missing", "a required parameter missing");
	T_STR(checked("{\"value\":21,\"speed\":1}"), "speed: no such parameter", "an undeclared parameter");
	T_STR(checked("{\"value\":null}"), "value: missing", "null is missing");
	T_STR(checked("[1]"), "params is not an object", "params not an object");
	decl_free(&d);

	T_STR(decl_err("{\"timeout\":5}"), "the declaration: unknown key \"timeout\"", "a typo is an error");
	T_STR(decl_err("{\"params\":{\"v\":{\"type\":\"number\",\"default\":50,\"maximum\":10}}}"),
	      "params.v: the default: above the maximum 10", "a default outside its range");
	T_STR(decl_err("{\"env\":[\"PLEXUS_API_KEY\"]}"), "env: the API key is never given to a command", "never the key");
	T_STR(decl_err("{\"expires_in_s\":2}"), "expires_in_s: 5 to 3600", "expires_in_s range");
	T_STR(decl_err("{\"network\":[\"bluetooth\"]}"), "network: a list of \"inet\", \"can\"", "network families");
	T_STR(decl_err("{\"params\":{\"V\":{\"type\":\"string\"}}}"), "params.V: a parameter name is ^[a-z][a-z0-9_]{0,63}$", "parameter names");
	T(cmd_name_ok("start_can") && !cmd_name_ok("Start") && !cmd_name_ok("9x") && !cmd_name_ok(""), "command names");

	T(frame_parse(&f, "{\"type\":\"command_run\",\"run_id\":\"r-1\",\"command\":\"set_point\",\"params\":{\"value\":21},\"ttl_ms\":29800,\"attempt\":2}", 100, err, sizeof err) < 0,
	  "a frame cut short is refused");
	msg = "{\"type\":\"command_run\",\"run_id\":\"r-1\",\"command\":\"set_point\",\"params\":{\"value\":21},\"ttl_ms\":29800,\"attempt\":2}";
	T(frame_parse(&f, msg, strlen(msg), err, sizeof err) == 0 && f.type == FR_COMMAND_RUN && f.has_ttl &&
	  f.ttl_ms == 29800 && f.attempt == 2 && !strcmp(f.id, "r-1"), "command_run");
	frame_free(&f);
	msg = "{\"type\":\"authenticated\",\"source_id\":\"gw\",\"server_time_ms\":1763800000123}";
	T(frame_parse(&f, msg, strlen(msg), err, sizeof err) == 0 && f.protocol == 0 && f.server_time_ms == 1763800000123,
	  "authenticated without protocol: legacy");
	frame_free(&f);
	msg = "{\"type\":\"typed_command\",\"id\":\"a b\",\"command\":\"x\"}";
	T(frame_parse(&f, msg, strlen(msg), err, sizeof err) < 0, "an id with a space is refused: %s", err);
	msg = "{\"type\":\"typed_command\",\"id\":\"a\",\"command\":\"x\",\"params\":[]}";
	T(frame_parse(&f, msg, strlen(msg), err, sizeof err) < 0, "params that are no object are refused: %s", err);

	T(progress_parse("50 half way", 11, &pct, &msg) == 0 && pct == 50 && !strcmp(msg, "half way"), "progress");
	T(progress_parse("100%", 4, &pct, &msg) == 0 && pct == 100 && !*msg, "progress with %%");
	T(progress_parse("101", 3, &pct, &msg) < 0 && progress_parse("5x", 2, &pct, &msg) < 0 &&
	  progress_parse("half", 4, &pct, &msg) < 0, "no progress");

	T(ws_url_split("wss://gateway.plexus.company", &tls, host, sizeof host, &port, path, sizeof path, err, sizeof err) == 0 &&
	  tls && port == 443 && !strcmp(host, "gateway.plexus.company") && !strcmp(path, "/ws/device"), "the default URL: /ws/device added");
	T(ws_url_split("ws://127.0.0.1:8080/ws/device/", &tls, host, sizeof host, &port, path, sizeof path, err, sizeof err) == 0 &&
	  !tls && port == 8080 && !strcmp(path, "/ws/device"), "a URL ending with /ws/device keeps it");
	T(ws_url_split("https://x", &tls, host, sizeof host, &port, path, sizeof path, err, sizeof err) < 0, "https is no WebSocket: %s", err);
	UNIT_END();
}

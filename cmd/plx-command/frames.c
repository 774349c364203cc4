/* The frames of the device WebSocket (PLEXUS-WS.md), one JSON object per
 * text frame.  Server to device:
 *
 *   {"type":"authenticated","source_id":"gw-1","server_time_ms":1763800000123,
 *    "protocol":1,"max_frame_bytes":1048576}          protocol: v1 servers only
 *   {"type":"error","message":"Invalid API key"}      before auth (then close 1008)
 *   {"type":"error","code":"RATE_LIMITED","detail":"..."}           after auth
 *   {"type":"typed_command","id":"<uuid>","command":"set_point","params":{...}}   legacy
 *   {"type":"command_run","run_id":"r-1","command":"set_point","params":{...},
 *    "ttl_ms":29800,"attempt":1}                                    v1
 *   {"type":"command_status_ack","run_id":"r-1","seq":3}            v1
 *
 * Device to server:
 *
 *   {"type":"device_auth","api_key":"plx_...","source_id":"gw-1","platform":"plx-command",
 *    "agent_version":"0.1.0","protocol":1,"hears_goodbye":true,"commands":[...]}
 *   {"type":"heartbeat","source_id":"gw-1","agent_version":"0.1.0","uptime_s":60}
 *   {"type":"command_result","id":"<uuid>","command":"set_point","event":"ack"}
 *   ... "event":"result","result":{...}   or   "event":"error","error":"text"    legacy
 *   {"type":"command_status","run_id":"r-1","seq":2,"state":"running"}
 *   ... "state":"progress","progress":50,"message":"half way"
 *   ... "state":"succeeded","result":{...}
 *   ... "state":"failed","error_code":"bad_params","error_message":"..."            v1
 *   {"type":"command_sync","runs":[{"run_id":"r-1","state":"succeeded","seq":4}]}   v1
 *
 * max_frame_bytes is not read: what plx-command sends stays under 64 KiB
 * (an executable's output is cut at 60 KiB), the least a server allows.
 * A frame whose fields have the wrong type is refused whole, with why;
 * a frame of a type this file does not know is FR_OTHER (the caller says
 * it), as the protocol grows. */
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "log.h"
#include "record.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const struct { const char *name; enum frame_type t; } types[] = {
	{ "authenticated", FR_AUTHENTICATED }, { "error", FR_ERROR },
	{ "typed_command", FR_TYPED_COMMAND }, { "command_run", FR_COMMAND_RUN },
	{ "command_status_ack", FR_STATUS_ACK },
};

/* An id we put into environments and logs: 1-128 printable ASCII bytes. */
int
frame_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (s[n] < 0x21 || s[n] > 0x7e)
			return 0;
	return n >= 1 && n <= CMD_ID_MAX;
}

/* key as a string into *to; absent is fine unless need. */
static int
get_str(json_object *o, const char *key, const char **to, int need, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
		if (need)
			snprintf(err, errlen, "no \"%s\"", key);
		return need ? -1 : 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "\"%s\" is not a string", key);
		return -1;
	}
	*to = json_object_get_string(v);
	return 0;
}

/* key as an integer (a JSON number with no fraction) into *to. */
static int
get_int(json_object *o, const char *key, int64_t *to, int *has, char *err, size_t errlen)
{
	json_object *v;
	double d;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	d = json_object_get_double(v);
	if (json_object_is_type(v, json_type_int)) {
		*to = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double) && d > -9.2e18 && d < 9.2e18 && d == (double)(int64_t)d) {
		*to = (int64_t)d;
	} else {
		snprintf(err, errlen, "\"%s\" is not an integer", key);
		return -1;
	}
	if (has)
		*has = 1;
	return 0;
}

static int
command_fields(struct frame *f, const char *idkey, char *err, size_t errlen)
{
	json_object *p;

	if (get_str(f->root, idkey, &f->id, 1, err, errlen) < 0 ||
	    get_str(f->root, "command", &f->command, 1, err, errlen) < 0)
		return -1;
	if (!frame_id_ok(f->id)) {
		snprintf(err, errlen, "\"%s\" is not 1-%d printable characters", idkey, CMD_ID_MAX);
		return -1;
	}
	if (json_object_object_get_ex(f->root, "params", &p) && !json_object_is_type(p, json_type_null)) {
		if (!json_object_is_type(p, json_type_object)) {
			snprintf(err, errlen, "\"params\" is not an object");
			return -1;
		}
		f->params = p;
	}
	return 0;
}

int
frame_parse(struct frame *f, const char *s, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = plx_tokener_new();
	int64_t v = 0;
	size_t i;
	int r = -1;

	memset(f, 0, sizeof *f);
	f->root = json_tokener_parse_ex(tok, s, (int)len);
	if (!f->root || json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "not one JSON value (%s)",
		         f->root ? "text after it" : json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(f->root, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (get_str(f->root, "type", &f->type_name, 1, err, errlen) < 0)
		goto out;
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(f->type_name, types[i].name))
			f->type = types[i].t;
	switch (f->type) {
	case FR_AUTHENTICATED:
		if (get_int(f->root, "protocol", &v, NULL, err, errlen) < 0 ||
		    get_int(f->root, "server_time_ms", &f->server_time_ms, NULL, err, errlen) < 0)
			goto out;
		/* a protocol we do not know: the newest we speak */
		f->protocol = v >= 1 ? 1 : 0;
		break;
	case FR_ERROR:
		if (get_str(f->root, "message", &f->message, 0, err, errlen) < 0 ||
		    get_str(f->root, "code", &f->code, 0, err, errlen) < 0 ||
		    get_str(f->root, "detail", &f->detail, 0, err, errlen) < 0)
			goto out;
		break;
	case FR_TYPED_COMMAND:
		if (command_fields(f, "id", err, errlen) < 0)
			goto out;
		break;
	case FR_COMMAND_RUN:
		f->attempt = 1;
		if (command_fields(f, "run_id", err, errlen) < 0 ||
		    get_int(f->root, "ttl_ms", &f->ttl_ms, &f->has_ttl, err, errlen) < 0 ||
		    get_int(f->root, "attempt", &f->attempt, NULL, err, errlen) < 0)
			goto out;
		break;
	case FR_STATUS_ACK:
		if (get_str(f->root, "run_id", &f->id, 1, err, errlen) < 0 ||
		    get_int(f->root, "seq", &f->seq, NULL, err, errlen) < 0)
			goto out;
		break;
	case FR_OTHER:
		break;
	}
	r = 0;
out:
	json_tokener_free(tok);
	if (r < 0)
		frame_free(f);
	return r;
}

void
frame_free(struct frame *f)
{
	json_object_put(f->root);
	memset(f, 0, sizeof *f);
}

const char *
state_name(int st)
{
	static const char *const n[] = { "none", "acknowledged", "running", "progress", "succeeded", "failed" };

	return st >= 0 && st <= ST_FAILED ? n[st] : "none";
}

/* The object's text, taken out of it. */
static char *
text(json_object *o)
{
	char *s = plx_xstrdup(json_object_to_json_string_ext(o, FLAGS));

	json_object_put(o);
	return s;
}

static void
put_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

char *
frame_device_auth(const char *key, const char *source_id, json_object *manifest)
{
	json_object *o = json_object_new_object();

	put_str(o, "type", "device_auth");
	put_str(o, "api_key", key);
	put_str(o, "source_id", source_id);
	put_str(o, "platform", "plx-command");
	put_str(o, "agent_version", PLX_VERSION);
	json_object_object_add(o, "protocol", json_object_new_int(1));
	json_object_object_add(o, "hears_goodbye", json_object_new_boolean(1));
	json_object_object_add(o, "commands", json_object_get(manifest));
	return text(o);
}

char *
frame_heartbeat(const char *source_id, int64_t uptime_s)
{
	json_object *o = json_object_new_object();

	put_str(o, "type", "heartbeat");
	put_str(o, "source_id", source_id);
	put_str(o, "agent_version", PLX_VERSION);
	json_object_object_add(o, "uptime_s", json_object_new_int64(uptime_s));
	return text(o);
}

char *
frame_result(const char *id, const char *command, const char *event, json_object *result, const char *error)
{
	json_object *o = json_object_new_object();

	put_str(o, "type", "command_result");
	put_str(o, "id", id);
	put_str(o, "command", command);
	put_str(o, "event", event);
	if (result)
		json_object_object_add(o, "result", json_object_get(result));
	put_str(o, "error", error);
	return text(o);
}

char *
frame_status(const struct status *s)
{
	json_object *o = json_object_new_object();

	put_str(o, "type", "command_status");
	put_str(o, "run_id", s->run_id);
	json_object_object_add(o, "seq", json_object_new_int64(s->seq));
	put_str(o, "state", state_name(s->state));
	if (s->result)
		json_object_object_add(o, "result", json_object_get(s->result));
	put_str(o, "error_code", s->error_code);
	put_str(o, "error_message", s->error_message);
	if (s->progress >= 0)
		json_object_object_add(o, "progress", json_object_new_int(s->progress));
	put_str(o, "message", s->message);
	return text(o);
}

char *
frame_sync(const struct sync_run *r, int n)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array(), *e;
	int i;

	for (i = 0; i < n; i++) {
		e = json_object_new_object();
		put_str(e, "run_id", r[i].run_id);
		put_str(e, "state", state_name(r[i].state));
		json_object_object_add(e, "seq", json_object_new_int64(r[i].seq));
		json_object_array_add(a, e);
	}
	put_str(o, "type", "command_sync");
	json_object_object_add(o, "runs", a);
	return text(o);
}

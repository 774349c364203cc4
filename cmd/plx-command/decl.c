/* The command directory (plx-command.conf(5)): one executable a command,
 * NAME, and its declaration NAME.json beside it:
 *
 *   /etc/plexus/commands/set_point        #!/bin/sh ... (root's, 0755)
 *   /etc/plexus/commands/set_point.json
 *   {"title":"Set point","description":"The heating set point",
 *    "params":{"value":{"type":"number","minimum":5,"maximum":30,"unit":"C","required":true},
 *              "mode":{"type":"string","enum":["heat","cool"],"default":"heat"}},
 *    "danger":"normal","idempotent":true,"expires_in_s":30,"concurrency":"reject",
 *    "timeout_s":10,"memory_mb":64,"network":["inet"],"env":["TZ"]}
 *
 * The keys up to "concurrency" are protocol v1's command declaration
 * (PLEXUS-WS.md §4b) and are advertised as they are; the rest say what the
 * run may use (runner.c) and stay here.  A key that is not one of these is
 * an error (a typo must not silently lose a limit).  Only declared commands
 * exist; their parameters are checked here before anything runs.
 *
 * The directory is trusted to say what runs on this machine at the word of
 * the network: it and every file in it must be root's and writable by no
 * one else (neither group nor others), or plx-command refuses to start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "log.h"
#include "record.h"

#define DECL_TEXT_MAX 65536

int
cmd_name_ok(const char *s)
{
	size_t n;

	if (!(*s >= 'a' && *s <= 'z'))
		return 0;
	for (n = 1; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n <= CMD_NAME_MAX;
}

static int
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int
is_integer(json_object *v)
{
	double d;

	if (json_object_is_type(v, json_type_int))
		return 1;
	return json_object_is_type(v, json_type_double) && isfinite(d = json_object_get_double(v)) &&
	       d == floor(d) && fabs(d) < 9007199254740992.0;
}

/* Characters (code points) of valid UTF-8. */
static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* A string value: whole (no NUL inside: it goes into an environment), of
 * valid UTF-8. */
static int
str_ok(json_object *v)
{
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);

	return strlen(s) == n && plx_utf8_bad((const unsigned char *)s, n) == n;
}

static const char *const ptypes[] = { "string", "integer", "number", "boolean" };

/* A value of a parameter checked against it: NULL, or why. */
static const char *
value_check(const struct param *p, json_object *v, char *why, size_t len)
{
	double d;
	int i;

	switch (p->type) {
	case PT_STRING:
		if (!json_object_is_type(v, json_type_string) || !str_ok(v))
			return "not a string";
		if (p->max_length && utf8_chars(json_object_get_string(v), (size_t)json_object_get_string_len(v)) >
		                     (size_t)p->max_length) {
			snprintf(why, len, "longer than %lld characters", (long long)p->max_length);
			return why;
		}
		if (p->nenum) {
			for (i = 0; i < p->nenum; i++)
				if (!strcmp(p->enums[i], json_object_get_string(v)))
					return NULL;
			return "not one of the values allowed";
		}
		return NULL;
	case PT_BOOLEAN:
		return json_object_is_type(v, json_type_boolean) ? NULL : "not a boolean";
	case PT_INTEGER:
		if (!is_integer(v))
			return "not an integer";
		break;
	case PT_NUMBER:
		if (!is_number(v) || !isfinite(json_object_get_double(v)))
			return "not a number";
		break;
	}
	d = json_object_get_double(v);
	if (p->has_min && d < p->min) {
		snprintf(why, len, "below the minimum %.17g", p->min);
		return why;
	}
	if (p->has_max && d > p->max) {
		snprintf(why, len, "above the maximum %.17g", p->max);
		return why;
	}
	return NULL;
}

json_object *
decl_check(const struct decl *d, json_object *params, char *err, size_t errlen)
{
	json_object *out = json_object_new_object(), *v;
	const char *why;
	char buf[100];
	int i;

	if (params && !json_object_is_type(params, json_type_object)) {
		snprintf(err, errlen, "params is not an object");
		goto bad;
	}
	if (params) {
		json_object_object_foreach(params, key, val) {
			(void)val;
			for (i = 0; i < d->np && strcmp(d->p[i].name, key); i++)
				;
			if (i == d->np) {
				snprintf(err, errlen, "%.64s: no such parameter", key);
				goto bad;
			}
		}
	}
	for (i = 0; i < d->np; i++) {
		const struct param *p = &d->p[i];
		if (!params || !json_object_object_get_ex(params, p->name, &v) || json_object_is_type(v, json_type_null)) {
			if (p->def)
				json_object_object_add(out, p->name, json_object_get(p->def));
			else if (p->required) {
				snprintf(err, errlen, "%s: missing", p->name);
				goto bad;
			}
			continue;
		}
		if ((why = value_check(p, v, buf, sizeof buf))) {
			snprintf(err, errlen, "%s: %s", p->name, why);
			goto bad;
		}
		json_object_object_add(out, p->name, json_object_get(v));
	}
	return out;
bad:
	json_object_put(out);
	return NULL;
}

/* ---- declarations ---- */

static int
bad(char *err, size_t errlen, const char *what, const char *why)
{
	snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

/* The keys an object may have: -1 with the first other one. */
static int
keys_known(json_object *o, const char *const *known, const char *what, char *err, size_t errlen)
{
	size_t i;

	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; known[i] && strcmp(known[i], key); i++)
			;
		if (!known[i]) {
			snprintf(err, errlen, "%s: unknown key \"%.64s\"", what, key);
			return -1;
		}
	}
	return 0;
}

/* v of key as a string (NULL: absent); -1 when it is something else. */
static int
opt_str(json_object *o, const char *key, const char **to, const char *what, char *err, size_t errlen)
{
	json_object *v;

	*to = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) || !str_ok(v)) {
		snprintf(err, errlen, "%s: \"%s\" is not a string", what, key);
		return -1;
	}
	*to = json_object_get_string(v);
	return 0;
}

static int
opt_num(json_object *o, const char *key, double *to, int *has, int integer, const char *what, char *err,
        size_t errlen)
{
	json_object *v;

	if (has)
		*has = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (integer ? !is_integer(v) : !is_number(v) || !isfinite(json_object_get_double(v))) {
		snprintf(err, errlen, "%s: \"%s\" is not %s", what, key, integer ? "an integer" : "a number");
		return -1;
	}
	*to = json_object_get_double(v);
	if (has)
		*has = 1;
	return 0;
}

static int
opt_bool(json_object *o, const char *key, int *to, const char *what, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(err, errlen, "%s: \"%s\" is not true or false", what, key);
		return -1;
	}
	*to = json_object_get_boolean(v);
	return 0;
}

static int
param_parse(struct param *p, const char *name, json_object *o, char *err, size_t errlen)
{
	static const char *const known[] = { "type", "title", "description", "default", "required", "maxLength",
	                                     "enum", "minimum", "maximum", "unit", NULL };
	const char *t, *s;
	char what[100], why[100];
	json_object *e;
	double v;
	int i, has;

	snprintf(what, sizeof what, "params.%s", name);
	p->name = plx_xstrdup(name);
	if (!cmd_name_ok(name))
		return bad(err, errlen, what, "a parameter name is ^[a-z][a-z0-9_]{0,63}$");
	if (!json_object_is_type(o, json_type_object))
		return bad(err, errlen, what, "not an object");
	if (keys_known(o, known, what, err, errlen) < 0 || opt_str(o, "type", &t, what, err, errlen) < 0 ||
	    opt_str(o, "title", &s, what, err, errlen) < 0 || opt_str(o, "description", &s, what, err, errlen) < 0 ||
	    opt_str(o, "unit", &s, what, err, errlen) < 0 || opt_bool(o, "required", &p->required, what, err, errlen) < 0)
		return -1;
	for (i = 0; t && i < 4 && strcmp(t, ptypes[i]); i++)
		;
	if (!t || i == 4)
		return bad(err, errlen, what, "\"type\" is string, integer, number or boolean");
	p->type = (enum ptype)i;
	if (p->type != PT_STRING && (json_object_object_get_ex(o, "maxLength", NULL) ||
	                             json_object_object_get_ex(o, "enum", NULL)))
		return bad(err, errlen, what, "maxLength and enum are for strings");
	if ((p->type == PT_STRING || p->type == PT_BOOLEAN) &&
	    (json_object_object_get_ex(o, "minimum", NULL) || json_object_object_get_ex(o, "maximum", NULL)))
		return bad(err, errlen, what, "minimum and maximum are for numbers");
	if (opt_num(o, "minimum", &p->min, &p->has_min, 0, what, err, errlen) < 0 ||
	    opt_num(o, "maximum", &p->max, &p->has_max, 0, what, err, errlen) < 0 ||
	    opt_num(o, "maxLength", &v, &has, 1, what, err, errlen) < 0)
		return -1;
	if (p->has_min && p->has_max && p->min > p->max)
		return bad(err, errlen, what, "minimum above maximum");
	if (has) {
		if (v < 1 || v > 1e9)
			return bad(err, errlen, what, "maxLength is 1 or more");
		p->max_length = (int64_t)v;
	}
	if (json_object_object_get_ex(o, "enum", &e)) {
		if (!json_object_is_type(e, json_type_array) || !json_object_array_length(e) ||
		    json_object_array_length(e) > CMD_ENUM_MAX)
			return bad(err, errlen, what, "enum is a list of 1 to 64 strings");
		p->enums = plx_xcalloc(json_object_array_length(e), sizeof *p->enums);
		for (i = 0; i < (int)json_object_array_length(e); i++) {
			json_object *x = json_object_array_get_idx(e, (size_t)i);
			if (!json_object_is_type(x, json_type_string) || !str_ok(x))
				return bad(err, errlen, what, "enum is a list of 1 to 64 strings");
			p->enums[p->nenum++] = plx_xstrdup(json_object_get_string(x));
		}
	}
	if (json_object_object_get_ex(o, "default", &e)) {
		/* checked like a value: no default the executable could not get */
		const char *w = value_check(p, e, why, sizeof why);
		char dwhy[200];
		if (w) {
			snprintf(dwhy, sizeof dwhy, "the default: %s", w);
			return bad(err, errlen, what, dwhy);
		}
		p->def = json_object_get(e);
		if (p->required)
			return bad(err, errlen, what, "required with a default");
	}
	p->spec = json_object_get(o);
	return 0;
}

static void
param_free(struct param *p)
{
	int i;

	free(p->name);
	json_object_put(p->def);
	json_object_put(p->spec);
	for (i = 0; i < p->nenum; i++)
		free(p->enums[i]);
	free(p->enums);
	memset(p, 0, sizeof *p);
}

int
decl_parse(struct decl *d, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	static const char *const known[] = { "title", "description", "params", "danger", "idempotent",
	                                     "expires_in_s", "concurrency", "timeout_s", "memory_mb", "network",
	                                     "env", NULL };
	json_tokener *tok = plx_tokener_new();
	json_object *o, *ps, *a;
	const char *s;
	double v;
	int has, i;

	memset(d, 0, sizeof *d);
	d->name = plx_xstrdup(name);
	d->expires_s = 30;
	d->reject = 1;
	d->timeout_ms = 60000;
	o = d->spec = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "not one JSON value (%s)",
		         o ? "text after it" : json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	if (!cmd_name_ok(name))
		return bad(err, errlen, name, "a command name is ^[a-z][a-z0-9_]{0,63}$");
	if (!json_object_is_type(o, json_type_object))
		return bad(err, errlen, "the declaration", "not a JSON object");
	if (keys_known(o, known, "the declaration", err, errlen) < 0 ||
	    opt_str(o, "title", &s, "the declaration", err, errlen) < 0 ||
	    opt_str(o, "description", &s, "the declaration", err, errlen) < 0 ||
	    opt_bool(o, "idempotent", &d->idempotent, "the declaration", err, errlen) < 0)
		return -1;
	if (opt_str(o, "danger", &s, "the declaration", err, errlen) < 0)
		return -1;
	if (s && strcmp(s, "normal") && strcmp(s, "dangerous") && strcmp(s, "critical"))
		return bad(err, errlen, "danger", "normal, dangerous or critical");
	if (opt_str(o, "concurrency", &s, "the declaration", err, errlen) < 0)
		return -1;
	if (s && strcmp(s, "accept") && strcmp(s, "reject"))
		return bad(err, errlen, "concurrency", "accept or reject");
	d->reject = !s || !strcmp(s, "reject");
	if (opt_num(o, "expires_in_s", &v, &has, 1, "the declaration", err, errlen) < 0)
		return -1;
	if (has && (v < 5 || v > 3600))
		return bad(err, errlen, "expires_in_s", "5 to 3600");
	if (has)
		d->expires_s = (int)v;
	if (opt_num(o, "timeout_s", &v, &has, 0, "the declaration", err, errlen) < 0)
		return -1;
	if (has && (v < 0.1 || v > 86400))
		return bad(err, errlen, "timeout_s", "0.1 to 86400");
	if (has)
		d->timeout_ms = (int64_t)(v * 1000);
	if (opt_num(o, "memory_mb", &v, &has, 1, "the declaration", err, errlen) < 0)
		return -1;
	if (has && (v < 1 || v > 1048576))
		return bad(err, errlen, "memory_mb", "1 to 1048576");
	if (has)
		d->memory_mb = (int64_t)v;
	if (json_object_object_get_ex(o, "network", &a)) {
		if (!json_object_is_type(a, json_type_array))
			return bad(err, errlen, "network", "a list of \"inet\", \"can\"");
		for (i = 0; i < (int)json_object_array_length(a); i++) {
			json_object *x = json_object_array_get_idx(a, (size_t)i);
			s = json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
			if (!strcmp(s, "inet"))
				d->net |= NET_INET;
			else if (!strcmp(s, "can"))
				d->net |= NET_CAN;
			else
				return bad(err, errlen, "network", "a list of \"inet\", \"can\"");
		}
	}
	if (json_object_object_get_ex(o, "env", &a)) {
		if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > CMD_ENV_MAX)
			return bad(err, errlen, "env", "a list of at most 16 variable names");
		for (i = 0; i < (int)json_object_array_length(a); i++) {
			json_object *x = json_object_array_get_idx(a, (size_t)i);
			s = json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
			if (!*s || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s) ||
			    (*s >= '0' && *s <= '9'))
				return bad(err, errlen, "env", "a list of variable names");
			/* the key never reaches a command */
			if (!strcmp(s, "PLEXUS_API_KEY") || !strcmp(s, "CREDENTIALS_DIRECTORY"))
				return bad(err, errlen, "env", "the API key is never given to a command");
			d->env[d->nenv++] = plx_xstrdup(s);
		}
	}
	if (json_object_object_get_ex(o, "params", &ps)) {
		if (!json_object_is_type(ps, json_type_object))
			return bad(err, errlen, "params", "not an object");
		if (json_object_object_length(ps) > CMD_PARAMS_MAX)
			return bad(err, errlen, "params", "more than 16");
		json_object_object_foreach(ps, key, val) {
			if (param_parse(&d->p[d->np++], key, val, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

void
decl_free(struct decl *d)
{
	int i;

	for (i = 0; i < d->np; i++)
		param_free(&d->p[i]);
	for (i = 0; i < d->nenv; i++)
		free(d->env[i]);
	free(d->name);
	free(d->path);
	json_object_put(d->spec);
	memset(d, 0, sizeof *d);
}

/* ---- the manifest ---- */

json_object *
cmdset_manifest(const struct cmdset *s)
{
	static const char *const keys[] = { "title", "description", "danger", "idempotent", "concurrency" };
	json_object *a = json_object_new_array(), *c, *ps, *v;
	size_t k;
	int i, j;

	for (i = 0; i < s->n; i++) {
		const struct decl *d = &s->d[i];
		c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(d->name));
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (json_object_object_get_ex(d->spec, keys[k], &v))
				json_object_object_add(c, keys[k], json_object_get(v));
		ps = json_object_new_object();
		for (j = 0; j < d->np; j++) {
			json_object *p = NULL;
			json_object_deep_copy(d->p[j].spec, &p, NULL);
			/* required is a bool in the manifest, always there */
			json_object_object_add(p, "required", json_object_new_boolean(d->p[j].required));
			json_object_object_add(ps, d->p[j].name, p);
		}
		json_object_object_add(c, "params", ps);
		json_object_object_add(c, "expires_in_s", json_object_new_int(d->expires_s));
		if (!json_object_object_get_ex(c, "danger", NULL))
			json_object_object_add(c, "danger", json_object_new_string("normal"));
		json_object_object_add(c, "idempotent", json_object_new_boolean(d->idempotent));
		json_object_object_add(c, "concurrency", json_object_new_string(d->reject ? "reject" : "accept"));
		json_object_array_add(a, c);
	}
	return a;
}

/* ---- the directory ---- */

/* Root's, and nobody else may write to it. */
static int
trusted(const struct stat *st, const char *path, char *err, size_t errlen)
{
	if (st->st_uid != 0) {
		snprintf(err, errlen, "%s is not owned by root (uid %u): refusing to run commands from it", path,
		         (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is writable by %s (mode %04o): refusing to run commands from it", path,
		         st->st_mode & S_IWOTH ? "others" : "its group", (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Backups, editors' and dpkg's leftovers, hidden files: not commands. */
static int
ignored(const char *n)
{
	size_t len = strlen(n);

	return n[0] == '.' || (len && n[len - 1] == '~') || strstr(n, ".dpkg-") || strstr(n, ".ucf-") ||
	       (len > 4 && !strcmp(n + len - 4, ".bak")) || (len > 5 && !strcmp(n + len - 5, ".swp"));
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct decl *)a)->name, ((const struct decl *)b)->name);
}

/* NAME.json beside executable NAME into d; -1 with why. */
static int
load_one(struct decl *d, int dfd, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4200], jname[CMD_NAME_MAX + 8], *text, why[300];
	struct stat st, jst;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
	if (!S_ISREG(st.st_mode))
		return snprintf(err, errlen, "%s: not a regular file", path), -1;
	if (trusted(&st, path, err, errlen) < 0)
		return -1;
	if (!(st.st_mode & S_IXUSR))
		return snprintf(err, errlen, "%s: not executable", path), -1;
	snprintf(jname, sizeof jname, "%s.json", name);
	if ((fd = openat(dfd, jname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return snprintf(err, errlen, "%s.json: %s", path, strerror(errno)), -1;
	if (fstat(fd, &jst) < 0 || trusted(&jst, jname, err, errlen) < 0 || jst.st_size > DECL_TEXT_MAX) {
		if (jst.st_size > DECL_TEXT_MAX)
			snprintf(err, errlen, "%s.json: larger than %d bytes", path, DECL_TEXT_MAX);
		close(fd);
		return -1;
	}
	text = plx_xmalloc((size_t)jst.st_size + 1);
	n = read(fd, text, (size_t)jst.st_size);
	close(fd);
	if (n != jst.st_size) {
		free(text);
		return snprintf(err, errlen, "%s.json: a short read", path), -1;
	}
	text[n] = '\0';
	if (decl_parse(d, name, text, (size_t)n, why, sizeof why) < 0) {
		free(text);
		decl_free(d);
		return snprintf(err, errlen, "%s.json: %s", path, why), -1;
	}
	free(text);
	d->path = plx_xstrdup(path);
	return 0;
}

int
cmdset_load(struct cmdset *s, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	struct dirent *e;
	DIR *dp;
	int dfd, cap = 0;
	char n[300];
	size_t len;

	memset(s, 0, sizeof *s);
	/* absolute: a run's working directory is / */
	if (!(s->dir = realpath(dir, NULL))) {
		snprintf(err, errlen, "unable to open command directory %s: %s", dir, strerror(errno));
		return -1;
	}
	dir = s->dir;
	if (!(dp = opendir(dir))) {
		snprintf(err, errlen, "unable to open command directory %s: %s", dir, strerror(errno));
		return -1;
	}
	dfd = dirfd(dp);
	if (fstat(dfd, &st) < 0 || trusted(&st, dir, err, errlen) < 0) {
		closedir(dp);
		return -1;
	}
	while ((e = readdir(dp))) {
		if (ignored(e->d_name))
			continue;
		len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json")) {
			snprintf(n, sizeof n, "%.*s", (int)(len - 5), e->d_name);
			if (faccessat(dfd, n, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				plx_warn("%s/%s: no executable %s beside it: not a command", dir, e->d_name, n);
			continue;
		}
		snprintf(n, sizeof n, "%s.json", e->d_name);
		if (faccessat(dfd, n, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
			plx_warn("%s/%s: no declaration %s beside it: not a command", dir, e->d_name, n);
			continue;
		}
		if (s->n == cap)
			s->d = plx_xrealloc(s->d, (size_t)(cap = cap ? cap * 2 : 8) * sizeof *s->d);
		if (load_one(&s->d[s->n], dfd, dir, e->d_name, err, errlen) < 0) {
			closedir(dp);
			return -1;
		}
		s->n++;
	}
	closedir(dp);
	if (s->n)
		qsort(s->d, (size_t)s->n, sizeof *s->d, by_name);
	return 0;
}

void
cmdset_free(struct cmdset *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		decl_free(&s->d[i]);
	free(s->d);
	free(s->dir);
	memset(s, 0, sizeof *s);
}

const struct decl *
cmdset_find(const struct cmdset *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->d[i].name, name))
			return &s->d[i];
	return NULL;
}

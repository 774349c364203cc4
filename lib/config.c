/* Configuration: see config.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "config.h"
#include "log.h"
#include "record.h"

void
plx_config_set(char **field, const char *value)
{
	char *v = value ? plx_xstrdup(value) : NULL;

	free(*field);
	*field = v;
}

static void
from_env(char **field, const char *name)
{
	const char *v = getenv(name);

	if (v && *v && !*field)
		plx_config_set(field, v);
}

static void
from_json(char **field, json_object *o, const char *key, const char *path)
{
	json_object *v;

	if (*field || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return;
	if (!json_object_is_type(v, json_type_string)) {
		plx_warn("%s: %s: not a string, ignored", path, key);
		return;
	}
	/* "" is unset, as an empty variable is: not a key, not a URL */
	if (*json_object_get_string(v))
		plx_config_set(field, json_object_get_string(v));
}

static void
load_file(struct plx_config *c)
{
	const char *home = getenv("HOME");
	char path[4096];
	json_object *o;
	struct stat st;

	if (!home || !*home)
		return;
	snprintf(path, sizeof path, "%s/.plexus/config.json", home);
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			plx_warn("%s:", path);
		return;
	}
	if (!(o = json_object_from_file(path))) {
		const char *why = json_util_get_last_err();   /* ends in a newline */
		plx_warn("%s: not valid JSON (%.*s), ignored", path, why ? (int)strcspn(why, "\n") : 0,
		         why ? why : "");
		return;
	}
	if (!json_object_is_type(o, json_type_object)) {
		plx_warn("%s: not a JSON object, ignored", path);
	} else {
		if (!c->api_key) {
			from_json(&c->api_key, o, "api_key", path);
			if (c->api_key) {
				c->key_from = "~/.plexus/config.json";
				if (st.st_mode & 077)
					plx_warn("%s: holds an API key but is readable by others (chmod 600 it)", path);
			}
		}
		from_json(&c->gateway_url, o, "gateway_url", path);
		from_json(&c->gateway_ws_url, o, "gateway_ws_url", path);
		from_json(&c->source_id, o, "source_id", path);
	}
	json_object_put(o);
}

char *
plx_read_secret(const char *path)
{
	char buf[1024], *s, *e;
	struct stat st;
	ssize_t n;
	int fd;

	/* a key reached through another user's symbolic link is theirs to
	 * choose: refused */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != geteuid() && st.st_uid != 0) {
		plx_warn("key file %s is a symbolic link of another user's (uid %u): refused", path,
		         (unsigned)st.st_uid);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		plx_warn("unable to open key file %s:", path);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		plx_warn("key file %s is readable by others (chmod 600 it)", path);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		plx_warn("unable to read key file %s:", path);
		return NULL;
	}
	buf[n] = '\0';
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	for (e = s; *e && *e != '\n' && *e != '\r'; e++)
		;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	if (!*s) {
		plx_warn("key file %s is empty", path);
		return NULL;
	}
	s = plx_xstrdup(s);
	explicit_bzero(buf, sizeof buf);
	return s;
}

/* The host name as a source id: lower case, other characters '-'. */
static void
host_slug(char *h, size_t len)
{
	char *p;

	if (gethostname(h, len) < 0 || !h[0])
		snprintf(h, len, "gateway");
	h[len - 1] = '\0';
	for (p = h; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			*p = '-';
	}
	if (!isalnum((unsigned char)h[0]))
		h[0] = 'g';
}

/* The files that tell this machine from its clones: the machine id (an
 * installation) and the board's own serial number, where the kernel shows
 * one (a Raspberry Pi's, a PC's DMI uuid), so that SD cards cloned from
 * one image into several Pis still give each its own id.  PLEXUS_MACHINE_FILES
 * (colon-separated) replaces the list, for tests. */
static const char *const machine_files[] = {
	"/etc/machine-id", "/sys/firmware/devicetree/base/serial-number",
	"/sys/class/dmi/id/product_uuid", "/proc/device-tree/serial-number",
};

/* FNV-1a: not a secret, only well spread. */
static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
hash_file(uint64_t h, const char *path, int *found)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return h;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if (n) {
		*found = 1;
		h = fnv(fnv(h, path, strlen(path)), buf, n);
	}
	return h;
}

char *
plx_default_source_id(void)
{
	const char *env = getenv("PLEXUS_MACHINE_FILES");
	uint64_t h = 0xcbf29ce484222325ULL;
	char host[200], id[240], list[4096], *f, *save;
	int found = 0;
	size_t i;

	host_slug(host, 64);
	if (env) {
		snprintf(list, sizeof list, "%s", env);
		for (f = strtok_r(list, ":", &save); f; f = strtok_r(NULL, ":", &save))
			h = hash_file(h, f, &found);
	} else {
		for (i = 0; i < sizeof machine_files / sizeof machine_files[0]; i++)
			h = hash_file(h, machine_files[i], &found);
	}
	if (!found)
		return plx_xstrdup(host);
	snprintf(id, sizeof id, "%s-%06llx", host, (unsigned long long)(h >> 40));
	return plx_xstrdup(id);
}

int
plx_source_id_default_host(const char *id)
{
	static const char *const names[] = { "raspberrypi", "raspberry", "localhost", "debian", "ubuntu",
	                                     "pi", "gateway", "orangepi", "beaglebone", "dietpi", "rock",
	                                     "armbian", "linux", "host", "default" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(id, names[i]))
			return 1;
	return 0;
}

void
plx_config_load(struct plx_config *c)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];
	size_t n;

	memset(c, 0, sizeof *c);
	if (getenv("PLEXUS_API_KEY") && *getenv("PLEXUS_API_KEY"))
		c->key_from = "PLEXUS_API_KEY";
	from_env(&c->api_key, "PLEXUS_API_KEY");
	from_env(&c->gateway_url, "PLEXUS_GATEWAY_URL");
	from_env(&c->gateway_ws_url, "PLEXUS_GATEWAY_WS_URL");
	from_env(&c->source_id, "PLEXUS_SOURCE_ID");
	from_env(&c->buffer, "PLEXUS_BUFFER");
	if (!c->api_key && cred && *cred) {
		/* systemd LoadCredential=plexus-api-key:/etc/plexus/api-key */
		snprintf(path, sizeof path, "%s/plexus-api-key", cred);
		if (access(path, F_OK) == 0 && (c->api_key = plx_read_secret(path)))
			c->key_from = "systemd credential plexus-api-key";
	}
	load_file(c);
	if (!c->gateway_url)
		plx_config_set(&c->gateway_url, PLX_DEFAULT_GATEWAY);
	for (n = strlen(c->gateway_url); n > 0 && c->gateway_url[n - 1] == '/'; n--)
		c->gateway_url[n - 1] = '\0';
	if (!c->gateway_ws_url)
		plx_config_set(&c->gateway_ws_url, PLX_DEFAULT_GATEWAY_WS);
	for (n = strlen(c->gateway_ws_url); n > 0 && c->gateway_ws_url[n - 1] == '/'; n--)
		c->gateway_ws_url[n - 1] = '\0';
	if (!c->source_id)
		c->source_id = plx_default_source_id();
	if (!plx_source_id_ok(c->source_id))
		plx_warn("source id \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$: the server will refuse it",
		         c->source_id);
}

void
plx_config_free(struct plx_config *c)
{
	if (c->api_key)
		explicit_bzero(c->api_key, strlen(c->api_key));
	free(c->api_key);
	free(c->gateway_url);
	free(c->gateway_ws_url);
	free(c->source_id);
	free(c->buffer);
	memset(c, 0, sizeof *c);
}

char *
plx_default_spool(void)
{
	const char *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char path[4096];

	if (geteuid() == 0)
		return plx_xstrdup(PLX_SYSTEM_SPOOL);
	if (st && *st)
		snprintf(path, sizeof path, "%s/plexus/spool.db", st);
	else if (home && *home)
		snprintf(path, sizeof path, "%s/.local/state/plexus/spool.db", home);
	else
		return plx_xstrdup(PLX_SYSTEM_SPOOL);
	return plx_xstrdup(path);
}

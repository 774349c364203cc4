/* libFuzzer target: the input is ~/.plexus/config.json (HOME is a private
 * temporary directory, the PLEXUS_* variables unset).  plx_config_load must
 * never crash or leak, whatever the file, and must take exactly the string
 * fields a JSON object holds: api_key, source_id, gateway_url (trailing
 * slashes stripped), defaults for the rest.  Run with -close_fd_mask=2: a
 * bad file is reported on stderr at every run. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "config.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_config: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static char home[] = "/tmp/fuzz_config.XXXXXX", dir[64], path[128], *host_sid;

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
	rmdir(home);
	free(host_sid);
}

static void
setup(void)
{
	struct plx_config c;

	if (!mkdtemp(home))
		abort();
	atexit(cleanup);
	snprintf(dir, sizeof dir, "%s/.plexus", home);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/config.json", dir);
	setenv("HOME", home, 1);
	unsetenv("PLEXUS_API_KEY");
	unsetenv("PLEXUS_GATEWAY_URL");
	unsetenv("PLEXUS_SOURCE_ID");
	unsetenv("PLEXUS_BUFFER");
	unsetenv("CREDENTIALS_DIRECTORY");
	plx_config_load(&c);            /* no file: the default source id */
	host_sid = strdup(c.source_id);
	plx_config_free(&c);
}

/* The string a field should get from the file, or NULL. */
static const char *
field(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) || !*json_object_get_string(v))
		return NULL;
	return json_object_get_string(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plx_config c;
	json_object *o;
	const char *key, *url, *sid;
	size_t n;
	int fd;

	if (!host_sid)
		setup();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	plx_config_load(&c);
	o = json_object_from_file(path);
	key = field(o, "api_key");
	url = field(o, "gateway_url");
	sid = field(o, "source_id");
	if (key) {
		CHECK(c.api_key && !strcmp(c.api_key, key), "api_key not taken from the file");
		CHECK(c.key_from && !strcmp(c.key_from, "~/.plexus/config.json"), "key_from");
	} else {
		CHECK(!c.api_key && !c.key_from, "an api_key from nowhere");
	}
	CHECK(c.gateway_url, "no gateway_url");
	n = strlen(c.gateway_url);
	CHECK(n == 0 || c.gateway_url[n - 1] != '/', "trailing slash kept: %s", c.gateway_url);
	if (!url)
		url = PLX_DEFAULT_GATEWAY;
	CHECK(!strncmp(c.gateway_url, url, n) && strspn(url + n, "/") == strlen(url + n),
	      "gateway_url %s from %s", c.gateway_url, url);
	CHECK(c.source_id && !strcmp(c.source_id, sid ? sid : host_sid), "source_id");
	CHECK(c.buffer == NULL, "buffer from the file");
	json_object_put(o);
	plx_config_free(&c);
	CHECK(!c.api_key && !c.gateway_url && !c.source_id, "config_free leaves pointers");
	return 0;
}

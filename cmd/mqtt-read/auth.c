/* The broker's login, never on the command line (`ps` shows it): a file
 * of lines
 *
 *   # /etc/plexus/mqtt-auth (root:plexus, 0640)
 *   username=gateway
 *   password=s3cret
 *
 * read at start and again on SIGHUP, or PLEXUS_MQTT_USERNAME and
 * PLEXUS_MQTT_PASSWORD.  A file others may read is said, once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "mqtt.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

void
auth_free(struct auth *a)
{
	if (a->pass)
		explicit_bzero(a->pass, strlen(a->pass));
	free(a->user);
	free(a->pass);
	a->user = a->pass = NULL;
}

int
auth_load(struct auth *a, const char *file, char *err, size_t errlen)
{
	static int said_mode;
	char line[1024], *v, *e;
	unsigned n = 0;
	struct stat st;
	FILE *f;

	auth_free(a);
	if (!file) {
		if ((v = getenv("PLEXUS_MQTT_USERNAME")) && *v)
			a->user = plx_xstrdup(v);
		if ((v = getenv("PLEXUS_MQTT_PASSWORD")) && *v)
			a->pass = plx_xstrdup(v);
		if (a->pass && !a->user) {
			snprintf(err, errlen, "PLEXUS_MQTT_PASSWORD without PLEXUS_MQTT_USERNAME");
			auth_free(a);
			return -1;
		}
		return 0;
	}
	if (!(f = fopen(file, "re"))) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH) && !said_mode++)
		plx_warn("%s: others may read the password (chmod o-r)", file);
	while (fgets(line, sizeof line, f)) {
		n++;
		if (!strchr(line, '\n') && !feof(f))
			FAIL("%s:%u: line too long", file, n);
		line[strcspn(line, "\r\n")] = '\0';
		for (v = line; *v == ' ' || *v == '\t'; v++)
			;
		if (!*v || *v == '#')
			continue;
		if (!(e = strchr(v, '=')))
			FAIL("%s:%u: not username=... or password=...", file, n);
		*e++ = '\0';
		if (!strcmp(v, "username") && !a->user)
			a->user = plx_xstrdup(e);
		else if (!strcmp(v, "password") && !a->pass)
			a->pass = plx_xstrdup(e);
		else
			FAIL("%s:%u: '%.32s': not username or password, or given twice", file, n, v);
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
	if (!a->user) {
		snprintf(err, errlen, "%s: no username=", file);
		auth_free(a);
		return -1;
	}
	return 0;
fail:
	explicit_bzero(line, sizeof line);
	fclose(f);
	auth_free(a);
	return -1;
}

/* The API key and the dead-letter file, read and opened again at run time
 * (SIGHUP; the key also while the server refuses it).  main.c opens them
 * first. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "safefile.h"
#include "upload.h"

int
key_reload(struct up *u, int initial)
{
	struct plx_config c;
	const char *from;
	char *key;

	if (u->o.keyfile) {
		key = plx_read_secret(u->o.keyfile);
		from = u->o.keyfile;
	} else if (initial) {
		key = u->cf.api_key;
		from = u->cf.key_from;
	} else if (u->cf.key_from && !strcmp(u->cf.key_from, "PLEXUS_API_KEY")) {
		return 0;            /* from the environment, which cannot change */
	} else {
		plx_config_load(&c);
		key = c.api_key;
		from = c.key_from;   /* a string constant, outlives c */
		c.api_key = NULL;
		plx_config_free(&c);
	}
	if (!key) {
		if (!initial)
			plx_warn("no API key found when re-reading it: keeping the one in use");
		return -1;
	}
	if (key != u->cf.api_key) {
		if (!initial && u->cf.api_key && strcmp(key, u->cf.api_key))
			plx_info("API key changed, read from %s", from);
		if (u->cf.api_key)
			explicit_bzero(u->cf.api_key, strlen(u->cf.api_key));
		free(u->cf.api_key);
		u->cf.api_key = key;
	}
	u->cf.key_from = from;
	http_set_key(&u->http, key);
	u->w.keygen++;      /* the flights' handles take it when they next start */
	return 0;
}

void
dead_reopen(struct up *u)
{
	char err[4400];
	int fd;

	if (!u->o.dead_file)
		return;
	/* 0600 whatever the umask; never through another user's link or file */
	if ((fd = plx_open_trusted(u->o.dead_file, O_WRONLY | O_APPEND, 0600, err, sizeof err)) < 0) {
		plx_warn("unable to reopen %s (%s): appending to the file open before", u->o.dead_file, err);
		return;
	}
	close(u->dead_fd);
	u->dead_fd = fd;
}

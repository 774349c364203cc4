/* plexus-gateway: the setup of a gateway.
 *
 *   main.c   options and commands
 *   init.c   init: the key and the source id, where the tools read them
 *   status.c status: is all well with the system gateway, and if not, why */
#ifndef PLEXUS_GATEWAY_H
#define PLEXUS_GATEWAY_H

struct init_opts {
	const char *source_id;   /* -s, or NULL: the one there, else a default of its own */
	const char *url;         /* -u, or NULL: left as it is */
	const char *keyfile;     /* -k, or NULL: standard input */
	const char *etc;         /* /etc/plexus */
	int user;                /* ~/.plexus/config.json rather than /etc/plexus */
};

int gw_init(const struct init_opts *o);
int gw_source_id(void);
int gw_status(const char *etc);

/* init.c's helpers that status.c shares: a key as the service gives them
 * (plx_..., printable, no blanks); what a file holds (NULL, errno set: none;
 * at most 64 KiB); upload.env's value of NAME (a copy), or NULL. */
int gw_key_ok(const char *k);
char *gw_slurp(const char *path);
char *gw_env_get(const char *text, const char *name);

#endif

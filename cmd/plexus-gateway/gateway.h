/* plexus-gateway: the setup of a gateway.
 *
 *   main.c   options and commands
 *   init.c   init: the key and the source id, where the tools read them */
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

#endif

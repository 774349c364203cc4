/* Configuration shared by every tool (DESIGN §5): environment first
 * (PLEXUS_API_KEY, PLEXUS_GATEWAY_URL, PLEXUS_SOURCE_ID, PLEXUS_BUFFER,
 * PLEXUS_QUIET), then a systemd credential for the key, then
 * ~/.plexus/config.json (the file the Python SDK's `plexus init` writes),
 * then defaults.  Command-line flags override all of it in each tool. */
#ifndef PLX_CONFIG_H
#define PLX_CONFIG_H
#include <stddef.h>

#define PLX_DEFAULT_GATEWAY "https://gateway.plexus.company"
#define PLX_DEFAULT_GATEWAY_WS "wss://gateway.plexus.company"
#define PLX_SYSTEM_SPOOL    "/var/lib/plexus/spool.db"

struct plx_config {
	char *api_key;       /* secret: from env, a file or config.json, never argv */
	char *gateway_url;   /* trailing slashes stripped */
	char *gateway_ws_url;/* the device WebSocket (PLEXUS_GATEWAY_WS_URL, gateway_ws_url), ditto */
	char *source_id;     /* envelope source id; default: plx_default_source_id() */
	char *buffer;        /* spool path, NULL if neither env nor config sets it */
	const char *key_from;/* where the key came from, for messages */
};

/* Loads env and config file; a malformed file is reported on stderr and
 * ignored.  Never fails: what is unknown stays NULL or default. */
void plx_config_load(struct plx_config *c);
void plx_config_free(struct plx_config *c);

/* Reads a secret (first line, whitespace trimmed) from a file; warns when the
 * file is readable by others.  NULL with a reason on stderr on failure. */
char *plx_read_secret(const char *path);

/* The spool path when none is configured: PLX_SYSTEM_SPOOL for root, else
 * $XDG_STATE_HOME/plexus/spool.db (~/.local/state/plexus/spool.db). */
char *plx_default_spool(void);

/* The source id of a gateway that was given none: the host name and six
 * hex digits from what tells this machine from its clones (machine id,
 * board serial number), "raspberrypi-3fa9c2": stable across restarts,
 * different on two Pis cloned from one SD card image. */
char *plx_default_source_id(void);
/* 1 when id is a host name many machines share (raspberrypi, localhost):
 * their data would merge into one source. */
int plx_source_id_default_host(const char *id);

/* Replace a string field, freeing the old value. */
void plx_config_set(char **field, const char *value);

#endif

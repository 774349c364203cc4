/* plx-buffer: the durable spool between readers and plx-upload. */
#ifndef PLX_BUFFER_H
#define PLX_BUFFER_H
#include <stdint.h>
#include "spool.h"

enum mode { PASS, APPEND, FOLLOW };
enum overflow { DROP_OLDEST, DROP_NEWEST, BLOCK };

struct opts {
	enum mode mode;
	enum overflow overflow;
	const char *path;      /* spool file */
	const char *source;    /* the source of records without one, for the latest table:
	                        * what plx-upload would send (PLEXUS_SOURCE_ID, config.json, default) */
	int sync_full;         /* --sync full: fsync every commit */
	int64_t max_rows;      /* 0: unbounded */
	int64_t max_bytes;
	int64_t max_age_ms;
	int64_t commit_rows;   /* group commit: rows per transaction at most */
	int64_t commit_ms;     /* ... and its longest life */
	int64_t poll_ms;       /* how often an idle drainer looks for new rows */
	int64_t status_ms;     /* --status-interval: gateway.buffer.* records; 0 none */
};

/* pump.c: every mode's loop (lib/loop); returns the exit status.  SIGHUP
 * reopens the spool, so *sp may change. */
int pump(struct spool **sp, const struct opts *o);
/* --status's exit status, for health checks (plx-buffer(1), EXIT STATUS):
 * the first that applies, from the top. */
enum health {
	HEALTH_OK = 0,
	HEALTH_STALE = 1,       /* a record waited longer than --stale */
	HEALTH_BACKLOG = 2,     /* more records wait than --backlog */
	HEALTH_REFUSED = 3,     /* the server refused the key (401/403) at the last upload */
	HEALTH_UNREADABLE = 4,  /* the spool is damaged or cannot be read */
	HEALTH_MISSING = 5,     /* there is no spool at the path */
	HEALTH_DEAD = 6,        /* dead letters newer than the last --dead listing */
	HEALTH_SILENT = 7       /* a known device is silent, or its liveness records stopped */
};

/* show.c: --status, --dead, --requeue-dead. */
int show_status(struct spool *sp, int64_t stale_ms, int64_t backlog);
int show_dead(struct spool *sp);
int requeue_dead(struct spool *sp);
/* --forget-device READER[/NAME] */
int forget_device(struct spool *sp, const char *which);

#endif

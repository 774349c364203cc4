/* The latest value of each series a spool writer commits, gathered in
 * memory during a transaction and written with it (spool.h, tables latest
 * and devices): a batch of 5,000 points of 8 metrics costs 8 upserts, not
 * 5,000.  A series is (source, metric): tags are not part of the key.
 * Liveness records (gateway.<reader>.device.connected|silent, tagged
 * device=NAME, lib/live.c) also keep the state of their device. */
#ifndef PLX_LATEST_H
#define PLX_LATEST_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define LATEST_MAX 1024        /* series one commit keeps; past it, counted as missed */
#define LATEST_DEV_MAX 256     /* devices one commit keeps */

/* One record, as the map needs it (lengths, not NUL-terminated). */
struct plx_point {
	const char *source; size_t source_n;   /* NULL: the writer's default */
	const char *metric; size_t metric_n;
	const char *value; size_t value_n;     /* its JSON text */
	const char *cls; size_t cls_n;         /* NULL: none given */
	int64_t ts;                            /* the record's timestamp (epoch ms), 0: none */
	const char *ts_text; size_t ts_n;      /* or its text (a number), read at the commit */
	const char *tags; size_t tags_n;       /* the tags object's JSON text (no escapes), or NULL */
	const char *device; size_t device_n;   /* the device tag, when tags is NULL */
};

struct latest_ent {
	char *key;             /* source \0 metric: a slot is free while NULL */
	size_t key_n, source_n;
	char *value;           /* JSON text */
	size_t value_n, value_cap;
	char cls[8];           /* "metric", "event" or "" */
	char ts_text[24];      /* the timestamp's text, read at the flush, or "": ts */
	int64_t ts, count;
};

struct latest_dev {
	char reader[32], name[128];
	int connected, silent; /* -1: not said in this commit */
};

struct plx_latest {
	struct latest_ent *e;  /* LATEST_MAX entries in a table of 2 * LATEST_MAX slots */
	int *slot;             /* index into e, -1: free */
	int n;
	struct latest_dev dev[LATEST_DEV_MAX];
	int ndev;
	int64_t missed;        /* points past LATEST_MAX (or LATEST_DEV_MAX) since init */
	char *source;          /* the writer's default source */
	size_t source_n;
	sqlite3 *db;           /* what the statements below were prepared on */
	sqlite3_stmt *up, *devup;
};

void plx_latest_init(struct plx_latest *m, const char *default_source);
void plx_latest_free(struct plx_latest *m);
/* A point into the map; 0, or -1 when the map is full (counted in missed). */
int plx_latest_note(struct plx_latest *m, const struct plx_point *p);
/* Empties the map (after a flush, or when its transaction is rolled back). */
void plx_latest_clear(struct plx_latest *m);
/* Its statements finalized: before the database they were prepared on closes. */
void plx_latest_detach(struct plx_latest *m);
/* Writes the map into the open transaction of db: one upsert per series,
 * one per device, `now` as their updated time; then empties it.  An SQLite
 * code. */
int plx_latest_flush(struct plx_latest *m, sqlite3 *db, int64_t now);

#endif

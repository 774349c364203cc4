/* The spool: one SQLite file (WAL) shared by plx-buffer (writers, drainer)
 * and plx-upload (acknowledgements, dead letters).  Schema:
 *
 *   records(seq INTEGER PRIMARY KEY, t INTEGER, data BLOB)
 *       a record waiting for delivery; seq is never reused (the next one is
 *       past stats.last_seq, the highest ever assigned, and past every row),
 *       so a drainer's cursor "seq > N" cannot skip a new row; t is the
 *       insertion time (epoch ms), for --max-age and the oldest-age figure.
 *   dead(seq INTEGER PRIMARY KEY, t, status, error, data)
 *       records the server refused (400/422), kept for a person to inspect
 *       (plx-buffer --dead) and replay (plx-buffer --requeue-dead).
 *   dead_seen(id = 1, seq)
 *       the highest dead letter a person has listed (plx-buffer --dead):
 *       --status fails while a newer one waits to be looked at.
 *   stats(id = 1, depth, bytes, accepted, rejected, dropped, acked, dead, spool_id)
 *       counters, changed in the same transaction as the rows they count,
 *       so they stay exact with many processes on one file; spool_id, 16
 *       random hex digits drawn when the spool was made: plx-buffer sends
 *       it beside each seq, and plx-upload acknowledges only rows that carry
 *       its own spool's (a device's forged {"_plx_seq":5} deletes nothing).
 *       Every write transaction rewrites this row, so a WAL carries the id
 *       of the database it belongs to (spool_open checks it).
 *   uploader(id = 1, t, last_success, status, error, latency_ms,
 *            clock_offset_ms, requests, retries)
 *       what plx-upload last saw of the server, for plx-buffer --status.
 *   latest(source_id, metric, value, class, t, count, updated)
 *       the last value of each series (source, metric; tags are no part
 *       of the key) that plx-buffer committed: value its JSON text, class
 *       "metric", "event" or "" (not given), t the record's timestamp
 *       (0: none), count the records of it committed since the row was
 *       made, updated the spool clock at that commit.  Written in the same
 *       transaction as the rows, one upsert per series per commit
 *       (latest.h), so plx-tail sees values that plx-upload acknowledged
 *       at once.
 *   devices(reader, device, connected, silent, updated)
 *       each device's last liveness records (gateway.<reader>.device.
 *       connected and .silent, tagged device=NAME), for --status.
 *   clock(id = 1, boot, base)
 *       the spool's clock in this boot: records' t is CLOCK_BOOTTIME plus
 *       base, the wall clock minus the boot clock when the boot first
 *       opened the spool.  Ages (--max-age, --stale, oldest_age) are then
 *       differences of the boot clock, which NTP never steps: a clock set
 *       right 3 days late ages nothing by 3 days, one set back makes no
 *       age negative.  A new boot (another boot id) takes a new base from
 *       the wall clock as it is then.
 *
 * SQLite serialises writers, and seq is assigned inside the write
 * transaction, so committed rows always form a prefix in seq order: a
 * reader that has seen seq N has seen every committed row below it. */
#ifndef PLX_SPOOL_H
#define PLX_SPOOL_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <sys/types.h>

#include "latest.h"

struct spool_stats {
	int64_t depth, bytes;           /* rows and record bytes waiting */
	int64_t accepted, rejected;     /* lines taken in / refused as invalid */
	int64_t dropped, acked, dead;   /* overflow drops, delivered, dead letters */
	int64_t oldest_t;               /* insertion time of the oldest row, 0 if none */
	int64_t last_seq;               /* highest seq ever assigned */
};

#define SPOOL_ID_LEN 16                 /* hex digits of a spool's id */

struct spool {
	sqlite3 *db;
	char *path;
	char id[SPOOL_ID_LEN + 1];      /* stats.spool_id */
	int flags;                      /* SPOOL_* given to spool_open */
	int link;                       /* the path is a symbolic link (ours or root's) */
	int in_txn;
	struct spool_stats d;           /* deltas of the open transaction */
	int64_t depth0, bytes0;         /* depth and bytes when it began */
	int64_t seq;                    /* the highest seq assigned, as of it */
	dev_t dev;                      /* the file opened, to notice it deleted or replaced */
	ino_t ino;
	int64_t clock_base;             /* clock.base: spool_now() = boot clock + it */
	int64_t wal_cap;                /* bytes the WAL may take (spool_set_budget), 0: unset */
	struct plx_latest *latest;      /* spool_keep_latest's map, or NULL */
	sqlite3_stmt *ins, *fetch, *del, *measure, *oldest, *walk, *deadins, *upd, *base;
};

typedef int (*spool_row_fn)(void *arg, int64_t seq, const void *data, int len);

/* What a failed call returns: -1 (said on stderr), SPOOL_DAMAGED when
 * SQLite found the file damaged (spool_reset_damaged starts a fresh one),
 * or SPOOL_FULL, not said, when the filesystem is full (the transaction
 * is to be rolled back and tried again once there is room). */
#define SPOOL_DAMAGED (-2)
#define SPOOL_FULL (-3)

/* spool_open flags. */
enum {
	SPOOL_SYNC_FULL = 1,   /* synchronous=FULL: an fsync per commit */
	SPOOL_ACK_ONLY = 2,    /* a connection that only acknowledges (plx-upload):
	                        * a small page cache, as it reads little */
	SPOOL_LOOK = 4         /* only looked at (--status): nothing created,
	                        * renamed or written; damage is reported */
};
#define SPOOL_MISSING (-4)     /* spool_open with SPOOL_LOOK: no file there */

/* Opens or creates the spool (a new one 0640, whatever the umask); a path
 * another user may have planted is refused (safefile.h), and so are its
 * -wal and -shm.  A file SQLite finds damaged is renamed to
 * PATH.damaged-<epoch ms> (with its -wal and -shm), a fresh one created,
 * the rows still readable salvaged into it, and what was lost reported.
 * 0, or < 0 with the reason already on stderr (SPOOL_LOOK: SPOOL_MISSING,
 * SPOOL_DAMAGED or -1). */
int spool_open(struct spool **sp, const char *path, int flags);
void spool_close(struct spool *sp);
/* After SQLITE_CORRUPT/SQLITE_NOTADB at run time: set the file aside and
 * start a fresh one at the same path. */
int spool_reset_damaged(struct spool *sp);
/* Copies every row still readable in the damaged spool file `from` into
 * `to` (spool_salvage.c); the number, or -1 when it cannot be opened;
 * *lost: the rows its counters say it held that could not be read, -1
 * when they cannot be read either. */
int64_t spool_salvage(struct spool *to, const char *from, int64_t *lost);
/* The file at sp->path now: SPOOL_SAME, SPOOL_GONE (deleted: the rows are
 * in a file no one else will open), or SPOOL_OTHER (another file put in
 * its place). */
enum { SPOOL_SAME, SPOOL_GONE, SPOOL_OTHER };
int spool_replaced(const struct spool *sp);
/* Copies the rows waiting in `from` into `to`, their insertion times kept,
 * with new seqs: all of them, or, when `to` is a copy of the same spool
 * (the same id), those past its last seq.  The number, or < 0. */
int64_t spool_move_rows(struct spool *from, struct spool *to);
int spool_damaged(int rc);

/* Writers: begin, insert rows, commit (counters go with the rows). */
int spool_begin(struct spool *sp);
int spool_insert(struct spool *sp, const char *data, size_t len, int64_t now_ms);
int spool_commit(struct spool *sp);
void spool_rollback(struct spool *sp);
/* A writer that keeps the latest value of each series (plx-buffer): the
 * points it notes inside a transaction are written with its commit (table
 * latest; liveness records also into devices), forgotten with a rollback.
 * A point without a source is default_source's. */
void spool_keep_latest(struct spool *sp, const char *default_source);
void spool_note(struct spool *sp, const struct plx_point *p);
void spool_count_rejected(struct spool *sp, int64_t n);   /* inside a transaction */
void spool_count_dropped(struct spool *sp, int64_t n);    /* inside a transaction */
/* Now, on the spool's clock (epoch ms that never step within a boot): the
 * time to insert rows with and to measure their ages against. */
int64_t spool_now(const struct spool *sp);
/* An age on it, never negative (a row from an earlier boot whose clock was
 * ahead). */
int64_t spool_age(const struct spool *sp, int64_t t);

/* Rows and bytes waiting, as of now inside the open transaction. */
int64_t spool_depth(const struct spool *sp);
int64_t spool_bytes(const struct spool *sp);
/* A bound on the spool's room on disk (plx-buffer --max-bytes): the WAL is
 * checkpointed when it reaches a quarter of it (at most SQLite's default
 * of 1000 pages), so the WAL's headroom is part of the bound, not on top. */
void spool_set_budget(struct spool *sp, int64_t bytes);
/* Bytes on disk the spool uses now, inside the open transaction: the
 * database's pages in use plus the WAL's share set by spool_set_budget. */
int64_t spool_footprint(struct spool *sp);

/* Drops the oldest rows until at least `rows` rows and `bytes` bytes are
 * gone and no row older than `before_t` remains; inside a transaction.
 * Returns the number of rows dropped, or -1. */
int64_t spool_drop_oldest(struct spool *sp, int64_t rows, int64_t bytes, int64_t before_t);

/* Calls fn for up to `limit` committed rows with seq > after, in order.
 * Returns the number of rows passed, or -1; fn returning nonzero stops. */
int spool_fetch(struct spool *sp, int64_t after, int limit, spool_row_fn fn, void *arg);

/* plx-upload: delete delivered rows (the seqs lo to hi of each range, in
 * any order, overlapping or not); move a refused row to the dead table.
 * Each is its own transaction; seqs no longer present are ignored. */
struct spool_range { int64_t lo, hi; };
int spool_ack(struct spool *sp, const struct spool_range *r, size_t n);
int spool_bury(struct spool *sp, int64_t seq, const char *data, size_t len,
               int status, const char *error);

int spool_stats(struct spool *sp, struct spool_stats *st);

/* plx-upload's last exchange with the server (the uploader table). */
struct spool_upload {
	int64_t t;                      /* epoch ms of the last answer or failure, 0: never */
	int64_t last_success;           /* epoch ms of the last 2xx, 0: never */
	long status;                    /* HTTP status of the last answer, 0: none came */
	char error[200];                /* why the last request failed, "" after a 2xx */
	int64_t latency_ms;             /* of the last request */
	int64_t clock_offset_ms;        /* server Date minus our clock; INT64_MIN: unknown */
	int64_t requests, retries;      /* since plx-upload started */
};
int spool_note_upload(struct spool *sp, const struct spool_upload *u);
/* 0 with u->t == 0 when no plx-upload ever wrote one. */
int spool_last_upload(struct spool *sp, struct spool_upload *u);
/* Dead letters: list them, or move them back into the queue (all if n == 0). */
int spool_dead_list(struct spool *sp, int (*fn)(void *, int64_t seq, int64_t t, int status,
                    const char *error, const char *data), void *arg);
int64_t spool_requeue_dead(struct spool *sp, int64_t now_ms);
/* The dead letters up to seq were looked at (never lowers the mark). */
int spool_dead_seen(struct spool *sp, int64_t seq);
/* How many dead letters are newer than the mark, or -1; only reads. */
int64_t spool_dead_unseen(struct spool *sp);
/* The devices table (readers' liveness, spool clock times), in order of
 * reader and device; none on a spool from before it. */
int spool_devices(struct spool *sp, int (*fn)(void *, const char *reader, const char *device, int connected,
                  int silent, int64_t updated), void *arg);
/* Forgets a device removed for good (every one of reader's when device is
 * NULL): its row goes, and --status no longer waits for it until a liveness
 * record names it again.  How many were forgotten, or < 0. */
int64_t spool_forget_devices(struct spool *sp, const char *reader, const char *device);

#endif

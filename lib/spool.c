/* The SQLite spool shared by plx-buffer and plx-upload: see spool.h.
 *
 * Durability: WAL with synchronous=NORMAL by default, which survives a crash
 * of any process (a committed row is in the WAL) but may lose the last
 * commits on power loss; SPOOL_SYNC_FULL sets synchronous=FULL (fsync per commit).
 * Writers batch many rows per transaction (group commit). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "safefile.h"
#include "spool.h"
#include "spool_schema.h"

static const char schema[] = PLX_SPOOL_SCHEMA;

static int fail(struct spool *sp, const char *what, int rc);

int
spool_damaged(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

static void
finalize_all(struct spool *sp)
{
	sqlite3_stmt **s[] = { &sp->ins, &sp->fetch, &sp->del, &sp->measure, &sp->oldest, &sp->walk,
	                       &sp->deadins, &sp->upd, &sp->base };
	size_t i;

	for (i = 0; i < sizeof s / sizeof *s; i++) {
		sqlite3_finalize(*s[i]);
		*s[i] = NULL;
	}
}

static int
prep(struct spool *sp, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v3(sp->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

/* Writers wait for each other rather than fail, for up to about a minute
 * (a longer wait is a stuck process, reported when the call fails).  The
 * waits are short: the other writer's transactions last milliseconds, and
 * SQLite's own busy timeout sleeps up to 100 ms at a time, which is what
 * plx-buffer and plx-upload would spend waiting on each other. */
static int
busy_wait(void *arg, int n)
{
	struct timespec ts = { 0, n < 200 ? 250000 : 5000000 };   /* 0.25 ms, then 5 ms */

	(void)arg;
	if (n > 200 + 12000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

void spool_set_budget(struct spool *sp, int64_t bytes);
static int64_t pragma_int(struct spool *sp, const char *sql);

/* The highest seq given (spool.h): the mark, or a row past it that a
 * writer from before the mark inserted. */
#define LAST_SEQ "max(last_seq, coalesce((SELECT max(seq) FROM records), 0))"

/* The spool's id (stats.spool_id) into sp->id, inside open_db's write
 * transaction: a spool made before there were ids is given one now. */
static int
read_id(struct spool *sp)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(sp->db, "SELECT spool_id FROM stats WHERE id = 1", -1, &q, NULL) != SQLITE_OK) {
		if (sp->flags & SPOOL_LOOK)
			return SQLITE_OK;      /* a spool from before ids: none */
		if ((rc = sqlite3_exec(sp->db, "ALTER TABLE stats ADD COLUMN spool_id TEXT", NULL, NULL, NULL)))
			return rc;
		if ((rc = sqlite3_prepare_v2(sp->db, "SELECT spool_id FROM stats WHERE id = 1", -1, &q, NULL)))
			return rc;
	}
	if ((rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_NULL &&
	    !(sp->flags & SPOOL_LOOK)) {
		sqlite3_finalize(q);
		if ((rc = sqlite3_exec(sp->db, "UPDATE stats SET spool_id = lower(hex(randomblob(8))) WHERE id = 1",
		                       NULL, NULL, NULL)))
			return rc;
		return read_id(sp);
	}
	if (rc == SQLITE_ROW) {
		snprintf(sp->id, sizeof sp->id, "%s", sqlite3_column_type(q, 0) == SQLITE_TEXT ?
		         (const char *)sqlite3_column_text(q, 0) : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int64_t spool_now(const struct spool *sp) { return plx_boot_ms() + sp->clock_base; }

int64_t
spool_age(const struct spool *sp, int64_t t)
{
	int64_t a = spool_now(sp) - t;

	return a < 0 ? 0 : a;
}

/* The spool's clock in this boot (spool.h, table clock): taken from the
 * spool if this boot set it, else set now (SPOOL_LOOK: used, not written). */
static int
read_clock(struct spool *sp)
{
	const char *boot = plx_boot_id();
	sqlite3_stmt *q;
	int rc, have = 0;

	sp->clock_base = plx_now_ms() - plx_boot_ms();
	if (sqlite3_prepare_v2(sp->db, "SELECT boot, base FROM clock WHERE id = 1", -1, &q, NULL) != SQLITE_OK)
		return sp->flags & SPOOL_LOOK ? SQLITE_OK : sqlite3_errcode(sp->db);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW && *boot && !strcmp((const char *)sqlite3_column_text(q, 0), boot)) {
		sp->clock_base = sqlite3_column_int64(q, 1);
		have = 1;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (have || sp->flags & SPOOL_LOOK || !*boot)
		return SQLITE_OK;
	if ((rc = sqlite3_prepare_v2(sp->db, "INSERT OR REPLACE INTO clock VALUES (1, ?, ?)", -1, &q, NULL)))
		return rc;
	sqlite3_bind_text(q, 1, boot, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, sp->clock_base);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* records still made with AUTOINCREMENT (a spool from before stats.last_seq) */
static int
autoincrement(struct spool *sp)
{
	return pragma_int(sp, "SELECT sql LIKE '%AUTOINCREMENT%' FROM sqlite_schema"
	                      " WHERE type = 'table' AND name = 'records'") != 0;
}

/* Inside open_db's write transaction: a spool made when records' seq
 * came from AUTOINCREMENT gets stats.last_seq, the highest seq it ever
 * assigned (AUTOINCREMENT's, or a row's), for spool_begin to go on from.
 * *old: its records table still has the keyword.  An SQLite code. */
static int
seq_mark(struct spool *sp, int *old)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(sp->db, "SELECT last_seq FROM stats", -1, &q, NULL) != SQLITE_OK) {
		if ((rc = sqlite3_exec(sp->db, "ALTER TABLE stats ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0",
		                       NULL, NULL, NULL)))
			return rc;
	} else {
		sqlite3_finalize(q);
	}
	if (!(*old = autoincrement(sp)))
		return SQLITE_OK;
	return sqlite3_exec(sp->db, "UPDATE stats SET last_seq = max(last_seq,"
	                    " coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0),"
	                    " coalesce((SELECT max(seq) FROM records), 0)) WHERE id = 1", NULL, NULL, NULL);
}

/* Rows a spool made with AUTOINCREMENT may hold for its records table to
 * be made again without the keyword at open: copying them takes about a
 * second a 100,000 (more on a Raspberry Pi) while the readers upstream
 * wait; a larger backlog keeps the old table until a later start finds it
 * drained (its inserts then still rewrite sqlite_sequence, as before). */
#define SEQ_COPY_MAX 100000

/* After open_db's transaction, in one of its own: records made again
 * without AUTOINCREMENT, its rows copied.  When that fails (no room on the
 * disk for the copy) the old table stays, said once; seqs come from
 * stats.last_seq either way. */
static void
seq_rebuild(struct spool *sp)
{
	int rc;

	if (pragma_int(sp, "SELECT depth FROM stats WHERE id = 1") > SEQ_COPY_MAX ||
	    sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return;
	if (!autoincrement(sp)) {        /* another process made it again meanwhile */
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
		return;
	}
	rc = sqlite3_exec(sp->db, "CREATE TABLE records_new(seq INTEGER PRIMARY KEY,"
	                  " t INTEGER NOT NULL, data BLOB NOT NULL);"
	                  "INSERT INTO records_new SELECT seq, t, data FROM records ORDER BY seq;"
	                  "DROP TABLE records;"
	                  "ALTER TABLE records_new RENAME TO records;"
	                  "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		plx_warn("spool %s: its records table kept as it was made (AUTOINCREMENT): %s",
		         sp->path, sqlite3_errmsg(sp->db));
		if (!sqlite3_get_autocommit(sp->db))
			sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* Opens the file and checks it; returns an SQLite code. */
static int
open_db(struct spool *sp)
{
	char pragmas[128];
	int rc, look = sp->flags & SPOOL_LOOK, old = 0;

	/* A new spool is made here, 0640 whatever the umask (SQLite would make
	 * it 0644 less the umask); its -wal and -shm take its mode. */
	if (!look) {
		int fd = open(sp->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd >= 0) {
			if (fchmod(fd, 0640) < 0)
				plx_warn("chmod %s:", sp->path);
			close(fd);
		}
	}
	rc = sqlite3_open_v2(sp->path, &sp->db, SQLITE_OPEN_READWRITE | (look ? 0 : SQLITE_OPEN_CREATE) |
	                     SQLITE_OPEN_NOMUTEX | (sp->link ? 0 : SQLITE_OPEN_NOFOLLOW), NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_busy_handler(sp->db, busy_wait, NULL);
	snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;%s",
	         sp->flags & SPOOL_SYNC_FULL ? "FULL" : "NORMAL",
	         sp->flags & SPOOL_ACK_ONLY ? " PRAGMA cache_size=-256;" : "");
	if ((rc = sqlite3_exec(sp->db, pragmas, NULL, NULL, NULL)) != SQLITE_OK)
		return rc;
	/* In one write transaction taken at once: a CREATE ... IF NOT EXISTS
	 * in autocommit reads first and then needs the write lock, and in WAL
	 * mode that upgrade fails with SQLITE_BUSY, with no busy handler, when
	 * another process wrote in between (several opening a new spool). */
	if (look) {
		if ((rc = read_id(sp)) != SQLITE_OK || (rc = read_clock(sp)) != SQLITE_OK)   /* written nothing */
			return rc;
	} else if ((rc = sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return rc;
	else if ((rc = sqlite3_exec(sp->db, schema, NULL, NULL, NULL)) != SQLITE_OK || (rc = read_id(sp)) != SQLITE_OK ||
	    (rc = seq_mark(sp, &old)) != SQLITE_OK ||
	    (rc = read_clock(sp)) != SQLITE_OK ||
	    (rc = sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	/* A damaged page shows up only when read: check the structure once at
	 * start, so damage is found now rather than mid-stream. */
	{
		sqlite3_stmt *q;
		if ((rc = sqlite3_prepare_v2(sp->db, "PRAGMA quick_check(1)", -1, &q, NULL)) != SQLITE_OK)
			return rc;
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "ok"))
			rc = SQLITE_CORRUPT;
		else if (rc == SQLITE_ROW)
			rc = SQLITE_OK;
		sqlite3_finalize(q);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (old)
		seq_rebuild(sp);
	if ((rc = prep(sp, &sp->ins, "INSERT INTO records(seq, t, data) VALUES (?, ?, ?)")) ||
	    (rc = prep(sp, &sp->fetch, "SELECT seq, data FROM records WHERE seq > ? ORDER BY seq LIMIT ?")) ||
	    (rc = prep(sp, &sp->del, "DELETE FROM records WHERE seq BETWEEN ?1 AND ?2")) ||
	    (rc = prep(sp, &sp->measure, "SELECT count(*), coalesce(sum(length(data)), 0)"
	                                 " FROM records WHERE seq BETWEEN ?1 AND ?2")) ||
	    (rc = prep(sp, &sp->oldest, "SELECT t FROM records ORDER BY seq LIMIT 1")) ||
	    (rc = prep(sp, &sp->walk, "SELECT seq, t, length(data) FROM records ORDER BY seq")) ||
	    (rc = prep(sp, &sp->deadins, "INSERT OR IGNORE INTO dead VALUES (?, ?, ?, ?, ?)")) ||
	    /* for writing, which a spool looked at is not: one made before
	     * stats.last_seq is only looked at as it is (spool_stats) */
	    (!look && (rc = prep(sp, &sp->base, "SELECT depth, bytes, " LAST_SEQ " FROM stats WHERE id = 1"))) ||
	    (!look && (rc = prep(sp, &sp->upd, "UPDATE stats SET depth = depth + ?1, bytes = bytes + ?2,"
	                     " accepted = accepted + ?3, rejected = rejected + ?4,"
	                     " dropped = dropped + ?5, acked = acked + ?6, dead = dead + ?7,"
	                     " last_seq = max(last_seq, ?8) WHERE id = 1"))))
		return rc;
	if (sp->wal_cap)          /* reopened: the budget again */
		spool_set_budget(sp, sp->wal_cap * 4);
	{
		struct stat st;
		if (stat(sp->path, &st) == 0) {
			sp->dev = st.st_dev;
			sp->ino = st.st_ino;
		}
	}
	return SQLITE_OK;
}

static void
close_db(struct spool *sp)
{
	finalize_all(sp);
	if (sp->latest)
		plx_latest_detach(sp->latest);
	sqlite3_close(sp->db);
	sp->db = NULL;
	sp->in_txn = 0;
	memset(&sp->d, 0, sizeof sp->d);
}

/* Renames the damaged file and its companions out of the way; its new
 * name in aside. */
static void
set_aside(struct spool *sp, char *aside, size_t size)
{
	char to[4096], from[4096];
	const char *sfx[] = { "", "-wal", "-shm" };
	long long now = plx_now_ms();
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof from, "%s%s", sp->path, sfx[i]);
		snprintf(to, sizeof to, "%s.damaged-%lld%s", sp->path, now, sfx[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			plx_warn("unable to set aside %s:", from);
	}
	snprintf(aside, size, "%s.damaged-%lld", sp->path, now);
}

/* A damaged file set aside, a fresh one opened, what can be read of the
 * old rows copied into it; an SQLite code. */
static int
start_fresh(struct spool *sp, const char *why)
{
	char aside[4096], lost[64] = "the number lost unknown";
	int64_t n, nlost;
	int rc;

	close_db(sp);
	set_aside(sp, aside, sizeof aside);
	if ((rc = open_db(sp)) != SQLITE_OK)
		return rc;
	n = spool_salvage(sp, aside, &nlost);
	if (nlost >= 0)
		snprintf(lost, sizeof lost, "%lld lost (unreadable)", (long long)nlost);
	plx_warn("spool %s is damaged (%s): set aside as %s; a fresh one started, %lld records salvaged into it,"
	         " %s", sp->path, why, aside, (long long)(n < 0 ? 0 : n), lost);
	return SQLITE_OK;
}

static int
mkparent(const char *path)
{
	char d[4096], *s;

	snprintf(d, sizeof d, "%s", path);
	if (!(s = strrchr(d, '/')) || s == d)
		return 0;
	*s = '\0';
	if (access(d, F_OK) == 0)
		return 0;
	mkparent(d);
	return mkdir(d, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* The spool's id as the database file alone has it, ignoring the WAL
 * (SQLite's immutable=1); "" when it has none yet (never checkpointed). */
static void
file_id(const char *path, char *id, size_t size)
{
	static const char keep[] = "/._-~";
	char uri[4096 * 3 + 32];
	size_t n = 0;
	sqlite3 *db;
	sqlite3_stmt *q;

	*id = '\0';
	n = (size_t)snprintf(uri, sizeof uri, "file:");
	for (; *path && n + 4 < sizeof uri; path++)
		if ((*path >= 'a' && *path <= 'z') || (*path >= 'A' && *path <= 'Z') ||
		    (*path >= '0' && *path <= '9') || strchr(keep, *path))
			uri[n++] = *path;
		else
			n += (size_t)snprintf(uri + n, 4, "%%%02X", (unsigned char)*path);
	snprintf(uri + n, sizeof uri - n, "?immutable=1");
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT spool_id FROM stats WHERE id = 1", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_TEXT)
			snprintf(id, size, "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

/* A WAL left from another database (spool.db copied or restored without
 * its -wal) would be replayed onto this one: its pages replace the file's.
 * Every write rewrites the stats row, so the WAL carries its database's id:
 * one that differs from the file's own is another database's WAL.  It is
 * set aside (never checkpointed into the file), and the file opened alone.
 * 1 when it was foreign (SPOOL_LOOK: said, left in place), else 0. */
static int
foreign_wal(struct spool *sp, const char *main_id)
{
	char from[4096], to[4096];
	long long now = plx_now_ms();

	if (!*main_id || !*sp->id || !strcmp(main_id, sp->id))
		return 0;
	sqlite3_db_config(sp->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	close_db(sp);
	if (sp->flags & SPOOL_LOOK) {
		plx_warn("spool %s: its WAL belongs to another database (spool id %s, the file's %s)",
		         sp->path, sp->id, main_id);
		return 1;
	}
	snprintf(from, sizeof from, "%s-wal", sp->path);
	snprintf(to, sizeof to, "%s-wal.foreign-%lld", sp->path, now);
	if (rename(from, to) < 0)
		plx_warn("unable to set aside %s:", from);
	snprintf(from, sizeof from, "%s-shm", sp->path);
	unlink(from);
	plx_warn("spool %s: its WAL belongs to another database (spool id %s, the file's %s): set aside as %s,"
	         " the file opened without it", sp->path, sp->id, main_id, to);
	return 1;
}

int
spool_open(struct spool **out, const char *path, int flags)
{
	static const char *const companions[] = { "-wal", "-shm", "-journal", NULL };
	struct spool *sp;
	int rc, tries, link;
	char main_id[SPOOL_ID_LEN + 1] = "", wal[4096], err[4400];
	struct stat st;

	if (plx_path_trusted(path, companions, &link, err, sizeof err) < 0) {
		plx_warn("unable to open spool %s: %s", path, err);
		return -1;
	}
	sp = plx_xcalloc(1, sizeof *sp);
	sp->path = plx_xstrdup(path);
	sp->flags = flags;
	sp->link = link;
	if (!(flags & SPOOL_LOOK) && mkparent(path) < 0)
		plx_warn("unable to create the directory of %s:", path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &st) == 0 && st.st_size > 0)
		file_id(path, main_id, sizeof main_id);
	rc = open_db(sp);
	if ((rc == SQLITE_OK || spool_damaged(rc)) && sp->db && foreign_wal(sp, main_id))
		rc = flags & SPOOL_LOOK ? SQLITE_CORRUPT : open_db(sp);
	if (spool_damaged(rc) && !(flags & SPOOL_LOOK))
		rc = start_fresh(sp, sqlite3_errstr(rc));
	/* A new file turned to WAL by several processes at once can still say
	 * busy, busy handler or not: the next attempt finds it done. */
	for (tries = 0; (rc & 0xff) == SQLITE_BUSY && tries < 100; tries++) {
		close_db(sp);
		plx_sleep_ms(50);
		rc = open_db(sp);
	}
	if (rc != SQLITE_OK) {
		if (flags & SPOOL_LOOK && access(path, F_OK) < 0 && errno == ENOENT)
			rc = SQLITE_NOTFOUND;
		plx_warn("unable to open spool %s: %s", path, rc == SQLITE_NOTFOUND ? "no such file" :
		         spool_damaged(rc) ? "the file is damaged" : sp->db ? sqlite3_errmsg(sp->db) : sqlite3_errstr(rc));
		close_db(sp);
		free(sp->path);
		free(sp);
		return rc == SQLITE_NOTFOUND ? SPOOL_MISSING : spool_damaged(rc) ? SPOOL_DAMAGED : -1;
	}
	*out = sp;
	return 0;
}

int
spool_reset_damaged(struct spool *sp)
{
	int rc;

	if ((rc = start_fresh(sp, "found at run time")) != SQLITE_OK) {
		plx_warn("unable to open spool %s: %s", sp->path, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

int
spool_replaced(const struct spool *sp)
{
	struct stat st;

	if (stat(sp->path, &st) < 0)
		return errno == ENOENT ? SPOOL_GONE : SPOOL_SAME;   /* unknown: as it was */
	return st.st_dev != sp->dev || st.st_ino != sp->ino ? SPOOL_OTHER : SPOOL_SAME;
}

int64_t
spool_move_rows(struct spool *from, struct spool *to)
{
	struct spool_stats st;
	sqlite3_stmt *q;
	int64_t after = 0, n = 0;
	int rc;

	if (!strcmp(from->id, to->id)) {
		if ((rc = spool_stats(to, &st)) < 0)
			return rc;
		after = st.last_seq;
	}
	if ((rc = sqlite3_prepare_v2(from->db, "SELECT t, data FROM records WHERE seq > ? ORDER BY seq",
	                             -1, &q, NULL)) != SQLITE_OK)
		return fail(from, "read", rc);
	sqlite3_bind_int64(q, 1, after);
	if ((rc = spool_begin(to)) < 0)
		goto out;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((rc = spool_insert(to, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
		                       sqlite3_column_int64(q, 0))) < 0)
			break;
		n++;
	}
	if (rc == SQLITE_DONE)
		rc = spool_commit(to);
	else if (rc >= 0)
		rc = fail(from, "read", rc);
	if (rc < 0)
		spool_rollback(to);
out:
	sqlite3_finalize(q);
	return rc < 0 ? rc : n;
}

void
spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->in_txn)
		spool_commit(sp);
	close_db(sp);
	if (sp->latest)
		plx_latest_free(sp->latest);
	free(sp->latest);
	free(sp->path);
	free(sp);
}

static int
fail(struct spool *sp, const char *what, int rc)
{
	if ((rc & 0xff) == SQLITE_FULL)
		return SPOOL_FULL;     /* the caller waits for room, and says so */
	plx_warn("spool %s: %s: %s", sp->path, what, sqlite3_errmsg(sp->db));
	return spool_damaged(rc) ? SPOOL_DAMAGED : -1;
}

void
spool_keep_latest(struct spool *sp, const char *default_source)
{
	if (sp->latest)
		return;
	sp->latest = plx_xmalloc(sizeof *sp->latest);
	plx_latest_init(sp->latest, default_source);
}

void
spool_note(struct spool *sp, const struct plx_point *p)
{
	if (sp->latest && sp->in_txn)
		plx_latest_note(sp->latest, p);
}

int
spool_begin(struct spool *sp)
{
	int rc;

	if (sp->in_txn)
		return 0;
	/* IMMEDIATE takes the write lock now, so the transaction cannot fail
	 * later with SQLITE_BUSY on its first write. */
	if ((rc = sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return fail(sp, "begin", rc);
	sp->in_txn = 1;
	memset(&sp->d, 0, sizeof sp->d);
	sqlite3_step(sp->base);
	sp->depth0 = sqlite3_column_int64(sp->base, 0);
	sp->bytes0 = sqlite3_column_int64(sp->base, 1);
	sp->seq = sqlite3_column_int64(sp->base, 2);
	sqlite3_reset(sp->base);
	return 0;
}

/* The integer a statement (a PRAGMA or a SELECT) gives first; 0: none. */
static int64_t
pragma_int(struct spool *sp, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = 0;

	if (sqlite3_prepare_v2(sp->db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

void
spool_set_budget(struct spool *sp, int64_t bytes)
{
	int64_t page = pragma_int(sp, "PRAGMA page_size"), pages = bytes / 4 / page;
	char sql[64];

	pages = pages < 1 ? 1 : pages > 1000 ? 1000 : pages;
	snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%lld", (long long)pages);
	sqlite3_exec(sp->db, sql, NULL, NULL, NULL);
	sp->wal_cap = pages * page;
}

int64_t
spool_footprint(struct spool *sp)
{
	return (pragma_int(sp, "PRAGMA page_count") - pragma_int(sp, "PRAGMA freelist_count")) *
	       pragma_int(sp, "PRAGMA page_size") + sp->wal_cap;
}

int64_t spool_depth(const struct spool *sp) { return sp->depth0 + sp->d.depth; }
int64_t spool_bytes(const struct spool *sp) { return sp->bytes0 + sp->d.bytes; }

static int
step_done(struct spool *sp, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(sp, what, rc);
}

int
spool_insert(struct spool *sp, const char *data, size_t len, int64_t now)
{
	sqlite3_bind_int64(sp->ins, 1, sp->seq + 1);
	sqlite3_bind_int64(sp->ins, 2, now);
	sqlite3_bind_blob(sp->ins, 3, data, (int)len, SQLITE_STATIC);
	if (step_done(sp, sp->ins, "insert") < 0)
		return -1;
	sp->seq++;
	sp->d.depth++;
	sp->d.bytes += len;
	sp->d.accepted++;
	return 0;
}

void spool_count_rejected(struct spool *sp, int64_t n) { sp->d.rejected += n; }
void spool_count_dropped(struct spool *sp, int64_t n) { sp->d.dropped += n; }

static int
write_deltas(struct spool *sp)
{
	struct spool_stats *d = &sp->d;

	sqlite3_bind_int64(sp->upd, 1, d->depth);
	sqlite3_bind_int64(sp->upd, 2, d->bytes);
	sqlite3_bind_int64(sp->upd, 3, d->accepted);
	sqlite3_bind_int64(sp->upd, 4, d->rejected);
	sqlite3_bind_int64(sp->upd, 5, d->dropped);
	sqlite3_bind_int64(sp->upd, 6, d->acked);
	sqlite3_bind_int64(sp->upd, 7, d->dead);
	sqlite3_bind_int64(sp->upd, 8, sp->seq);
	return step_done(sp, sp->upd, "update counters");
}

int
spool_commit(struct spool *sp)
{
	int rc;

	if (!sp->in_txn)
		return 0;
	if (sp->latest && (rc = plx_latest_flush(sp->latest, sp->db, spool_now(sp))) != SQLITE_OK) {
		rc = fail(sp, "latest values", rc);
		spool_rollback(sp);
		return rc;
	}
	if (write_deltas(sp) < 0) {
		spool_rollback(sp);
		return -1;
	}
	if ((rc = sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		rc = fail(sp, "commit", rc);
		spool_rollback(sp);
		return rc;
	}
	sp->in_txn = 0;
	return 0;
}

void
spool_rollback(struct spool *sp)
{
	if (sp->in_txn)
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
	if (sp->latest)
		plx_latest_clear(sp->latest);
	sp->in_txn = 0;
	memset(&sp->d, 0, sizeof sp->d);
}

int64_t
spool_drop_oldest(struct spool *sp, int64_t rows, int64_t bytes, int64_t before_t)
{
	int64_t n = 0, b = 0, last = -1;
	sqlite3_stmt *del;
	int rc;

	while ((rc = sqlite3_step(sp->walk)) == SQLITE_ROW) {
		if (n >= rows && b >= bytes && sqlite3_column_int64(sp->walk, 1) >= before_t)
			break;
		last = sqlite3_column_int64(sp->walk, 0);
		b += sqlite3_column_int64(sp->walk, 2);
		n++;
	}
	sqlite3_reset(sp->walk);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(sp, "scan oldest", rc);
	if (last < 0)
		return 0;
	if (sqlite3_prepare_v2(sp->db, "DELETE FROM records WHERE seq <= ?", -1, &del, NULL))
		return fail(sp, "drop", sqlite3_errcode(sp->db));
	sqlite3_bind_int64(del, 1, last);
	rc = step_done(sp, del, "drop");
	sqlite3_finalize(del);
	if (rc < 0)
		return rc;
	sp->d.depth -= n;
	sp->d.bytes -= b;
	sp->d.dropped += n;
	return n;
}

int
spool_fetch(struct spool *sp, int64_t after, int limit, spool_row_fn fn, void *arg)
{
	int rc, n = 0;

	sqlite3_bind_int64(sp->fetch, 1, after);
	sqlite3_bind_int(sp->fetch, 2, limit);
	while ((rc = sqlite3_step(sp->fetch)) == SQLITE_ROW) {
		n++;
		if (fn(arg, sqlite3_column_int64(sp->fetch, 0), sqlite3_column_blob(sp->fetch, 1),
		       sqlite3_column_bytes(sp->fetch, 1)))
			break;
	}
	sqlite3_reset(sp->fetch);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(sp, "read", rc);
	return n;
}

/* Deletes the rows lo..hi inside the open transaction; adds how many there
 * were and their size.  Ranges, not single rows: acknowledgements come in
 * runs of consecutive seqs, and one range delete costs what one row does. */
static int
del_range(struct spool *sp, int64_t lo, int64_t hi, int64_t *rows, int64_t *bytes)
{
	int rc;

	sqlite3_bind_int64(sp->measure, 1, lo);
	sqlite3_bind_int64(sp->measure, 2, hi);
	if ((rc = sqlite3_step(sp->measure)) == SQLITE_ROW) {
		*rows += sqlite3_column_int64(sp->measure, 0);
		*bytes += sqlite3_column_int64(sp->measure, 1);
	}
	sqlite3_reset(sp->measure);
	if (rc != SQLITE_ROW)
		return fail(sp, "measure", rc);
	sqlite3_bind_int64(sp->del, 1, lo);
	sqlite3_bind_int64(sp->del, 2, hi);
	return step_done(sp, sp->del, "delete");
}

static int
cmp_lo(const void *a, const void *b)
{
	int64_t x = ((const struct spool_range *)a)->lo, y = ((const struct spool_range *)b)->lo;

	return (x > y) - (x < y);
}

int
spool_ack(struct spool *sp, const struct spool_range *r, size_t n)
{
	int64_t rows = 0, bytes = 0, hi;
	struct spool_range *s;
	size_t i, j;
	int rc;

	if (n == 0)
		return 0;
	s = plx_xmalloc(n * sizeof *s);
	memcpy(s, r, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_lo);
	if ((rc = spool_begin(sp)) < 0)
		goto out;
	/* ranges that overlap or touch, deleted as one */
	for (i = 0; i < n; i = j) {
		for (hi = s[i].hi, j = i + 1; j < n && s[j].lo <= hi + 1; j++)
			if (s[j].hi > hi)
				hi = s[j].hi;
		if ((rc = del_range(sp, s[i].lo, hi, &rows, &bytes)) < 0) {
			spool_rollback(sp);
			goto out;
		}
	}
	sp->d.depth -= rows;
	sp->d.acked += rows;
	sp->d.bytes -= bytes;
	rc = spool_commit(sp);
out:
	free(s);
	return rc;
}

int
spool_bury(struct spool *sp, int64_t seq, const char *data, size_t len, int status, const char *error)
{
	int64_t rows = 0, bytes = 0;
	int rc;

	if ((rc = spool_begin(sp)) < 0)
		return rc;
	if ((rc = del_range(sp, seq, seq, &rows, &bytes)) < 0)
		goto bad;
	sqlite3_bind_int64(sp->deadins, 1, seq);
	sqlite3_bind_int64(sp->deadins, 2, plx_now_ms());
	sqlite3_bind_int(sp->deadins, 3, status);
	sqlite3_bind_text(sp->deadins, 4, error, -1, SQLITE_STATIC);
	sqlite3_bind_blob(sp->deadins, 5, data, (int)len, SQLITE_STATIC);
	if ((rc = step_done(sp, sp->deadins, "dead letter")) < 0)
		goto bad;
	sp->d.depth -= rows;
	sp->d.bytes -= bytes;
	/* A seq buried twice (a duplicate delivery) is one dead letter, kept
	 * with its first reason, and counted once. */
	if (sqlite3_changes(sp->db) > 0)
		sp->d.dead++;
	return spool_commit(sp);
bad:
	spool_rollback(sp);
	return rc;
}

int
spool_stats(struct spool *sp, struct spool_stats *st)
{
	sqlite3_stmt *q;
	int rc;

	memset(st, 0, sizeof *st);
	/* One read transaction, so the counters and the oldest row agree.
	 * Inside the caller's write transaction, that one is used: a COMMIT
	 * here would commit the caller's rows without their counters. */
	if (!sp->in_txn)
		sqlite3_exec(sp->db, "BEGIN", NULL, NULL, NULL);
	rc = sqlite3_prepare_v2(sp->db, "SELECT depth, bytes, accepted, rejected, dropped, acked, dead,"
	                        " (SELECT t FROM records ORDER BY seq LIMIT 1),"
	                        " " LAST_SEQ " FROM stats WHERE id = 1", -1, &q, NULL);
	if (rc != SQLITE_OK)      /* looked at (SPOOL_LOOK), made before stats.last_seq */
		rc = sqlite3_prepare_v2(sp->db, "SELECT depth, bytes, accepted, rejected, dropped, acked, dead,"
		                        " (SELECT t FROM records ORDER BY seq LIMIT 1),"
		                        " (SELECT seq FROM sqlite_sequence WHERE name = 'records')"
		                        " FROM stats WHERE id = 1", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		st->depth = sqlite3_column_int64(q, 0);
		st->bytes = sqlite3_column_int64(q, 1);
		st->accepted = sqlite3_column_int64(q, 2);
		st->rejected = sqlite3_column_int64(q, 3);
		st->dropped = sqlite3_column_int64(q, 4);
		st->acked = sqlite3_column_int64(q, 5);
		st->dead = sqlite3_column_int64(q, 6);
		st->oldest_t = sqlite3_column_int64(q, 7);
		st->last_seq = sqlite3_column_int64(q, 8);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	if (!sp->in_txn)
		sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail(sp, "stats", rc);
}

int
spool_note_upload(struct spool *sp, const struct spool_upload *u)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(sp->db, "INSERT OR REPLACE INTO uploader VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
	                        -1, &q, NULL);
	if (rc != SQLITE_OK)
		return fail(sp, "note upload", rc);
	sqlite3_bind_int64(q, 1, u->t);
	sqlite3_bind_int64(q, 2, u->last_success);
	sqlite3_bind_int64(q, 3, u->status);
	sqlite3_bind_text(q, 4, u->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, u->latency_ms);
	if (u->clock_offset_ms != INT64_MIN)
		sqlite3_bind_int64(q, 6, u->clock_offset_ms);
	sqlite3_bind_int64(q, 7, u->requests);
	sqlite3_bind_int64(q, 8, u->retries);
	rc = step_done(sp, q, "note upload");
	sqlite3_finalize(q);
	return rc;
}

int
spool_last_upload(struct spool *sp, struct spool_upload *u)
{
	sqlite3_stmt *q;
	int rc;

	memset(u, 0, sizeof *u);
	u->clock_offset_ms = INT64_MIN;
	rc = sqlite3_prepare_v2(sp->db, "SELECT t, last_success, status, error, latency_ms,"
	                        " clock_offset_ms, requests, retries FROM uploader WHERE id = 1", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		u->t = sqlite3_column_int64(q, 0);
		u->last_success = sqlite3_column_int64(q, 1);
		u->status = (long)sqlite3_column_int64(q, 2);
		snprintf(u->error, sizeof u->error, "%s", (const char *)sqlite3_column_text(q, 3));
		u->latency_ms = sqlite3_column_int64(q, 4);
		if (sqlite3_column_type(q, 5) != SQLITE_NULL)
			u->clock_offset_ms = sqlite3_column_int64(q, 5);
		u->requests = sqlite3_column_int64(q, 6);
		u->retries = sqlite3_column_int64(q, 7);
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? 0 : fail(sp, "last upload", rc);
}

int
spool_dead_list(struct spool *sp, int (*fn)(void *, int64_t, int64_t, int, const char *, const char *),
                void *arg)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = sqlite3_prepare_v2(sp->db, "SELECT seq, t, status, error, CAST(data AS TEXT)"
	                             " FROM dead ORDER BY seq", -1, &q, NULL)) != SQLITE_OK)
		return fail(sp, "list dead letters", rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), sqlite3_column_int(q, 2),
		       (const char *)sqlite3_column_text(q, 3), (const char *)sqlite3_column_text(q, 4)))
			break;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(sp, "list dead letters", rc);
}

int
spool_devices(struct spool *sp, int (*fn)(void *, const char *reader, const char *device, int connected,
              int silent, int64_t updated), void *arg)
{
	sqlite3_stmt *q;
	int rc;

	/* a spool no plx-buffer with the table has opened yet (--status
	 * creates nothing): no device known */
	if ((rc = sqlite3_prepare_v2(sp->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'devices'",
	                             -1, &q, NULL)) != SQLITE_OK)
		return fail(sp, "list devices", rc);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : fail(sp, "list devices", rc);
	if ((rc = sqlite3_prepare_v2(sp->db, "SELECT reader, device, connected, silent, updated FROM devices"
	                             " ORDER BY reader, device", -1, &q, NULL)) != SQLITE_OK)
		return fail(sp, "list devices", rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		       sqlite3_column_int(q, 2), sqlite3_column_int(q, 3), sqlite3_column_int64(q, 4)))
			break;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(sp, "list devices", rc);
}

int64_t
spool_forget_devices(struct spool *sp, const char *reader, const char *device)
{
	sqlite3_stmt *q;
	int64_t n;
	int rc;

	/* in a transaction of our own, as every write must (spool_dead_seen) */
	if ((rc = spool_begin(sp)) < 0)
		return rc;
	if ((rc = sqlite3_prepare_v2(sp->db, "DELETE FROM devices WHERE reader = ?1 AND (?2 IS NULL OR device = ?2)",
	                             -1, &q, NULL)) != SQLITE_OK)
		goto bad;
	sqlite3_bind_text(q, 1, reader, -1, SQLITE_STATIC);
	if (device)
		sqlite3_bind_text(q, 2, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		goto bad;
	n = sqlite3_changes(sp->db);
	return spool_commit(sp) < 0 ? -1 : n;
bad:
	rc = fail(sp, "forget devices", rc);
	spool_rollback(sp);
	return rc;
}

int64_t
spool_requeue_dead(struct spool *sp, int64_t now)
{
	sqlite3_stmt *q;
	int64_t n;
	int rc;

	if ((rc = spool_begin(sp)) < 0)
		return rc;
	/* New seqs: the drainer's cursor has passed the old ones.  And a new
	 * insertion time: with the burial time, --max-age would drop at once
	 * the letters someone just asked to send again. */
	if ((rc = sqlite3_prepare_v2(sp->db, "INSERT INTO records(seq, t, data)"
	                             " SELECT ?2 + row_number() OVER (ORDER BY seq), ?1, data FROM dead ORDER BY seq",
	                             -1, &q, NULL)) != SQLITE_OK)
		goto bad;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, sp->seq);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		goto bad;
	n = sqlite3_changes(sp->db);
	sp->seq += n;
	if ((rc = sqlite3_prepare_v2(sp->db, "SELECT coalesce(sum(length(data)), 0) FROM dead", -1, &q, NULL)))
		goto bad;
	sqlite3_step(q);
	sp->d.bytes += sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if ((rc = sqlite3_exec(sp->db, "DELETE FROM dead", NULL, NULL, NULL)) != SQLITE_OK)
		goto bad;
	sp->d.depth += n;
	sp->d.dead -= n;
	return spool_commit(sp) < 0 ? -1 : n;
bad:
	rc = fail(sp, "requeue dead letters", rc);
	spool_rollback(sp);
	return rc;
}

int
spool_dead_seen(struct spool *sp, int64_t seq)
{
	sqlite3_stmt *q;
	int rc;

	/* in a transaction of our own: its commit rewrites the stats row (the
	 * spool id), as every write must (spool_open's WAL check) */
	if ((rc = spool_begin(sp)) < 0)
		return rc;
	if ((rc = sqlite3_prepare_v2(sp->db, "INSERT INTO dead_seen VALUES (1, ?)"
	                             " ON CONFLICT(id) DO UPDATE SET seq = max(seq, excluded.seq)",
	                             -1, &q, NULL)) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, seq);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
	}
	if (rc != SQLITE_DONE) {
		rc = fail(sp, "mark dead letters seen", rc);
		spool_rollback(sp);
		return rc;
	}
	return spool_commit(sp);
}

int64_t
spool_dead_unseen(struct spool *sp)
{
	sqlite3_stmt *q;
	int64_t n = -1;
	int rc;

	/* a spool from before the mark, only looked at (--status): none seen */
	if (sqlite3_prepare_v2(sp->db, "SELECT count(*) FROM dead WHERE seq >"
	                       " coalesce((SELECT seq FROM dead_seen WHERE id = 1), 0)", -1, &q, NULL) != SQLITE_OK &&
	    (rc = sqlite3_prepare_v2(sp->db, "SELECT count(*) FROM dead", -1, &q, NULL)) != SQLITE_OK)
		return fail(sp, "count dead letters", rc);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n >= 0 ? n : fail(sp, "count dead letters", rc);
}

/* lib/spool.c: the SQLite spool shared by plx-buffer and plx-upload.
 *
 * After every operation the counters in the stats row are compared with a
 * recount of the tables themselves (truth()), so "exact" means exact.
 * Damage is made by hand: garbage over the header, a file cut in half, a
 * page of garbage in the middle of a spool of thousands of rows; each must
 * be set aside as PATH.damaged-<ms> and a fresh spool started. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spool.h"
#include "spool_schema.h"
#include "unit.h"

static char dir[64];

static const char *
at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

/* What the tables hold, counted afresh. */
struct truth { int64_t depth, bytes, dead; };

static void
truth(struct spool *sp, struct truth *t)
{
	sqlite3_stmt *q;

	sqlite3_prepare_v2(sp->db, "SELECT (SELECT count(*) FROM records),"
	                   " (SELECT coalesce(sum(length(data)), 0) FROM records),"
	                   " (SELECT count(*) FROM dead)", -1, &q, NULL);
	sqlite3_step(q);
	t->depth = sqlite3_column_int64(q, 0);
	t->bytes = sqlite3_column_int64(q, 1);
	t->dead = sqlite3_column_int64(q, 2);
	sqlite3_finalize(q);
}

/* The stats row agrees with the tables and with the expected counters. */
static void
expect(struct spool *sp, const char *what, int64_t depth, int64_t bytes, int64_t accepted,
       int64_t rejected, int64_t dropped, int64_t acked, int64_t dead)
{
	struct spool_stats st;
	struct truth t;

	T(spool_stats(sp, &st) == 0, "%s: spool_stats", what);
	truth(sp, &t);
	T(st.depth == depth && st.bytes == bytes && st.accepted == accepted && st.rejected == rejected &&
	  st.dropped == dropped && st.acked == acked && st.dead == dead,
	  "%s: counters depth %lld bytes %lld accepted %lld rejected %lld dropped %lld acked %lld dead %lld",
	  what, (long long)depth, (long long)bytes, (long long)accepted, (long long)rejected,
	  (long long)dropped, (long long)acked, (long long)dead);
	if (st.depth != depth || st.bytes != bytes || st.accepted != accepted || st.rejected != rejected ||
	    st.dropped != dropped || st.acked != acked || st.dead != dead)
		printf("#   got depth %lld bytes %lld accepted %lld rejected %lld dropped %lld acked %lld dead %lld\n",
		       (long long)st.depth, (long long)st.bytes, (long long)st.accepted, (long long)st.rejected,
		       (long long)st.dropped, (long long)st.acked, (long long)st.dead);
	T(st.depth == t.depth && st.bytes == t.bytes && st.dead == t.dead,
	  "%s: counters match the tables (%lld rows, %lld bytes, %lld dead)", what,
	  (long long)t.depth, (long long)t.bytes, (long long)t.dead);
}

/* Collects what spool_fetch passes. */
struct got { int n, stop_at; int64_t seq[64]; char data[64][32]; int len[64]; };

static int
collect(void *arg, int64_t seq, const void *data, int len)
{
	struct got *g = arg;

	if (g->n < 64) {
		g->seq[g->n] = seq;
		g->len[g->n] = len;
		memcpy(g->data[g->n], data, len < 32 ? len : 31);
		g->data[g->n][len < 32 ? len : 31] = '\0';
	}
	return ++g->n == g->stop_at;
}

static int
fetch(struct spool *sp, int64_t after, int limit, struct got *g)
{
	memset(g, 0, sizeof *g);
	return spool_fetch(sp, after, limit, collect, g);
}

static int64_t
insert_rows(struct spool *sp, int n, const char *data, int64_t t)
{
	int64_t bytes = 0;
	int i;

	spool_begin(sp);
	for (i = 0; i < n; i++) {
		spool_insert(sp, data, strlen(data), t);
		bytes += strlen(data);
	}
	spool_commit(sp);
	return bytes;
}

/* spool_ack of single seqs */
static int
ack(struct spool *sp, const int64_t *seq, size_t n)
{
	struct spool_range r[64];
	size_t i;

	for (i = 0; i < n; i++)
		r[i].lo = r[i].hi = seq[i];
	return spool_ack(sp, r, n);
}

/* spool_ack of ranges out of order, overlapping, touching, and beyond the rows */
static void
ranges(void)
{
	struct spool_range r[] = { { 8, 9 }, { 1, 2 }, { 2, 4 }, { 4, 4 }, { 12, 20 } };
	struct spool *sp;
	struct got g = { 0 };

	T(spool_open(&sp, at("ranges.db"), 0) == 0, "open ranges.db");
	insert_rows(sp, 10, "abc", 1000);
	T(spool_ack(sp, r, 5) == 0, "ack 8-9, 1-2, 2-4, 4-4, 12-20");
	T(fetch(sp, 0, 20, &g) == 4 && g.seq[0] == 5 && g.seq[1] == 6 && g.seq[2] == 7 && g.seq[3] == 10,
	  "left: 5, 6, 7, 10");
	expect(sp, "after ranges", 4, 12, 10, 0, 0, 6, 0);
	spool_close(sp);
}

static void
basics(void)
{
	struct spool *sp = NULL, *sp2 = NULL;
	struct spool_stats st;
	struct got g;
	int64_t seqs[3];
	char data[] = "a\0b";
	int rc;

	T(spool_open(&sp, at("deep/er/spool.db"), 0) == 0, "open creates the spool and its directories");
	T(access(at("deep/er/spool.db"), F_OK) == 0, "the file exists");
	expect(sp, "new spool", 0, 0, 0, 0, 0, 0, 0);
	T(spool_stats(sp, &st) == 0 && st.oldest_t == 0 && st.last_seq == 0, "new spool: no oldest row, no seq");

	/* a transaction: counted as of now inside it, visible to others at commit */
	T(spool_open(&sp2, at("deep/er/spool.db"), 0) == 0, "a second connection");
	T(spool_begin(sp) == 0, "begin");
	T(spool_insert(sp, "{\"r\":1}", 7, 1000) == 0, "insert 1");
	T(spool_insert(sp, "{\"r\":22}", 8, 2000) == 0, "insert 2");
	T(spool_insert(sp, data, 3, 3000) == 0, "insert 3 (a NUL inside)");
	spool_count_rejected(sp, 2);
	spool_count_dropped(sp, 0);
	T(spool_depth(sp) == 3 && spool_bytes(sp) == 18, "depth and bytes inside the transaction");
	T(spool_begin(sp) == 0, "begin again inside a transaction: a no-op");
	T(fetch(sp2, 0, 10, &g) == 0, "the other connection sees nothing uncommitted");
	T(spool_stats(sp, &st) == 0, "spool_stats inside a transaction");
	T(spool_commit(sp) == 0, "commit after spool_stats inside the transaction");
	expect(sp, "3 rows", 3, 18, 3, 2, 0, 0, 0);
	expect(sp2, "3 rows, seen by the other connection", 3, 18, 3, 2, 0, 0, 0);
	T(spool_commit(sp) == 0, "commit without a transaction: a no-op");

	T(fetch(sp2, 0, 10, &g) == 3 && g.seq[0] == 1 && g.seq[1] == 2 && g.seq[2] == 3, "fetch all: seq 1, 2, 3");
	T(!strcmp(g.data[0], "{\"r\":1}") && g.len[2] == 3 && !memcmp(g.data[2], data, 3), "fetch returns the bytes");
	T(fetch(sp, 1, 10, &g) == 2 && g.seq[0] == 2, "fetch after 1: 2 rows from seq 2");
	T(fetch(sp, 1, 1, &g) == 1 && g.seq[0] == 2, "fetch with limit 1");
	T(fetch(sp, 3, 10, &g) == 0, "fetch after the last: none");
	memset(&g, 0, sizeof g);
	g.stop_at = 2;
	T(spool_fetch(sp, 0, 10, collect, &g) == 2, "fn returning nonzero stops the fetch");
	T(spool_stats(sp, &st) == 0 && st.oldest_t == 1000 && st.last_seq == 3, "oldest_t 1000, last_seq 3");

	/* rollback: nothing happened */
	spool_begin(sp);
	spool_insert(sp, "x", 1, 4000);
	spool_count_rejected(sp, 5);
	spool_rollback(sp);
	expect(sp, "after a rollback", 3, 18, 3, 2, 0, 0, 0);

	/* acks: by seq, from either connection; unknown seqs ignored */
	seqs[0] = 1;
	seqs[1] = 99;
	seqs[2] = 1;
	T(ack(sp2, seqs, 3) == 0, "ack 1, 99 (unknown) and 1 again");
	expect(sp, "after ack", 2, 11, 3, 2, 0, 1, 0);
	seqs[0] = 1;
	T(ack(sp, seqs, 1) == 0, "ack of an acked seq");
	T(ack(sp, seqs, 0) == 0, "ack of nothing");
	expect(sp, "after acks of unknown seqs", 2, 11, 3, 2, 0, 1, 0);

	/* bury: out of the queue into the dead table */
	T(spool_bury(sp, 2, "{\"r\":22}", 8, 400, "points[0].metric invalid") == 0, "bury seq 2");
	expect(sp, "after bury", 1, 3, 3, 2, 0, 1, 1);
	T(spool_bury(sp, 2, "{\"r\":22}", 8, 422, "again") == 0, "bury seq 2 twice");
	expect(sp, "a seq buried twice is one dead letter", 1, 3, 3, 2, 0, 1, 1);
	T(spool_bury(sp, 77, "{\"r\":77}", 8, 400, "gone") == 0, "bury a seq no longer queued");
	expect(sp, "after bury of an unqueued seq", 1, 3, 3, 2, 0, 1, 2);

	/* requeue: new seqs after every seq ever used, inserted now */
	rc = (int)spool_requeue_dead(sp, 5000);
	T(rc == 2, "requeue 2 dead letters (%d)", rc);
	expect(sp, "after requeue", 3, 19, 3, 2, 0, 1, 0);
	T(fetch(sp, 3, 10, &g) == 2 && g.seq[0] == 4 && g.seq[1] == 5, "requeued as seq 4 and 5");
	T(spool_stats(sp, &st) == 0 && st.oldest_t == 3000, "oldest row still the one of t 3000");
	T(spool_requeue_dead(sp, 6000) == 0, "requeue with no dead letters: 0");
	seqs[0] = 3;
	ack(sp, seqs, 1);
	T(spool_stats(sp, &st) == 0 && st.oldest_t == 5000, "requeued rows carry the requeue time");
	expect(sp, "after ack 3", 2, 16, 3, 2, 0, 2, 0);

	/* spool_close commits a transaction in hand */
	spool_begin(sp);
	spool_insert(sp, "late", 4, 7000);
	spool_close(sp);
	spool_close(sp2);
	spool_close(NULL);
	T(spool_open(&sp, at("deep/er/spool.db"), 1) == 0, "reopen (sync_full)");
	expect(sp, "close committed the open transaction", 3, 20, 4, 2, 0, 2, 0);
	spool_close(sp);
}

static void
drops(void)
{
	struct spool *sp;
	struct got g;
	int64_t n, all[40];
	int i;

	T(spool_open(&sp, at("drop.db"), 0) == 0, "open drop.db");
	/* 10 rows of 10 bytes, t = 100, 200, ... 1000 */
	spool_begin(sp);
	for (i = 1; i <= 10; i++)
		spool_insert(sp, "0123456789", 10, i * 100);
	spool_commit(sp);
	expect(sp, "10 rows", 10, 100, 10, 0, 0, 0, 0);

	spool_begin(sp);
	n = spool_drop_oldest(sp, 2, 0, INT64_MIN);
	T(n == 2 && spool_depth(sp) == 8 && spool_bytes(sp) == 80, "drop 2 rows: depth and bytes follow at once");
	spool_commit(sp);
	expect(sp, "dropped 2 by rows", 8, 80, 10, 0, 2, 0, 0);
	T(fetch(sp, 0, 1, &g) == 1 && g.seq[0] == 3, "the oldest left is seq 3");

	spool_begin(sp);
	n = spool_drop_oldest(sp, 0, 25, INT64_MIN);
	spool_commit(sp);
	T(n == 3, "drop 25 bytes: 3 rows of 10 (%lld)", (long long)n);
	expect(sp, "dropped 3 by bytes", 5, 50, 10, 0, 5, 0, 0);

	spool_begin(sp);
	n = spool_drop_oldest(sp, 0, 0, 800);
	spool_commit(sp);
	T(n == 2, "drop older than t 800: t 600 and 700 (%lld)", (long long)n);
	expect(sp, "dropped 2 by age", 3, 30, 10, 0, 7, 0, 0);

	spool_begin(sp);
	n = spool_drop_oldest(sp, 0, 0, 800);
	spool_commit(sp);
	T(n == 0, "nothing older than 800 left: 0");
	spool_begin(sp);
	n = spool_drop_oldest(sp, 1, 15, 0);
	spool_commit(sp);
	T(n == 2, "rows and bytes together: the larger wins (2 rows for 15 bytes)");
	expect(sp, "dropped 2 by rows and bytes", 1, 10, 10, 0, 9, 0, 0);
	spool_begin(sp);
	n = spool_drop_oldest(sp, 100, 0, INT64_MIN);
	spool_commit(sp);
	T(n == 1, "more rows than there are: all of them");
	expect(sp, "dropped all", 0, 0, 10, 0, 10, 0, 0);
	spool_begin(sp);
	T(spool_drop_oldest(sp, 5, 5, INT64_MAX) == 0, "drop from an empty spool: 0");
	spool_commit(sp);

	/* seq never reused: not after drops, not after acks, not after reopen */
	insert_rows(sp, 1, "x", 2000);
	T(fetch(sp, 0, 10, &g) == 1 && g.seq[0] == 11, "after 10 rows dropped, the next seq is 11");
	all[0] = 11;
	ack(sp, all, 1);
	spool_close(sp);
	T(spool_open(&sp, at("drop.db"), 0) == 0, "reopen");
	insert_rows(sp, 3, "y", 3000);
	T(fetch(sp, 0, 10, &g) == 3 && g.seq[0] == 12 && g.seq[2] == 14, "after all acked and a reopen: 12, 13, 14");
	for (i = 0; i < 3; i++)
		all[i] = g.seq[i];
	ack(sp, all, 3);
	insert_rows(sp, 1, "z", 4000);
	T(fetch(sp, 0, 10, &g) == 1 && g.seq[0] == 15, "ack all, insert: seq 15");
	expect(sp, "in the end", 1, 1, 15, 0, 10, 4, 0);
	spool_close(sp);
}

/* A spool made when seq came from AUTOINCREMENT (stats without last_seq):
 * looked at as it is, then opened: its records table is made again without
 * the keyword, its rows kept, and no seq it gave is given again, also when
 * every row was acknowledged and for dead letters sent again. */
static void
old_seq(void)
{
	static const char *const old[] = {
		/* rows 1 to 5 given, 1 to 3 acknowledged */
		"DELETE FROM records WHERE seq <= 3; UPDATE stats SET depth = 2, bytes = 4, acked = 3;",
		/* all five acknowledged */
		"DELETE FROM records; UPDATE stats SET depth = 0, bytes = 0, acked = 5;",
	};
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	sqlite3_stmt *q;
	char sql[4096];
	int64_t seq[2];
	size_t i;

	for (i = 0; i < sizeof old / sizeof *old; i++) {
		const char *f = at(i ? "old-empty.db" : "old.db");
		sqlite3 *db;
		int left = i ? 0 : 2, auto_left = -1;

		/* today's tables, but records and stats as they were */
		snprintf(sql, sizeof sql,
		         "PRAGMA journal_mode=WAL;" PLX_SPOOL_SCHEMA "DROP TABLE records; DROP TABLE stats;"
		         "CREATE TABLE records(seq INTEGER PRIMARY KEY AUTOINCREMENT, t INTEGER NOT NULL, data BLOB NOT NULL);"
		         "CREATE TABLE stats(id INTEGER PRIMARY KEY CHECK (id = 1), depth INTEGER NOT NULL,"
		         " bytes INTEGER NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,"
		         " dropped INTEGER NOT NULL, acked INTEGER NOT NULL, dead INTEGER NOT NULL, spool_id TEXT);"
		         "INSERT INTO stats VALUES (1, 5, 10, 5, 0, 0, 0, 0, '0123456789abcdef');"
		         "INSERT INTO records(t, data) VALUES (1, 'r1'), (2, 'r2'), (3, 'r3'), (4, 'r4'), (5, 'r5');"
		         "%s", old[i]);
		T(sqlite3_open(f, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
		  "%s: made as before stats.last_seq", f);
		sqlite3_close(db);

		T(spool_open(&sp, f, SPOOL_LOOK) == 0 && spool_stats(sp, &st) == 0 && st.last_seq == 5 &&
		  st.depth == left, "%s looked at: last_seq 5 (AUTOINCREMENT's), depth %d", f, left);
		spool_close(sp);

		T(spool_open(&sp, f, 0) == 0, "%s opened", f);
		T(spool_stats(sp, &st) == 0 && st.last_seq == 5, "%s: last_seq 5 kept", f);
		T(fetch(sp, 0, 10, &g) == left && (!left || (g.seq[0] == 4 && !strcmp(g.data[1], "r5"))),
		  "%s: its %d rows kept, with their seqs", f, left);
		if (sqlite3_prepare_v2(sp->db, "SELECT sql LIKE '%AUTOINCREMENT%' FROM sqlite_schema WHERE name = 'records'",
		                       -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
			auto_left = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		T(auto_left == 0, "%s: records made again without AUTOINCREMENT", f);
		insert_rows(sp, 1, "n6", 6);
		T(fetch(sp, 5, 10, &g) == 1 && g.seq[0] == 6, "%s: the next seq is 6", f);
		expect(sp, f, left + 1, 2 * left + 2, 6, 0, 0, 5 - left, 0);

		/* every row acknowledged, one buried: sent again, it is given 7 */
		T(fetch(sp, 0, 10, &g) == left + 1, "%s: %d rows", f, left + 1);
		seq[0] = g.seq[0];
		T(spool_bury(sp, g.seq[0], g.data[0], (size_t)g.len[0], 400, "bad") == 0, "%s: seq %lld buried", f,
		  (long long)seq[0]);
		while (fetch(sp, 0, 1, &g) == 1)
			ack(sp, g.seq, 1);
		T(spool_requeue_dead(sp, 7) == 1 && fetch(sp, 0, 10, &g) == 1 && g.seq[0] == 7,
		  "%s: a dead letter sent again is seq 7, past every seq given", f);
		spool_close(sp);
	}

	/* a backlog past SEQ_COPY_MAX (stats say so): the old table stays, and
	 * seqs still go on from the highest given */
	{
		const char *f = at("old.db");
		sqlite3 *db;
		int auto_left = -1;

		T(sqlite3_open(f, &db) == SQLITE_OK &&
		  sqlite3_exec(db, "PRAGMA journal_mode=WAL; DROP TABLE records;"
		               "CREATE TABLE records(seq INTEGER PRIMARY KEY AUTOINCREMENT, t INTEGER NOT NULL, data BLOB NOT NULL);"
		               "INSERT INTO records VALUES (20, 1, 'r20'); UPDATE stats SET depth = 200000, last_seq = 0;",
		               NULL, NULL, NULL) == SQLITE_OK, "old.db: AUTOINCREMENT again, 200,000 rows said");
		sqlite3_close(db);
		T(spool_open(&sp, f, 0) == 0, "old.db opened");
		if (sqlite3_prepare_v2(sp->db, "SELECT sql LIKE '%AUTOINCREMENT%' FROM sqlite_schema WHERE name = 'records'",
		                       -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
			auto_left = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		T(auto_left == 1, "old.db: a large backlog keeps its table");
		insert_rows(sp, 2, "n", 8);
		T(fetch(sp, 20, 10, &g) == 2 && g.seq[0] == 21 && g.seq[1] == 22 && spool_stats(sp, &st) == 0 &&
		  st.last_seq == 22, "old.db: seqs go on from 20: 21, 22");
		spool_close(sp);
	}
}

/* Names in dir that start with prefix; the last one found in *name. */
static char found[256];

static int
count_files(const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			n++;
			snprintf(found, sizeof found, "%s", e->d_name);
		}
	closedir(d);
	return n;
}

/* Overwrites n bytes at off with garbage. */
static void
scribble(const char *file, off_t off, size_t n)
{
	char *junk = malloc(n);
	int fd = open(file, O_WRONLY);
	size_t i;

	for (i = 0; i < n; i++)
		junk[i] = (char)(i * 37 + 11);
	if (pwrite(fd, junk, n, off) != (ssize_t)n)
		perror("pwrite");
	close(fd);
	free(junk);
}

static void
fill_big(const char *name, int rows)
{
	struct spool *sp;
	char rec[200];
	int i;

	spool_open(&sp, at(name), 0);
	spool_begin(sp);
	for (i = 0; i < rows; i++) {
		int n = snprintf(rec, sizeof rec, "{\"metric\":\"env.temperature\",\"value\":%d.5,"
		                 "\"timestamp\":%d,\"tags\":{\"mac\":\"a4:c1:38:12:34:56\"}}", i, 1763800000 + i);
		spool_insert(sp, rec, n, i);
	}
	spool_commit(sp);
	spool_close(sp);
}

/* A damaged spool is set aside, and the rows still readable in it (at
 * least `lo`, at most `hi` of its 5000) salvaged into the fresh one. */
static void
damaged_case(const char *name, const char *what, void (*harm)(const char *), int64_t lo, int64_t hi)
{
	struct spool_stats s;
	struct truth t;
	struct spool *sp = NULL;
	char prefix[128];
	struct stat st;
	off_t size;

	snprintf(prefix, sizeof prefix, "%s.damaged-", name);
	fill_big(name, 5000);
	stat(at(name), &st);
	size = st.st_size;
	T(size > 400 * 1024, "%s: a spool of 5000 rows (%lld bytes)", what, (long long)size);
	harm(at(name));
	stat(at(name), &st);
	size = st.st_size;
	T(spool_open(&sp, at(name), 0) == 0, "%s: spool_open still succeeds", what);
	T(count_files(prefix) == 1, "%s: set aside as %s<ms>", what, prefix);
	T(stat(at(found), &st) == 0 && st.st_size == size, "%s: the damaged file kept as it was (%lld bytes)",
	  what, (long long)size);
	if (sp) {
		spool_stats(sp, &s);
		truth(sp, &t);
		T(s.depth >= lo && s.depth <= hi && s.depth == t.depth && s.bytes == t.bytes && s.accepted == s.depth,
		  "%s: %lld rows salvaged (%lld to %lld), counted exactly", what, (long long)s.depth, (long long)lo,
		  (long long)hi);
		insert_rows(sp, 2, "fresh", 1);
		spool_stats(sp, &s);
		truth(sp, &t);
		T(s.depth == t.depth && t.depth >= lo + 2, "%s: the fresh spool works", what);
		spool_close(sp);
	}
}

static void harm_header(const char *f) { scribble(f, 0, 100); }
static void harm_middle(const char *f)
{
	struct stat st;

	stat(f, &st);
	scribble(f, (st.st_size / 2) & ~(off_t)4095, 4096);
}
static void harm_truncate(const char *f)
{
	struct stat st;

	stat(f, &st);
	if (truncate(f, st.st_size / 2) < 0)
		perror("truncate");
}
static void harm_text(const char *f)
{
	int fd = open(f, O_WRONLY | O_TRUNC);

	if (write(fd, "hello, this is not a database\n", 30) != 30)
		perror("write");
	close(fd);
}

static void
damage(void)
{
	struct spool *sp;
	struct spool_stats st;
	int fd;

	damaged_case("header.db", "garbage over the header", harm_header, 0, 0);
	damaged_case("middle.db", "a page of garbage in the middle", harm_middle, 4800, 4999);
	damaged_case("cut.db", "cut in half", harm_truncate, 0, 5000);
	damaged_case("text.db", "a text file", harm_text, 0, 0);

	/* an empty file is an empty database, not a damaged one */
	fd = open(at("empty.db"), O_WRONLY | O_CREAT, 0600);
	close(fd);
	T(spool_open(&sp, at("empty.db"), 0) == 0 && count_files("empty.db.damaged-") == 0,
	  "an empty file becomes a spool, not set aside");
	spool_close(sp);

	/* found at run time: spool_reset_damaged sets it aside too */
	T(spool_open(&sp, at("run.db"), 0) == 0, "open run.db");
	insert_rows(sp, 3, "abc", 1);
	T(spool_reset_damaged(sp) == 0, "spool_reset_damaged");
	T(count_files("run.db.damaged-") == 1, "run.db set aside");
	expect(sp, "after spool_reset_damaged: its 3 rows salvaged", 3, 9, 3, 0, 0, 0, 0);
	insert_rows(sp, 1, "abc", 1);
	T(spool_stats(sp, &st) == 0 && st.depth == 4, "and it works");
	spool_close(sp);

	T(spool_damaged(SQLITE_CORRUPT) && spool_damaged(SQLITE_NOTADB) && spool_damaged(SQLITE_CORRUPT_VTAB),
	  "spool_damaged: CORRUPT, NOTADB and their extended codes");
	T(!spool_damaged(SQLITE_BUSY) && !spool_damaged(SQLITE_OK) && !spool_damaged(SQLITE_IOERR_READ),
	  "spool_damaged: not BUSY, OK, IOERR");

	/* a spool that cannot be created: -1, a reason, no crash */
	T(spool_open(&sp, "/proc/no/such/dir/spool.db", 0) < 0, "unwritable path: -1");
}

/* Four processes write into one spool at once, a fifth acks: the counters
 * stay exact and seqs are unique and dense. */
static void
writers(void)
{
	struct spool *sp;
	struct got g;
	int i, j, st, ok = 1;
	int64_t last = 0, seq[50];
	pid_t pid[4];

	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0) {
			struct spool *w;
			if (spool_open(&w, at("many.db"), 0) < 0)
				_exit(1);
			for (j = 0; j < 10; j++) {
				spool_begin(w);
				for (int k = 0; k < 50; k++)
					spool_insert(w, "{\"m\":1}", 7, plx_now_ms());
				spool_count_rejected(w, 1);
				if (spool_commit(w) < 0)
					_exit(2);
			}
			spool_close(w);
			_exit(0);
		}
	}
	T(spool_open(&sp, at("many.db"), 0) == 0, "open many.db");
	/* meanwhile, ack what is there, 50 at a time */
	for (i = 0; i < 20; i++) {
		int n = fetch(sp, last, 50, &g);
		for (j = 0; j < n; j++) {
			if (g.seq[j] != last + 1)
				ok = 0;
			seq[j] = last = g.seq[j];
		}
		if (i % 2)
			ack(sp, seq, n);
		usleep(2000);
	}
	for (i = 0; i < 4; i++) {
		waitpid(pid[i], &st, 0);
		T(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d done", i);
	}
	T(ok, "each fetch continues the seq order without a gap");
	{
		struct spool_stats s;
		struct truth t;
		spool_stats(sp, &s);
		truth(sp, &t);
		T(s.accepted == 2000 && s.rejected == 40 && s.last_seq == 2000, "4 x 500 rows: accepted 2000, seq 2000");
		T(s.depth == t.depth && s.bytes == t.bytes && s.depth + s.acked == 2000,
		  "depth %lld + acked %lld = 2000, as the table says", (long long)s.depth, (long long)s.acked);
	}
	spool_close(sp);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);   /* ok lines stay whole between warnings */
	snprintf(dir, sizeof dir, "/tmp/t_spool.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	plx_log_init("t_spool");
	basics();
	drops();
	damage();
	writers();
	ranges();
	old_seq();
	if (!getenv("KEEP")) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	UNIT_END();
}

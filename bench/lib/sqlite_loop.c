/* bench/sqlite_loop.c: the bare SQLite batched-insert loop, the limit every
 * plx-buffer figure in bench/run is a ratio to.
 *
 *   sqlite_loop DB [ROWS_PER_TXN] < records.ndjson
 *
 * Same schema, pragmas and open flags as lib/spool.c (WAL,
 * synchronous=NORMAL, SQLITE_OPEN_NOMUTEX, the records/dead/stats tables),
 * the same statement (INSERT INTO records(seq, t, data) VALUES (?, ?, ?),
 * seq counting up, data a BLOB, t the insertion time in epoch ms) in BEGIN
 * IMMEDIATE ... COMMIT
 * transactions of ROWS_PER_TXN rows (default 2,000, plx-buffer's
 * --commit-rows), fed the same bytes as the other benchmarks: one row per
 * input line, newline excluded.  What it leaves out is exactly what
 * plx-buffer adds: JSON parsing and validation, the counters row, the
 * read-back SELECT and the output.
 *
 * Prints one line on stdout:
 *   rows=N secs=S rate=R
 * where secs is the wall time from the first read to the last commit.
 * Build: cc -O2 -o sqlite_loop sqlite_loop.c -lsqlite3 (bench/run does). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "spool_schema.h"   /* lib/: the same tables as the spool */

static const char schema[] = PLX_SPOOL_SCHEMA;

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqlite_loop: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
	exit(1);
}

static void
exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

int
main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *ins;
	char *buf = NULL, *p, *end, *nl;
	size_t len = 0, cap = 0;
	ssize_t r;
	long txn = argc > 2 ? atol(argv[2]) : 2000, in_txn = 0;
	int64_t rows = 0;
	double t0, t1;

	if (argc < 2 || txn < 1) {
		fprintf(stderr, "usage: sqlite_loop DB [ROWS_PER_TXN] < records.ndjson\n");
		return 64;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die(db, "open");
	sqlite3_busy_timeout(db, 60000);
	exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
	exec(db, schema);
	if (sqlite3_prepare_v3(db, "INSERT INTO records(seq, t, data) VALUES (?, ?, ?)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK)
		die(db, "prepare");

	t0 = mono();
	/* Input in 1 MiB reads, whole lines at a time: as cheap as it gets, and
	 * the process's peak RSS stays comparable with plx-buffer's. */
	buf = malloc(cap = 1 << 20);
	for (;;) {
		if ((r = read(0, buf + len, cap - len)) < 0) {
			perror("sqlite_loop: read");
			return 74;
		}
		if (r == 0 && len && buf[len - 1] != '\n')
			buf[len++] = '\n';      /* a last line without its newline */
		len += r;
		for (p = buf, end = buf + len; (nl = memchr(p, '\n', end - p)); p = nl + 1) {
			if (nl == p)
				continue;
			if (!in_txn)
				exec(db, "BEGIN IMMEDIATE");
			sqlite3_bind_int64(ins, 1, rows + 1);
			sqlite3_bind_int64(ins, 2, now_ms());
			sqlite3_bind_blob(ins, 3, p, (int)(nl - p), SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die(db, "insert");
			sqlite3_reset(ins);
			rows++;
			if (++in_txn == txn) {
				exec(db, "COMMIT");
				in_txn = 0;
			}
		}
		len = end - p;
		memmove(buf, p, len);
		if (r == 0)
			break;
		if (len == cap) {
			fprintf(stderr, "sqlite_loop: a line longer than %zu bytes\n", cap);
			return 65;
		}
	}
	if (in_txn)
		exec(db, "COMMIT");
	t1 = mono();
	sqlite3_finalize(ins);
	sqlite3_close(db);
	printf("rows=%lld secs=%.3f rate=%.0f\n", (long long)rows, t1 - t0,
	       t1 > t0 ? rows / (t1 - t0) : 0.0);
	free(buf);
	return 0;
}

/* Salvage: the rows still readable in a damaged spool file, copied into a
 * fresh one (spool.h: spool_salvage).
 *
 * One bad page must not cost the whole backlog.  A scan in seq order stops
 * at the first page SQLite cannot read; the rows past it are reached by
 * seeking to a higher seq, which goes down the b-tree's interior pages and
 * not through the bad leaf.  After a failure at seq k the next readable
 * start is found by doubling a step past k, then halving back to the
 * smallest start that can be read: what is skipped is about the bad page's
 * rows.  SQLite's own ".recover" (sqlite3 3.40.1, Debian 12's) fails on
 * such a file with "SQL logic error"; this needs nothing but SELECTs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "spool.h"

#define COMMIT_EVERY 2000

/* Can a scan start at seq x?  1 yes, 0 no. */
static int
readable(sqlite3 *db, int64_t x)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT seq, t, data FROM records WHERE seq >= ? ORDER BY seq LIMIT 1",
	                       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(q, 1, x);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static int64_t
one_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *q;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

int64_t
spool_salvage(struct spool *to, const char *from, int64_t *lost)
{
	sqlite3 *db;
	sqlite3_stmt *q = NULL;
	int64_t after = 0, last = 0, base, n = 0, depth, top, d, lo, hi;
	int rc, progress;

	*lost = -1;
	if (sqlite3_open_v2(from, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	depth = one_int(db, "SELECT depth FROM stats WHERE id = 1", -1);
	/* the highest seq it assigned: stats.last_seq, or AUTOINCREMENT's in a spool made before */
	top = one_int(db, "SELECT last_seq FROM stats WHERE id = 1", -1);
	if ((d = one_int(db, "SELECT seq FROM sqlite_sequence WHERE name = 'records'", -1)) > top)
		top = d;
	if (top <= 0)
		top = INT64_MAX / 4;
	if (sqlite3_prepare_v2(db, "SELECT seq, t, data FROM records WHERE seq > ? ORDER BY seq",
	                       -1, &q, NULL) != SQLITE_OK)
		goto done;     /* not even the table: nothing to salvage */
	for (;;) {
		sqlite3_bind_int64(q, 1, after);
		progress = 0;
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			if (!to->in_txn && spool_begin(to) < 0)
				goto done;
			if (spool_insert(to, sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2),
			                 sqlite3_column_int64(q, 1)) < 0)
				goto done;
			last = sqlite3_column_int64(q, 0);
			progress = 1;
			if (++n % COMMIT_EVERY == 0 && spool_commit(to) < 0)
				goto done;
		}
		sqlite3_reset(q);
		if (rc == SQLITE_DONE)
			break;
		/* unreadable past base: the smallest start past it that reads
		 * (no row read at all: the row after `after` is the bad one) */
		base = progress ? last : after + 1;
		for (d = 1; base + d <= top && !readable(db, base + d); d *= 2)
			;
		if (base + d > top)
			break;
		for (lo = d / 2 + 1, hi = d; lo < hi;) {
			int64_t mid = lo + (hi - lo) / 2;
			if (readable(db, base + mid))
				hi = mid;
			else
				lo = mid + 1;
		}
		after = base + hi - 1;
	}
done:
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (to->in_txn && spool_commit(to) < 0)
		return -1;
	if (depth >= n)
		*lost = depth - n;
	return n;
}

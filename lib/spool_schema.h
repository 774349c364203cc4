/* The spool's schema, in one place: lib/spool.c creates it, and
 * bench/sqlite_loop.c times bare inserts into exactly the same tables. */
#ifndef PLX_SPOOL_SCHEMA_H
#define PLX_SPOOL_SCHEMA_H

/* records' seq is assigned from stats.last_seq (lib/spool.c), not by
 * AUTOINCREMENT, which reads and rewrites sqlite_sequence in every INSERT:
 * a quarter of plx-buffer's CPU, a page of every commit (bench/README.md). */
#define PLX_SPOOL_SCHEMA \
	"CREATE TABLE IF NOT EXISTS records(seq INTEGER PRIMARY KEY," \
	" t INTEGER NOT NULL, data BLOB NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS dead(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL," \
	" status INTEGER NOT NULL, error TEXT NOT NULL, data BLOB NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS dead_seen(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS stats(id INTEGER PRIMARY KEY CHECK (id = 1)," \
	" depth INTEGER NOT NULL, bytes INTEGER NOT NULL, accepted INTEGER NOT NULL," \
	" rejected INTEGER NOT NULL, dropped INTEGER NOT NULL, acked INTEGER NOT NULL," \
	" dead INTEGER NOT NULL, spool_id TEXT, last_seq INTEGER NOT NULL DEFAULT 0);" \
	"INSERT OR IGNORE INTO stats(id, depth, bytes, accepted, rejected, dropped, acked, dead, spool_id)" \
	" VALUES (1, 0, 0, 0, 0, 0, 0, 0, lower(hex(randomblob(8))));" \
	"CREATE TABLE IF NOT EXISTS uploader(id INTEGER PRIMARY KEY CHECK (id = 1)," \
	" t INTEGER NOT NULL, last_success INTEGER NOT NULL, status INTEGER NOT NULL," \
	" error TEXT NOT NULL, latency_ms INTEGER NOT NULL, clock_offset_ms INTEGER," \
	" requests INTEGER NOT NULL, retries INTEGER NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS clock(id INTEGER PRIMARY KEY CHECK (id = 1)," \
	" boot TEXT NOT NULL, base INTEGER NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS latest(source_id TEXT NOT NULL, metric TEXT NOT NULL," \
	" value TEXT NOT NULL, class TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL," \
	" updated INTEGER NOT NULL, PRIMARY KEY (source_id, metric)) WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS devices(reader TEXT NOT NULL, device TEXT NOT NULL," \
	" connected INTEGER NOT NULL, silent INTEGER NOT NULL, updated INTEGER NOT NULL," \
	" PRIMARY KEY (reader, device)) WITHOUT ROWID;"

#endif

/* lib/latest.c: the latest value of each series per commit, and each
 * device's liveness, written as one upsert per series (into an in-memory
 * database with the spool's schema). */
#include <stdlib.h>

#include "latest.h"
#include "spool_schema.h"
#include "unit.h"

static struct plx_point
pt(const char *source, const char *metric, const char *value, int64_t ts, const char *tags)
{
	struct plx_point p = { 0 };

	p.source = source, p.source_n = source ? strlen(source) : 0;
	p.metric = metric, p.metric_n = strlen(metric);
	p.value = value, p.value_n = strlen(value);
	p.ts = ts;
	p.tags = tags, p.tags_n = tags ? strlen(tags) : 0;
	return p;
}

/* The single text column of the first row of sql, or "" (static). */
static const char *
q1(sqlite3 *db, const char *sql)
{
	static char out[512];
	sqlite3_stmt *q;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_text(q, 0))
		snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return out;
}

/* How many statements each flush ran: counted by the profile hook. */
static int steps;
static int
count_steps(unsigned type, void *ctx, void *p, void *x)
{
	steps++;
	return 0;
}

int
main(void)
{
	struct plx_latest m;
	struct plx_point p;
	sqlite3 *db;
	char metric[32], value[32];
	int i, rc;

	T(sqlite3_open(":memory:", &db) == SQLITE_OK &&
	  sqlite3_exec(db, PLX_SPOOL_SCHEMA, NULL, NULL, NULL) == SQLITE_OK, "the spool's schema");
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, count_steps, NULL);
	plx_latest_init(&m, "gw-1");

	/* 5,000 points of 8 metrics: 8 series, 8 upserts */
	for (i = 0; i < 5000; i++) {
		snprintf(metric, sizeof metric, "m%d", i % 8);
		snprintf(value, sizeof value, "%d", i);
		p = pt(NULL, metric, value, 1000 + i, NULL);
		plx_latest_note(&m, &p);
	}
	T(m.n == 8, "5000 points of 8 metrics: 8 series (%d)", m.n);
	steps = 0;
	T(plx_latest_flush(&m, db, 77) == SQLITE_OK, "flushed");
	T(steps == 8, "one upsert per series: %d statements", steps);
	T(m.n == 0, "the map empty after a flush");
	T_STR(q1(db, "SELECT count(*) FROM latest"), "8", "8 rows");
	T_STR(q1(db, "SELECT value || ' ' || t || ' ' || count || ' ' || updated FROM latest"
	             " WHERE source_id = 'gw-1' AND metric = 'm7'"), "4999 5999 625 77",
	      "the last value, its timestamp, the count, the commit's time; the default source");

	/* the next commit adds to the count, and keeps its own source apart */
	p = pt("other", "m7", "\"text\"", 0, NULL);
	plx_latest_note(&m, &p);
	p = pt(NULL, "m7", "1.5", 9, NULL);
	plx_latest_note(&m, &p);
	T(plx_latest_flush(&m, db, 78) == SQLITE_OK, "flushed again");
	T_STR(q1(db, "SELECT value || ' ' || count FROM latest WHERE source_id = 'gw-1' AND metric = 'm7'"),
	      "1.5 626", "the count goes on from the last commit");
	T_STR(q1(db, "SELECT value FROM latest WHERE source_id = 'other'"), "\"text\"",
	      "a record's own source is another series; a string kept as JSON");

	/* a timestamp as the record's text, read at the flush */
	p = pt(NULL, "txt", "1", 0, NULL);
	p.ts_text = "1763800000123", p.ts_n = 13;
	plx_latest_note(&m, &p);
	p = pt(NULL, "exp", "1", 0, NULL);
	p.ts_text = "1.5e3", p.ts_n = 5;
	plx_latest_note(&m, &p);
	T(plx_latest_flush(&m, db, 78) == SQLITE_OK, "flushed timestamps");
	T_STR(q1(db, "SELECT group_concat(t, ' ') FROM (SELECT t FROM latest WHERE metric IN ('txt', 'exp') ORDER BY metric)"),
	      "1500 1763800000123", "a timestamp's text read as ms");

	/* a rolled-back transaction: cleared, nothing written */
	p = pt(NULL, "m0", "-1", 0, NULL);
	plx_latest_note(&m, &p);
	plx_latest_clear(&m);
	T(plx_latest_flush(&m, db, 79) == SQLITE_OK, "an empty flush");
	T_STR(q1(db, "SELECT value FROM latest WHERE metric = 'm0'"), "4992", "a cleared point is not written");

	/* bounded: past LATEST_MAX series the rest are counted */
	for (i = 0; i < LATEST_MAX + 10; i++) {
		snprintf(metric, sizeof metric, "s%d", i);
		p = pt(NULL, metric, "1", 0, NULL);
		rc = plx_latest_note(&m, &p);
	}
	T(rc == -1 && m.n == LATEST_MAX && m.missed == 10, "%d series kept, 10 missed (%lld)", LATEST_MAX,
	  (long long)m.missed);
	p = pt(NULL, "s3", "2", 0, NULL);
	T(plx_latest_note(&m, &p) == 0, "a series already there is still updated when the map is full");
	T(plx_latest_flush(&m, db, 80) == SQLITE_OK, "flushed the full map");
	T_STR(q1(db, "SELECT count(*) FROM latest WHERE metric LIKE 's%'"), "1024", "1024 rows");

	/* liveness: reader and device, from the tags whatever their order */
	p = pt(NULL, "gateway.modbus.device.silent", "1", 0, "{\"unit\":\"x\", \"device\" : \"meter-b\"}");
	plx_latest_note(&m, &p);
	p = pt(NULL, "gateway.modbus.device.connected", "1", 0, "{\"device\":\"meter-b\"}");
	plx_latest_note(&m, &p);
	p = pt(NULL, "gateway.modbus.device.silent", "0", 0, "{\"a\":\"device\",\"device\":\"meter-a\"}");
	plx_latest_note(&m, &p);
	p = pt(NULL, "gateway.modbus.device.silent", "1", 0, "{\"a\":\"device\"}");
	plx_latest_note(&m, &p);
	p = pt(NULL, "gateway.modbus.errors", "1", 0, "{\"device\":\"meter-c\"}");
	plx_latest_note(&m, &p);
	T(m.ndev == 2, "two devices (%d): no device tag, or not a liveness metric, is none", m.ndev);
	T(plx_latest_flush(&m, db, 81) == SQLITE_OK, "devices flushed");
	T_STR(q1(db, "SELECT group_concat(reader || '/' || device || ' ' || connected || silent, ';')"
	             " FROM (SELECT * FROM devices ORDER BY device)"), "modbus/meter-a 00;modbus/meter-b 11",
	      "each device's connected and silent");
	p = pt(NULL, "gateway.modbus.device.connected", "0", 0, "{\"device\":\"meter-b\"}");
	plx_latest_note(&m, &p);
	T(plx_latest_flush(&m, db, 82) == SQLITE_OK, "flushed");
	T_STR(q1(db, "SELECT connected || silent || ' ' || updated FROM devices WHERE device = 'meter-b'"), "01 82",
	      "a state not said in a commit is kept");

	plx_latest_free(&m);
	sqlite3_close(db);
	UNIT_END();
}

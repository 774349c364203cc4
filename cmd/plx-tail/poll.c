/* plx-tail's other input: a spool's latest table (lib/spool.h), polled.
 * plx-upload deletes the records table's rows within milliseconds of
 * their commit, so a reader of that table would miss most of them;
 * plx-buffer keeps each series' last value, its count and its time in
 * latest instead, in the same transaction.  The spool is opened read-only:
 * nothing is created, renamed or written, and a user who may only read
 * the file (and its -wal and -shm) can watch it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sqlite3.h>
#include <json-c/json.h>

#include "clock.h"
#include "log.h"
#include "tail.h"

struct tail_spool {
	sqlite3 *db;
	sqlite3_stmt *q;
	const char *path;
	int immutable;     /* opened while no plx-buffer had it open (no -wal) */
};

static void
disconnect(struct tail_spool *ts)
{
	sqlite3_finalize(ts->q);
	sqlite3_close(ts->db);
	ts->q = NULL;
	ts->db = NULL;
}

/* The spool is in WAL mode: a connection, even a read-only one, would
 * create its -wal and -shm when they are not there (no plx-buffer has it
 * open), and cannot when the user may not write the directory.  Then the
 * file is read as immutable (nothing created, no lock taken), and opened
 * again the usual way once a writer made them.  SQLite code. */
static int
connect(struct tail_spool *ts)
{
	char wal[4096], uri[3 * 4096 + 40], *u = uri;
	const char *p;
	int immutable, rc;

	snprintf(wal, sizeof wal, "%s-wal", ts->path);
	immutable = access(wal, F_OK) < 0;
	if (ts->db && immutable == ts->immutable)
		return SQLITE_OK;
	disconnect(ts);
	u += sprintf(u, "file:");
	for (p = ts->path; *p && u < uri + sizeof uri - 40; p++)   /* a URI: ?, # and % escaped */
		u += *p == '?' || *p == '#' || *p == '%' ? sprintf(u, "%%%02X", (unsigned char)*p) : (*u = *p, 1);
	sprintf(u, "?mode=ro%s", immutable ? "&immutable=1" : "");
	ts->immutable = immutable;
	if ((rc = sqlite3_open_v2(uri, &ts->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_busy_timeout(ts->db, 200);
	return sqlite3_exec(ts->db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
}

int
poll_open(struct tail_spool **out, const char *path, char *err, size_t errlen)
{
	struct tail_spool *ts = plx_xcalloc(1, sizeof *ts);

	ts->path = path;
	if (access(path, R_OK) < 0 || connect(ts) != SQLITE_OK) {
		snprintf(err, errlen, "unable to read the spool %s: %s", path,
		         ts->db ? sqlite3_errmsg(ts->db) : strerror(errno));
		poll_close(ts);
		return -1;
	}
	*out = ts;
	return 0;
}

void
poll_close(struct tail_spool *ts)
{
	if (!ts)
		return;
	disconnect(ts);
	free(ts);
}

/* One row of latest into the table: its value, the records committed
 * since the last poll (the count's difference), its age from its own
 * timestamp (or, without one, from its commit). */
static void
take_row(struct table *t, sqlite3_stmt *q, int64_t now, int64_t wall)
{
	const char *source = (const char *)sqlite3_column_text(q, 0);
	const char *metric = (const char *)sqlite3_column_text(q, 1);
	const char *text = (const char *)sqlite3_column_text(q, 2);
	int64_t ts = sqlite3_column_int64(q, 3), count = sqlite3_column_int64(q, 4);
	int64_t updated = sqlite3_column_int64(q, 5), at = ts ? ts : updated;
	json_object *v = text ? json_tokener_parse(text) : NULL;
	char value[64];
	int numeric = 0;
	double d = 0;

	if (!source || !metric || !text)
		return;
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		numeric = 1;
		d = json_object_get_double(v);
		snprintf(value, sizeof value, "%s", text);   /* the text the record had */
		break;
	case json_type_string:
		snprintf(value, sizeof value, "%s", json_object_get_string(v));
		break;
	default:
		snprintf(value, sizeof value, "%s", text);
	}
	json_object_put(v);
	table_poll(t, source, metric, value, numeric, d, ts, count, updated, now - (wall > at ? wall - at : 0), now);
}

/* 1 when the spool has the latest table (prepared then), 0 when it is
 * one from before it (plx-buffer creates it when it opens the file),
 * -1 when it cannot be read. */
static int
has_latest(struct tail_spool *ts)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(ts->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'latest'",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	return sqlite3_prepare_v2(ts->db, "SELECT source_id, metric, value, t, count, updated FROM latest",
	                          -1, &ts->q, NULL) == SQLITE_OK ? 1 : -1;
}

int
poll_spool(struct tail_spool *ts, struct table *t, int64_t now, char *msg, size_t len)
{
	int64_t wall = plx_now_ms();
	int rc;

	msg[0] = '\0';
	if ((rc = connect(ts)) != SQLITE_OK) {
		snprintf(msg, len, "(spool: %s)", ts->db ? sqlite3_errmsg(ts->db) : sqlite3_errstr(rc));
		disconnect(ts);
		return -1;
	}
	if (!ts->q && (rc = has_latest(ts)) <= 0) {
		if (rc == 0)
			snprintf(msg, len, "(no latest values in this spool: the plx-buffer that writes it keeps none"
			         " yet; they appear with its first commit once it does)");
		else
			snprintf(msg, len, "(spool: %s)", sqlite3_errmsg(ts->db));
		return 0;
	}
	while ((rc = sqlite3_step(ts->q)) == SQLITE_ROW)
		take_row(t, ts->q, now, wall);
	if (rc != SQLITE_DONE)
		snprintf(msg, len, "(spool: %s)", sqlite3_errmsg(ts->db));
	sqlite3_reset(ts->q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Every plx-buffer mode, as callbacks on lib/loop:
 *
 *   stdin --lines--> validate --> INSERT (group commit) --COMMIT-->
 *   SELECT seq > cursor --> {"_plx_seq":N,"_plx_spool":ID, ...record} --> stdout
 *
 * Input and output are independent: when stdout (a pipe) is full the loop
 * keeps reading stdin into the spool, so a stopped uploader never stalls
 * the readers; the backlog lives on disk.  A row is emitted only once its
 * transaction has committed, so whatever went downstream is on disk.
 *
 * Group commit: a transaction stays open while more input is already
 * waiting, up to --commit-rows rows or --commit-ms, and is committed the
 * moment the input runs dry, so an idle pipeline holds nothing uncommitted.
 *
 * When the drainer has caught up, the rows a transaction inserts are the
 * next ones it would read back, so they go straight into the output buffer
 * as they are inserted, behind a mark (ocommit) that only a commit moves:
 * nothing past it is written, and a rollback cuts it off.  Reading the rows
 * back from SQLite is left for the backlog and for other writers' rows.
 *
 * The loop watches stdin, and stdout while committed rows wait for a full
 * pipe.  Before each wait (prepare) the open transaction is committed when
 * due, rows are fetched and written, and the next deadline is set: the
 * transaction's --commit-ms, at once while rows remain to fetch, or a
 * caught-up drainer's --poll-ms.  Every second the age limit and a full
 * spool are checked; every --status-interval the health records go in.
 *
 * Signals (lib/loop): SIGTERM and SIGINT commit what was read and exit 0
 * (with -a, once the writer upstream has closed its end, 3 s at most);
 * SIGHUP commits, closes and reopens the spool file, and reads it again
 * from its lowest row.  The file deleted or replaced under a running
 * plx-buffer is noticed within a second (and before it exits): reopened,
 * the rows of the old one moved into it.  A consumer gone
 * (EPIPE) ends the run with 74: what it had not acknowledged stays in the
 * spool.  But a stop for SIGTERM takes the whole pipeline down, the
 * consumer maybe first: EPIPE then is no failure, and the exit is 0. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "buffer.h"
#include "clock.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "record.h"
#include "recs.h"

#define OUT_CAP (4 * PLX_LINE_MAX)
#define PREFIX_MAX 80                 /* {"_plx_seq":N,"_plx_spool":"ID", */
#define ROW_ROOM (PLX_LINE_MAX + PREFIX_MAX)   /* a row plus its prefix */
#define MAINT_MS 1000                 /* age limit, a full spool, drops said */
#define WARN_PER_S 20                 /* stderr lines about bad input, per second */
#define TERM_DRAIN_MS 3000            /* -a after SIGTERM: how long the writer's last records are awaited */
#define FIXED_ROOM (64 * 1024)        /* --max-bytes allows for the schema's pages */

struct pump {
	struct spool *sp;
	const struct opts *o;
	struct plx_loop *l;
	int in_h, out_h;     /* the loop's watches of stdin and stdout */
	struct plx_lines in;
	struct plx_ratelim rl; /* warnings about input */
	json_tokener *tok;
	int in_eof;          /* stdin finished (or not read: follow mode) */
	int draining;        /* -a: SIGTERM came, stdin read to its end (on_term) */
	int out_pipe;        /* stdout is a pipe, made non-blocking */
	int full;            /* --overflow block: spool at its limit, stdin paused */
	int over;            /* the spool's footprint past --max-bytes (last commit) */
	int64_t disk_full;   /* monotonic ms the filesystem was found full, 0: not */
	char *held;          /* the open transaction's rows, '\n' after each: */
	size_t hlen, hcap;   /* inserted again when a full disk rolled it back */
	int caught_up;       /* the last fetch found no row after the cursor */
	int64_t cursor;      /* highest committed seq placed in the output buffer */
	int64_t pend;        /* highest seq placed there, committed or not */
	int direct;          /* this transaction's rows go straight to the output */
	char *out;           /* output buffer: bytes [ooff, ocommit) may be written, */
	size_t olen, ooff;   /* [ocommit, olen) wait for their transaction */
	size_t ocommit;
	int txn_rows;        /* rows in the open transaction */
	int64_t txn_start;   /* when it began (monotonic ms) */
	int64_t drops_told;  /* drops already reported */
	int64_t last_warn;
};

static size_t
held_rows(const struct pump *p)
{
	size_t n = 0, i;

	for (i = 0; i < p->hlen; i++)
		n += p->held[i] == '\n';
	return n;
}

static void
hold(struct pump *p, const char *s, size_t n)
{
	if (p->hlen + n + 1 > p->hcap) {
		p->hcap = (p->hlen + n + 1) * 2;
		p->held = plx_xrealloc(p->held, p->hcap);
	}
	memcpy(p->held + p->hlen, s, n);
	p->hlen += n;
	p->held[p->hlen++] = '\n';
}

/* A spool call failed: a damaged file is set aside and a fresh one
 * started; a full filesystem rolls the transaction back, its rows held
 * (p->held) until there is room, stdin paused meanwhile; anything else is
 * fatal. */
static int
spool_trouble(struct pump *p, int rc)
{
	if (rc != SPOOL_DAMAGED && rc != SPOOL_FULL)
		return EX_IOERR;
	spool_rollback(p->sp);
	p->txn_rows = 0;
	p->olen = p->ocommit;     /* the rolled-back rows are not to be emitted */
	p->direct = p->caught_up = 0;
	if (rc == SPOOL_FULL) {
		if (!p->disk_full)
			plx_warn("spool %s: the filesystem is full: %zu records held in memory, standard input"
			         " paused until there is room", p->o->path, held_rows(p));
		p->disk_full = plx_mono_ms();
		return 0;
	}
	p->hlen = 0;
	if (spool_reset_damaged(p->sp) < 0)
		return EX_IOERR;
	p->cursor = p->pend = 0;
	return 0;
}

/* Drop what the limits say must go, inside the open transaction. */
static int
enforce_limits(struct pump *p)
{
	const struct opts *o = p->o;
	int64_t rows = 0, bytes = 0, before = 0, n;

	if (o->overflow == DROP_OLDEST) {
		if (o->max_rows && spool_depth(p->sp) > o->max_rows)
			rows = spool_depth(p->sp) - o->max_rows;
		if (o->max_bytes && spool_bytes(p->sp) > o->max_bytes)
			bytes = spool_bytes(p->sp) - o->max_bytes;
		/* and the room on disk, the WAL's included: a record byte
		 * dropped frees at least a byte of pages */
		if (o->max_bytes && (n = spool_footprint(p->sp) - o->max_bytes - FIXED_ROOM) > bytes)
			bytes = n;
	}
	if (o->max_age_ms)
		before = spool_now(p->sp) - o->max_age_ms;
	if (!rows && !bytes && !before)
		return 0;
	n = spool_drop_oldest(p->sp, rows, bytes, before);
	return n < 0 ? (int)n : 0;
}

static int
commit(struct pump *p)
{
	int rc;

	if (!p->sp->in_txn)
		return 0;
	if ((rc = enforce_limits(p)) < 0 || (rc = spool_commit(p->sp)) < 0)
		return spool_trouble(p, rc);
	p->txn_rows = 0;
	p->hlen = 0;
	p->cursor = p->pend;
	p->ocommit = p->olen;
	p->over = p->o->max_bytes && spool_footprint(p->sp) > p->o->max_bytes + FIXED_ROOM;
	if (p->o->overflow == BLOCK && p->o->max_rows && spool_depth(p->sp) >= p->o->max_rows)
		p->full = 1;
	if (p->o->overflow == BLOCK && p->o->max_bytes && (spool_bytes(p->sp) >= p->o->max_bytes || p->over))
		p->full = 1;
	return 0;
}

static int
add_row(void *arg, int64_t seq, const void *data, int len)
{
	static const char key[] = "{\"" PLX_SEQ_KEY "\":", skey[] = ",\"" PLX_SPOOL_KEY "\":\"";
	struct pump *p = arg;
	char *o = p->out + p->olen, d[20];
	int64_t v = seq;
	int k = 0;

	/* {"a":1} becomes {"_plx_seq":42,"_plx_spool":"ID","a":1}: the stored
	 * row starts with '{'.  The spool's id lets plx-upload tell this
	 * spool's rows from a forged or foreign sequence number.  Written by
	 * hand: snprintf here was 3 % of plx-buffer's time. */
	memcpy(o, key, sizeof key - 1);
	o += sizeof key - 1;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);     /* seqs are positive */
	while (k)
		*o++ = d[--k];
	memcpy(o, skey, sizeof skey - 1);
	o += sizeof skey - 1;
	k = (int)strlen(p->sp->id);    /* 16, unless the file was tampered with */
	memcpy(o, p->sp->id, (size_t)k);
	o += k;
	*o++ = '"';
	*o++ = ',';
	memcpy(o, (const char *)data + 1, len - 1);
	o += len - 1;
	*o++ = '\n';
	p->olen = (size_t)(o - p->out);
	p->pend = seq;
	return OUT_CAP - p->olen < ROW_ROOM;
}

/* Moves what is still to be written to the front of the output buffer. */
static void
compact(struct pump *p)
{
	if (p->ooff == 0)
		return;
	memmove(p->out, p->out + p->ooff, p->olen - p->ooff);
	p->olen -= p->ooff;
	p->ocommit -= p->ooff;
	p->ooff = 0;
}

/* A string field's text without its quotes. */
static void
unquote(const char **s, size_t *n)
{
	if (*s && *n >= 2 && **s == '"') {
		(*s)++;
		*n -= 2;
	}
}

/* The record into the spool's latest values: from the fast path's spans
 * (f) or from the parsed record (rec). */
static void
note(struct pump *p, const struct plx_fields *f, json_object *rec)
{
	struct plx_point pt = { 0 };
	json_object *x, *tags;

	if (!rec) {
		pt.metric = f->s[PLX_F_METRIC], pt.metric_n = f->n[PLX_F_METRIC];
		pt.value = f->s[PLX_F_VALUE], pt.value_n = f->n[PLX_F_VALUE];
		pt.cls = f->s[PLX_F_CLASS], pt.cls_n = f->n[PLX_F_CLASS];
		pt.source = f->s[PLX_F_SOURCE], pt.source_n = f->n[PLX_F_SOURCE];
		pt.tags = f->s[PLX_F_TAGS], pt.tags_n = f->n[PLX_F_TAGS];
		unquote(&pt.metric, &pt.metric_n);
		unquote(&pt.cls, &pt.cls_n);
		unquote(&pt.source, &pt.source_n);
		pt.ts_text = f->s[PLX_F_TIMESTAMP], pt.ts_n = f->n[PLX_F_TIMESTAMP];
	} else {
		if (!json_object_object_get_ex(rec, "metric", &x) || !json_object_object_get_ex(rec, "value", &tags))
			return;
		pt.metric = json_object_get_string(x), pt.metric_n = strlen(pt.metric);
		pt.value = json_object_to_json_string_ext(tags, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		pt.value_n = strlen(pt.value);
		if (json_object_object_get_ex(rec, "class", &x))
			pt.cls = json_object_get_string(x), pt.cls_n = strlen(pt.cls);
		if (json_object_object_get_ex(rec, "source_id", &x))
			pt.source = json_object_get_string(x), pt.source_n = strlen(pt.source);
		if (json_object_object_get_ex(rec, "timestamp", &x))
			pt.ts = json_object_get_int64(x);
		if (json_object_object_get_ex(rec, "tags", &tags) && json_object_object_get_ex(tags, "device", &x))
			pt.device = json_object_get_string(x), pt.device_n = strlen(pt.device);
	}
	spool_note(p->sp, &pt);
}

/* One record from stdin into the open transaction. */
static int
take_line(struct pump *p, char *s, size_t n)
{
	const struct opts *o = p->o;
	char err[256];
	json_object *rec = NULL;
	struct plx_fields f;
	int64_t seq;
	int rc, has_source;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return 0;     /* blank lines carry nothing */
	if ((rc = spool_begin(p->sp)) < 0)
		return spool_trouble(p, rc);
	if (!p->txn_rows++) {
		p->txn_start = plx_mono_ms();
		p->direct = p->caught_up && o->mode == PASS;
		compact(p);
	}
	/* The common record is checked without json-c and stored as it came;
	 * the rest (and every refusal, for its reason) takes the full parse. */
	if (plx_record_quick_fields(s, n, &has_source, &f) == PLX_QUICK_OK) {
		seq = -1;
	} else if (!(rec = plx_record_parse(p->tok, s, n, &seq, err, sizeof err))) {
		plx_warn_limited(&p->rl, "line %lu: %s", p->in.lineno, err);
		spool_count_rejected(p->sp, 1);
		return 0;
	}
	if (seq >= 0)   /* from another plx-buffer: store it without its old seq */
		s = (char *)plx_record_text(rec, &n);
	if (o->overflow == DROP_NEWEST &&
	    ((o->max_rows && spool_depth(p->sp) >= o->max_rows) ||
	     (o->max_bytes && (p->over || spool_bytes(p->sp) + (int64_t)n > o->max_bytes))))
		spool_count_dropped(p->sp, 1);
	else if (hold(p, s, n), (rc = spool_insert(p->sp, s, n, spool_now(p->sp))) < 0) {
		json_object_put(rec);
		return spool_trouble(p, rc);
	} else {
		note(p, &f, rec);
		/* Straight out only while the rows follow on from what was
		 * emitted (no other writer came between) and there is room;
		 * else the row waits to be read back. */
		int64_t at = sqlite3_last_insert_rowid(p->sp->db);
		if (p->direct && at == p->pend + 1 && OUT_CAP - p->olen >= ROW_ROOM)
			add_row(p, at, s, (int)n);
		else
			p->direct = p->caught_up = 0;
	}
	json_object_put(rec);
	return 0;
}

/* gateway.buffer.* records, into the spool like any input: they reach
 * Plexus the same way, and survive the same failures. */
static int
health(struct pump *p)
{
	struct spool_stats st;
	struct plx_recs r;
	struct plx_tags t = { 0 };
	char err[200];
	int64_t now = plx_now_ms();
	const char *s, *e;
	int rc = 0;
	size_t i;

	if (spool_stats(p->sp, &st) < 0)
		return 0;
	const struct { const char *name; int64_t v; } m[] = {
		{ "gateway.buffer.depth", st.depth }, { "gateway.buffer.bytes", st.bytes },
		{ "gateway.buffer.oldest_age_s", st.depth ? spool_age(p->sp, st.oldest_t) / 1000 : 0 },
		{ "gateway.buffer.accepted", st.accepted }, { "gateway.buffer.rejected", st.rejected },
		{ "gateway.buffer.dropped", st.dropped }, { "gateway.buffer.acked", st.acked },
		{ "gateway.buffer.dead", st.dead },
	};
	plx_recs_init(&r);
	plx_tags_add(&t, "spool", p->o->path, err, sizeof err);   /* a path that is no tag value
	                                                          * (too long): left out */
	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		plx_recs_num(&r, m[i].name, (double)m[i].v, now, &t);
	for (s = r.s; s && s < r.s + r.len && !rc; s = e + 1) {
		e = memchr(s, '\n', (size_t)(r.s + r.len - s));
		rc = take_line(p, (char *)s, (size_t)(e - s));
	}
	plx_recs_free(&r);
	return rc;
}

/* The lines read, into the spool; none while the filesystem is full (they
 * wait in the input buffer, as the rest waits in the pipe). */
static int
take_lines(struct pump *p)
{
	char *line;
	size_t n;
	int rc;

	while (!p->disk_full) {
		switch (plx_lines_next(&p->in, &line, &n)) {
		case PLX_LINE:
			if ((rc = take_line(p, line, n)))
				return rc;
			break;
		case PLX_LINE_LONG:
			plx_warn_limited(&p->rl, "line %lu: longer than %d bytes, dropped", p->in.lineno, PLX_LINE_MAX);
			if (spool_begin(p->sp) == 0)
				spool_count_rejected(p->sp, 1);
			break;
		case PLX_LINE_EOF:
			p->in_eof = 1;
			return 0;
		default:
			return 0;
		}
	}
	return 0;
}

static int
read_input(struct pump *p)
{
	if (plx_lines_fill(&p->in) < 0) {
		if (errno == EAGAIN)
			return 0;
		plx_warn("read stdin:");
		p->in_eof = 1;
	}
	return take_lines(p);
}

/* A held row (as stored: the fast path's, or canonical text) noted again. */
static void
note_again(struct pump *p, const char *s, size_t n)
{
	struct plx_fields f;
	json_object *rec;
	char err[256];
	int64_t seq;
	int has_source;

	if (plx_record_quick_fields(s, n, &has_source, &f) == PLX_QUICK_OK) {
		note(p, &f, NULL);
	} else if ((rec = plx_record_parse(p->tok, s, n, &seq, err, sizeof err))) {
		note(p, NULL, rec);
		json_object_put(rec);
	}
}

/* The filesystem was full: the held rows in a transaction again.  0 with
 * p->disk_full still set while there is no room yet. */
static int
retry_held(struct pump *p)
{
	size_t n = held_rows(p);
	char *s, *e;
	int rc;

	if ((rc = spool_begin(p->sp)) < 0)
		return spool_trouble(p, rc);
	p->txn_rows = (int)n;
	p->txn_start = plx_mono_ms();
	for (s = p->held; s < p->held + p->hlen; s = e + 1) {
		e = memchr(s, '\n', (size_t)(p->held + p->hlen - s));
		if ((rc = spool_insert(p->sp, s, (size_t)(e - s), spool_now(p->sp))) < 0)
			return spool_trouble(p, rc);
		note_again(p, s, (size_t)(e - s));
	}
	if ((rc = commit(p)) || p->hlen)
		return rc;
	plx_warn("spool %s: room again after %llds: %zu held records committed, reading standard input again",
	         p->o->path, (long long)(plx_mono_ms() - p->disk_full) / 1000, n);
	p->disk_full = 0;
	return take_lines(p);
}

static int
fill_output(struct pump *p)
{
	int n;

	compact(p);
	if (OUT_CAP - p->olen < ROW_ROOM)
		return 0;
	if ((n = spool_fetch(p->sp, p->cursor, 1024, add_row, p)) < 0)
		return spool_trouble(p, n);
	p->cursor = p->pend;
	p->ocommit = p->olen;
	p->caught_up = n == 0;
	return 0;
}

static int
write_output(struct pump *p)
{
	ssize_t w;

	while (p->ooff < p->ocommit) {
		w = plx_write(1, p->out + p->ooff, p->ocommit - p->ooff);
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w < 0 && errno == EPIPE && plx_loop_signalled(p->l)) {
			plx_loop_stop(p->l, 0);     /* the pipeline is stopping: no failure */
			return 0;
		}
		if (w < 0) {
			if (errno != EPIPE)
				plx_warn("write stdout:");
			else
				plx_warn("stdout closed: unacknowledged records stay in the spool");
			return EX_IOERR;
		}
		p->ooff += w;
	}
	return 0;
}

/* Reading starts again from the lowest row not acknowledged: after a
 * reopen the rows may be others, or lower ones may have appeared.  What
 * waits in the output buffer is cut after the line being written. */
static void
restart(struct pump *p)
{
	char *nl;

	if (p->ooff < p->ocommit && (nl = memchr(p->out + p->ooff, '\n', p->ocommit - p->ooff)))
		p->olen = p->ocommit = (size_t)(nl + 1 - p->out);
	else
		p->olen = p->ocommit = p->ooff;
	p->cursor = p->pend = 0;
	p->direct = p->caught_up = 0;
}

/* The spool file closed and opened again (SIGHUP, or the file deleted or
 * replaced under us): what was read committed first; rows waiting in a
 * file deleted or replaced are moved into the one now at the path, so
 * none is stranded.  0, or the exit status. */
static int
reopen_spool(struct pump *p, int why)
{
	struct spool *old = p->sp, *sp;
	int64_t n = 0;
	int rc;

	if ((rc = commit(p)))
		return rc;
	if (spool_open(&sp, p->o->path, p->o->sync_full ? SPOOL_SYNC_FULL : 0) < 0)
		return EX_IOERR;
	spool_keep_latest(sp, p->o->source);
	if (why != SPOOL_SAME && (n = spool_move_rows(old, sp)) < 0) {
		spool_close(sp);
		return EX_IOERR;
	}
	spool_close(old);
	p->sp = sp;
	if (p->o->max_bytes)
		spool_set_budget(p->sp, p->o->max_bytes);
	restart(p);
	if (why == SPOOL_SAME)
		plx_info("reopened spool %s", p->o->path);
	else
		plx_warn("spool %s was %s while open: reopened, %lld records not yet acknowledged moved into it",
		         p->o->path, why == SPOOL_GONE ? "deleted" : "replaced", (long long)n);
	return 0;
}

/* Every second: held rows tried again, the file checked, the age limit,
 * a full spool checked again, drops said. */
static void
maintain(struct plx_loop *l, void *arg)
{
	struct pump *p = arg;
	struct spool_stats st;
	int64_t now = plx_mono_ms();
	int rc;

	if (p->disk_full && ((rc = retry_held(p)) || p->disk_full)) {
		if (rc)
			plx_loop_stop(l, rc);
		return;
	}
	if ((rc = spool_replaced(p->sp)) != SPOOL_SAME && (rc = reopen_spool(p, rc))) {
		plx_loop_stop(l, rc);
		return;
	}
	if (p->o->max_age_ms && !p->sp->in_txn) {
		/* a transaction of its own, for commit() to apply the limits in */
		rc = spool_begin(p->sp);
		if ((rc = rc < 0 ? spool_trouble(p, rc) : commit(p))) {
			plx_loop_stop(l, rc);
			return;
		}
	}
	if (spool_stats(p->sp, &st) < 0)
		return;
	p->over = p->o->max_bytes && spool_footprint(p->sp) > p->o->max_bytes + FIXED_ROOM;
	if (p->full)
		p->full = (p->o->max_rows && st.depth >= p->o->max_rows) ||
		          (p->o->max_bytes && (st.bytes >= p->o->max_bytes || p->over));
	if (st.dropped > p->drops_told && now - p->last_warn >= 10000) {
		plx_warn("spool %s over its limit: dropped %lld records (%lld in all)", p->o->path,
		         (long long)(st.dropped - p->drops_told), (long long)st.dropped);
		p->drops_told = st.dropped;
		p->last_warn = now;
	}
}

static void
on_status(struct plx_loop *l, void *arg)
{
	struct pump *p = arg;
	int rc = p->disk_full ? 0 : health(p);   /* none while rows are held */

	if (rc)
		plx_loop_stop(l, rc);
}

static void
on_input(struct plx_loop *l, int fd, short revents, void *arg)
{
	int rc = read_input(arg);

	if (rc)
		plx_loop_stop(l, rc);
}

static void
on_output(struct plx_loop *l, int fd, short revents, void *arg)
{
	int rc = write_output(arg);

	if (rc)
		plx_loop_stop(l, rc);
}

/* SIGHUP: the spool reopened, read again from its lowest row. */
static void
on_hup(struct plx_loop *l, void *arg)
{
	struct pump *p = arg;
	int rc = reopen_spool(p, spool_replaced(p->sp));

	if (rc)
		plx_loop_stop(l, rc);
}

/* Before each wait: the transaction committed when due (at the latest
 * when the input runs dry), rows fetched and written, the end of the run;
 * the watches, and the next deadline. */
static int64_t
prepare(struct plx_loop *l, void *arg)
{
	struct pump *p = arg;
	const struct opts *o = p->o;
	int64_t now = plx_mono_ms();
	int rc = 0;

	if (p->sp->in_txn && (p->txn_rows >= o->commit_rows || now - p->txn_start >= o->commit_ms ||
	    p->in_eof || !plx_readable(0)))
		rc = commit(p);
	if (!rc && o->mode != APPEND && !p->sp->in_txn)
		rc = fill_output(p);
	if (!rc)
		rc = write_output(p);
	if (rc)
		plx_loop_stop(l, rc);
	if (p->in_eof && !p->sp->in_txn && !p->disk_full &&
	    (o->mode == APPEND || (o->mode == PASS && p->caught_up && p->ooff == p->olen)))
		plx_loop_stop(l, 0);
	if (l->stopping)
		return -1;
	plx_loop_fd_set(l, p->in_h, 0, !p->in_eof && !p->full && !p->disk_full ? POLLIN : 0);
	plx_loop_fd_set(l, p->out_h, 1, p->out_pipe && p->ooff < p->ocommit ? POLLOUT : 0);
	if (p->sp->in_txn)
		return p->txn_start + o->commit_ms;
	if (o->mode != APPEND && !p->caught_up && p->ooff == p->olen)
		return now;                 /* more rows to fetch, room to put them */
	if (o->mode != APPEND && p->caught_up)
		return now + o->poll_ms;    /* other writers may add rows */
	return -1;
}

/* -a, SIGTERM: a unit's stop (systemd, s6) signals every process of the
 * pipeline at once, and the writer upstream prints its last records (its
 * final status, what it held) as it stops.  Those are read until its end
 * of file, for TERM_DRAIN_MS at most; a second signal stops at once. */
static void
drain_over(struct plx_loop *l, void *arg)
{
	plx_loop_stop(l, 0);
}

static void
on_term(struct plx_loop *l, void *arg)
{
	struct pump *p = arg;

	if (p->o->mode == APPEND && !p->in_eof && !p->draining &&
	    plx_loop_timer(l, plx_mono_ms() + TERM_DRAIN_MS, drain_over) >= 0) {
		p->draining = 1;
		return;
	}
	plx_loop_stop(l, 0);
}

int
pump(struct spool **spp, const struct opts *o)
{
	struct plx_loop l;
	struct pump p = { .sp = *spp, .o = o, .l = &l, .in_eof = o->mode == FOLLOW,
	                  .rl = { .per_s = WARN_PER_S, .what = "bad lines" } };
	struct stat st;
	int rc, w;

	if (plx_lines_init(&p.in, 0, PLX_LINE_MAX) < 0 || !(p.tok = plx_tokener_new()))
		plx_die(EX_OSERR, "out of memory");
	p.out = plx_xmalloc(OUT_CAP);
	if (o->mode != APPEND && fstat(1, &st) == 0 && S_ISFIFO(st.st_mode)) {
		p.out_pipe = 1;
		plx_nonblock(1, 1);
	}
	spool_keep_latest(p.sp, o->source);
	plx_loop_init(&l, &p);
	plx_loop_ratelim(&l, &p.rl);
	p.in_h = plx_loop_fd(&l, 0, 0, on_input);
	p.out_h = plx_loop_fd(&l, 1, 0, on_output);
	plx_loop_every(&l, MAINT_MS, maintain);
	if (o->status_ms)
		plx_loop_every(&l, o->status_ms, on_status);
	l.prepare = prepare;
	l.on_hup = on_hup;
	l.on_term = on_term;
	if (o->max_bytes)
		spool_set_budget(p.sp, o->max_bytes);
	rc = plx_loop_run(&l);
	if (p.sp && p.disk_full && retry_held(&p))
		rc = EX_IOERR;
	if (p.sp && commit(&p) != 0)
		rc = EX_IOERR;
	/* the last records must not go into a file deleted meanwhile */
	if (p.sp && !p.disk_full && (w = spool_replaced(p.sp)) != SPOOL_SAME && reopen_spool(&p, w))
		rc = EX_IOERR;
	if (p.sp && p.disk_full) {
		plx_warn("spool %s: the filesystem is still full: %zu records read but not committed are lost",
		         o->path, held_rows(&p));
		rc = EX_IOERR;
	}
	plx_loop_free(&l);
	if (p.out_pipe)
		plx_nonblock(1, 0);
	*spp = p.sp;
	json_tokener_free(p.tok);
	plx_lines_free(&p.in);
	free(p.out);
	free(p.held);
	return rc;
}

/* The loop (lib/loop): stdin, the deadline of the batch being filled, the
 * health records, the waits of a delivery (send.c), the signals.
 *
 * Batching is live: with nothing in flight, a batch leaves as soon as no
 * more input is waiting (a record alone goes at once); while batches are
 * in flight (flight.c) or one is being retried (send.c), the lines that
 * arrive gather into the next one, which leaves when it holds
 * --batch-points records or the next record would take its body past
 * --batch-bytes, and a flight is free; or when nothing is in flight any
 * more; or at the end of input.  A busy stream makes full batches and the
 * pipe upstream keeps flowing; when the next batch is full and cannot
 * leave, stdin is not read, and plx-buffer keeps the backlog on disk.
 * --batch-ms above 0 brings back a fixed window: a batch waits that long
 * after its first record to fill.
 *
 * SIGTERM, SIGINT: stdin is read no more; the requests in flight go on to
 * their end (at most --timeout; a second signal abandons them), then what
 * failed and the batch in hand are sent once more, without waiting
 * (send.c), and the exit status is 0.  SIGHUP: the key is read again, the dead-letter file reopened.
 *
 * Each line is parsed and checked as the server would (plx_record_parse);
 * a line that fails is reported with its number and skipped, so it never
 * reaches a batch to poison it.  plx-buffer's {"_plx_seq":N,"_plx_spool":ID}
 * is taken off the record there and N kept beside it, for the
 * acknowledgement, when ID is the id of the spool given with -d. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "record.h"
#include "upload.h"

#define WARN_PER_S 20          /* stderr lines about bad input, per second */

/* plx-buffer writes its sequence number and its spool's id as the first
 * keys: {"_plx_seq":42,"_plx_spool":"0123456789abcdef",...}.  Take them
 * off the text itself, so the record can be sent as it came (already
 * checked) rather than serialised again.  Returns the record's text, or
 * the line unchanged when it does not start so; *seq is -1 then, and *sid
 * NULL when there is no spool id. */
static char *
strip_seq(char *line, size_t *len, int64_t *seq, const char **sid)
{
	static const char key[] = "{\"" PLX_SEQ_KEY "\":", skey[] = "\"" PLX_SPOOL_KEY "\":\"";
	size_t k = sizeof key - 1, i, j;
	int64_t v = 0;

	*seq = -1;
	*sid = NULL;
	if (*len <= k || memcmp(line, key, k))
		return line;
	for (i = k; i < *len && line[i] >= '0' && line[i] <= '9' && i < k + 18; i++)
		v = v * 10 + (line[i] - '0');
	if (i == k || i >= *len || line[i] != ',')
		return line;
	*seq = v;
	/* its spool's id, 16 hex digits */
	j = i + 1;
	if (*len > j + sizeof skey - 1 + SPOOL_ID_LEN + 2 && !memcmp(line + j, skey, sizeof skey - 1) &&
	    line[j + sizeof skey - 1 + SPOOL_ID_LEN] == '"' && line[j + sizeof skey + SPOOL_ID_LEN] == ',') {
		*sid = line + j + sizeof skey - 1;
		i = j + sizeof skey + SPOOL_ID_LEN;
	}
	line[i] = '{';
	*len -= i;
	return line + i;
}

/* The spool given, deleted or replaced under us (a restore; a fresh one
 * plx-buffer made): acknowledgements go to the file now at the path, and
 * none of the records in hand, read from the old one, is acknowledged to
 * it (their seqs name other rows there).  Looked at once a second, and at
 * once (now_too) when a record carries another spool's id.  1: reopened. */
static int
follow_spool(struct up *u, int now_too)
{
	struct spool *sp;
	int64_t now = plx_mono_ms();
	size_t i;

	if (!now_too && now - u->spool_checked < 1000)
		return 0;
	u->spool_checked = now;
	if (spool_replaced(u->sp) == SPOOL_SAME || spool_open(&sp, u->sp->path, SPOOL_ACK_ONLY) < 0)
		return 0;
	plx_warn("spool %s was deleted or replaced: acknowledging to the file now there", sp->path);
	ack_flush(u);          /* what was delivered from the old file, to it */
	ack_db_lock(u);
	spool_close(u->sp);
	u->sp = sp;
	ack_db_unlock(u);
	for (i = 0; i < u->b.n; i++)
		u->b.rec[i].seq = -1;
	return 1;
}

/* A record's seq is acknowledged only when it provably came from the spool
 * plx-upload was given: it carries that spool's id.  A device's forged
 * {"_plx_seq":5}, a record from another spool, one with no id: sent, never
 * acknowledged (the rows they name are not this stream's to delete). */
static int64_t
proven(struct up *u, int64_t seq, const char *sid, unsigned long lineno)
{
	if (seq < 0)
		return -1;
	if (!u->sp) {
		if (!u->told_nospool++)
			plx_warn("records carry plx-buffer sequence numbers but no spool is given (-d or PLEXUS_BUFFER):"
			         " they are not acknowledged, and plx-buffer will send them again");
		return -1;
	}
	follow_spool(u, 0);
	if (sid && (!memcmp(sid, u->sp->id, SPOOL_ID_LEN) ||
	            (follow_spool(u, 1) && !memcmp(sid, u->sp->id, SPOOL_ID_LEN))))
		return seq;
	plx_warn_limited(&u->rl, "line %lu: a sequence number not from spool %s (%s): sent, not acknowledged",
	                 lineno, u->sp->path, sid ? "another spool's id" : "no spool id");
	return -1;
}

/* A record a reader stamped while the clock was not synchronised carries
 * "_plx_clk" (clock.h): take it off, and write the timestamp last, in 20
 * characters (padded with blanks, which JSON allows) that batch_body fills
 * in with the corrected time; *boot_ms says when it was taken on this
 * boot's clock, -1 when that is not known (another boot: sent as stamped). */
static const char *
unmark(struct up *u, json_object *rec, size_t *len, int64_t *boot_ms)
{
	static char buf[PLX_LINE_MAX + 64];
	json_object *m, *t;
	int64_t ts;
	const char *s;
	size_t n;

	*boot_ms = -1;
	if (!json_object_object_get_ex(rec, PLX_CLK_KEY, &m))
		return plx_record_text(rec, len);     /* the name was in a string */
	if (json_object_is_type(m, json_type_string))
		*boot_ms = plx_clock_mark_boot_ms(json_object_get_string(m));
	json_object_object_del(rec, PLX_CLK_KEY);
	if (!json_object_object_get_ex(rec, "timestamp", &t) || !json_object_is_type(t, json_type_int))
		*boot_ms = -1;
	s = plx_record_text(rec, &n);
	if (*boot_ms < 0) {
		if (!u->c.clock_uncorrected++)
			plx_warn("records stamped while the clock was not synchronised, in an earlier boot:"
			         " sent as stamped");
		*len = n;
		return s;
	}
	ts = json_object_get_int64(t);
	json_object_object_del(rec, "timestamp");
	s = plx_record_text(rec, &n);
	n--;                                    /* its closing '}' */
	memcpy(buf, s, n);
	n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"timestamp\":%20lld}", (long long)ts);
	*len = n;
	return buf;
}

/* 17 bytes and one deflate match less a point: 4 % of the gzipped body
 * (bench/README.md).  The key is taken out where it is in its compact
 * form, the text before it moved up over it. */
char *
lean(char *text, size_t *len, const struct plx_fields *f)
{
	const char *c = f->s[PLX_F_CLASS], *k, *end;
	size_t cut;

	if (!c || f->n[PLX_F_CLASS] != 8 || memcmp(c, "\"metric\"", 8) || c - text < 9 ||
	    memcmp(k = c - 8, "\"class\":", 8) || (k[-1] != '{' && k[-1] != ','))
		return text;
	end = c + 8;
	if (k[-1] == ',')
		k--;                 /* ...,"class":"metric" */
	else if (*end == ',')
		end++;               /* {"class":"metric",... */
	else
		return text;
	cut = (size_t)(end - k);
	memmove(text + cut, text, (size_t)(k - text));
	*len -= cut;
	return text + cut;
}

/* Records of the batch before the one being filled: being delivered by
 * send.c, or in flight. */
static size_t
ahead(const struct up *u)
{
	return u->s.sealed + window_records(u);
}

void
enqueue(struct up *u, const char *text, size_t len, int64_t seq, unsigned long lineno, int64_t boot_ms)
{
	if (u->b.n == ahead(u))
		u->b.t0 = plx_mono_ms();
	batch_add(&u->b, text, len, seq, lineno);
	if (boot_ms >= 0)
		batch_mark(&u->b, boot_ms);
}

int
take(struct up *u, char *line, size_t len, unsigned long lineno)
{
	char err[256];
	json_object *rec = NULL;
	struct plx_fields f;
	const char *text;
	size_t tlen = len;
	int64_t seq, seq2 = -1, boot_ms = -1;
	int has_source, marked;
	const char *sid;

	text = strip_seq(line, &tlen, &seq, &sid);
	marked = memmem(text, tlen, "\"" PLX_CLK_KEY "\"", sizeof PLX_CLK_KEY + 1) != NULL;
	/* The common record is checked without json-c and sent as it came;
	 * the rest, and a record lacking a source_id that must have one (for
	 * the reason), take the full parse. */
	if ((marked || plx_record_quick_fields(text, tlen, &has_source, &f) != PLX_QUICK_OK ||
	     (u->need_source && !has_source)) &&
	    (!(rec = plx_record_parse(u->tok, text, tlen, &seq2, err, sizeof err)) ||
	     (u->need_source && plx_record_check(rec, 1, err, sizeof err) < 0))) {
		plx_warn_limited(&u->rl, "line %lu: %s", lineno, err);
		u->c.rejected++;
		json_object_put(rec);
		return -1;
	}
	if (seq2 >= 0) {   /* the key was elsewhere in the line: send it without */
		seq = seq2;
		sid = NULL;    /* not where plx-buffer puts it: not its */
		text = plx_record_text(rec, &tlen);
	}
	seq = proven(u, seq, sid, lineno);
	if (marked)
		text = unmark(u, rec, &tlen, &boot_ms);
	else if (!rec)
		text = lean(line + (text - line), &tlen, &f);
	enqueue(u, text, tlen, seq, lineno, boot_ms);
	json_object_put(rec);
	return 0;
}

/* The batch being filled (the records after those being delivered) is
 * full: its records up to both limits go (the last one taken may be left
 * for the next batch). */
static int
full(const struct up *u)
{
	size_t lo = ahead(u), n = u->b.n - lo;

	return n && (n >= (size_t)u->o.max_points ||
	             batch_size(&u->b, lo, u->b.n) > (size_t)u->o.max_bytes);
}

/* One read of stdin into the line reader; a failure ends the input. */
static void
read_input(struct up *u)
{
	if (plx_lines_fill(&u->in) < 0 && errno != EINTR && errno != EAGAIN) {
		plx_warn("read stdin:");
		u->status = EX_IOERR;
		u->in_eof = 1;
	}
}

/* The next line read into the batch being filled: PLX_LINE (taken or
 * refused), or PLX_LINE_NONE / PLX_LINE_EOF (u->in_eof set). */
static int
next_line(struct up *u)
{
	size_t len;
	char *line;
	int r;

	if ((r = plx_lines_next(&u->in, &line, &len)) == PLX_LINE) {
		if (take(u, line, len, u->in.lineno) == 0)
			u->c.read++;
	} else if (r == PLX_LINE_LONG) {
		plx_warn_limited(&u->rl, "line %lu: longer than %d bytes", u->in.lineno, PLX_LINE_MAX);
		u->c.rejected++;
		r = PLX_LINE;
	} else if (r == PLX_LINE_EOF) {
		u->in_eof = 1;
	}
	return r;
}

/* During a delivery: the lines read so far into the next batch, until it
 * is full.  1: more can be taken. */
static int
gather(struct up *u)
{
	while (!u->in_eof && !u->l->stopping && !full(u))
		if (next_line(u) != PLX_LINE)
			return !u->in_eof;
	return 0;
}

/* http.c, stdin readable during a request. */
static int
gather_more(void *arg)
{
	struct up *u = arg;

	if (u->in_eof || u->l->stopping || full(u))
		return 0;
	read_input(u);
	return gather(u);
}

/* The batch being filled, up to both limits. */
static size_t
sealable(const struct up *u)
{
	size_t lo = ahead(u), k = u->b.n - lo;

	while (k > 1 && (k > (size_t)u->o.max_points || batch_size(&u->b, lo, lo + k) > (size_t)u->o.max_bytes))
		k--;
	return k;
}

/* It goes, in a flight of its own. */
static void
seal(struct up *u)
{
	window_start(u, sealable(u));
}

void
feed(struct up *u)
{
	size_t waiting;
	int rc;

	for (;;) {
		window_reap(u);
		if (u->s.sealed) {
			if (send_run(u) == SEND_WAIT) {
				gather(u);
				break;
			}
			continue;
		}
		if ((rc = window_slow(u)) == SEND_WAIT) {
			gather(u);
			break;
		} else if (rc == SEND_DONE) {
			continue;
		}
		waiting = u->b.n - ahead(u);
		if (waiting && window_room(u) && (full(u) || u->in_eof)) {
			seal(u);
			continue;
		}
		if (u->in_eof || u->l->stopping || full(u))
			break;
		if (next_line(u) != PLX_LINE_NONE)
			continue;
		/* live: with nothing in flight, what there is goes unless more
		 * input is waiting already; while flights travel, it gathers */
		if (u->o.batch_ms || !waiting)
			break;
		if (plx_readable(u->in.fd))
			read_input(u);
		else if (!u->w.sent && window_room(u))
			seal(u);
		else
			break;
	}
	/* stdin read unless the batch being filled is full; its deadline */
	waiting = u->b.n - ahead(u);
	plx_loop_fd_set(u->l, u->in_h, 0, !u->in_eof && !u->l->stopping && !full(u) ? POLLIN : 0);
	plx_loop_arm(u->l, u->batch_h, u->o.batch_ms && waiting && window_room(u) ? u->b.t0 + u->o.batch_ms : -1);
	if (u->in_eof && !u->s.sealed && !u->b.n && !u->w.n)
		plx_loop_stop(u->l, u->status);
}

static void
on_input(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct up *u = arg;

	read_input(u);
	feed(u);
}

static void
on_batch_due(struct plx_loop *l, void *arg)
{
	struct up *u = arg;

	if (u->b.n > ahead(u) && window_room(u))
		seal(u);
	feed(u);
}

static void
on_status(struct plx_loop *l, void *arg)
{
	struct up *u = arg;

	if (!u->s.sealed && !u->w.failed)     /* none while a delivery waits: they would pile up */
		health_records(u);
	feed(u);
}

static void
on_hup(struct plx_loop *l, void *arg)
{
	struct up *u = arg;

	plx_info("SIGHUP: reading the API key again%s", u->o.dead_file ? ", reopening the dead-letter file" : "");
	key_reload(u, 0);
	dead_reopen(u);
}

/* A request in flight when a SIGTERM or SIGINT waits: the first one lets
 * it finish (the loop stops after it), a second one abandons it. */
static int
on_wake(void *arg)
{
	struct up *u = arg;
	int again = u->l->signalled;

	return plx_loop_take_term(u->l) && again;
}

/* The run ends (end of input: nothing is left; a stop signal): a delivery
 * under way, which waits for its timer, is given up, and the batch in hand
 * sent once more, without waiting (send.c gives up at the first failure
 * after a signal). */
static void
finish(struct plx_loop *l, void *arg)
{
	struct up *u = arg;
	int rc;

	window_drain(u);
	if (u->s.sealed)
		send_give_up(u);
	while (u->b.n) {
		window_reap(u);
		if (u->w.n) {
			rc = window_slow(u);    /* a failed flight: all are answered */
		} else {
			send_start(u, sealable(u));
			rc = send_run(u);
		}
		if (rc == SEND_WAIT)
			send_give_up(u);
		else if (rc < 0)
			break;
	}
}

int
run(struct up *u)
{
	struct plx_loop l;
	int rc;

	u->l = &l;
	u->rl = (struct plx_ratelim){ .per_s = WARN_PER_S, .what = "bad lines" };
	if (plx_lines_init(&u->in, 0, PLX_LINE_MAX) < 0 || !(u->tok = plx_tokener_new()))
		plx_die(EX_OSERR, "out of memory");
	plx_loop_init(&l, u);
	plx_loop_ratelim(&l, &u->rl);
	if ((u->http.wake_fd = plx_loop_term_fd()) < 0)
		plx_die(EX_OSERR, "signalfd:");
	u->http.wake = on_wake;
	u->http.wake_arg = u;
	u->http.gather_fd = u->in.fd;
	u->http.gather = gather_more;
	u->in_h = plx_loop_fd(&l, 0, POLLIN, on_input);
	window_init(u);
	u->batch_h = plx_loop_timer(&l, -1, on_batch_due);
	if (u->o.status_ms)
		plx_loop_every(&l, u->o.status_ms, on_status);
	send_init(u);
	l.on_hup = on_hup;
	l.on_stop = finish;
	rc = plx_loop_run(&l);
	ack_flush(u);
	close(u->http.wake_fd);
	u->http.wake_fd = -1;
	window_free(u);
	plx_loop_free(&l);
	json_tokener_free(u->tok);
	plx_lines_free(&u->in);
	return rc;
}

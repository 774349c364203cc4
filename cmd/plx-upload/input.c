/* The input loop: one poll() on stdin, driven by the deadline of the batch
 * being filled.  A batch leaves when it holds max_points records, when the
 * next record would take its body past max_bytes, when batch_ms have
 * passed since its first record, or at EOF.
 *
 * Each line is parsed and checked as the server would (plx_record_parse);
 * a line that fails is reported with its number and skipped, so it never
 * reaches a batch to poison it.  plx-buffer's {"_plx_seq":N} is taken off
 * the record there and kept beside it, for the acknowledgement. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "record.h"
#include "upload.h"

/* Records carry seqs, so plx-buffer is upstream: find its spool. */
static void
find_spool(struct up *u)
{
	char *path;

	u->spool_looked = 1;
	/* plx-buffer without -d uses the default spool; use it if it exists,
	 * but never create one for a stream that merely looks like it has seqs. */
	if ((path = plx_default_spool()) && access(path, F_OK) == 0 && spool_open(&u->sp, path, SPOOL_ACK_ONLY) == 0)
		plx_info("acknowledging to the default spool %s", path);
	else
		plx_warn("records carry plx-buffer sequence numbers but no spool is configured"
		         " (-d or PLEXUS_BUFFER): they cannot be acknowledged, and plx-buffer will send them again");
	free(path);
}

/* plx-buffer writes its sequence number as the first key: {"_plx_seq":42,
 * ...}.  Take it off the text itself, so the record can be sent as it came
 * (already checked) rather than serialised again.  Returns the record's
 * text, or the line unchanged when it does not start so. */
static char *
strip_seq(char *line, size_t *len, int64_t *seq)
{
	static const char key[] = "{\"" PLX_SEQ_KEY "\":";
	size_t k = sizeof key - 1, i;
	int64_t v = 0;

	*seq = -1;
	if (*len <= k || memcmp(line, key, k))
		return line;
	for (i = k; i < *len && line[i] >= '0' && line[i] <= '9' && i < k + 18; i++)
		v = v * 10 + (line[i] - '0');
	if (i == k || i >= *len || line[i] != ',')
		return line;
	*seq = v;
	line[i] = '{';
	*len -= i;
	return line + i;
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

void
enqueue(struct up *u, const char *text, size_t len, int64_t seq, unsigned long lineno, int64_t boot_ms)
{
	if (u->b.n && batch_size(&u->b, 0, u->b.n) + 1 + len > u->o.max_bytes)
		send_batch(u);
	if (!u->b.n)
		u->b.t0 = plx_mono_ms();
	if (batch_add(&u->b, text, len, seq, lineno) < 0)
		plx_die(EX_OSERR, "out of memory");
	if (boot_ms >= 0)
		batch_mark(&u->b, boot_ms);
	if (u->b.n >= u->o.max_points)
		send_batch(u);
}

static void
take(struct up *u, json_tokener *tok, char *line, size_t len, unsigned long lineno)
{
	char err[256];
	json_object *rec = NULL;
	const char *text;
	size_t tlen = len;
	int64_t seq, seq2 = -1, boot_ms = -1;
	int has_source, marked;

	text = strip_seq(line, &tlen, &seq);
	marked = memmem(text, tlen, "\"" PLX_CLK_KEY "\"", sizeof PLX_CLK_KEY + 1) != NULL;
	/* The common record is checked without json-c and sent as it came;
	 * the rest, and a record lacking a source_id that must have one (for
	 * the reason), take the full parse. */
	if ((marked || plx_record_quick(text, tlen, &has_source) != PLX_QUICK_OK ||
	     (u->need_source && !has_source)) &&
	    (!(rec = plx_record_parse(tok, text, tlen, &seq2, err, sizeof err)) ||
	     (u->need_source && plx_record_check(rec, 1, err, sizeof err) < 0))) {
		plx_warn("line %lu: %s", lineno, err);
		u->c.rejected++;
		json_object_put(rec);
		return;
	}
	if (seq2 >= 0) {   /* the key was elsewhere in the line: send it without */
		seq = seq2;
		text = plx_record_text(rec, &tlen);
	}
	if (marked)
		text = unmark(u, rec, &tlen, &boot_ms);
	if (seq >= 0 && !u->sp && !u->spool_looked)
		find_spool(u);
	enqueue(u, text, tlen, seq, lineno, boot_ms);
	u->c.read++;
	json_object_put(rec);
}

int
run(struct up *u)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	struct plx_lines in;
	json_tokener *tok;
	int64_t left, now, next_status = plx_mono_ms() + u->o.status_ms;
	size_t len;
	char *line;
	int r, status = 0;

	if (plx_lines_init(&in, 0, PLX_LINE_MAX) < 0 || !(tok = plx_tokener_new()))
		plx_die(EX_OSERR, "out of memory");
	while (!up_stop) {
		if (up_hup) {
			up_hup = 0;
			key_reload(u, 0);
		}
		r = plx_lines_next(&in, &line, &len);
		if (r == PLX_LINE) {
			take(u, tok, line, len, in.lineno);
			continue;
		}
		if (r == PLX_LINE_LONG) {
			plx_warn("line %lu: longer than %d bytes", in.lineno, PLX_LINE_MAX);
			u->c.rejected++;
			continue;
		}
		if (r == PLX_LINE_EOF)
			break;
		now = plx_mono_ms();
		if (u->o.status_ms && now >= next_status) {
			health_records(u);
			next_status = now + u->o.status_ms;
			continue;
		}
		left = -1;
		if (u->b.n && (left = u->b.t0 + u->o.batch_ms - now) <= 0) {
			send_batch(u);
			continue;
		}
		if (u->o.status_ms && (left < 0 || next_status - now < left))
			left = next_status - now;
		if ((r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left)) < 0 && errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		if (r > 0 && plx_lines_fill(&in) < 0 && errno != EINTR && errno != EAGAIN) {
			plx_warn("read stdin:");
			status = EX_IOERR;
			break;
		}
	}
	/* EOF, a read error or a stop signal: what was read still goes, but
	 * after a stop signal only if it gets through at the first try. */
	send_batch(u);
	json_tokener_free(tok);
	plx_lines_free(&in);
	return status;
}

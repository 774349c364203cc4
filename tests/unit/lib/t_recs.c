/* Unit tests of lib/recs.c (records as text) and lib/out.c (the bounded
 * stdout queue).  Every record written is read back with plx_record_parse,
 * the full check plx-buffer applies. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "recs.h"
#include "unit.h"

static struct plx_recs r;
static json_tokener *tok;

/* The last record of r, without its newline; checked by the full parser. */
static const char *
last(void)
{
	static char line[70000];
	char err[200];
	size_t i = r.len - 1, n;
	int64_t seq;
	json_object *o;

	while (i > 0 && r.s[i - 1] != '\n')
		i--;
	n = r.len - 1 - i;
	memcpy(line, r.s + i, n);
	line[n] = '\0';
	if (!(o = plx_record_parse(tok, line, n, &seq, err, sizeof err))) {
		snprintf(line, sizeof line, "INVALID: %s", err);
		return line;
	}
	json_object_put(o);
	return line;
}

static void
test_values(void)
{
	struct plx_tags t = { 0 };
	char err[200], buf[32];

	T(plx_recs_num(&r, "t", 21.5, 1000, NULL) == 0, "number");
	T_STR(last(), "{\"class\":\"metric\",\"metric\":\"t\",\"value\":21.5,\"timestamp\":1000}", "number text");
	plx_recs_num(&r, "x", 0.1, 1, NULL);
	T_STR(last(), "{\"class\":\"metric\",\"metric\":\"x\",\"value\":0.1,\"timestamp\":1}", "0.1 shortest");
	plx_recs_num(&r, "x", 23.4 * 1.0000000000000002, 1, NULL);
	T(strtod(strstr(last(), "\"value\":") + 8, NULL) == 23.4 * 1.0000000000000002, "17 digits read back the same");
	plx_recs_num(&r, "x", -2250, -5, NULL);
	T_STR(last(), "{\"class\":\"metric\",\"metric\":\"x\",\"value\":-2250,\"timestamp\":-5}", "integer");
	T(plx_recs_num(&r, "x", NAN, 1, NULL) < 0 && strstr(r.err, "finite"), "NaN refused: %s", r.err);
	T(plx_recs_num(&r, "x", INFINITY, 1, NULL) < 0, "inf refused");
	T(plx_fmt_double(buf, 1e300) > 0 && strtod(buf, NULL) == 1e300, "1e300: %s", buf);
	T(plx_fmt_double(buf, 5e-324) > 0 && strtod(buf, NULL) == 5e-324, "denormal: %s", buf);

	T(plx_recs_numtext(&r, "h", "40.20", 5, 7, NULL) == 0, "number text kept");
	T_STR(last(), "{\"class\":\"metric\",\"metric\":\"h\",\"value\":40.20,\"timestamp\":7}", "40.20 as printed");
	T(plx_recs_numtext(&r, "h", "+5", 2, 7, NULL) == 0 && strstr(last(), "\"value\":5,"), "+5 -> 5");
	T(plx_recs_numtext(&r, "h", ".5e1x", 4, 7, NULL) == 0 && strstr(last(), "\"value\":5,"), ".5e1 -> 5 (len honoured)");
	T(plx_recs_numtext(&r, "h", "007", 3, 7, NULL) == 0 && strstr(last(), "\"value\":7,"), "007 -> 7");
	T(plx_recs_numtext(&r, "h", "1e400", 5, 7, NULL) < 0, "1e400 refused: %s", r.err);
	T(plx_recs_numtext(&r, "h", "9223372036854775807", 19, 7, NULL) == 0 &&
	  strstr(last(), "\"value\":9223372036854775807,"), "int64 max kept");
	T(plx_recs_numtext(&r, "h", "18446744073709551615", 20, 7, NULL) == 0 && last()[0] == '{' &&
	  strstr(last(), "e+19"), "2^64-1 (json-c would clamp) as a float: %s", last());
	T(plx_recs_numtext(&r, "h", "-9223372036854775808", 20, 7, NULL) == 0 && last()[0] == '{' &&
	  strstr(last(), "e+18"), "int64 min (json-c's clamp value) as a float: %s", last());
	T(plx_recs_numtext(&r, "h", "1e300", 5, 7, NULL) == 0 && strstr(last(), "\"value\":1e300,"),
	  "1e300 kept as printed");
	T(plx_recs_numtext(&r, "h", "0x10", 4, 7, NULL) < 0, "hex refused");
	T(plx_recs_numtext(&r, "h", "nan", 3, 7, NULL) < 0, "nan refused");
	T(plx_recs_numtext(&r, "h", "", 0, 7, NULL) < 0, "empty refused");

	T(plx_recs_bool(&r, "ok", 1, 2, NULL) == 0, "bool");
	T_STR(last(), "{\"class\":\"event\",\"metric\":\"ok\",\"value\":true,\"timestamp\":2}", "bool event");
	T(plx_recs_str(&r, "mode", "a\"b\\c\n\x01", 7, 3, NULL) == 0, "string");
	T_STR(last(), "{\"class\":\"event\",\"metric\":\"mode\",\"value\":\"a\\\"b\\\\c\\n\\u0001\",\"timestamp\":3}",
	      "string escaped as json-c does");

	T(plx_tags_add(&t, "port", "ttyUSB0", err, sizeof err) == 0, "tag");
	T(plx_tags_add(&t, "", "x", err, sizeof err) < 0, "empty tag name refused: %s", err);
	T(plx_tags_add(&t, "k", "\xff", err, sizeof err) < 0, "bad UTF-8 tag refused: %s", err);
	T(plx_tags_set_source(&t, "Bad Source", err, sizeof err) < 0, "bad source id refused: %s", err);
	T(plx_tags_set_source(&t, "gw-1", err, sizeof err) == 0, "source id");
	plx_recs_num(&r, "t", 1, 9, &t);
	T_STR(last(), "{\"class\":\"metric\",\"metric\":\"t\",\"value\":1,\"timestamp\":9,\"source_id\":\"gw-1\","
	      "\"tags\":{\"port\":\"ttyUSB0\"}}", "source and tags");
	T(plx_tags_add(&t, "port", "ttyUSB1", err, sizeof err) == 0 && plx_tags_count(&t) == 1,
	  "a key added again: its value replaced, still one tag");
	plx_recs_num(&r, "t", 1, 9, &t);
	T(strstr(last(), "\"tags\":{\"port\":\"ttyUSB1\"}") != NULL, "the new value written once: %s", last());
	{
		static char keys[PLX_TAGS_MAX + 1][8];
		int i;
		for (i = 1; i < PLX_TAGS_MAX; i++) {
			snprintf(keys[i], sizeof keys[i], "k%d", i);
			plx_tags_add(&t, keys[i], "v", err, sizeof err);
		}
		T(plx_tags_count(&t) == PLX_TAGS_MAX, "16 tags");
		snprintf(keys[0], sizeof keys[0], "k16");
		T(plx_tags_add(&t, keys[0], "v", err, sizeof err) < 0 && plx_tags_count(&t) == PLX_TAGS_MAX,
		  "17th tag refused: %s", err);
		T(plx_tags_add(&t, "k3", "w", err, sizeof err) == 0, "a key already there replaced with 16 tags");
		T(plx_tags_remove(&t, "k3") == 1 && plx_tags_count(&t) == PLX_TAGS_MAX - 1, "remove");
		T(plx_tags_remove(&t, "k3") == 0, "remove what is not there: 0");
		T(plx_tags_add(&t, keys[0], "v", err, sizeof err) == 0, "room again after a remove");
	}
}

static void
test_limits(void)
{
	char name[300], val[300];
	size_t len = r.len;
	int n = r.n;

	memset(name, 'n', sizeof name);
	name[256] = '\0';
	T(plx_recs_num(&r, name, 1, 1, NULL) == 0 && last()[0] == '{', "256-byte name");
	name[257] = '\0';
	name[256] = 'n';
	len = r.len, n = r.n;
	T(plx_recs_num(&r, name, 1, 1, NULL) < 0 && r.len == len && r.n == n, "257-byte name refused, nothing written");
	T(plx_recs_num(&r, "", 1, 1, NULL) < 0, "empty name refused");
	T(plx_recs_num(&r, "\xc3\x28", 1, 1, NULL) < 0, "bad UTF-8 name refused: %s", r.err);
	memset(val, 'v', sizeof val);
	T(plx_recs_str(&r, "s", val, 256, 1, NULL) == 0 && last()[0] == '{', "256-byte string");
	T(plx_recs_str(&r, "s", val, 257, 1, NULL) < 0, "257-byte string refused");
}

/* The queue: records out through a pipe nobody reads are queued up to the
 * bound, then dropped whole and counted; everything queued arrives. */
static void
test_out(void)
{
	struct plx_out o;
	int p[2], i, put = 0, dropped = 0;
	char rec[100], buf[4096];
	ssize_t n;
	size_t got = 0, lines = 0;

	memset(rec, 'x', sizeof rec);
	rec[sizeof rec - 1] = '\n';
	T(pipe(p) == 0, "pipe");
	T(plx_out_init(&o, p[1], 10000) == 0 && (fcntl(p[1], F_GETFL) & O_NONBLOCK), "pipe made non-blocking");
	for (i = 0; i < 2000; i++) {
		int rc = plx_out_put(&o, rec, sizeof rec, 1);
		put += rc == 0;
		dropped += rc == 1;
	}
	T(dropped > 0 && o.overruns == (unsigned long)dropped, "overruns counted: %d", dropped);
	T(o.records == (unsigned long)put && put + dropped == 2000, "records counted: %d", put);
	T(plx_out_pending(&o) <= 10000, "bound kept: %zu", plx_out_pending(&o));
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		if (plx_out_flush(&o) < 0)
			break;
		if ((n = read(p[0], buf, sizeof buf)) <= 0 && !plx_out_pending(&o))
			break;
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
		got += n > 0 ? (size_t)n : 0;
	}
	T(got == (size_t)put * sizeof rec && lines == (size_t)put, "every queued record arrived whole: %zu", lines);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	plx_out_put(&o, rec, sizeof rec, 1);
	T(plx_out_flush(&o) < 0 && errno == EPIPE, "EPIPE reported");
	T(plx_out_put(&o, rec, sizeof rec, 1) < 0 && errno == EPIPE, "and kept");
	plx_out_free(&o);
	T(!(fcntl(p[1], F_GETFL) & O_NONBLOCK), "blocking mode restored");
	close(p[1]);
}

/* -T KEY=VALUE through plx_tags_arg: the tool's own keys refused, room
 * kept for them, a key given again replaced. */
static void
test_tags_arg(void)
{
	static const char *const own[] = { "mac", "unit", NULL };
	struct plx_tags t = { 0 };
	const char *k, *v;
	char err[200], kv[16];
	int i, n = 0;

	T(plx_tags_arg(&t, "site=lab", own, 2, err, sizeof err) == 0 && plx_tags_get(&t, 0, &k, &v) == 0 &&
	  !strcmp(k, "site") && !strcmp(v, "lab"), "site=lab: key and value");
	T(plx_tags_arg(&t, "site=garage", own, 2, err, sizeof err) == 0 && plx_tags_count(&t) == 1 &&
	  plx_tags_get(&t, 0, &k, &v) == 0 && !strcmp(v, "garage"), "given again: the value replaced");
	T(plx_tags_arg(&t, "mac=x", own, 2, err, sizeof err) < 0 && strstr(err, "\"mac\" is a tag"),
	  "a key the tool sets: refused (%s)", err);
	T(plx_tags_arg(&t, "macx=1", own, 2, err, sizeof err) == 0, "... not a key that starts like one");
	T(plx_tags_arg(&t, "=x", own, 2, err, sizeof err) < 0 && plx_tags_arg(&t, "x", own, 2, err, sizeof err) < 0,
	  "no key, no '=': refused");
	for (i = 0; i < PLX_TAGS_MAX; i++) {
		snprintf(kv, sizeof kv, "k%d=v", i);
		n += plx_tags_arg(&t, kv, own, 2, err, sizeof err) == 0;
	}
	T(plx_tags_count(&t) == PLX_TAGS_MAX - 2 && n == PLX_TAGS_MAX - 4, "room kept for the tool's 2 (%s)", err);
	for (i = 0; i < plx_tags_count(&t); i++)
		if (plx_tags_get(&t, i, &k, &v) == 0)
			free((char *)k);
}

int
main(void)
{
	setenv("PLEXUS_CLOCK", "synced", 1);   /* no "_plx_clk" mark in the texts compared */
	tok = plx_tokener_new();
	plx_recs_init(&r);
	test_values();
	test_limits();
	test_out();
	test_tags_arg();
	plx_recs_free(&r);
	json_tokener_free(tok);
	UNIT_END();
}

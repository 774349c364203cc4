/* Unit tests of can-read's pure parts: candump filters (parsed as candump
 * parses them, matched as the kernel matches), candump log lines, error
 * frame words, and the rate-control state. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <linux/can/error.h>

#include "can.h"
#include "unit.h"

static void
test_filters(void)
{
	struct filters fl;
	char err[200];

	filters_init(&fl);
	T(filters_match(&fl, 0x123) && filters_match(&fl, 0x1234 | CAN_EFF_FLAG), "no filter: every frame");
	T(filters_match(&fl, CAN_ERR_FLAG | CAN_ERR_BUSOFF), "no filter: every error class");

	filters_init(&fl);
	T(filters_parse(&fl, "123:7FF", err, sizeof err) == 0, "123:7FF parses");
	T(fl.n == 1 && fl.f[0].can_id == 0x123 && fl.f[0].can_mask == 0x7FF, "123:7FF as candump sets it");
	T(filters_match(&fl, 0x123) && !filters_match(&fl, 0x124), "123:7FF passes 123 only");
	T(filters_match(&fl, 0x123 | CAN_EFF_FLAG), "the kernel's way: mask 7FF does not look at the EFF flag");

	filters_init(&fl);
	T(filters_parse(&fl, "100~700,#4", err, sizeof err) == 0, "inverse filter and error mask parse");
	T(fl.f[0].can_id == (0x100 | CAN_INV_FILTER), "~ sets CAN_INV_FILTER");
	T(!filters_match(&fl, 0x1AB) && filters_match(&fl, 0x2AB), "100~700 drops 0x1xx");
	T(fl.err_mask == 4, "#4: error mask");
	T(filters_match(&fl, CAN_ERR_FLAG | CAN_ERR_CRTL) && !filters_match(&fl, CAN_ERR_FLAG | CAN_ERR_BUSOFF),
	  "error frames go by the error mask");

	filters_init(&fl);
	T(filters_parse(&fl, "0CF004FE:1FFFFFFF", err, sizeof err) == 0, "8-digit id parses");
	T(fl.f[0].can_id == (0x0CF004FE | CAN_EFF_FLAG), "an 8-digit id is extended (as candump)");
	T(filters_match(&fl, 0x0CF004FE | CAN_EFF_FLAG), "extended id matches");

	filters_init(&fl);
	T(filters_parse(&fl, "#FFFFFFFF", err, sizeof err) == 0 && !filters_match(&fl, 0x123),
	  "a list of only an error mask passes no data frame (candump)");
	T(filters_match(&fl, CAN_ERR_FLAG | CAN_ERR_ACK), "... but error frames");

	filters_init(&fl);
	T(filters_parse(&fl, "100:700,j,010:010", err, sizeof err) == 0 && fl.join, "j joins");
	T(filters_match(&fl, 0x110) && !filters_match(&fl, 0x120) && !filters_match(&fl, 0x210),
	  "joined: every filter must match");

	filters_init(&fl);
	T(filters_parse(&fl, "123", err, sizeof err) < 0, "id without mask refused");
	T(strstr(err, "\"123\"") != NULL, "the message names the filter: %s", err);
	T(filters_parse(&fl, "123:7FF,", err, sizeof err) < 0, "an empty item refused");
	T(filters_parse(&fl, "123456789:7FF", err, sizeof err) < 0, "9 hex digits refused");
	T(filters_parse(&fl, "12G:7FF", err, sizeof err) < 0, "non-hex refused");
	T(filters_parse(&fl, "#", err, sizeof err) < 0, "# without a mask refused");
	T(filters_parse(&fl, "1:2:3", err, sizeof err) < 0, "trailing garbage refused");
}

static int
parse(const char *line, struct logline *l, char *err)
{
	return log_parse(line, strlen(line), l, err, 200);
}

static void
test_log(void)
{
	struct logline l;
	char err[200];
	static const char *const bad[] = {
		"", "garbage", "(1436509052.249713)", "(1436509052.249713) ", "(1436509052.249713) can0",
		"(1436509052.249713) can0 123", "(1436509052.249713) can0 1234#00", "(1436509052.249713) can0 12#00",
		"(1436509052.249713) can0 800#00", "(1436509052.249713) can0 123#0", "(1436509052.249713) can0 123#112233445566778899",
		"(1436509052.249713) can0 123##", "(1436509052.249713) can0 123##8", "(1436509052.249713) can0 123#GG",
		"(1436509052.249713 can0 123#00", "(.249713) can0 123#00", "(1436509052.) can0 123#00",
		"(1436509052.249713) can0 123#00 extra", "(1436509052.249713) averyveryverylongname 123#00",
		"(1436509052.249713) can0 20000004##000", "(1436509052.249713) can0 E0000004#00", "(1436509052.249713) can0 9FFFFFFF#00",
		"(1436509052.249713) can0 123#11_9", "(1436509052.249713) can0 123#1122334455667788_3",
	};
	size_t i;

	T(parse("(1436509052.249713) vcan0 123#DEADBEEF", &l, err) == 0, "classic frame parses");
	T(l.ts_us == 1436509052249713LL && l.ifacelen == 5 && !memcmp(l.iface, "vcan0", 5), "timestamp, interface");
	T(l.f.can_id == 0x123 && l.f.len == 4 && l.f.data[0] == 0xDE && l.f.data[3] == 0xEF && !l.fd, "id, data");
	T(parse("(1436509052.249713) can0 0CF004FE#11.22.33", &l, err) == 0, "extended id with dots parses");
	T(l.f.can_id == (0x0CF004FE | CAN_EFF_FLAG) && l.f.len == 3 && l.f.data[2] == 0x33, "EFF flag, 3 bytes");
	T(parse("(1436509052.249713) can0 123#R", &l, err) == 0 && l.f.can_id == (0x123 | CAN_RTR_FLAG) && l.f.len == 0,
	  "remote request");
	T(parse("(1436509052.249713) can0 123#R7", &l, err) == 0 && l.f.len == 7, "remote request with its DLC");
	T(parse("(1436509052.249713) can0 123##1DEADBEEF", &l, err) == 0, "CAN FD parses");
	T(l.fd && (l.f.flags & CANFD_BRS) && !(l.f.flags & CANFD_ESI) && l.f.len == 4, "FD, BRS, 4 bytes");
	T(parse("(1436509052.249713) can0 123##3", &l, err) == 0 && l.fd && l.f.len == 0 && (l.f.flags & CANFD_ESI),
	  "FD without data, BRS and ESI");
	T(parse("(1436509052.249713) can0 20000044#0020000000008000", &l, err) == 0, "error frame parses");
	T(l.f.can_id == (CAN_ERR_FLAG | CAN_ERR_BUSOFF | CAN_ERR_CRTL), "error frame id: no EFF flag");
	T(parse("(1436509052.249713) can0 123#1122334455667788_E", &l, err) == 0 && l.f.len == 8, "len8_dlc suffix");
	T(parse("(1436509052.5) can0 123#", &l, err) == 0 && l.ts_us == 1436509052500000LL && l.f.len == 0,
	  "short fraction, empty data");
	T(parse("(1436509052.249713) can0 123#00 R", &l, err) == 0, "trailing direction R accepted");
	T(parse("(1436509052.249713) can0 123#00\r", &l, err) == 0, "trailing CR accepted");
	{
		char fd64[200] = "(1.000000) c 123##0";
		for (i = 0; i < 64; i++)
			strcat(fd64, "AB");
		T(parse(fd64, &l, err) == 0 && l.f.len == 64, "64-byte FD frame");
		strcat(fd64, "AB");
		T(parse(fd64, &l, err) < 0, "65 bytes refused");
	}
	/* candump's screen format */
	T(parse("  can0  123   [4]  DE AD BE EF", &l, err) == 0 && l.ts_us == -1 && l.f.len == 4 &&
	  l.f.data[3] == 0xEF && l.ifacelen == 4, "screen format without a timestamp: ts -1");
	T(parse(" (1436509052.249713)  can0  RX B E  123  [12]  00 11 22 33 44 55 66 77 88 99 AA BB", &l, err) == 0 &&
	  l.ts_us == 1436509052249713LL && l.fd && l.f.len == 12 && (l.f.flags & CANFD_BRS) && (l.f.flags & CANFD_ESI),
	  "screen format, -ta -x, CAN FD");
	T(parse("  can0  0CF004FE   [2]  remote request", &l, err) == 0 &&
	  l.f.can_id == (0x0CF004FE | CAN_EFF_FLAG | CAN_RTR_FLAG) && l.f.len == 2, "screen format, extended remote request");
	T(parse("  can0  20000040   [8]  00 00 00 00 00 00 00 00   ERRORFRAME", &l, err) == 0 &&
	  l.f.can_id == (CAN_ERR_FLAG | 0x40), "screen format, error frame");
	T(parse("  can0  123   [2]  41 42   'AB'", &l, err) == 0, "screen format, -a's ASCII column");
	T(parse("  can0  123   [3]  01 02", &l, err) < 0 && strstr(err, "3 data bytes"), "screen: too few bytes: %s", err);
	T(parse("  can0  123   [9]  01", &l, err) < 0, "screen: classic length 9 refused");
	T(parse("  can0  123   [65]  01", &l, err) < 0, "screen: FD length 65 refused");
	T(parse("  can0  123   4]  01", &l, err) < 0, "screen: bad brackets refused");
	T(parse("  can0  12   [1]  01", &l, err) < 0, "screen: 2-digit id refused");
	T(parse("  can0  20000040  [08]  00", &l, err) < 0, "screen: FD error frame refused");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		*err = '\0';
		T(parse(bad[i], &l, err) < 0 && *err, "refused with a reason: \"%s\": %s", bad[i], err);
	}
}

static char words[512];

static void
word(void *ctx, const char *w)
{
	strcat(words, w);
	strcat(words, "|");
}

static const char *
errwords(canid_t id, const char *hex)
{
	struct canfd_frame f = { .can_id = CAN_ERR_FLAG | id, .len = 8 };
	int i;

	for (i = 0; i < 8; i++)
		sscanf(hex + 2 * i, "%2hhx", &f.data[i]);
	*words = '\0';
	errframe_words(&f, word, NULL);
	return words;
}

static void
test_errframe(void)
{
	T_STR(errwords(CAN_ERR_BUSOFF, "0000000000000000"), "bus-off|", "bus-off");
	T_STR(errwords(CAN_ERR_CRTL | CAN_ERR_BUSOFF, "0020000000000000"), "controller: error-passive tx|bus-off|",
	      "controller and bus-off, in header order");
	T_STR(errwords(CAN_ERR_CRTL, "0014000000000000"), "controller: error-warning rx error-passive rx|",
	      "two controller bits");
	T_STR(errwords(CAN_ERR_LOSTARB, "0500000000000000"), "lost-arbitration: bit 5|", "lost arbitration bit");
	T_STR(errwords(CAN_ERR_PROT, "0000040A00000000"), "protocol-violation: stuff at data|", "protocol, location");
	T_STR(errwords(CAN_ERR_ACK | CAN_ERR_RESTARTED, "0000000000000000"), "no-ack|restarted|", "ack, restarted");
	T_STR(errwords(CAN_ERR_TRX, "0000000070000000"), "transceiver: canl-short-to-gnd|", "transceiver");
	T_STR(errwords(CAN_ERR_TX_TIMEOUT | CAN_ERR_BUSERROR, "0000000000000000"), "tx-timeout|bus-error|",
	      "tx timeout, bus error");
	T_STR(errwords(0, "0000000000000000"), "unspecified|", "no class");
}

static void
test_rate(void)
{
	struct rate_opts o = { .on_change = 1, .max_quiet_ms = 1000 };
	struct rstate s, c;
	int fl;

	rstate_init(&s);
	T(rate_sample(&o, 0, &s, 0, 1, NULL, 0, &fl, &c) == 1, "on-change: first value sent");
	T(rate_sample(&o, 0, &s, 100, 1, NULL, 0, &fl, &c) == 0, "same value not sent");
	T(rate_sample(&o, 0, &s, 200, 2, NULL, 0, &fl, &c) == 1, "changed value sent");
	T(rate_sample(&o, 0, &s, 1100, 2, NULL, 0, &fl, &c) == 0, "unchanged before max-quiet");
	T(rate_sample(&o, 0, &s, 1200, 2, NULL, 0, &fl, &c) == 1, "unchanged after max-quiet: sent");

	o = (struct rate_opts){ .interval_ms = 1000 };
	rstate_init(&s);
	T(rate_sample(&o, 1000, &s, 1000, 5, NULL, 0, &fl, &c) == 0 && !fl, "interval: gathered");
	rate_sample(&o, 1000, &s, 1500, 1, NULL, 0, &fl, &c);
	rate_sample(&o, 1000, &s, 1900, 3, NULL, 0, &fl, &c);
	T(!rate_due(1000, &s, 1999, &c), "window not due before its end");
	rate_sample(&o, 1000, &s, 2100, 7, NULL, 0, &fl, &c);
	T(fl && c.n == 3 && c.min == 1 && c.max == 5 && c.mean == 3 && c.last == 3 && c.last_ts == 1900,
	  "next window closes the last: n 3, min 1, max 5, mean 3, last 3 at 1900");
	T(rate_due(1000, &s, 3000, &c) && c.n == 1 && c.last == 7, "due at the window's end");
	T(!rate_due(1000, &s, 9000, &c), "nothing after that");
}

/* The mean of a window whose sum is past DBL_MAX: still the mean. */
static double
window_mean(const double *v, int n, int repeat)
{
	struct rate_opts o = { .interval_ms = 1000, .agg = AGG_MEAN };
	struct rstate s, c;
	int fl, i, k;

	rstate_init(&s);
	for (k = 0; k < repeat; k++)
		for (i = 0; i < n; i++)
			rate_sample(&o, 1000, &s, 1000, v[i], NULL, 0, &fl, &c);
	return rate_due(1000, &s, 2000, &c) ? c.mean : NAN;
}

static void
test_mean(void)
{
	const double half = DBL_MAX / 2, same[] = { half, half, half }, alt[] = { half, -half, half },
	             max[] = { DBL_MAX, -DBL_MAX, DBL_MAX }, tenth[] = { 0.1, 0.1, 0.1 },
	             big[] = { 1e308, 1.5e308 };
	double m;

	T(window_mean(same, 3, 1) == half, "mean of three DBL_MAX/2: DBL_MAX/2 (a sum overflows)");
	m = window_mean(alt, 3, 1);
	T(fabs(m - half / 3) <= 1e-15 * half, "mean of DBL_MAX/2, -DBL_MAX/2, DBL_MAX/2: DBL_MAX/6 (%g)", m);
	m = window_mean(max, 3, 1);
	T(fabs(m - DBL_MAX / 3) <= 1e-15 * DBL_MAX, "mean of DBL_MAX, -DBL_MAX, DBL_MAX: DBL_MAX/3 (%g)", m);
	m = window_mean(big, 2, 500000);
	T(fabs(m - 1.25e308) <= 1e-12 * 1.25e308, "mean of a million samples near 1e308: 1.25e308 (%.17g)", m);
	T(window_mean(tenth, 3, 1) == 0.1, "mean of 0.1, 0.1, 0.1: exactly 0.1");
}

static void
test_rawtab(void)
{
	struct rawtab t = { 0 };
	struct rawent *a, *b;
	unsigned i;

	a = rawtab_get(&t, 0x123);
	b = rawtab_get(&t, 0x123 | CAN_EFF_FLAG);
	T(a && b && a != b && rawtab_get(&t, 0x123) == a, "ids with and without EFF are distinct entries");
	for (i = 0; i < 10000 && rawtab_get(&t, i | CAN_EFF_FLAG); i++)
		;
	T(t.n == RAW_IDS_MAX * 3 / 4, "bounded at %u ids", t.n);
	T(rawtab_get(&t, 0x123) == a, "known ids still found when full");
	rawtab_free(&t);
}

int
main(void)
{
	test_filters();
	test_log();
	test_errframe();
	test_rate();
	test_mean();
	test_rawtab();
	UNIT_END();
}

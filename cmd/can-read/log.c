/* candump log lines (`candump -L`, `candump -l` files; canplayer reads them):
 *
 *   (1436509052.249713) vcan0 123#DEADBEEF
 *   (1436509052.249713) vcan0 123##1DEADBEEF
 *
 * a timestamp, an interface and a frame in can-utils' notation, the one
 * cansend takes (lib/canframe.h: ids of 3 or 8 digits, remote requests,
 * CAN FD with its flags, error frames, a raw DLC).
 *
 * A trailing " R" or " T" (newer candump: received, transmitted) is
 * accepted.  So is candump's screen format, with -ta's timestamp or none
 * (then the frame has ts_us -1: the reader stamps it), -x's direction and
 * flags, -a's ASCII column, -e's ERRORFRAME (its explanation lines, which
 * start with a tab, are the reader's to skip):
 *
 *    (1436509052.249713)  can0  123   [4]  DE AD BE EF
 *    can0  0CF004FE   [3]  11 22 33
 *    (1436509052.249713)  can0  RX B -  123  [04]  DE AD BE EF
 *    can0  123   [2]  remote request
 *
 * Pure: no I/O, no allocation (fuzz/can-read/fuzz_canlog.c). */
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include "can.h"
#include "canframe.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* "(SECONDS.FRACTION)": microseconds, *p past the ')' */
static int
stamp(const char **pp, const char *e, int64_t *us)
{
	const char *p = *pp;
	int64_t s = 0, f = 0;
	int n = 0, fd = 0;

	if (p >= e || *p++ != '(')
		return -1;
	while (p < e && *p >= '0' && *p <= '9' && n < 12)
		s = s * 10 + (*p++ - '0'), n++;
	if (!n || p >= e || *p++ != '.')
		return -1;
	while (p < e && *p >= '0' && *p <= '9') {
		if (fd < 6)
			f = f * 10 + (*p - '0');
		fd++, p++;
	}
	if (!fd || fd > 9 || p >= e || *p++ != ')')
		return -1;
	for (; fd < 6; fd++)
		f *= 10;
	*us = s * 1000000 + f;
	*pp = p;
	return 0;
}

static int log_line(const char *line, size_t len, struct logline *l, char *err, size_t errlen);

/* The next space-separated token: *p moved past it, its length in *n. */
static const char *
token(const char **pp, const char *e, size_t *n)
{
	const char *p = *pp, *t;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	t = p;
	while (p < e && *p != ' ' && *p != '\t' && *p != '\r')
		p++;
	*n = (size_t)(p - t);
	*pp = p;
	return t;
}

static int
tok_is(const char *t, size_t n, const char *w)
{
	return n == strlen(w) && !memcmp(t, w, n);
}

/* candump's screen format (see the top of the file). */
static int
screen(const char *line, size_t len, struct logline *l, char *err, size_t errlen)
{
	const char *p = line, *e = line + len, *t;
	struct logline x;
	size_t n, i;
	uint32_t id = 0;
	int d, dlen = 0, k, brs = 0, esi = 0;

	memset(&x, 0, sizeof x);
	x.ts_us = -1;
	t = token(&p, e, &n);
	if (n && *t == '(') {
		const char *q = t;
		if (stamp(&q, t + n, &x.ts_us) < 0 || q != t + n)
			FAIL("expected a timestamp (SECONDS.MICROSECONDS), as candump -ta prints it");
		t = token(&p, e, &n);
	}
	if (!n || n >= IFNAMSIZ)
		FAIL("expected an interface name of 1 to %d bytes", IFNAMSIZ - 1);
	x.iface = t;
	x.ifacelen = n;
	t = token(&p, e, &n);
	if (tok_is(t, n, "RX") || tok_is(t, n, "TX")) {   /* candump -x: direction, BRS, ESI */
		t = token(&p, e, &n);
		brs = tok_is(t, n, "B");
		t = token(&p, e, &n);
		esi = tok_is(t, n, "E");
		t = token(&p, e, &n);
	}
	for (i = 0; i < n && (d = canframe_xdigit((unsigned char)t[i])) >= 0; i++)
		id = id << 4 | (uint32_t)d;
	if (i != n || (n != 3 && n != 8))
		FAIL("expected a 3- or 8-digit hex id");
	if (n == 3 && id > CAN_SFF_MASK)
		FAIL("11-bit id %03X out of range", id);
	if (n == 8 && !(id & CAN_ERR_FLAG)) {
		if (id > CAN_EFF_MASK)
			FAIL("29-bit id %08X out of range", id);
		id |= CAN_EFF_FLAG;
	}
	if (n == 8 && (id & CAN_ERR_FLAG) && (id & ~(CAN_ERR_FLAG | CAN_ERR_MASK)))
		FAIL("error frame id %08X has other flags", id);
	t = token(&p, e, &n);
	if (n < 3 || n > 4 || t[0] != '[' || t[n - 1] != ']')
		FAIL("expected the length in brackets, [4] or [04] (CAN FD)");
	for (i = 1; i < n - 1; i++) {
		if (t[i] < '0' || t[i] > '9')
			FAIL("expected the length in brackets, [4] or [04] (CAN FD)");
		dlen = dlen * 10 + (t[i] - '0');
	}
	x.fd = n == 4;
	if (dlen > (x.fd ? CANFD_MAX_DLEN : CAN_MAX_DLEN) || (x.fd && (id & CAN_ERR_FLAG)))
		FAIL("length %d out of range", dlen);
	x.f.len = (uint8_t)dlen;
	if (x.fd)
		x.f.flags = (uint8_t)(CANFD_FDF | (brs ? CANFD_BRS : 0) | (esi ? CANFD_ESI : 0));
	t = token(&p, e, &n);
	if (tok_is(t, n, "remote") && !x.fd && !(id & CAN_ERR_FLAG)) {
		t = token(&p, e, &n);
		if (!tok_is(t, n, "request"))
			FAIL("expected \"remote request\"");
		id |= CAN_RTR_FLAG;
		t = token(&p, e, &n);
	} else {
		for (k = 0; k < dlen; k++) {
			int hi, lo;
			if (n != 2 || (hi = canframe_xdigit((unsigned char)t[0])) < 0 || (lo = canframe_xdigit((unsigned char)t[1])) < 0)
				FAIL("expected %d data bytes in hex", dlen);
			x.f.data[k] = (uint8_t)(hi << 4 | lo);
			t = token(&p, e, &n);
		}
	}
	if (n && *t == '\'')                 /* candump -a: the bytes as ASCII, to the end */
		n = 0, p = e;
	if (tok_is(t, n, "ERRORFRAME"))
		t = token(&p, e, &n);
	if (n)
		FAIL("unexpected \"%.*s\" after the frame", (int)(n < 10 ? n : 10), t);
	x.f.can_id = id;
	*l = x;
	return 0;
}

int
log_parse(const char *line, size_t len, struct logline *l, char *err, size_t errlen)
{
	const char *b = memchr(line, '[', len), *h = memchr(line, '#', len);

	if (b && !h)
		return screen(line, len, l, err, errlen);
	return log_line(line, len, l, err, errlen);
}

static int
log_line(const char *line, size_t len, struct logline *l, char *err, size_t errlen)
{
	const char *p = line, *e = line + len;
	struct logline t;

	memset(&t, 0, sizeof t);
	if (stamp(&p, e, &t.ts_us) < 0)
		FAIL("expected a timestamp (SECONDS.MICROSECONDS)");
	if (p >= e || *p != ' ')
		FAIL("expected an interface after the timestamp");
	while (p < e && *p == ' ')
		p++;
	t.iface = p;
	while (p < e && *p != ' ' && *p != '\t')
		p++;
	t.ifacelen = (size_t)(p - t.iface);
	if (!t.ifacelen || t.ifacelen >= IFNAMSIZ)
		FAIL("expected an interface name of 1 to %d bytes", IFNAMSIZ - 1);
	while (p < e && *p == ' ')
		p++;
	if (canframe_scan(&p, e, &t.f, &t.fd, err, errlen) < 0)
		return -1;
	if (p + 2 == e && p[0] == ' ' && (p[1] == 'R' || p[1] == 'T'))
		p += 2;
	while (p < e && (*p == ' ' || *p == '\r'))
		p++;
	if (p != e)
		FAIL("unexpected \"%.*s\" after the frame", (int)(e - p < 10 ? e - p : 10), p);
	*l = t;
	return 0;
}

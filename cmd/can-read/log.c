/* candump log lines (`candump -L`, `candump -l` files; canplayer reads them):
 *
 *   (1436509052.249713) vcan0 123#DEADBEEF         classic, 11-bit id
 *   (1436509052.249713) vcan0 0CF004FE#11.22.33    29-bit id (8 digits), '.' between bytes allowed
 *   (1436509052.249713) vcan0 123#R                remote request; 123#R4: with its DLC
 *   (1436509052.249713) vcan0 123##1DEADBEEF       CAN FD: '##', a flags nibble (1 BRS, 2 ESI), data
 *   (1436509052.249713) vcan0 20000004#0004000000000000   error frame (CAN_ERR_FLAG in the id)
 *   (1436509052.249713) vcan0 123#1122334455667788_E      classic with a raw DLC 9..F
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

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* hex digit value + 1, 0 for anything else: a table, the hot loop of replay */
static const unsigned char hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int
xdigit(int c)
{
	return hexval1[c & 255] - 1;
}

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

/* hex bytes up to max, '.' allowed between them; *n bytes */
static int
bytes(const char **pp, const char *e, uint8_t *out, int max, int *n)
{
	const char *p = *pp;
	int hi, lo;

	*n = 0;
	while (p < e) {
		if (*p == '.') {
			p++;
			continue;
		}
		if ((hi = xdigit((unsigned char)*p)) < 0)
			break;
		if (p + 1 >= e || (lo = xdigit((unsigned char)p[1])) < 0 || *n == max)
			return -1;
		out[(*n)++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*pp = p;
	return 0;
}

static int
frame(const char **pp, const char *e, struct logline *l, char *err, size_t errlen)
{
	const char *p = *pp, *id0 = p;
	uint32_t id = 0;
	int d, n;

	while (p < e && (d = xdigit((unsigned char)*p)) >= 0 && p - id0 < 8)
		id = id << 4 | (uint32_t)d, p++;
	if (p >= e || *p != '#' || (p - id0 != 3 && p - id0 != 8))
		FAIL("expected a 3- or 8-digit hex id and '#'");
	if (p - id0 == 3) {
		if (id > CAN_SFF_MASK)
			FAIL("11-bit id %03X out of range", id);
	} else if (!(id & CAN_ERR_FLAG)) {
		if (id > CAN_EFF_MASK)
			FAIL("29-bit id %08X out of range", id);
		id |= CAN_EFF_FLAG;
	} else if (id & ~(CAN_ERR_FLAG | CAN_ERR_MASK)) {
		FAIL("error frame id %08X has other flags", id);
	}
	p++;
	l->f.can_id = id;
	if (p < e && *p == '#') {                      /* CAN FD */
		if (id & CAN_ERR_FLAG)
			FAIL("an error frame cannot be CAN FD");
		if (++p >= e || (d = xdigit((unsigned char)*p)) < 0 || d > (CANFD_BRS | CANFD_ESI | CANFD_FDF))
			FAIL("expected the CAN FD flags nibble after '##'");
		l->f.flags = (uint8_t)((d & (CANFD_BRS | CANFD_ESI)) | CANFD_FDF);
		p++;
		if (bytes(&p, e, l->f.data, CANFD_MAX_DLEN, &n) < 0)
			FAIL("CAN FD data: expected hex byte pairs, at most 64");
		l->f.len = (uint8_t)n;
		l->fd = 1;
	} else if (p < e && (*p == 'R' || *p == 'r')) { /* remote request */
		if (id & CAN_ERR_FLAG)
			FAIL("an error frame cannot be a remote request");
		l->f.can_id |= CAN_RTR_FLAG;
		p++;
		if (p < e && (d = xdigit((unsigned char)*p)) >= 0 && d <= CAN_MAX_DLEN)
			l->f.len = (uint8_t)d, p++;
	} else {
		if (bytes(&p, e, l->f.data, CAN_MAX_DLEN, &n) < 0)
			FAIL("data: expected hex byte pairs, at most 8");
		l->f.len = (uint8_t)n;
		if (p < e && *p == '_') {               /* len8_dlc: raw DLC 9..F */
			if (n != CAN_MAX_DLEN || p + 1 >= e || (d = xdigit((unsigned char)p[1])) < 9)
				FAIL("expected _9.._F after 8 data bytes");
			l->f.__res1 = (uint8_t)d;       /* struct can_frame's len8_dlc */
			p += 2;
		}
	}
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
	for (i = 0; i < n && (d = xdigit((unsigned char)t[i])) >= 0; i++)
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
			if (n != 2 || (hi = xdigit((unsigned char)t[0])) < 0 || (lo = xdigit((unsigned char)t[1])) < 0)
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
	if (frame(&p, e, &t, err, errlen) < 0)
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

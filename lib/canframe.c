/* CAN frames as text (canframe.h), as can-utils' lib.c reads and writes
 * them (parse_canframe, sprint_canframe): cansend's arguments, the frames
 * of candump -L logs. */
#include <stdio.h>
#include <string.h>

#include "canframe.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* hex digit value + 1, 0 for anything else: a table, the hot loop of replay */
static const unsigned char hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int
canframe_xdigit(int c)
{
	return hexval1[c & 255] - 1;
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
		if ((hi = canframe_xdigit((unsigned char)*p)) < 0)
			break;
		if (p + 1 >= e || (lo = canframe_xdigit((unsigned char)p[1])) < 0 || *n == max)
			return -1;
		out[(*n)++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*pp = p;
	return 0;
}

int
canframe_scan(const char **pp, const char *e, struct canfd_frame *f, int *fd, char *err, size_t errlen)
{
	const char *p = *pp, *id0 = p;
	uint32_t id = 0;
	int d, n;

	memset(f, 0, sizeof *f);
	*fd = 0;
	while (p < e && (d = canframe_xdigit((unsigned char)*p)) >= 0 && p - id0 < 8)
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
	f->can_id = id;
	if (p < e && *p == '#') {                      /* CAN FD */
		if (id & CAN_ERR_FLAG)
			FAIL("an error frame cannot be CAN FD");
		if (++p >= e || (d = canframe_xdigit((unsigned char)*p)) < 0 || d > (CANFD_BRS | CANFD_ESI | CANFD_FDF))
			FAIL("expected the CAN FD flags nibble after '##'");
		f->flags = (uint8_t)((d & (CANFD_BRS | CANFD_ESI)) | CANFD_FDF);
		p++;
		if (bytes(&p, e, f->data, CANFD_MAX_DLEN, &n) < 0)
			FAIL("CAN FD data: expected hex byte pairs, at most 64");
		f->len = (uint8_t)n;
		*fd = 1;
	} else if (p < e && (*p == 'R' || *p == 'r')) { /* remote request */
		if (id & CAN_ERR_FLAG)
			FAIL("an error frame cannot be a remote request");
		f->can_id |= CAN_RTR_FLAG;
		p++;
		if (p < e && (d = canframe_xdigit((unsigned char)*p)) >= 0 && d <= CAN_MAX_DLEN)
			f->len = (uint8_t)d, p++;
		if (f->len == CAN_MAX_DLEN && p < e && *p == '_') {   /* R8_E: a raw DLC */
			if (p + 1 >= e || (d = canframe_xdigit((unsigned char)p[1])) < 9)
				FAIL("expected _9.._F after R8");
			f->__res1 = (uint8_t)d;
			p += 2;
		}
	} else {
		if (bytes(&p, e, f->data, CAN_MAX_DLEN, &n) < 0)
			FAIL("data: expected hex byte pairs, at most 8");
		f->len = (uint8_t)n;
		if (p < e && *p == '_') {               /* len8_dlc: raw DLC 9..F */
			if (n != CAN_MAX_DLEN || p + 1 >= e || (d = canframe_xdigit((unsigned char)p[1])) < 9)
				FAIL("expected _9.._F after 8 data bytes");
			f->__res1 = (uint8_t)d;         /* struct can_frame's len8_dlc */
			p += 2;
		}
	}
	*pp = p;
	return 0;
}

int
canframe_parse(const char *s, struct canfd_frame *f, int *fd, char *err, size_t errlen)
{
	const char *p = s, *e = s + strlen(s);

	if (canframe_scan(&p, e, f, fd, err, errlen) < 0)
		return -1;
	if (p != e)
		FAIL("unexpected \"%.*s\" after the frame", (int)(e - p < 10 ? e - p : 10), p);
	return 0;
}

const char *
canframe_format(const struct canfd_frame *f, int fd, char *buf, size_t len)
{
	size_t o;
	int i;

	if (f->can_id & CAN_ERR_FLAG)
		o = (size_t)snprintf(buf, len, "%08X#", f->can_id & (CAN_ERR_FLAG | CAN_ERR_MASK));
	else if (f->can_id & CAN_EFF_FLAG)
		o = (size_t)snprintf(buf, len, "%08X#", f->can_id & CAN_EFF_MASK);
	else
		o = (size_t)snprintf(buf, len, "%03X#", f->can_id & CAN_SFF_MASK);
	if (fd)
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "#%X", f->flags & (CANFD_BRS | CANFD_ESI));
	if (!fd && (f->can_id & CAN_RTR_FLAG))
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, f->len ? "R%d" : "R", f->len);
	else
		for (i = 0; i < f->len && i < (fd ? CANFD_MAX_DLEN : CAN_MAX_DLEN); i++)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%02X", f->data[i]);
	if (!fd && f->len == CAN_MAX_DLEN && f->__res1 > CAN_MAX_DLEN && f->__res1 <= 15)
		snprintf(buf + o, o < len ? len - o : 0, "_%X", f->__res1);
	return buf;
}

/* candump's filter syntax, so a command line moves from candump unchanged:
 *
 *   123:7FF       pass when id & 7FF == 123 & 7FF
 *   123~7FF       pass when it does not (CAN_INV_FILTER)
 *   12345678:1FFFFFFF   an 8-digit id is an extended one (CAN_EFF_FLAG)
 *   #FFFFFFFF     error frames of these classes (CAN_RAW_ERR_FILTER)
 *   j             every filter must match (CAN_RAW_JOIN_FILTERS)
 *
 * given comma-separated, as in `candump can0,123:7FF,#FFFFFFFF`.  As in
 * candump, a list holding only an error mask passes no data frame.  The
 * kernel applies them to a CAN socket; filters_match does the same for
 * inputs the kernel never saw (a log, a passed socket). */
#include <stdio.h>
#include <string.h>

#include "can.h"

void
filters_init(struct filters *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->err_mask = CAN_ERR_MASK;    /* error frames of every class, unless told */
}

/* 1..8 hex digits at *s: the value, *s moved past them; -1 if none or more. */
static int
hex(const char **s, uint32_t *v, int *ndig)
{
	const char *p = *s;
	uint32_t x = 0;
	int n = 0;

	for (;; p++, n++) {
		int c = (unsigned char)*p, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (n == 8)
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	if (!n)
		return -1;
	*s = p;
	*v = x;
	*ndig = n;
	return 0;
}

static int
one(struct filters *fl, const char *s, size_t len, char *err, size_t errlen)
{
	char item[40];
	const char *p = item;
	uint32_t id, mask;
	int nd, md;
	char sep;

	if (len == 0 || len >= sizeof item)
		goto bad;
	memcpy(item, s, len);
	item[len] = '\0';
	if (!strcmp(item, "j") || !strcmp(item, "J")) {
		fl->join = 1;
		return 0;
	}
	if (*p == '#') {
		p++;
		if (hex(&p, &id, &nd) < 0 || *p)
			goto bad;
		fl->err_mask = id & CAN_ERR_MASK;
		return 0;
	}
	if (hex(&p, &id, &nd) < 0 || (*p != ':' && *p != '~'))
		goto bad;
	sep = *p++;
	if (hex(&p, &mask, &md) < 0 || *p)
		goto bad;
	if (fl->n == MAX_FILTERS) {
		snprintf(err, errlen, "more than %d filters", MAX_FILTERS);
		return -1;
	}
	mask &= ~CAN_ERR_FLAG;
	if (nd == 8)
		id |= CAN_EFF_FLAG;
	if (sep == '~')
		id |= CAN_INV_FILTER;
	fl->f[fl->n].can_id = id;
	fl->f[fl->n].can_mask = mask;
	fl->n++;
	return 0;
bad:
	snprintf(err, errlen, "filter \"%.*s\": expected ID:MASK, ID~MASK, #ERRMASK or j (hex)",
	         (int)(len > 30 ? 30 : len), s);
	return -1;
}

int
filters_parse(struct filters *fl, const char *s, char *err, size_t errlen)
{
	const char *c;

	fl->given = 1;
	for (;;) {
		c = strchr(s, ',');
		if (one(fl, s, c ? (size_t)(c - s) : strlen(s), err, errlen) < 0)
			return -1;
		if (!c)
			return 0;
		s = c + 1;
	}
}

/* af_can.c: a filter matches when (id & mask) == (fid & mask), or differs
 * when inverted; error frames go by the error mask alone. */
int
filters_match(const struct filters *fl, canid_t id)
{
	int i, m;

	if (id & CAN_ERR_FLAG)
		return (id & fl->err_mask & CAN_ERR_MASK) != 0;
	if (!fl->given)
		return 1;
	if (!fl->n)
		return 0;
	for (i = 0; i < fl->n; i++) {
		canid_t fid = fl->f[i].can_id, mask = fl->f[i].can_mask;
		m = (id & mask) == (fid & ~CAN_INV_FILTER & mask);
		if (fid & CAN_INV_FILTER)
			m = !m;
		if (m && !fl->join)
			return 1;
		if (!m && fl->join)
			return 0;
	}
	return fl->join;
}

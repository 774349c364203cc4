/* ble-read: the decoder table.  An advertisement's entries (service data
 * under a 16-bit UUID, manufacturer data under a company id) are matched
 * against the table below; the first entry whose kind, id, length and first
 * byte fit decodes the bytes.  Adding a format is a line here and a
 * function in a file of its own (format.h says what it gets and returns).
 *
 *   kind  id      len  first  decoder             sample (the entry's bytes)
 *   svc   0xfcd2   -    -     BTHome v2           40 02 c4 09 03 bf 13
 *   svc   0x181a  13    -     atc1441 (BE)        a4c1380283f4 00a2 2f 5f 0bf8 19
 *   svc   0x181a  15    -     pvvx custom (LE)    f4830238c1a4 a906 6911 b60b 58 f7 0d
 *   svc   0xfe95   -    -     Xiaomi MiBeacon     5030 5b05 03 4c94b438c1a4 0d10 04 1001ea01
 *   mfr   0x0499  24    5     Ruuvi RAWv2         05 12fc 5394 c37c 0004 fffc 040c ac36 42 00cd ...
 *
 * After the entries, readings that share a name are numbered 1, 2, ... in
 * order (BTHome's rule for several objects of one kind), and BTHome "none"
 * events, kept until then to hold their number, are dropped. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "format.h"

enum { SVC, MFR };

static const struct ble_format {
	const char *name;
	int kind;                   /* SVC or MFR */
	uint16_t id;                /* 16-bit service UUID or company id */
	size_t len;                 /* exact length, 0: any */
	int first;                  /* the first byte, -1: any */
	ble_decoder *decode;
} formats[] = {
	{ "bthome",   SVC, 0xfcd2, 0,  -1, bthome_decode },
	{ "atc1441",  SVC, 0x181a, 13, -1, atc1441_decode },
	{ "pvvx",     SVC, 0x181a, 15, -1, pvvx_decode },
	{ "181a",     SVC, 0x181a, 0,  -1, thermo181a_badlen },
	{ "mibeacon", SVC, 0xfe95, 0,  -1, mibeacon_decode },
	{ "ruuvi5",   MFR, 0x0499, 0,   5, ruuvi5_decode },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

const char *
ble_format_name(int i)
{
	return i >= 0 && (size_t)i < NFORMATS ? formats[i].name : NULL;
}

static const struct ble_format *
lookup(int kind, long id, const uint8_t *p, size_t n)
{
	const struct ble_format *f;

	for (f = formats; f < formats + NFORMATS; f++)
		if (f->kind == kind && f->id == id && (!f->len || f->len == n) &&
		    (f->first < 0 || (n > 0 && p[0] == f->first)))
			return f;
	return NULL;
}

int
ble_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

long
ble_uuid16(const char *u)
{
	static const char base[] = "-0000-1000-8000-00805f9b34fb";
	long v = 0;
	int i, d;

	if (!u)
		return -1;
	if (strlen(u) == 36) {
		if (u[0] != '0' || u[1] != '0' || u[2] != '0' || u[3] != '0' || strcasecmp(u + 8, base))
			return -1;
		u += 4;
	} else if (strlen(u) != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = ble_hexval((unsigned char)u[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

int
ble_addr_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (!s || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++, s += 3) {
		hi = ble_hexval((unsigned char)s[0]);
		lo = ble_hexval((unsigned char)s[1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
ble_hex(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (!cap)
		return;
	for (i = 0; i < n && 2 * i + 2 < cap; i++) {
		dst[2 * i] = digits[p[i] >> 4];
		dst[2 * i + 1] = digits[p[i] & 15];
	}
	dst[2 * i] = 0;
}

struct ble_reading *
ble_put(struct ble_sink *s, const char *name, double v, const char *unit)
{
	struct ble_reading *r = &s->spare;
	size_t len = strlen(name);

	if (s->n < s->max)
		r = &s->r[s->n++];
	else
		s->full = 1;
	if (len >= sizeof r->name)
		len = sizeof r->name - 1;
	memcpy(r->name, name, len);
	r->name[len] = 0;
	r->idx = 0;
	r->unit = unit;
	r->format = s->format;
	r->value = v;
	r->is_text = 0;
	r->none = 0;
	r->text[0] = 0;
	return r;
}

struct ble_reading *
ble_put_text(struct ble_sink *s, const char *name, const char *text)
{
	struct ble_reading *r = ble_put(s, name, 0, "");

	r->is_text = 1;
	snprintf(r->text, sizeof r->text, "%s", text);
	return r;
}

/* The first message wins: one line per advertisement for the caller. */
static void
note(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen || err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* One entry through its decoder; its readings are taken back on error. */
static int
entry(const struct ble_ctx *c, const struct ble_format *f, const uint8_t *p, size_t n,
      struct ble_sink *s, char *err, size_t errlen)
{
	char why[256];
	int n0 = s->n, rc;

	why[0] = 0;
	s->format = f->name;
	rc = f->decode(c, p, n, s, why, sizeof why);
	if (rc == BLE_ERR || rc == BLE_REPEAT)
		s->n = n0;
	if (rc == BLE_ERR || rc == BLE_WARN)
		note(err, errlen, "%s %04x: %s", f->name, f->id, why);
	return rc;
}

static void
unknown(struct ble_sink *s, const char *name, const uint8_t *p, size_t n)
{
	struct ble_reading *r;

	s->format = "unknown";
	r = ble_put(s, name, (double)n, "");
	r->is_text = 1;
	ble_hex(r->text, sizeof r->text, p, n);
}

/* Number the readings that share a name; drop the "none" placeholders. */
static int
finish(struct ble_reading *r, int n)
{
	int i, j, k, same;

	for (i = 0; i < n; i++) {
		if (r[i].idx)
			continue;
		for (same = 0, j = i + 1; j < n; j++)
			same |= !strcmp(r[i].name, r[j].name);
		if (!same)
			continue;
		for (k = 1, j = i; j < n; j++)
			if (!strcmp(r[i].name, r[j].name))
				r[j].idx = k++;
	}
	for (i = j = 0; i < n; i++)
		if (!r[i].none) {
			if (i != j)
				r[j] = r[i];
			j++;
		}
	return j;
}

int
ble_decode_adv(const struct ble_adv *a, struct ble_dev *st, unsigned flags,
               struct ble_reading *out, int max, char *err, size_t errlen)
{
	struct ble_sink s = { .r = out, .max = max > 0 ? max : 0 };
	struct ble_ctx c = { a, st, flags };
	const struct ble_format *f;
	char name[32];
	int i, nsvc, nmfr, errors = 0;
	long u;

	if (errlen)
		err[0] = 0;
	nsvc = a->nsvc < 0 ? 0 : a->nsvc > BLE_MAX_SVC ? BLE_MAX_SVC : a->nsvc;
	nmfr = a->nmfr < 0 ? 0 : a->nmfr > BLE_MAX_MFR ? BLE_MAX_MFR : a->nmfr;
	for (i = 0; i < nsvc; i++) {
		u = ble_uuid16(a->svc[i].uuid);
		f = u < 0 ? NULL : lookup(SVC, u, a->svc[i].data, a->svc[i].len);
		if (f) {
			errors += entry(&c, f, a->svc[i].data, a->svc[i].len, &s, err, errlen) == BLE_ERR;
		} else if (flags & BLE_KEEP_UNKNOWN) {
			if (u >= 0)
				snprintf(name, sizeof name, "svc_%04x", (unsigned)u);
			else
				snprintf(name, sizeof name, "svc_%.8s", a->svc[i].uuid ? a->svc[i].uuid : "?");
			unknown(&s, name, a->svc[i].data, a->svc[i].len);
		}
	}
	for (i = 0; i < nmfr; i++) {
		f = lookup(MFR, a->mfr[i].company, a->mfr[i].data, a->mfr[i].len);
		if (f) {
			errors += entry(&c, f, a->mfr[i].data, a->mfr[i].len, &s, err, errlen) == BLE_ERR;
		} else if (flags & BLE_KEEP_UNKNOWN) {
			snprintf(name, sizeof name, "mfr_%04x", a->mfr[i].company);
			unknown(&s, name, a->mfr[i].data, a->mfr[i].len);
		}
	}
	if (s.full) {
		note(err, errlen, "more than %d readings in one advertisement: the rest dropped", s.max);
		errors++;
	}
	s.n = finish(out, s.n);
	return errors && s.n == 0 ? -1 : s.n;
}

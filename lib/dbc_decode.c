/* Finding a frame's message and decoding its signals (dbc.h).
 *
 * Bit numbering, as Vector's DBC defines it: bit n of the payload is bit
 * n % 8 of byte n / 8.  An Intel signal (@1) "start|len" holds bits
 * start .. start+len-1, start being its least significant bit.  A Motorola
 * signal (@0) starts at its most significant bit and runs on towards bit 0
 * of that byte, then bit 7 of the next byte (the "sawtooth"), so with
 * bytes read as one big-endian bit string (byte 0 bit 7 first) it is a
 * plain run of len bits from position bitpos = start/8*8 + 7 - start%8.
 * Example, payload 12 34 56 78 ...:
 *   SG_ a : 8|16@1+   bytes 1..2 little endian: 0x5634
 *   SG_ b : 15|16@0+  bytes 1..2 big endian:    0x3456
 * The raw value is then sign-extended (@x-), or its bits taken as an IEEE
 * float (SIG_VALTYPE_ 1 and 2), and scaled: value = raw * factor + offset.
 * A muxed signal is decoded when its multiplexer's raw value is its m<n>
 * (or in its SG_MUL_VAL_ ranges) and that multiplexer is itself decoded.
 * Only a frame of the message's size is decoded: the parser made sure that
 * every signal lies within it, so no bit is read past the frame's data. */
#include <stdlib.h>
#include <string.h>

#include "dbc.h"
#include "log.h"

/* The lookup key of a CAN id: the EFF flag and the id bits of its kind. */
static uint32_t
id_key(uint32_t can_id)
{
	if (can_id & CAN_EFF_FLAG)
		return CAN_EFF_FLAG | (can_id & CAN_EFF_MASK);
	return can_id & CAN_SFF_MASK;
}

static uint32_t
id_hash(uint32_t key)
{
	return (key * 2654435761u) ^ (key >> 16);
}

int
dbc_index(struct dbc *d, int *dup)
{
	uint32_t n = 8, h;
	int i;

	while (n < 2 * (uint32_t)d->nmsg)
		n *= 2;
	d->hash = plx_xmalloc(n * sizeof *d->hash);
	memset(d->hash, 0xff, n * sizeof *d->hash);
	d->hmask = n - 1;
	for (i = 0; i < d->nmsg; i++) {
		if (d->msg[i].id & ~(CAN_EFF_FLAG | CAN_EFF_MASK))
			continue;                       /* no frame: see dbc.h */
		for (h = id_hash(d->msg[i].id) & d->hmask; d->hash[h] >= 0; h = (h + 1) & d->hmask)
			if (d->msg[d->hash[h]].id == d->msg[i].id)
				return *dup = i, -1;
		d->hash[h] = i;
	}
	return 0;
}

const struct dbc_msg *
dbc_find(const struct dbc *d, uint32_t can_id)
{
	uint32_t key = id_key(can_id), h;

	if (!d->hash)
		return NULL;
	for (h = id_hash(key) & d->hmask; d->hash[h] >= 0; h = (h + 1) & d->hmask)
		if (d->msg[d->hash[h]].id == key)
			return &d->msg[d->hash[h]];
	return NULL;
}

/* Byte by byte, so that nothing past the signal's last byte is read. */
uint64_t
dbc_raw(const struct dbc_sig *s, const uint8_t *data)
{
	unsigned b = s->bitpos / 8, last = s->need - 1;
	uint64_t raw = 0;
	int rel;

	for (; b <= last; b++) {
		if (s->little_endian)
			rel = (int)(8 * b) - (int)s->bitpos;              /* weight of the byte's bit 0 */
		else
			rel = (int)(s->bitpos + s->len - 1) - (int)(8 * b + 7);
		raw |= rel < 0 ? (uint64_t)(data[b] >> -rel) : (uint64_t)data[b] << rel;
	}
	return s->len < 64 ? raw & ((UINT64_C(1) << s->len) - 1) : raw;
}

double
dbc_phys(const struct dbc_sig *s, uint64_t raw)
{
	double v;
	float f;

	switch (s->vtype) {
	case DBC_FLOAT32:
		{
			uint32_t u = (uint32_t)raw;
			memcpy(&f, &u, sizeof f);
			v = f;
		}
		break;
	case DBC_FLOAT64:
		memcpy(&v, &raw, sizeof v);
		break;
	default:
		if (s->is_signed && s->len < 64 && raw >> (s->len - 1))
			raw |= ~UINT64_C(0) << s->len;           /* sign extension */
		v = s->is_signed ? (double)(int64_t)raw : (double)raw;
	}
	return v * s->factor + s->offset;
}

/* VAL_ numbers raw values; a signed signal's are written signed. */
const char *
dbc_label(const struct dbc_sig *s, uint64_t raw)
{
	int lo = 0, hi = s->nvals - 1, mid;
	int64_t key;

	if (!s->nvals || s->vtype != DBC_INT)
		return NULL;
	if (s->is_signed && s->len < 64 && raw >> (s->len - 1))
		raw |= ~UINT64_C(0) << s->len;
	key = (int64_t)raw;
	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if (s->vals[mid].raw == key)
			return s->vals[mid].label;
		if (s->vals[mid].raw < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int
dbc_mux_picks(const struct dbc_sig *s, uint64_t v)
{
	int i;

	if (!s->nranges)
		return v == s->mux_val;
	for (i = 0; i < s->nranges; i++)
		if (v >= s->ranges[i].lo && v <= s->ranges[i].hi)
			return 1;
	return 0;
}

/* Whether the multiplexers pick s, up the chain of extended multiplexing
 * (the parser refused loops).  top: the raw value of the message's M
 * signal. */
static int
picked(const struct dbc_msg *m, const struct dbc_sig *s, const uint8_t *data, uint64_t top)
{
	const struct dbc_sig *p;
	uint64_t v;

	for (; s->mux == DBC_MUXED; s = p) {
		p = &m->sig[s->muxer];
		v = s->muxer == m->muxer ? top : dbc_raw(p, data);
		if (!dbc_mux_picks(s, v))
			return 0;
	}
	return 1;
}

int
dbc_decode(const struct dbc_msg *m, const uint8_t *data, unsigned len, dbc_sig_fn *fn, void *ctx)
{
	const struct dbc_sig *s;
	uint64_t raw, top = 0;
	int i, n = 0;

	if (len != m->size)
		return -1;
	if (m->muxer >= 0)
		top = dbc_raw(&m->sig[m->muxer], data);
	for (i = 0; i < m->nsig; i++) {
		s = &m->sig[i];
		if (!picked(m, s, data, top))
			continue;
		raw = i == m->muxer ? top : dbc_raw(s, data);
		fn(ctx, m, s, dbc_phys(s, raw), dbc_label(s, raw));
		n++;
	}
	return n;
}

/* Signals of one message that share bits (dbc.h), for the
 * parser's warnings.  Two signals conflict when one frame can hold both and
 * a bit of the payload belongs to each: a DBC that says so gives two values
 * for the same bits, at least one of them wrong.
 *
 * The bits of a signal, numbered as the DBC numbers them (bit n is bit
 * n % 8 of byte n / 8):
 *   Intel (@1), start|len: start, start+1, ..., start+len-1, start its LSB.
 *   Motorola (@0), start|len: start is its MSB; it runs down to bit 0 of
 *   that byte, then on from bit 7 of the next byte (the "sawtooth").
 *   SG_ a : 12|8@0+   byte 1 bits 4..0, then byte 2 bits 7..5: 12-8, 23-21
 *   SG_ b : 12|8@1+   byte 1 bits 4..7, then byte 2 bits 0..3: 12-19
 *   SG_ c : 16|8@1+   byte 2: 16-23
 *   (a and b share bit 12 alone, a and c bits 21 to 23, b and c 16 to 19.)
 *
 * One frame holds both signals unless a multiplexer picks them by values
 * that cannot be at once: for each multiplexer on the way up from both
 * (through every level of extended multiplexing) the values that pick
 * the one and the values that pick the other must meet.  A plain signal,
 * or the M signal, is in every frame. */
#include <stdlib.h>
#include <string.h>

#include "dbc.h"
#include "log.h"

#define WORDS (DBC_MAX_SIZE / 8)

void
dbc_sig_bits(const struct dbc_sig *s, uint64_t bits[WORDS])
{
	unsigned i, p, b;

	memset(bits, 0, WORDS * sizeof *bits);
	for (i = 0; i < s->len; i++) {
		p = s->bitpos + i;          /* Motorola: in the big-endian bit string */
		b = s->little_endian ? p : p / 8 * 8 + 7 - p % 8;
		if (b < 8 * DBC_MAX_SIZE)
			bits[b / 64] |= UINT64_C(1) << (b % 64);
	}
}

/* The values of its multiplexer that pick s: its ranges, else mux_val. */
static int
values_meet(const struct dbc_sig *a, const struct dbc_sig *b)
{
	struct dbc_range one_a = { a->mux_val, a->mux_val }, one_b = { b->mux_val, b->mux_val };
	const struct dbc_range *ra = a->nranges ? a->ranges : &one_a, *rb = b->nranges ? b->ranges : &one_b;
	int na = a->nranges ? a->nranges : 1, nb = b->nranges ? b->nranges : 1, i, k;

	for (i = 0; i < na; i++)
		for (k = 0; k < nb; k++)
			if (ra[i].lo <= rb[k].hi && rb[k].lo <= ra[i].hi)
				return 1;
	return 0;
}

/* Whether one frame can hold both a and b (the parser refused loops). */
static int
together(const struct dbc_msg *m, const struct dbc_sig *a, const struct dbc_sig *b)
{
	const struct dbc_sig *x, *y;

	for (x = a; x->mux == DBC_MUXED; x = &m->sig[x->muxer])
		for (y = b; y->mux == DBC_MUXED; y = &m->sig[y->muxer])
			if (x->muxer == y->muxer && !values_meet(x, y))
				return 0;
	return 1;
}

void
dbc_overlaps(const struct dbc_msg *m, dbc_overlap_fn *fn, void *ctx)
{
	uint64_t (*bits)[WORDS], w;
	unsigned n, first;
	int i, j, k;

	if (m->nsig < 2)
		return;
	bits = plx_xmalloc((size_t)m->nsig * sizeof *bits);
	for (i = 0; i < m->nsig; i++)
		dbc_sig_bits(&m->sig[i], bits[i]);
	for (j = 1; j < m->nsig; j++)
		for (i = 0; i < j; i++) {
			n = 0;
			first = 0;
			for (k = WORDS - 1; k >= 0; k--)
				if ((w = bits[i][k] & bits[j][k])) {
					n += (unsigned)__builtin_popcountll(w);
					first = 64 * (unsigned)k + (unsigned)__builtin_ctzll(w);
				}
			if (n && together(m, &m->sig[i], &m->sig[j]))
				fn(ctx, m, &m->sig[i], &m->sig[j], n, first);
		}
	free(bits);
}

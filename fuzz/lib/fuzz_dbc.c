/* libFuzzer target: the input is a DBC file (lib/dbc.c).
 * dbc_parse must never crash or leak, whatever the text; it either fails
 * with a message "f:LINE: expected ..." naming a line of the input, or
 * gives a database whose every frame message is found by its id and whose
 * every signal lies within its message, with at most DBC_MAX_WARN
 * warnings, each naming a line of the input.  Each message is then
 * decoded with payloads made from the input (every length from 0 to its
 * size): a payload of another length than the message's is refused
 * without a signal; of its length, each signal reported must fit the
 * payload, belong to the message, and be a muxed one only when its
 * multiplexer's value picks it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_dbc: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

struct seen { unsigned len, n; const uint8_t *pay; };

static void
check_sig(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double v, const char *label)
{
	struct seen *w = ctx;
	const struct dbc_sig *mx;
	uint64_t raw;
	int i;

	CHECK(s >= m->sig && s < m->sig + m->nsig, "a foreign signal");
	CHECK(s->need <= w->len, "signal %s needs %u bytes of %u", s->name, s->need, w->len);
	if (s->mux == DBC_MUXED) {      /* its own multiplexer picks it (dbc_decode checked the rest of the chain) */
		mx = &m->sig[s->muxer];
		CHECK(mx->need <= w->len, "muxed %s without its multiplexer", s->name);
		raw = dbc_raw(mx, w->pay);
		for (i = 0; i < s->nranges && !(raw >= s->ranges[i].lo && raw <= s->ranges[i].hi); i++)
			;
		CHECK(s->nranges ? i < s->nranges : raw == s->mux_val, "muxed %s not picked", s->name);
	}
	CHECK(!label || (s->nvals > 0 && s->vtype == DBC_INT), "label of %s without a value table", s->name);
	w->n++;
}

static void
check_msg(const struct dbc *d, const struct dbc_msg *m, const uint8_t *data, size_t size)
{
	uint8_t pay[DBC_MAX_SIZE];
	struct seen w;
	unsigned len, i;
	int j, n;

	if (!(m->id & ~(CAN_EFF_FLAG | CAN_EFF_MASK)))
		CHECK(dbc_find(d, m->id) == m, "message %s not found by its id", m->name);
	for (j = 0; j < m->nsig; j++) {
		CHECK(m->sig[j].index < d->nsig, "index");
		CHECK(m->sig[j].mux != DBC_MUXED || (m->sig[j].muxer >= 0 && m->sig[j].muxer < m->nsig), "muxer");
		CHECK(m->sig[j].len >= 1 && m->sig[j].len <= 64, "length");
		for (i = 1; i < (unsigned)m->sig[j].nvals; i++)
			CHECK(m->sig[j].vals[i - 1].raw < m->sig[j].vals[i].raw, "VAL_ not sorted");
	}
	if (m->id & ~(CAN_EFF_FLAG | CAN_EFF_MASK))
		return;
	for (len = 0; len <= m->size; len++) {
		for (i = 0; i < len; i++)
			pay[i] = size ? data[(i * 7 + len) % size] ^ (uint8_t)(i * 37) : (uint8_t)i;
		memset(&w, 0, sizeof w);
		w.len = len;
		w.pay = pay;
		n = dbc_decode(m, pay, len, check_sig, &w);
		if (len == m->size)
			CHECK(n >= 0 && (unsigned)n == w.n, "dbc_decode returned %d for %u calls", n, w.n);
		else
			CHECK(n == -1 && w.n == 0, "%u bytes of a %u-byte message: %d, %u calls", len, m->size, n, w.n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct dbc *d;
	int i, line, lines = 1;

	for (i = 0; i < (int)size; i++)
		lines += data[i] == '\n';
	d = dbc_parse((const char *)data, size, "f", err, sizeof err);
	if (!d) {
		CHECK(sscanf(err, "f:%d: ", &line) == 1 && line >= 1 && line <= lines, "error without a line: %s", err);
		CHECK(strstr(err, ": expected ") != NULL, "not an 'expected' message: %s", err);
		return 0;
	}
	CHECK(d->nwarn <= DBC_MAX_WARN && (d->nwarn == DBC_MAX_WARN || !d->warn_more), "warnings");
	for (i = 0; i < d->nwarn; i++)
		CHECK(sscanf(d->warn[i], "f:%d: ", &line) == 1 && line >= 1 && line <= lines, "warning without a line: %s",
		      d->warn[i]);
	for (i = 0; i < d->nmsg; i++)
		check_msg(d, &d->msg[i], data, size);
	dbc_free(d);
	return 0;
}

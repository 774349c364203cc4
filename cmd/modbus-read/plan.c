/* modbus-read: request planning.  Points of one device, unit id, function
 * and poll interval are sorted by address and swept left to right; a point
 * joins the request in hand when the gap before it is at most the device's
 * gap and the request stays within what one PDU can carry (125 registers,
 * 2000 bits).  Reading through a small gap costs a few bytes on the wire;
 * another request costs a round trip (a frame time and a turnaround on
 * RS-485), so a greedy sweep is optimal for the "fewest requests" goal. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modbus.h"

static const struct mb_conf *sort_conf;

static int
cmp(const void *a, const void *b)
{
	const struct mb_point *p = &sort_conf->pt[*(const int *)a], *q = &sort_conf->pt[*(const int *)b];

	if (p->dev != q->dev) return p->dev - q->dev;
	if (p->unit_id != q->unit_id) return p->unit_id - q->unit_id;
	if (p->func != q->func) return (int)p->func - (int)q->func;
	if (p->interval_ms != q->interval_ms) return p->interval_ms - q->interval_ms;
	if (p->addr != q->addr) return p->addr - q->addr;
	return *(const int *)a - *(const int *)b;       /* stable: file order */
}

static int
same_group(const struct mb_point *p, const struct mb_req *r)
{
	return p->dev == r->dev && p->unit_id == r->unit_id && p->func == r->func &&
	       p->interval_ms == r->interval_ms;
}

void
plan_make(struct mb_plan *p, const struct mb_conf *c)
{
	int *idx, i, limit, end, pend;
	struct mb_req *r = NULL;
	const struct mb_point *pt;

	memset(p, 0, sizeof *p);
	if (c->npt == 0)
		return;
	idx = plx_xmalloc((size_t)c->npt * sizeof *idx);
	p->req = plx_xcalloc((size_t)c->npt, sizeof *p->req);
	for (i = 0; i < c->npt; i++)
		idx[i] = i;
	sort_conf = c;
	qsort(idx, c->npt, sizeof *idx, cmp);
	for (i = 0; i < c->npt; i++) {
		pt = &c->pt[idx[i]];
		limit = mb_func_bits(pt->func) ? MB_MAX_BITS : MB_MAX_REGS;
		pend = pt->addr + mb_type_regs(pt->type, pt->arg);
		end = r ? r->addr + r->count : 0;
		if (!r || !same_group(pt, r) || pt->addr - end > c->dev[pt->dev].gap ||
		    (pend > end ? pend : end) - r->addr > limit) {
			r = &p->req[p->nreq++];
			*r = (struct mb_req){ .dev = pt->dev, .unit_id = pt->unit_id, .func = pt->func,
			                      .interval_ms = pt->interval_ms, .addr = pt->addr,
			                      .count = pend - pt->addr };
			r->pt = plx_xmalloc((size_t)c->npt * sizeof *r->pt);
			end = pend;
		}
		if (pend > end)
			r->count = pend - r->addr;
		r->pt[r->npt++] = idx[i];
	}
	free(idx);
	for (i = 0; i < p->nreq; i++)           /* give back what the points did not need */
		p->req[i].pt = plx_xrealloc(p->req[i].pt, (size_t)p->req[i].npt * sizeof *p->req[i].pt);
}

void
plan_print(const struct mb_plan *p, const struct mb_conf *c, FILE *f)
{
	const struct mb_req *r;
	int i;

	for (i = 0; i < p->nreq; i++) {
		r = &p->req[i];
		fprintf(f, "request %d: device %s unit %d %s %d-%d (%d %s, %d points) every %dms\n",
		        i + 1, c->dev[r->dev].name, r->unit_id, mb_func_name(r->func), r->addr,
		        r->addr + r->count - 1, r->count, mb_func_bits(r->func) ? "bits" : "registers",
		        r->npt, r->interval_ms);
	}
	fprintf(f, "%d requests for %d points\n", p->nreq, c->npt);
}

void
plan_free(struct mb_plan *p)
{
	int i;

	for (i = 0; i < p->nreq; i++)
		free(p->req[i].pt);
	free(p->req);
	memset(p, 0, sizeof *p);
}

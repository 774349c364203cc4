/* The decode path's state, shared by emit.c (raw frames, errors, status)
 * and sigs.c (DBC signals).  Not for the loops: they use can.h. */
#ifndef CAN_EMIT_H
#define CAN_EMIT_H
#include "can.h"
#include "devices.h"
#include "live.h"
#include "loop.h"

struct emit {
	const struct opts *o;
	struct plx_loop *l;         /* its stdout queue takes the records */
	struct plx_recs recs;       /* the records of the frame in hand */
	struct counters c;
	char *names[MAX_NAMES];     /* interface names seen */
	int nnames, last_name;
	/* who each one is (ident.c) */
	struct plx_devices devs;    /* the devices file as last read */
	const struct plx_device *dev[MAX_NAMES];   /* its device, or NULL */
	struct plx_tags itags[MAX_NAMES];   /* its records' base tags: -s, -T, its device's */
	unsigned tags_gen;          /* bumped when itags change: templates made again */
	struct plx_live live;       /* live interfaces: up, the age of their last frame */
	int live_of[MAX_NAMES];     /* its index in live, -1: not followed (a log, "any") */
	struct rawtab raw;          /* rate state of raw frames, by CAN id */
	int rate_on;                /* --on-change or --interval */
	int raw_full_said;
	char frame_name[PLX_NAME_MAX + 1], error_name[PLX_NAME_MAX + 1];
	struct plx_ratelim rl;      /* warnings about input, at most WARN_PER_S a second */
	uint64_t *misfit;           /* (id, length) pairs of frames that do not fit, said once:
	                             * open addressing, MISFIT_MAX slots, 0 empty; NULL until one */
	unsigned nmisfit;
	const char *where;          /* the log in hand ("drive.log"), or NULL ... */
	unsigned long where_line;   /* ... and its line */
	/* DBC decoding (sigs.c), NULL without -d */
	void *dbc;
	int (*decode)(struct emit *e, const struct cframe *cf);   /* 1 a DBC message, 0 unknown,
	                                                           * -1 a misfit (emit_misfit) */
	void (*dbc_due)(struct emit *e, int64_t now);
	void (*dbc_free)(struct emit *e);
};

/* id as a tag: "0x123" (11 bits), "0x0CF004FE" (29 bits); buf of 12 */
void emit_idtag(char *buf, canid_t id);
/* base tags (-s, -T, the interface's device: ident.c) plus interface and id; 0, or -1 with why in e->recs.err
 * (emit_rejected says and counts it) */
int emit_tags(struct emit *e, struct plx_tags *t, int iface, const char *id);
/* one tag more; the same */
int emit_tag(struct emit *e, struct plx_tags *t, const char *key, const char *val);
/* a record refused by recs.c (the reason in e->recs.err): said and counted */
void emit_rejected(struct emit *e);
/* A frame whose length does not fit (a CAN FD length that does not exist, or not its DBC
 * message's size): counted, and why said once per id and length ("... does not fit ...") */
void emit_misfit(struct emit *e, const struct cframe *cf, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ident.c: the devices file and liveness, per interface name (index k). */
void ident_init(struct emit *e);
void ident_free(struct emit *e);
void ident_name(struct emit *e, int k);     /* a new name: its tags */
void ident_records(struct emit *e, int64_t ts, int64_t now);   /* liveness, with the status */
/* Loads the DBC files of o and sets the hooks; 0, or -1 with why (sigs.c). */
int sigs_init(struct emit *e, char *err, size_t errlen);

#endif

/* Building records as text, for readers: one Plexus point per line
 * (DESIGN.md §1), written straight into a growable buffer without a json-c
 * object per record, each checked against the server's limits
 * (PLEXUS-API.md) as it is written:
 *
 *   {"class":"metric","metric":"can.engine.rpm","value":2250,
 *    "timestamp":1763800000123,"source_id":"truck-7","tags":{"id":"0x0cf"}}
 *
 * A reader builds the records of one frame, line or advertisement in a
 * struct plx_recs, then hands the whole text to its output queue (out.h).
 * Names, tags and values are checked by the rules of record.h, the same
 * functions plx_record_quick and plx_record_check ask.  A record that would
 * break one is not written: the call returns -1 with the reason in
 * recs->err and the buffer stays as it was.  While the
 * system clock is not synchronised, each record carries plx_clock_mark's
 * "_plx_clk" (clock.h), which plx-upload takes off. */
#ifndef PLX_RECS_H
#define PLX_RECS_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "record.h"

/* Tags and the source_id of records: a map of at most 16 keys, each key
 * and value checked by its rule (record.h) as it is added, so a record
 * built with them needs no check of its own.  The strings are not copied:
 * they must outlive the tags.  A zeroed struct plx_tags is empty; copying
 * one (struct assignment) gives tags to add more to.  Its fields are this
 * module's alone: use the functions. */
struct plx_tags {
	struct {
		const char *source_id;           /* or NULL: the uploader's envelope */
		int n;
		const char *key[PLX_TAGS_MAX];
		const char *val[PLX_TAGS_MAX];
	} priv;
};

/* Adds key=val, or replaces the value of a key already there (a record's
 * tags are a map: the server and json-c keep one value per key).  0, or -1
 * with why (a key or value its rule refuses, more than 16 tags) and the
 * tags as they were. */
int plx_tags_add(struct plx_tags *t, const char *key, const char *val, char *err, size_t errlen);
/* Takes key off: 1 if it was there, else 0. */
int plx_tags_remove(struct plx_tags *t, const char *key);
/* The records' source_id (NULL: none of their own).  0, or -1 with why
 * and the source as it was. */
int plx_tags_set_source(struct plx_tags *t, const char *source_id, char *err, size_t errlen);
const char *plx_tags_source(const struct plx_tags *t);
/* Iteration: the number of tags, and tag i (0 <= i < count) in the order
 * added; 0, or -1 past the end. */
int plx_tags_count(const struct plx_tags *t);
int plx_tags_get(const struct plx_tags *t, int i, const char **key, const char **val);
/* A -T KEY=VALUE of the command line (lib/opts.h) added to t: a key the
 * tool sets itself (in own, NULL-ended) refused, room kept for the `room`
 * tags it adds.  The value stays where it is (argv); the key is copied, for
 * as long as the process runs.  0, or -1 with why. */
int plx_tags_arg(struct plx_tags *t, const char *kv, const char *const *own, int room, char *err, size_t errlen);

/* The records of one frame, line or advertisement, as text.  Every byte
 * goes in through one checked append that grows the buffer; when memory
 * runs out the record in hand is left out whole and the call says "out of
 * memory" (the caller counts and says it, like any refused record): no
 * call exits. */
struct plx_recs {
	char *s;                /* records, each ending in '\n': s[0, len) */
	size_t len, cap;
	int n;                  /* records in s */
	int oom;                /* an append failed: the record in hand is dropped */
	char err[200];          /* why the last call returned -1 */
	int64_t ts_last;        /* the timestamp last written ... */
	char ts_text[96];       /* ... as ,"timestamp":MS and its mark (clock.h), ts_len bytes */
	size_t ts_len;          /* (0: none yet) */
};

void plx_recs_init(struct plx_recs *r);
void plx_recs_free(struct plx_recs *r);
void plx_recs_clear(struct plx_recs *r);   /* keeps the memory */

/* One record each; 0, or -1 with the reason in r->err and nothing written.
 * name is the metric name, t may be NULL. */
int plx_recs_num(struct plx_recs *r, const char *name, double v, int64_t ts, const struct plx_tags *t);
/* A number given as text (a device printed it): used as it is when the
 * number rule takes it (-0 stays -0), else read and formatted (+5, 007,
 * .5, an integer past 64 bits); -1 if not a finite number. */
int plx_recs_numtext(struct plx_recs *r, const char *name, const char *num, size_t len,
                     int64_t ts, const struct plx_tags *t);
int plx_recs_bool(struct plx_recs *r, const char *name, int b, int64_t ts, const struct plx_tags *t);
/* A string event: len bytes the event-string rule takes (UTF-8, no NUL,
 * at most 256). */
int plx_recs_str(struct plx_recs *r, const char *name, const char *s, size_t len, int64_t ts,
                 const struct plx_tags *t);
/* A record already checked with plx_record_check, as its canonical text. */
int plx_recs_json(struct plx_recs *r, json_object *rec);

/* Templates, for a reader that sends the same metric with the same tags
 * again and again (a CAN signal, a BLE sensor's field): the name and tags
 * are checked and escaped once, by plx_rectpl_init; each record is then
 * the template's text with a number and a timestamp put in, byte for byte
 * what plx_recs_num(name, v, ts, tags) writes for that number text. */
struct plx_rectpl {
	char *text;             /* head and tail (owned) */
	size_t nhead;           /* text[0, nhead): up to and including "value": */
	const char *tail;       /* after the timestamp: source_id, tags, "}\n" */
	size_t ntail;
};
/* 0, or -1 with why (the name breaks its rule; t may be NULL). */
int plx_rectpl_init(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                    size_t errlen);
/* The same for an event whose value is a string. */
int plx_rectpl_init_event(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                          size_t errlen);
void plx_rectpl_free(struct plx_rectpl *t);
/* A metric record from t: num is n bytes that plx_rule_number accepts
 * (else -1 and nothing written). */
int plx_recs_tpl_num(struct plx_recs *r, const struct plx_rectpl *t, const char *num, size_t n, int64_t ts);
/* A metric record from t whose value is q / 10^dec (0 <= dec <= 18), or v
 * (finite): written by plx_fmt_fixed, plx_fmt_double, which write only
 * JSON numbers; -1 for what the number rule refuses all the same (-2^63,
 * a non-finite v). */
int plx_recs_tpl_fixed(struct plx_recs *r, const struct plx_rectpl *t, int64_t q, int dec, int64_t ts);
int plx_recs_tpl_double(struct plx_recs *r, const struct plx_rectpl *t, double v, int64_t ts);
/* An event record from t (made by plx_rectpl_init_event): s is n bytes the
 * event-string rule takes (else -1 and nothing written). */
int plx_recs_tpl_str(struct plx_recs *r, const struct plx_rectpl *t, const char *s, size_t n, int64_t ts);

/* The shortest of "%.15g", "%.16g", "%.17g" that reads back as d (finite):
 * 0.1, not 0.10000000000000001; integers below 10^15 without a fraction.
 * Exact, and without printf or strtod for 1e-38 <= |d| < 1e41 (dtoa.c).
 * Returns its length; buf needs 32 bytes. */
size_t plx_fmt_double(char *buf, double d);
/* v in decimal; buf needs 21 bytes. */
size_t plx_fmt_int(char *buf, int64_t v);
/* q / 10^dec (0 <= dec <= 18) in decimal, trailing zeros of the fraction
 * cut: (2250, 1) is 225, (-5, 2) -0.05.  buf needs 42 bytes. */
size_t plx_fmt_fixed(char *buf, int64_t q, int dec);

#endif

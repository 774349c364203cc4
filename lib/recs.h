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
 * A record that would break a limit is not written: the call returns -1
 * with the reason in recs->err and the buffer stays as it was.  While the
 * system clock is not synchronised, each record carries plx_clock_mark's
 * "_plx_clk" (clock.h), which plx-upload takes off. */
#ifndef PLX_RECS_H
#define PLX_RECS_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "record.h"

/* Tags and source_id added to records.  Checked once, as they are added. */
struct plx_tags {
	const char *source_id;           /* or NULL: the uploader's envelope */
	int n;
	const char *key[PLX_TAGS_MAX];
	const char *val[PLX_TAGS_MAX];
};

/* 0, or -1 with why: too many tags, empty or longer than 256 bytes, not UTF-8. */
int plx_tags_add(struct plx_tags *t, const char *key, const char *val, char *err, size_t errlen);
int plx_tags_source(struct plx_tags *t, const char *source_id, char *err, size_t errlen);

struct plx_recs {
	char *s;                /* records, each ending in '\n': s[0, len) */
	size_t len, cap;
	int n;                  /* records in s */
	char err[200];          /* why the last call returned -1 */
	int64_t ts_last;        /* the timestamp last written ... */
	char ts_text[24];       /* ... as text, ts_len bytes (0: none yet) */
	size_t ts_len;
	char mark_text[48];     /* ... and its ,"_plx_clk":"..." (clock.h), mark_len bytes */
	size_t mark_len;
};

void plx_recs_init(struct plx_recs *r);
void plx_recs_free(struct plx_recs *r);
void plx_recs_clear(struct plx_recs *r);   /* keeps the memory */

/* One record each; 0, or -1 with the reason in r->err.  name is the metric
 * name (len bytes; -1 for strlen), t may be NULL. */
int plx_recs_num(struct plx_recs *r, const char *name, double v, int64_t ts, const struct plx_tags *t);
/* A number given as text (a device printed it): used as it is when it is
 * JSON's number grammar, else read and formatted; -1 if not a finite number. */
int plx_recs_numtext(struct plx_recs *r, const char *name, const char *num, size_t len,
                     int64_t ts, const struct plx_tags *t);
int plx_recs_bool(struct plx_recs *r, const char *name, int b, int64_t ts, const struct plx_tags *t);
/* A string event: len bytes of UTF-8, at most 256. */
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
	char *text;             /* the record of value 0, timestamp 0 (owned) */
	size_t nhead;           /* text[0, nhead): up to and including "value": */
	const char *tail;       /* after the timestamp: source_id, tags, "}\n" */
	size_t ntail;
};
/* 0, or -1 with why (the name or tags break a limit). */
int plx_rectpl_init(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                    size_t errlen);
/* The same for an event whose value is a string. */
int plx_rectpl_init_event(struct plx_rectpl *t, const char *name, const struct plx_tags *tags, char *err,
                          size_t errlen);
void plx_rectpl_free(struct plx_rectpl *t);
/* A metric record from t: num is n bytes of JSON's number grammar (at most
 * 19 digits, no exponent: else -1 and nothing written). */
int plx_recs_tpl_num(struct plx_recs *r, const struct plx_rectpl *t, const char *num, size_t n, int64_t ts);
/* An event record from t (made by plx_rectpl_init_event): s is n bytes of
 * UTF-8, at most 256 (else -1 and nothing written). */
int plx_recs_tpl_str(struct plx_recs *r, const struct plx_rectpl *t, const char *s, size_t n, int64_t ts);

/* The shortest decimal text that reads back as d (finite): 0.1, not
 * 0.10000000000000001; integers without a fraction.  Returns its length;
 * buf needs 32 bytes. */
size_t plx_fmt_double(char *buf, double d);

#endif

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
 * with the reason in recs->err and the buffer stays as it was. */
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

/* The shortest decimal text that reads back as d (finite): 0.1, not
 * 0.10000000000000001; integers without a fraction.  Returns its length;
 * buf needs 32 bytes. */
size_t plx_fmt_double(char *buf, double d);

#endif

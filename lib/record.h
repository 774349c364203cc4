/* The record: one Plexus ingest point per line (DESIGN.md §1), and its
 * validation against every limit the Plexus server enforces (PLEXUS-API.md),
 * so a record the server would reject is refused by the first tool that sees it.
 *
 *   {"class":"metric","metric":"env.temperature","value":21.5,
 *    "timestamp":1763800000123,"source_id":"ble-gw","tags":{"mac":"a4:c1:.."}}
 *
 * Between plx-buffer and plx-upload a record also carries its spool sequence
 * number as the first key, {"_plx_seq":42,...}; it never reaches the wire. */
#ifndef PLX_RECORD_H
#define PLX_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define PLX_SEQ_KEY      "_plx_seq"
#define PLX_LINE_MAX     65536     /* bytes in one NDJSON line, DESIGN §1 */
#define PLX_NAME_MAX     256       /* metric name, tag key/value, string event, source_id */
#define PLX_TAGS_MAX     16
#define PLX_EVENT_JSON_MAX 4096    /* object/array event value, as JSON */
#define PLX_BODY_MAX     5242880   /* request body before and after gunzip */
#define PLX_POINTS_MAX   10000     /* points in one request (server) */

/* A tokener set up as every tool parses records: strict JSON, valid UTF-8. */
json_tokener *plx_tokener_new(void);

/* Parses one line that must hold exactly one JSON object and checks it with
 * plx_record_check.  The sequence key, if present, is removed and stored in
 * *seq (else *seq = -1).  NULL with a one-line reason in err on failure. */
json_object *plx_record_parse(json_tokener *tok, const char *line, size_t len,
                              int64_t *seq, char *err, size_t errlen);

/* 0 if the server would accept the record as a point, else -1 and why.
 * need_source: the record must carry its own source_id (no envelope). */
int plx_record_check(json_object *rec, int need_source, char *err, size_t errlen);

/* Canonical compact text of a record, owned by rec. */
const char *plx_record_text(json_object *rec, size_t *len);

int plx_source_id_ok(const char *s);

/* The fast path for the common record (a flat object of strings, numbers
 * and booleans, "tags" a flat object of strings, no backslash escapes):
 * PLX_QUICK_OK when plx_record_parse would certainly accept the line as it
 * is, with no "_plx_seq" key, and *has_source says whether it carries a
 * source_id; PLX_QUICK_SLOW when not sure: then plx_record_parse decides
 * (and says why).  Allocates nothing; line need not be NUL-terminated. */
enum { PLX_QUICK_SLOW = 0, PLX_QUICK_OK = 1 };
int plx_record_quick(const char *line, size_t len, int *has_source);

/* Index of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF), or len. */
size_t plx_utf8_bad(const unsigned char *s, size_t len);

/* Building records (readers): a metric or an event stamped now or at ts. */
json_object *plx_record_new(const char *metric, json_object *value, int64_t ts_ms);
void plx_record_tag(json_object *rec, const char *key, const char *val);
/* Writes the record as one line to fd; -1 with errno (EPIPE ends a reader). */
int plx_record_write(int fd, json_object *rec);

#endif

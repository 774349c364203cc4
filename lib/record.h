/* The record: one Plexus ingest point per line (DESIGN.md §1), and its
 * validation against every limit the Plexus server enforces (PLEXUS-API.md),
 * so a record the server would reject is refused by the first tool that sees it.
 *
 *   {"class":"metric","metric":"env.temperature","value":21.5,
 *    "timestamp":1763800000123,"source_id":"ble-gw","tags":{"mac":"a4:c1:.."}}
 *
 * Between plx-buffer and plx-upload a record also carries its spool sequence
 * number as the first key, {"_plx_seq":42,...}; it never reaches the wire.
 *
 * One record module, three paths: the builder (recs.h) writes records, the
 * fast path (plx_record_quick) passes the common line without parsing it,
 * the full check (plx_record_parse, plx_record_check) parses with json-c.
 * All three ask the same rule functions below (rules.c), each on a span of
 * decoded bytes, so that a rule lives in one place and no path accepts what
 * another refuses (tests/unit/lib/t_rules.c runs one table through all three).
 *
 * The rules (bytes, as the server counts them):
 *   metric name     1 to 256 bytes of text
 *   tag key         1 to 256 bytes of text
 *   tag value       0 to 256 bytes of text
 *   event string    0 to 256 bytes of text
 *   text            valid UTF-8 (plx_utf8_bad), no NUL character
 *   source_id       ^[a-z0-9][a-z0-9._-]*$, at most 256 bytes
 *   number          JSON's grammar; finite as a float64; an integer json-c
 *                   reads whole (plx_rule_number)
 *   class metric    a number; class event: a string, bool, number, or an
 *                   object or array of at most 4096 bytes as Go writes it
 *   tags            a flat object of at most 16 keys (a key given twice is
 *                   one key: the last value, as json-c and Go keep it)
 * Where the server's rules leave a case open, decided once, here:
 *   - an empty tag key is refused.  The server's validator lets it through
 *     (PLEXUS-API.md does not forbid it), but no query can name it and it
 *     only ever comes from a bug upstream (a "=v" option, a field name
 *     lost): said where it happens rather than stored for good.
 *   - a NUL character (\u0000) is refused in every string of a record.
 *     Go accepts it, but json-c, which every stage parses with, cuts an
 *     object key at it ({"a\u0000b":..} would reach the server as "a")
 *     and the tools hold names as C strings; no device reading means it.
 *   - -0 is a number (JSON's grammar allows it; json-c and the server read
 *     0); 1e-999 is 0 to both: accepted.  A builder keeps the text it was
 *     given (a device's "-0" stays "-0").
 *   - integers json-c would clamp (past -2^63 or 2^64-1) are refused, and
 *     so are -2^63 and 2^64-1 themselves: json-c gives the same values for
 *     numbers past them, and nothing tells the two apart afterwards. */
#ifndef PLX_RECORD_H
#define PLX_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define PLX_SEQ_KEY      "_plx_seq"
#define PLX_SPOOL_KEY    "_plx_spool"  /* beside it: the id of the spool it came from */
#define PLX_LINE_MAX     65536     /* bytes in one NDJSON line, DESIGN §1 */
#define PLX_NAME_MAX     256       /* metric name, tag key/value, string event, source_id */
#define PLX_TAGS_MAX     16
#define PLX_EVENT_JSON_MAX 4096    /* object/array event value, as JSON */
#define PLX_BODY_MAX     5242880   /* request body before and after gunzip */
#define PLX_POINTS_MAX   10000     /* points in one request (server) */

/* The rules, one function each (rules.c): s is n bytes of decoded text (a
 * number: its JSON text); NULL when it obeys, else why, a short phrase
 * ("longer than 256 bytes") for the caller to put after the field's name. */
const char *plx_rule_name(const char *s, size_t n);
const char *plx_rule_tag_key(const char *s, size_t n);
const char *plx_rule_tag_value(const char *s, size_t n);
const char *plx_rule_event_string(const char *s, size_t n);
const char *plx_rule_source_id(const char *s, size_t n);
/* The length rules of a name, tag or event string alone (empty_ok: a tag
 * value or an event string), for spans known to be UTF-8 without NUL. */
const char *plx_rule_text_length(size_t n, int empty_ok);
const char *plx_rule_number(const char *s, size_t n);
/* plx_rule_source_id on a C string: 1 when it obeys. */
int plx_source_id_ok(const char *s);
/* Index of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF), or len. */
size_t plx_utf8_bad(const unsigned char *s, size_t len);

/* A tokener set up as every tool parses records: strict JSON, valid UTF-8. */
json_tokener *plx_tokener_new(void);

/* Parses one line that must hold exactly one JSON object and checks it with
 * plx_record_check.  The sequence key, if present, is removed and stored in
 * *seq (else *seq = -1); the spool key beside it is removed too.  NULL with a one-line reason in err on failure. */
json_object *plx_record_parse(json_tokener *tok, const char *line, size_t len,
                              int64_t *seq, char *err, size_t errlen);

/* 0 if the server would accept the record as a point, else -1 and why.
 * need_source: the record must carry its own source_id (no envelope). */
int plx_record_check(json_object *rec, int need_source, char *err, size_t errlen);

/* Canonical compact text of a record, owned by rec. */
const char *plx_record_text(json_object *rec, size_t *len);

/* The fast path for the common record (a flat object of strings, numbers
 * and booleans, "tags" a flat object of strings, no backslash escapes):
 * PLX_QUICK_OK when plx_record_parse would certainly accept the line as it
 * is, with no "_plx_seq" key, and *has_source says whether it carries a
 * source_id; PLX_QUICK_SLOW when not sure: then plx_record_parse decides
 * (and says why).  Allocates nothing; line need not be NUL-terminated. */
enum { PLX_QUICK_SLOW = 0, PLX_QUICK_OK = 1 };
int plx_record_quick(const char *line, size_t len, int *has_source);
/* The same, and where each field's value is in the line when PLX_QUICK_OK:
 * its JSON text (a string with its quotes, which hold no escape), s NULL
 * when the record has no such field. */
enum { PLX_F_CLASS, PLX_F_METRIC, PLX_F_VALUE, PLX_F_TIMESTAMP, PLX_F_SOURCE, PLX_F_TAGS, PLX_F_N };
struct plx_fields { const char *s[PLX_F_N]; size_t n[PLX_F_N]; };
int plx_record_quick_fields(const char *line, size_t len, int *has_source, struct plx_fields *f);

#endif

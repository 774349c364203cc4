/* Text lines from devices into records: the parsers behind serial-read, kept
 * here because any line-oriented reader (a script, a TCP feed, an instrument
 * log) speaks the same formats.  One line in, zero or more records out, each
 * already checked with plx_record_check; or the whole line refused, with one
 * reason.  Formats:
 *
 *   json     {"t":21.5,"env":{"h":40},"ok":true}   one record per leaf:
 *            t, env.h (metrics), ok (event); a line that already is a
 *            record ({"metric":..,"value":..}) passes through unchanged
 *   kv       t=21.5 h:40.2, mode="auto"            pairs split by blanks , ;
 *            a value holding = (unquoted) or a key given twice: refused
 *            (two lines run together, "hum=5seq=21")
 *   csv      21.5,40.2                             under a header line
 *            (t,h) or names given with plx_lp_columns
 *   nmea     $GPGGA,123519,4807.038,N,...*47       GGA and RMC into gps.*,
 *            checksum required; other sentences are ignored
 *   pattern  a POSIX extended regex whose groups are named by a list
 *   auto     per line: { json, $ nmea, = kv, , csv, : kv
 *
 * Text values are typed the same way in every text format: an integer
 * ([+-]digits) or decimal number becomes a number, true/false a bool,
 * anything else (and anything in double quotes) a string event; an empty
 * value gives no record.  A line holding a NUL byte or invalid UTF-8 is
 * refused whole. */
#ifndef PLX_LINEPARSE_H
#define PLX_LINEPARSE_H
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "recs.h"

enum plx_lp_format { PLX_LP_AUTO, PLX_LP_JSON, PLX_LP_KV, PLX_LP_CSV, PLX_LP_NMEA, PLX_LP_PATTERN };

#define PLX_LP_RECS_MAX 256        /* records from one line, at most */

struct plx_lp {
	enum plx_lp_format format;
	const char *prefix;            /* metric prefix joined with '.', or NULL */
	struct plx_tags tags;          /* added to every record built, with their source_id
	                                * (plx_tags_set_source) */
	char *tag_key[PLX_TAGS_MAX];   /* the tags' keys, owned here */
	int ntag_key;
	char csv_sep;                  /* CSV field separator, ',' by default */
	char *col[PLX_LP_RECS_MAX];    /* CSV column names (header or given) */
	int ncol;
	int cols_fixed;                /* names given: no header line expected */
	regex_t re;                    /* pattern format */
	int have_re;
	char *field[PLX_LP_RECS_MAX];  /* names of the pattern's groups ("" skips one) */
	int nfield;
	json_tokener *tok;
	struct plx_recs out;           /* the last line's records, as text */
};

int plx_lp_init(struct plx_lp *p, enum plx_lp_format f);
void plx_lp_free(struct plx_lp *p);
/* "json" ... "auto" to a format; -1 if unknown. */
int plx_lp_format_parse(const char *s);
/* Adds a tag "k=v"; -1 with a reason when malformed or too many. */
int plx_lp_tag(struct plx_lp *p, const char *kv, char *err, size_t errlen);
/* CSV column names "a,b,c" (fixed: no header line then). */
int plx_lp_columns(struct plx_lp *p, const char *list, char *err, size_t errlen);
/* Pattern format: regex and the comma-separated names of its groups. */
int plx_lp_pattern(struct plx_lp *p, const char *regex, const char *names, char *err, size_t errlen);
/* Forgets a CSV header read from the stream (the device was reconnected). */
void plx_lp_reset(struct plx_lp *p);

/* Parses line[0, len) (line[len] must be writable; the line may be changed),
 * stamping records built with ts.  Returns the number of records, now in
 * p->rec[0..n) until the next call, or -1 with a reason in err. */
int plx_lp_parse(struct plx_lp *p, char *line, size_t len, int64_t ts, char *err, size_t errlen);

#endif

/* Text lines from devices into records: serial-read's formats, one file
 * each (fmt_*.c) behind the table in lines.c.  One line in, zero or more records out, each
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
 *            (t,h) or names given with lp_columns
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
#ifndef SERIAL_LINES_H
#define SERIAL_LINES_H
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "recs.h"

enum lp_format { LP_AUTO, LP_JSON, LP_KV, LP_CSV, LP_NMEA, LP_PATTERN };

#define LP_RECS_MAX 256        /* records from one line, at most */

struct lp {
	enum lp_format format;
	const char *prefix;            /* metric prefix joined with '.', or NULL */
	struct plx_tags tags;          /* added to every record built, with their source_id
	                                * (plx_tags_set_source) */
	char *tag_key[PLX_TAGS_MAX];   /* the tags' keys, owned here */
	int ntag_key;
	char csv_sep;                  /* CSV field separator, ',' by default */
	char *col[LP_RECS_MAX];        /* CSV column names (header or given) */
	int ncol;
	int cols_fixed;                /* names given: no header line expected */
	regex_t re;                    /* pattern format */
	int have_re;
	char *field[LP_RECS_MAX];      /* names of the pattern's groups ("" skips one) */
	int nfield;
	json_tokener *tok;
	int missing_as_event;          /* --missing event: nan, inf, --... are text events */
	unsigned long missing;         /* values that said "no reading" (nan, ovf, --), skipped */
	struct plx_recs out;           /* the last line's records, as text */
};

int lp_init(struct lp *p, enum lp_format f);
void lp_free(struct lp *p);
/* "json" ... "auto" to a format; -1 if unknown. */
int lp_format_parse(const char *s);
/* Adds a tag "k=v"; -1 with a reason when malformed or too many. */
int lp_tag(struct lp *p, const char *kv, char *err, size_t errlen);
/* CSV column names "a,b,c" (fixed: no header line then). */
int lp_columns(struct lp *p, const char *list, char *err, size_t errlen);
/* Pattern format: regex and the comma-separated names of its groups. */
int lp_pattern(struct lp *p, const char *regex, const char *names, char *err, size_t errlen);
/* Forgets a CSV header read from the stream (the device was reconnected). */
void lp_reset(struct lp *p);

/* Parses line[0, len) (line[len] must be writable; the line may be changed),
 * stamping records built with ts.  Returns the number of records, now in
 * p->rec[0..n) until the next call, or -1 with a reason in err. */
int lp_parse(struct lp *p, char *line, size_t len, int64_t ts, char *err, size_t errlen);

#endif

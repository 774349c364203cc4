/* plx-tail: a live view of what flows through a gateway, one row per
 * series (source, metric, tags): its last value and unit, its rate, its
 * age and a sparkline of its recent values, sorted and filtered, updated
 * in place.
 *
 *   main.c    options, the loop
 *   table.c   the series: what one record changes, rates, order, filter
 *   input.c   records from standard input
 *   poll.c    or a spool's latest values, polled read-only
 *   view.c    the screen (ncurses), or the table once as text (--once) */
#ifndef PLX_TAIL_H
#define PLX_TAIL_H
#include <stddef.h>
#include <stdint.h>

#define TREND 32               /* values a sparkline shows */
#define RATE_S 10              /* seconds a rate is counted over */
#define SERIES_MAX 100000      /* rows kept; past it new series are counted, not shown */

struct series {
	char *key;                 /* source \x1f metric \x1f tags: what makes it one series */
	char *source;              /* "" when the record has none (the uploader's) */
	char *metric;
	char *tags;                /* k=v,k=v without unit, sorted */
	char *unit;                /* the unit tag, or "" */
	char value[64];            /* the last value as text (a string event: its start) */
	int numeric;               /* the last value was a number */
	double trend[TREND];       /* the last numeric values, oldest first */
	int ntrend;
	uint64_t count;            /* records seen */
	uint32_t per_s[RATE_S];    /* records in each of the last seconds */
	int64_t sec;               /* the second per_s[sec % RATE_S] counts */
	int64_t seen;              /* when the last one came (monotonic ms) */
	int64_t ts;                /* its own timestamp (epoch ms), 0: none */
	int64_t polled;            /* a spool's count of it at the last change seen */
	int64_t updated;           /* ... and that change's commit time, 0: none yet */
};

enum sort_by { SORT_NAME, SORT_RATE, SORT_AGE, SORT_KINDS };

struct table {
	struct series **s;
	size_t n, cap;
	size_t dropped;            /* series past SERIES_MAX */
	uint64_t records, bad;     /* records taken; lines that were none */
	enum sort_by sort;
	char filter[128];          /* rows whose source, metric or tags hold it */
};

/* table.c */
void table_init(struct table *t);
void table_free(struct table *t);
/* One record, as its fields: source (NULL: none), metric, tags (k=v,...
 * sorted, without unit), unit, value text, numeric value (numeric), its
 * timestamp, seen at now (monotonic ms). */
struct series *table_add(struct table *t, const char *source, const char *metric, const char *tags,
                         const char *unit, const char *value, int numeric, double v, int64_t ts,
                         int64_t now, uint64_t n);
/* A series as a spool's latest table has it: its count of records and the
 * commit that last changed it (updated); nothing when that is the one seen
 * at the last poll, else the records since then counted at now, and the
 * value last seen at `seen` (monotonic ms, from its timestamp). */
void table_poll(struct table *t, const char *source, const char *metric, const char *value, int numeric,
                double v, int64_t ts, int64_t count, int64_t updated, int64_t seen, int64_t now);
/* Records a second over the last RATE_S seconds, at now. */
double series_rate(const struct series *s, int64_t now);
/* The rows to show, filtered and sorted: *rows (the table's own memory). */
size_t table_rows(struct table *t, int64_t now, struct series ***rows);
/* A sparkline of s's trend, width cells, UTF-8 into out. */
void sparkline(const struct series *s, int width, char *out, size_t len);

/* input.c */
/* One NDJSON line (a record, with or without the spool's sequence key). */
void input_line(struct table *t, const char *line, size_t len, int64_t now);

/* poll.c */
struct tail_spool;
/* Opens the spool read-only; -1 with the reason in err. */
int poll_open(struct tail_spool **ts, const char *path, char *err, size_t errlen);
void poll_close(struct tail_spool *ts);
/* The latest table into t; msg: what to show about the spool ("" when
 * all is well).  0, or -1 when it could not be read this time. */
int poll_spool(struct tail_spool *ts, struct table *t, int64_t now, char *msg, size_t len);

/* view.c */
int view_open(int tty_fd);
void view_close(void);
/* Draws the table; a key typed: 1 quit, 0 go on. */
void view_draw(struct table *t, int64_t now, const char *what);
int view_key(struct table *t);
/* The table once, as text, at most width columns. */
void view_print(struct table *t, int64_t now, int width);

#endif

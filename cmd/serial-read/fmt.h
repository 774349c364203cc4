/* What the formats (fmt_*.c) share with lines.c: how a text value is
 * typed, and how a name = value becomes a record of the line. */
#ifndef SERIAL_FMT_H
#define SERIAL_FMT_H
#include "lines.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)
#define NAMEBUF (PLX_NAME_MAX + 2)

/* A value on its way into a record. */
enum vkind { V_NUMTEXT, V_NUM, V_BOOL, V_STR };
struct val {
	enum vkind kind;
	const char *s;          /* V_NUMTEXT, V_STR: the text, n bytes */
	size_t n;
	double d;               /* V_NUM */
	int b;                  /* V_BOOL */
};

/* A text value, NUL-terminated, typed: number, bool or string. */
struct val lp_typed(const char *s);
/* Joins prefix and key (and, for nested JSON, parent names) into out. */
int lp_join(char *out, const char *a, const char *b);
/* One record for name = value, tagged, checked, kept. */
int lp_emit(struct lp *p, const char *name, struct val v, int64_t ts, char *err, size_t errlen);
/* A text value as the line had it (quoted: always a string). */
int lp_emit_text(struct lp *p, const char *name, const char *val, int quoted, int64_t ts,
                 char *err, size_t errlen);
/* Rounded to 1/scale. */
double lp_round_to(double v, double scale);
/* Frees names v[0, *n). */
void lp_free_names(char **v, int *n);
/* How much of s[0, n) a message quotes: 32 bytes at most, no control character. */
int lp_excerpt(const char *s, size_t n);

/* The formats: each parses one line (NUL-terminated, trimmed, len bytes). */
typedef int lp_parse_fn(struct lp *p, char *s, size_t len, int64_t ts, char *err, size_t errlen);
lp_parse_fn fmt_json, fmt_kv, fmt_csv, fmt_nmea, fmt_pattern;

#endif

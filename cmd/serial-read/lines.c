/* serial-read's line formats: setup, typing, records, and the table that
 * picks a format for a line (lines.h).  Every format ends in lp_emit(),
 * which builds one record (prefix, tags, source id, timestamp) and checks
 * it; lp_parse() then keeps all the records of a line or none. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"

/* Rounded to 1/scale, without libm (the unit and fuzz rules do not link it). */
double
lp_round_to(double v, double scale)
{
	double a = v < 0 ? -v : v;

	if (!(a * scale < 1e18))
		return v;                 /* beyond a long long: nothing to round */
	a = (double)(long long)(a * scale + 0.5) / scale;
	return v < 0 ? -a : a;
}

/* The formats, in the order of enum lp_format (auto first, parsed as the
 * format guess() picks). */
static const struct { const char *name; lp_parse_fn *parse; } formats[] = {
	{ "auto", NULL }, { "json", fmt_json }, { "kv", fmt_kv }, { "csv", fmt_csv },
	{ "nmea", fmt_nmea }, { "pattern", fmt_pattern },
};

int
lp_format_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (!strcmp(s, formats[i].name))
			return (int)i;
	return -1;
}

int
lp_init(struct lp *p, enum lp_format f)
{
	memset(p, 0, sizeof *p);
	p->format = f;
	p->csv_sep = ',';
	plx_recs_init(&p->out);
	return (p->tok = plx_tokener_new()) ? 0 : -1;
}

void
lp_free_names(char **v, int *n)
{
	while (*n > 0)
		free(v[--*n]);
}

void
lp_free(struct lp *p)
{
	plx_recs_free(&p->out);
	lp_free_names(p->tag_key, &p->ntag_key);
	lp_free_names(p->col, &p->ncol);
	lp_free_names(p->field, &p->nfield);
	if (p->have_re)
		regfree(&p->re);
	p->have_re = 0;
	if (p->tok)
		json_tokener_free(p->tok);
	p->tok = NULL;
}

void
lp_reset(struct lp *p)
{
	if (!p->cols_fixed)
		lp_free_names(p->col, &p->ncol);
}

int
lp_tag(struct lp *p, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char *key;
	int n;

	if (!eq || eq == kv)
		FAIL("tag \"%.64s\" is not key=value", kv);
	if (plx_tags_count(&p->tags) >= PLX_TAGS_MAX - 1)
		FAIL("more than %d tags", PLX_TAGS_MAX - 1);
	/* kv stays alive (argv): keep pointers into a copy of the key only */
	if (!(key = strndup(kv, (size_t)(eq - kv))))
		FAIL("out of memory");
	n = plx_tags_count(&p->tags);
	if (plx_tags_add(&p->tags, key, eq + 1, err, errlen) < 0) {
		free(key);
		return -1;
	}
	if (plx_tags_count(&p->tags) == n)
		free(key);      /* a key given before: its value replaced, its first copy kept */
	else
		p->tag_key[p->ntag_key++] = key;
	return 0;
}

/* Splits "a,b,c" into names; empty names allowed (a skipped group). */
static int
split_names(const char *list, char **v, int *n, char *err, size_t errlen)
{
	const char *s = list, *e;

	lp_free_names(v, n);
	for (;;) {
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		if (*n >= LP_RECS_MAX)
			FAIL("more than %d names", LP_RECS_MAX);
		if ((size_t)(e - s) > PLX_NAME_MAX)
			FAIL("name longer than %d bytes", PLX_NAME_MAX);
		v[(*n)++] = strndup(s, e - s);
		if (!*e)
			return 0;
		s = e + 1;
	}
}

int
lp_columns(struct lp *p, const char *list, char *err, size_t errlen)
{
	p->cols_fixed = 1;
	return split_names(list, p->col, &p->ncol, err, errlen);
}

int
lp_pattern(struct lp *p, const char *regex, const char *names, char *err, size_t errlen)
{
	int rc;

	if (p->have_re)
		regfree(&p->re);
	p->have_re = 0;
	if ((rc = regcomp(&p->re, regex, REG_EXTENDED)) != 0) {
		char m[128];
		regerror(rc, &p->re, m, sizeof m);
		FAIL("pattern: %s", m);
	}
	p->have_re = 1;
	if (split_names(names, p->field, &p->nfield, err, errlen) < 0)
		return -1;
	if ((size_t)p->nfield > p->re.re_nsub)
		FAIL("pattern has %zu groups but %d names", p->re.re_nsub, p->nfield);
	return 0;
}

/* A text value, NUL-terminated, typed: number, bool or string.  A number
 * is [+-](d+[.d*]|.d+)[(e|E)[+-]d+] (kept as printed when it is JSON's
 * grammar: plx_recs_numtext); hex, inf and nan stay text. */
struct val
lp_typed(const char *s)
{
	const char *q = s;
	int digits = 0, dot = 0;
	char *end;
	size_t n = strlen(s);

	if ((*s == 't' || *s == 'T') && (!strcmp(s, "true") || !strcmp(s, "TRUE") || !strcmp(s, "True")))
		return (struct val){ .kind = V_BOOL, .b = 1 };
	if ((*s == 'f' || *s == 'F') && (!strcmp(s, "false") || !strcmp(s, "FALSE") || !strcmp(s, "False")))
		return (struct val){ .kind = V_BOOL, .b = 0 };
	if (*q == '+' || *q == '-')
		q++;
	for (; *q; q++) {
		if (*q >= '0' && *q <= '9')
			digits++;
		else if (*q == '.' && !dot)
			dot = 1;
		else
			break;
	}
	if (digits && (*q == 'e' || *q == 'E')) {
		const char *x = q + 1;
		if (*x == '+' || *x == '-')
			x++;
		if (*x >= '0' && *x <= '9') {
			while (*x >= '0' && *x <= '9')
				x++;
			q = x;
		}
	}
	if (!digits || *q)
		return (struct val){ .kind = V_STR, .s = s, .n = n };
	/* long, or an exponent: it may not fit a double (1e400 stays text) */
	if ((n > 15 || strpbrk(s, "eE")) && !isfinite(strtod(s, &end)))
		return (struct val){ .kind = V_STR, .s = s, .n = n };
	return (struct val){ .kind = V_NUMTEXT, .s = s, .n = n };
}

/* --- records --------------------------------------------------------- */

/* Joins prefix and key (and, for nested JSON, parent names) into out. */
int
lp_join(char *out, const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (la + (la ? 1 : 0) + lb > PLX_NAME_MAX)
		return -1;
	memmove(out, a ? a : "", la);
	if (la)
		out[la++] = '.';
	memcpy(out + la, b, lb + 1);
	return 0;
}

/* One record for name = value, tagged, checked, kept. */
int
lp_emit(struct lp *p, const char *name, struct val v, int64_t ts, char *err, size_t errlen)
{
	char full[NAMEBUF];
	struct plx_recs *r = &p->out;
	int rc;

	if (r->n >= LP_RECS_MAX)
		FAIL("more than %d values in one line", LP_RECS_MAX);
	if (lp_join(full, p->prefix, name) < 0)
		FAIL("name \"%.40s...\": longer than %d bytes", name, PLX_NAME_MAX);
	switch (v.kind) {
	case V_NUMTEXT: rc = plx_recs_numtext(r, full, v.s, v.n, ts, &p->tags); break;
	case V_NUM: rc = plx_recs_num(r, full, v.d, ts, &p->tags); break;
	case V_BOOL: rc = plx_recs_bool(r, full, v.b, ts, &p->tags); break;
	default: rc = plx_recs_str(r, full, v.s, v.n, ts, &p->tags); break;
	}
	if (rc < 0)
		FAIL("%s", r->err);
	return 0;
}

/* What firmware prints for a reading it could not take: an Arduino's
 * Serial.print of a failed sensor read (nan, inf, ovf), a display's
 * dashes.  Such a value is no reading: skipped and counted by default, not
 * a text event on a series of numbers. */
static int
no_reading(const char *s)
{
	static const char *const words[] = { "nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity",
	                                     "-infinity", "+infinity", "ovf", "-ovf", "n/a" };
	size_t i;

	if (s[0] == '-' && strspn(s, "-") == strlen(s) && s[1])
		return 1;                 /* --, --- */
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	return 0;
}

int
lp_emit_text(struct lp *p, const char *name, const char *val, int quoted, int64_t ts,
             char *err, size_t errlen)
{
	struct val v;

	if (!quoted && !*val)
		return 0;
	if (quoted)
		return lp_emit(p, name, (struct val){ .kind = V_STR, .s = val, .n = strlen(val) }, ts, err, errlen);
	v = lp_typed(val);
	if (v.kind == V_STR && !p->missing_as_event && no_reading(val)) {
		p->missing++;
		return 0;
	}
	return lp_emit(p, name, v, ts, err, errlen);
}

/* How much of s[0, n) a message quotes: 32 bytes at most, and no control
 * character (a CR or LF would break the one line said on stderr). */
int
lp_excerpt(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 32 && (unsigned char)s[i] >= ' '; i++)
		;
	return (int)i;
}

/* --- the line -------------------------------------------------------- */


static enum lp_format
guess(const char *s)
{
	if (*s == '{')
		return LP_JSON;
	if (*s == '$' || *s == '!')
		return LP_NMEA;
	if (strchr(s, '='))
		return LP_KV;
	if (strchr(s, ','))
		return LP_CSV;
	return LP_KV;
}

int
lp_parse(struct lp *p, char *line, size_t len, int64_t ts, char *err, size_t errlen)
{
	const char *nul;
	size_t bad;
	int rc;

	plx_recs_clear(&p->out);
	line[len] = '\0';
	if ((nul = memchr(line, '\0', len)))
		FAIL("NUL byte at byte %zu", (size_t)(nul - line) + 1);
	if ((bad = plx_utf8_bad((const unsigned char *)line, len)) < len)
		FAIL("invalid UTF-8 at byte %zu", bad + 1);
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	while (isspace((unsigned char)*line))
		line++, len--;
	if (len == 0)
		return 0;
	rc = formats[p->format == LP_AUTO ? guess(line) : p->format].parse(p, line, len, ts, err, errlen);
	if (rc < 0) {
		plx_recs_clear(&p->out);
		return -1;
	}
	return p->out.n;
}

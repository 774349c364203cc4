/* Line parsers: see lineparse.h for the formats.  Every parser ends in
 * emit(), which builds one record (prefix, tags, source id, timestamp) and
 * checks it; parse() then keeps all the records of a line or none. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineparse.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)
#define NAMEBUF (PLX_NAME_MAX + 2)

/* Rounded to 1/scale, without libm (the unit and fuzz rules do not link it). */
static double
round_to(double v, double scale)
{
	double a = v < 0 ? -v : v;

	if (!(a * scale < 1e18))
		return v;                 /* beyond a long long: nothing to round */
	a = (double)(long long)(a * scale + 0.5) / scale;
	return v < 0 ? -a : a;
}

int
plx_lp_format_parse(const char *s)
{
	static const char *const names[] = { "auto", "json", "kv", "csv", "nmea", "pattern" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

int
plx_lp_init(struct plx_lp *p, enum plx_lp_format f)
{
	memset(p, 0, sizeof *p);
	p->format = f;
	p->csv_sep = ',';
	plx_recs_init(&p->out);
	return (p->tok = plx_tokener_new()) ? 0 : -1;
}

static void
free_names(char **v, int *n)
{
	while (*n > 0)
		free(v[--*n]);
}

void
plx_lp_free(struct plx_lp *p)
{
	plx_recs_free(&p->out);
	free_names(p->tag_key, &p->ntag_key);
	free_names(p->col, &p->ncol);
	free_names(p->field, &p->nfield);
	if (p->have_re)
		regfree(&p->re);
	p->have_re = 0;
	if (p->tok)
		json_tokener_free(p->tok);
	p->tok = NULL;
}

void
plx_lp_reset(struct plx_lp *p)
{
	if (!p->cols_fixed)
		free_names(p->col, &p->ncol);
}

int
plx_lp_tag(struct plx_lp *p, const char *kv, char *err, size_t errlen)
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

	free_names(v, n);
	for (;;) {
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		if (*n >= PLX_LP_RECS_MAX)
			FAIL("more than %d names", PLX_LP_RECS_MAX);
		if ((size_t)(e - s) > PLX_NAME_MAX)
			FAIL("name longer than %d bytes", PLX_NAME_MAX);
		v[(*n)++] = strndup(s, e - s);
		if (!*e)
			return 0;
		s = e + 1;
	}
}

int
plx_lp_columns(struct plx_lp *p, const char *list, char *err, size_t errlen)
{
	p->cols_fixed = 1;
	return split_names(list, p->col, &p->ncol, err, errlen);
}

int
plx_lp_pattern(struct plx_lp *p, const char *regex, const char *names, char *err, size_t errlen)
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

/* --- values ---------------------------------------------------------- */

/* A value on its way into a record. */
enum vkind { V_NUMTEXT, V_NUM, V_BOOL, V_STR };
struct val {
	enum vkind kind;
	const char *s;          /* V_NUMTEXT, V_STR: the text, n bytes */
	size_t n;
	double d;               /* V_NUM */
	int b;                  /* V_BOOL */
};

/* A text value, NUL-terminated, typed: number, bool or string.  A number
 * is [+-](d+[.d*]|.d+)[(e|E)[+-]d+] (kept as printed when it is JSON's
 * grammar: plx_recs_numtext); hex, inf and nan stay text. */
static struct val
typed(const char *s)
{
	const char *q = s;
	int digits = 0, dot = 0;
	char *end;
	size_t n = strlen(s);

	if (!strcmp(s, "true") || !strcmp(s, "TRUE") || !strcmp(s, "True"))
		return (struct val){ .kind = V_BOOL, .b = 1 };
	if (!strcmp(s, "false") || !strcmp(s, "FALSE") || !strcmp(s, "False"))
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
static int
join(char *out, const char *a, const char *b)
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
static int
emit(struct plx_lp *p, const char *name, struct val v, int64_t ts, char *err, size_t errlen)
{
	char full[NAMEBUF];
	struct plx_recs *r = &p->out;
	int rc;

	if (r->n >= PLX_LP_RECS_MAX)
		FAIL("more than %d values in one line", PLX_LP_RECS_MAX);
	if (join(full, p->prefix, name) < 0)
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

static int
emit_text(struct plx_lp *p, const char *name, const char *val, int quoted, int64_t ts,
          char *err, size_t errlen)
{
	if (!quoted && !*val)
		return 0;
	return emit(p, name, quoted ? (struct val){ .kind = V_STR, .s = val, .n = strlen(val) }
	            : typed(val), ts, err, errlen);
}

/* --- json ------------------------------------------------------------ */

/* A JSON scalar: a number keeps its text as the line had it (json-c keeps
 * it), a string or a bool is an event. */
static int
leaf(struct plx_lp *p, const char *name, json_object *v, int64_t ts, char *err, size_t errlen)
{
	struct val x = { .kind = V_NUMTEXT };

	if (!*name)
		FAIL("json: empty key");
	if (json_object_is_type(v, json_type_boolean)) {
		x = (struct val){ .kind = V_BOOL, .b = json_object_get_boolean(v) };
	} else if (json_object_is_type(v, json_type_string)) {
		x = (struct val){ .kind = V_STR, .s = json_object_get_string(v),
		                  .n = (size_t)json_object_get_string_len(v) };
	} else {
		x.s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &x.n);
	}
	return emit(p, name, x, ts, err, errlen);
}

static int
flatten(struct plx_lp *p, const char *name, json_object *v, int64_t ts, char *err, size_t errlen)
{
	char sub[NAMEBUF], idx[24];
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, k, e) {
			if (join(sub, name, k) < 0)
				FAIL("name \"%.40s...\": longer than %d bytes", name, PLX_NAME_MAX);
			if (flatten(p, sub, e, ts, err, errlen) < 0)
				return -1;
		}
		return 0;
	}
	case json_type_array:
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			snprintf(idx, sizeof idx, "%zu", i);
			if (join(sub, name, idx) < 0)
				FAIL("name \"%.40s...\": longer than %d bytes", name, PLX_NAME_MAX);
			if (flatten(p, sub, json_object_array_get_idx(v, i), ts, err, errlen) < 0)
				return -1;
		}
		return 0;
	default:
		return leaf(p, name, v, ts, err, errlen);
	}
}

static int
parse_json(struct plx_lp *p, const char *line, size_t len, int64_t ts, char *err, size_t errlen)
{
	json_object *o, *m, *v;
	char why[200];
	size_t end;
	int rc;

	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, line, (int)len);
	if (json_tokener_get_error(p->tok) == json_tokener_continue)
		FAIL("json: unexpected end of line");
	if (json_tokener_get_error(p->tok) != json_tokener_success) {
		FAIL("json: %s at byte %zu", json_tokener_error_desc(json_tokener_get_error(p->tok)),
		     json_tokener_get_parse_end(p->tok) + 1);
	}
	for (end = json_tokener_get_parse_end(p->tok); end < len; end++)
		if (!isspace((unsigned char)line[end])) {
			json_object_put(o);
			FAIL("json: trailing characters at byte %zu", end + 1);
		}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		FAIL("json: not an object");
	}
	if (json_object_object_get_ex(o, "metric", &m) && json_object_is_type(m, json_type_string) &&
	    json_object_object_get_ex(o, "value", &v)) {
		/* already a record: through unchanged, but stamped if it is not */
		if (!json_object_object_get_ex(o, "timestamp", NULL))
			json_object_object_add(o, "timestamp", json_object_new_int64(ts));
		if (plx_record_check(o, 0, why, sizeof why) < 0) {
			json_object_put(o);
			FAIL("record: %s", why);
		}
		rc = plx_recs_json(&p->out, o);
		json_object_put(o);
		if (rc < 0)
			FAIL("record: %s", p->out.err);
		return 0;
	}
	rc = flatten(p, "", o, ts, err, errlen);
	json_object_put(o);
	return rc;
}

/* --- kv -------------------------------------------------------------- */

#define KV_SEP(c) ((c) == ' ' || (c) == '\t' || (c) == ',' || (c) == ';')

/* How much of s[0, n) a message quotes: 32 bytes at most, and no control
 * character (a CR or LF would break the one line said on stderr). */
static int
excerpt(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 32 && (unsigned char)s[i] >= ' '; i++)
		;
	return (int)i;
}

/* Two lines run together (the end of an unfinished one lost, a device that
 * restarted mid-line: "seq=20 hum=5" + "seq=21 hum=40.5") show as a value
 * running into the next key ("5seq=21") or as a key given twice: such a
 * line is refused whole rather than read as values nobody sent. */
static int
parse_kv(struct plx_lp *p, char *s, int64_t ts, char *err, size_t errlen)
{
	char *key, *val, *keys[PLX_LP_RECS_MAX];
	int pairs = 0, quoted, blank, eq, i;

	for (;;) {
		while (KV_SEP(*s))
			s++;
		if (!*s)
			break;
		key = s;
		while (*s && !KV_SEP(*s) && *s != '=' && *s != ':')
			s++;
		val = s;
		while (*val == ' ' || *val == '\t')
			val++;
		if ((*val != '=' && *val != ':') || s == key)
			FAIL("kv: \"%.*s\" is not key=value", excerpt(key, (size_t)(s - key)), key);
		*s = '\0';
		for (i = 0; i < pairs; i++)
			if (keys[i][0] == key[0] && !strcmp(keys[i], key))
				FAIL("kv: %.64s: twice in one line (two lines run together?)", key);
		if (pairs == PLX_LP_RECS_MAX)
			FAIL("more than %d values in one line", PLX_LP_RECS_MAX);
		keys[pairs] = key;
		blank = val[1] == ' ' || val[1] == '\t';
		for (val++; *val == ' ' || *val == '\t'; val++)
			;
		if (blank) {
			/* "k= n=0": after a blank, a token with '=' is the next pair */
			for (s = val; *s && !KV_SEP(*s) && *s != '='; s++)
				;
			if (*s == '=') {
				s = val;
				pairs++;
				continue;
			}
		}
		quoted = *val == '"';
		if (quoted) {
			s = strchr(++val, '"');
			if (!s)
				FAIL("kv: %.64s: no closing quote", key);
		} else {
			for (s = val, eq = 0; *s && !KV_SEP(*s); s++)
				eq |= *s == '=';
			if (eq)
				FAIL("kv: %.64s: \"%.*s\" holds '=': a value runs into the next key (two lines"
				     " run together?)", key, excerpt(val, (size_t)(s - val)), val);
		}
		if (*s)
			*s++ = '\0';
		if (emit_text(p, key, val, quoted, ts, err, errlen) < 0)
			return -1;
		pairs++;
	}
	if (!pairs)
		FAIL("kv: no key=value pair");
	return 0;
}

/* --- csv ------------------------------------------------------------- */

/* Splits s in place into fields ("a","b c", a "" inside quotes is a quote).
 * quoted[i] says whether field i was quoted.  Returns the count or -1. */
static int
csv_split(char *s, char sep, char **f, int *quoted, char *err, size_t errlen)
{
	int n = 0;
	char *w;

	for (;;) {
		if (n >= PLX_LP_RECS_MAX)
			FAIL("csv: more than %d fields", PLX_LP_RECS_MAX);
		while (*s == ' ' || *s == '\t')
			s++;
		quoted[n] = *s == '"';
		if (quoted[n]) {
			f[n] = w = ++s;
			for (;;) {
				if (!*s)
					FAIL("csv: field %d: no closing quote", n + 1);
				if (*s == '"' && s[1] == '"')
					*w++ = '"', s += 2;
				else if (*s == '"')
					break;
				else
					*w++ = *s++;
			}
			*w = '\0';
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s && *s != sep)
				FAIL("csv: field %d: text after the closing quote", n + 1);
		} else {
			f[n] = s;
			while (*s && *s != sep)
				s++;
			for (w = s; w > f[n] && (w[-1] == ' ' || w[-1] == '\t'); w--)
				;
			if (*s == sep) {
				*w = '\0';
				n++;
				s++;
				continue;
			}
			*w = '\0';
		}
		n++;
		if (!*s)
			return n;
		s++;
	}
}

/* A header field: a name, not a value (no number, no bool, not empty). */
static int
is_name(const char *s, int quoted)
{
	if (!*s)
		return 0;
	return quoted || typed(s).kind == V_STR;
}

static int
parse_csv(struct plx_lp *p, char *s, int64_t ts, char *err, size_t errlen)
{
	char *f[PLX_LP_RECS_MAX];
	int q[PLX_LP_RECS_MAX], n, i, header = 1;

	if ((n = csv_split(s, p->csv_sep, f, q, err, errlen)) < 0)
		return -1;
	if (!p->cols_fixed) {
		for (i = 0; i < n && header; i++)
			header = is_name(f[i], q[i]);
		if (header) {
			/* a header line: the names of the columns from now on */
			free_names(p->col, &p->ncol);
			for (i = 0; i < n; i++)
				p->col[p->ncol++] = strdup(f[i]);
			return 0;
		}
		if (p->ncol == 0)
			FAIL("csv: no header line yet");
	}
	if (n != p->ncol)
		FAIL("csv: %d fields, the header has %d", n, p->ncol);
	for (i = 0; i < n; i++)
		if (*p->col[i] && emit_text(p, p->col[i], f[i], q[i], ts, err, errlen) < 0)
			return -1;
	return 0;
}

/* --- nmea ------------------------------------------------------------ */

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ddmm.mmmm (or dddmm.mmmm) and a hemisphere to signed decimal degrees. */
static int
nmea_coord(const char *s, const char *hemi, double *out)
{
	const char *q;
	char *end;
	double v, deg, min;

	if (!*s)
		return -1;
	for (q = s; *q; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			return -1;
	v = strtod(s, &end);
	if (*end || v >= 18100)
		return -1;
	deg = (double)(long long)(v / 100);
	min = v - deg * 100;
	if (*end || min >= 60)
		return -1;
	v = deg + min / 60;
	if (!strcmp(hemi, "S") || !strcmp(hemi, "W"))
		v = -v;
	else if (strcmp(hemi, "N") && strcmp(hemi, "E"))
		return -1;
	*out = round_to(v, 1e7);   /* 1e-7 degree is 1 cm: all a receiver gives */
	return 0;
}

static int
emit_num(struct plx_lp *p, const char *name, const char *text, int64_t ts, char *err, size_t errlen)
{
	struct val v;

	if (!*text)
		return 0;
	v = typed(text);
	if (v.kind != V_NUMTEXT)
		FAIL("nmea: %s: \"%.32s\" is not a number", name, text);
	return emit(p, name, v, ts, err, errlen);
}

static int
emit_position(struct plx_lp *p, char **f, int64_t ts, char *err, size_t errlen)
{
	double lat, lon;

	if (nmea_coord(f[0], f[1], &lat) < 0 || nmea_coord(f[2], f[3], &lon) < 0 || fabs(lat) > 90 ||
	    fabs(lon) > 180)
		FAIL("nmea: bad position \"%.16s,%.2s,%.16s,%.2s\"", f[0], f[1], f[2], f[3]);
	if (emit(p, "gps.lat", (struct val){ .kind = V_NUM, .d = lat }, ts, err, errlen) < 0)
		return -1;
	return emit(p, "gps.lon", (struct val){ .kind = V_NUM, .d = lon }, ts, err, errlen);
}

static int
parse_nmea(struct plx_lp *p, char *s, size_t len, int64_t ts, char *err, size_t errlen)
{
	char *star, *f[40], *q;
	unsigned sum = 0;
	int n = 0, want, quality;
	double knots;

	if (*s != '$' && *s != '!')
		FAIL("nmea: does not start with $");
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	if (!(star = strchr(s, '*')))
		FAIL("nmea: no checksum");
	if (s + len - star != 3 || hexval(star[1]) < 0 || hexval(star[2]) < 0)
		FAIL("nmea: checksum is not two hex digits at the end");
	for (q = s + 1; q < star; q++)
		sum ^= (unsigned char)*q;
	want = hexval(star[1]) * 16 + hexval(star[2]);
	if ((int)sum != want)
		FAIL("nmea: checksum %02X, computed %02X", want, sum);
	*star = '\0';
	for (q = s + 1; n < 40; ) {
		f[n++] = q;
		if (!(q = strchr(q, ',')))
			break;
		*q++ = '\0';
	}
	if (strlen(f[0]) != 5)
		return 0;                     /* not a talker+type sentence: ignored */
	if (!strcmp(f[0] + 2, "GGA")) {
		if (n < 10)
			FAIL("nmea: GGA with %d fields", n);
		if (emit_num(p, "gps.fix_quality", f[6], ts, err, errlen) < 0 ||
		    emit_num(p, "gps.satellites", f[7], ts, err, errlen) < 0)
			return -1;
		quality = atoi(f[6]);
		if (quality == 0 || !*f[2])
			return 0;                 /* no fix: no position */
		if (emit_position(p, f + 2, ts, err, errlen) < 0 ||
		    emit_num(p, "gps.hdop", f[8], ts, err, errlen) < 0 ||
		    emit_num(p, "gps.altitude", f[9], ts, err, errlen) < 0)
			return -1;
		return 0;
	}
	if (!strcmp(f[0] + 2, "RMC")) {
		if (n < 9)
			FAIL("nmea: RMC with %d fields", n);
		if (strcmp(f[2], "A"))
			return 0;                 /* V: void, no fix */
		if (emit_position(p, f + 3, ts, err, errlen) < 0)
			return -1;
		if (*f[7]) {
			if (emit_num(p, "gps.speed_knots", f[7], ts, err, errlen) < 0)
				return -1;
			knots = strtod(f[7], NULL);
			if (emit(p, "gps.speed", (struct val){ .kind = V_NUM,
			         .d = round_to(knots * 0.514444, 1000) }, ts, err, errlen) < 0)
				return -1;
		}
		return emit_num(p, "gps.course", f[8], ts, err, errlen);
	}
	return 0;                             /* GSV, GSA, VTG...: ignored */
}

/* --- pattern --------------------------------------------------------- */

static int
parse_pattern(struct plx_lp *p, char *s, int64_t ts, char *err, size_t errlen)
{
	regmatch_t m[PLX_LP_RECS_MAX + 1];
	char save;
	int i, rc;

	if (!p->have_re)
		FAIL("pattern: none given");
	if (regexec(&p->re, s, (size_t)p->nfield + 1, m, 0) != 0)
		FAIL("pattern: no match");
	for (i = 0; i < p->nfield; i++) {
		if (!*p->field[i] || m[i + 1].rm_so < 0)
			continue;
		save = s[m[i + 1].rm_eo];
		s[m[i + 1].rm_eo] = '\0';
		rc = emit_text(p, p->field[i], s + m[i + 1].rm_so, 0, ts, err, errlen);
		s[m[i + 1].rm_eo] = save;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* --- the line -------------------------------------------------------- */


static enum plx_lp_format
guess(const char *s)
{
	if (*s == '{')
		return PLX_LP_JSON;
	if (*s == '$' || *s == '!')
		return PLX_LP_NMEA;
	if (strchr(s, '='))
		return PLX_LP_KV;
	if (strchr(s, ','))
		return PLX_LP_CSV;
	return PLX_LP_KV;
}

int
plx_lp_parse(struct plx_lp *p, char *line, size_t len, int64_t ts, char *err, size_t errlen)
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
	switch (p->format == PLX_LP_AUTO ? guess(line) : p->format) {
	case PLX_LP_JSON: rc = parse_json(p, line, len, ts, err, errlen); break;
	case PLX_LP_KV: rc = parse_kv(p, line, ts, err, errlen); break;
	case PLX_LP_CSV: rc = parse_csv(p, line, ts, err, errlen); break;
	case PLX_LP_NMEA: rc = parse_nmea(p, line, len, ts, err, errlen); break;
	case PLX_LP_PATTERN: rc = parse_pattern(p, line, ts, err, errlen); break;
	default: FAIL("unknown format");
	}
	if (rc < 0) {
		plx_recs_clear(&p->out);
		return -1;
	}
	return p->out.n;
}

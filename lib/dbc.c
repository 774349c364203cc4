/* The DBC parser (dbc.h).  A DBC file is a list of statements,
 * each opened by a keyword; most end with ';', the message and signal
 * lines and the header lists end with their line:
 *
 *   VERSION "1.0"
 *   NS_ :
 *   	CM_
 *   	SIG_VALTYPE_
 *   BS_:
 *   BU_: Engine Dash
 *   BO_ 100 Status: 8 Engine
 *    SG_ Mode M : 0|4@1+ (1,0) [0|15] "" Dash
 *    SG_ Temp m1 : 8|16@0- (0.1,-40) [-40|215] "degC" Dash,Gateway
 *   CM_ SG_ 100 Temp "Coolant temperature,
 *   read at the outlet";
 *   BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
 *   VAL_ 100 Mode 0 "Off" 1 "Run" ;
 *   SIG_VALTYPE_ 100 Temp : 1;
 *   SG_MUL_VAL_ 100 Temp Mode 1-1, 4-6;
 *
 * The text is read as tokens (identifiers, numbers, strings that may span
 * lines, punctuation), so layout is free but for three rules taken from
 * the files tools write: an NS_ list holds the indented names after it,
 * and the BS_ and BU_ lists and an SG_ line's receivers end with their
 * line.  The keywords are those of Vector's "DBC File Format
 * Documentation" (the NS_ list of the files CANdb++ writes); a statement
 * of one this parser does not use (attributes BA_*, EV_, SIG_GROUP_, ...)
 * is skipped to its ';' (strings may hold one), and must have it before
 * the next keyword opening a line; any other word where a statement
 * begins is an error, so a misspelt keyword is not silently skipped with
 * what it says.  SG_MUL_VAL_ (extended
 * multiplexing) gives a muxed signal another multiplexer, an m<n>M signal,
 * and value ranges in place of its m<n>.  Names in CM_, VAL_, SIG_VALTYPE_
 * and SG_MUL_VAL_ that match no message or signal are ignored, as other
 * tools do.  Strings are kept as UTF-8: DBC files are usually Windows-1252,
 * so a string that is not valid UTF-8 is read as Latin-1.  Every error names
 * the file and line: "f.dbc:12: expected ':', found '8'". */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbc.h"
#include "log.h"

enum tok { T_EOF, T_ID, T_NUM, T_STR, T_PUNCT };

struct lex {
	const char *p, *end, *text;  /* next unread byte, end and start of the text */
	const char *fname;
	int line;                    /* line of p */
	enum tok t;                  /* the current token ... */
	const char *s;               /* ... its text (a string with its quotes) */
	size_t n;
	int tline;                   /* its line */
	int col0;                    /* it starts a line, unindented */
	int bol;                     /* it is the first token of its line */
	char *err;
	size_t errlen;
	struct dbc *d;
	int cur;                     /* message that SG_ lines add to, -1 none */
	struct dbc_msg *ref;         /* message of the last get_sig_ref, NULL none */
	int msgcap, sigcap, nodecap, tabcap;
};

/* The keywords of the format: VERSION, NS_, BS_, BU_, BO_, SG_, EV_ and the
 * new symbols of the NS_ list of the files CANdb++ writes. */
static const char *const keywords[] = {
	"VERSION", "NS_", "BS_", "BU_", "BO_", "SG_", "CM_", "VAL_", "VAL_TABLE_",
	"SIG_VALTYPE_", "BA_DEF_", "BA_", "BA_DEF_DEF_", "BA_DEF_REL_", "BA_REL_",
	"BA_DEF_DEF_REL_", "BA_DEF_SGTYPE_", "BA_SGTYPE_", "BO_TX_BU_", "EV_",
	"ENVVAR_DATA_", "SGTYPE_", "SGTYPE_VAL_", "SIG_GROUP_", "SIG_TYPE_REF_",
	"SIGTYPE_VALTYPE_", "SG_MUL_VAL_", "BU_SG_REL_", "BU_EV_REL_", "BU_BO_REL_",
	"CAT_DEF_", "CAT_", "FILTER", "EV_DATA_", "NS_DESC_",
};

static int
fail(struct lex *x, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(x->err, x->errlen, "%s:%d: ", x->fname, line);

	if (n < 0 || (size_t)n >= x->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A warning (dbc.h): kept, the first DBC_MAX_WARN of them, and counted. */
static void
warn(struct lex *x, int line, const char *fmt, ...)
{
	struct dbc *d = x->d;
	char buf[512];
	va_list ap;
	int n;

	if (d->nwarn == DBC_MAX_WARN) {
		d->warn_more++;
		return;
	}
	n = snprintf(buf, sizeof buf, "%s:%d: ", x->fname, line);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	va_end(ap);
	if (!d->nwarn)
		d->warn = plx_xrealloc(NULL, DBC_MAX_WARN * sizeof *d->warn);
	d->warn[d->nwarn] = plx_xrealloc(NULL, strlen(buf) + 1);
	strcpy(d->warn[d->nwarn++], buf);
}

/* The current token as the "found ..." of a message. */
static const char *
found(const struct lex *x, char *buf, size_t len)
{
	size_t i, o = 0, k = x->n > 32 ? 32 : x->n;

	if (x->t == T_EOF)
		return "end of file";
	buf[o++] = '\'';
	for (i = 0; i < k && o + 5 < len; i++)
		buf[o++] = x->s[i] >= 0x20 && x->s[i] < 0x7f ? x->s[i] : '?';
	if (k < x->n)
		o += snprintf(buf + o, len - o, "...");
	snprintf(buf + o, len - o, "'");
	return buf;
}

static int
expected(struct lex *x, const char *what)
{
	char buf[64];

	return fail(x, x->tline, "expected %s, found %s", what, found(x, buf, sizeof buf));
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_idch(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* Whitespace and // comments; counts lines. */
static void
skip_space(struct lex *x)
{
	const char *p = x->p;

	while (p < x->end) {
		if (*p == '\n') {
			x->line++;
			p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
			p++;
		} else if (*p == '/' && p + 1 < x->end && p[1] == '/') {
			while (p < x->end && *p != '\n')
				p++;
		} else {
			break;
		}
	}
	x->p = p;
}

static const char *
scan_number(const char *p, const char *e)
{
	if (p < e && (*p == '+' || *p == '-'))
		p++;
	while (p < e && is_digit(*p))
		p++;
	if (p < e && *p == '.')
		for (p++; p < e && is_digit(*p); p++)
			;
	if (p + 1 < e && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;

		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q < e && is_digit(*q)) {
			for (p = q; p < e && is_digit(*p); p++)
				;
		}
	}
	return p;
}

static int
starts_number(const char *p, const char *e)
{
	if (p < e && (*p == '+' || *p == '-'))
		p++;
	return p < e && (is_digit(*p) || (*p == '.' && p + 1 < e && is_digit(p[1])));
}

static int
next(struct lex *x)
{
	const char *p, *e = x->end;
	int prev = x->line;          /* where the previous token ended */

	skip_space(x);
	p = x->p;
	x->s = p;
	x->tline = x->line;
	x->col0 = p == x->text || p[-1] == '\n';
	x->bol = x->tline != prev || p == x->text;
	if (p >= e) {
		x->t = T_EOF;
		x->n = 0;
		return 0;
	}
	if (*p == '"') {
		for (p++; p < e && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < e)
				p++;
			if (*p == '\n')
				x->line++;
		}
		if (p >= e)
			return fail(x, x->tline, "expected '\"' to end the string begun here, found end of file");
		p++;
		x->t = T_STR;
	} else if (is_idch(*p) && !is_digit(*p)) {
		while (p < e && is_idch(*p))
			p++;
		x->t = T_ID;
	} else if (starts_number(p, e)) {
		p = scan_number(p, e);
		x->t = T_NUM;
	} else {
		p++;
		x->t = T_PUNCT;
	}
	x->n = p - x->s;
	x->p = p;
	return 0;
}

static int
is_id(const struct lex *x, const char *word)
{
	return x->t == T_ID && x->n == strlen(word) && !memcmp(x->s, word, x->n);
}

static int
is_punct(const struct lex *x, char c)
{
	return x->t == T_PUNCT && x->s[0] == c;
}

static int
is_keyword(const struct lex *x)
{
	size_t i;

	for (i = 0; i < sizeof keywords / sizeof *keywords; i++)
		if (is_id(x, keywords[i]))
			return 1;
	return 0;
}

static int
expect_punct(struct lex *x, char c)
{
	char what[8];

	if (!is_punct(x, c)) {
		snprintf(what, sizeof what, "'%c'", c);
		return expected(x, what);
	}
	return next(x);
}

static char *
tok_dup(const struct lex *x)
{
	char *s = plx_xrealloc(NULL, x->n + 1);

	memcpy(s, x->s, x->n);
	s[x->n] = 0;
	return s;
}

/* Moves past a token copied to *out; on an error there, *out is freed. */
static int
took(struct lex *x, char **out)
{
	if (next(x) == 0)
		return 0;
	free(*out);
	*out = NULL;
	return -1;
}

static int
get_ident(struct lex *x, const char *what, char **out)
{
	if (x->t != T_ID)
		return expected(x, what);
	*out = tok_dup(x);
	return took(x, out);
}

/* The current number token as a NUL-terminated copy; 0 if it is none. */
static int
num_text(const struct lex *x, char *buf, size_t len)
{
	if (x->t != T_NUM || x->n >= len)
		return 0;
	memcpy(buf, x->s, x->n);
	buf[x->n] = 0;
	return 1;
}

/* An unsigned decimal integer up to max, not consumed. */
static int
peek_uint(struct lex *x, const char *what, uint64_t max, uint64_t *out)
{
	char buf[32], *end;

	if (!num_text(x, buf, sizeof buf) || !is_digit(buf[0]))
		return expected(x, what);
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (*end || errno || *out > max)
		return expected(x, what);
	return 0;
}

static int
get_uint(struct lex *x, const char *what, uint64_t max, uint64_t *out)
{
	return peek_uint(x, what, max, out) < 0 ? -1 : next(x);
}

/* A signed integer; one above INT64_MAX keeps its 64 bits (a raw value of a
 * 64-bit unsigned signal). */
static int
get_int(struct lex *x, const char *what, int64_t *out)
{
	char buf[32], *end;

	if (!num_text(x, buf, sizeof buf))
		return expected(x, what);
	errno = 0;
	if (buf[0] == '-')
		*out = strtoll(buf, &end, 10);
	else
		*out = (int64_t)strtoull(buf, &end, 10);
	if (*end || errno)
		return expected(x, what);
	return next(x);
}

static int
get_real(struct lex *x, const char *what, double *out)
{
	char buf[64], *end;

	if (!num_text(x, buf, sizeof buf))
		return expected(x, what);
	*out = strtod(buf, &end);
	if (*end)
		return expected(x, what);
	return next(x);
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 1;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			k = 2;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 3;
		else
			return 0;
		for (i++; k; k--, i++)
			if (i >= n || (s[i] & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* The current string token, unquoted: \" and \\ are escapes, other bytes
 * are kept; Latin-1 is turned into UTF-8. */
static int
get_str(struct lex *x, const char *what, char **out)
{
	const unsigned char *p, *e;
	unsigned char *s, *o;
	int latin1;

	if (x->t != T_STR)
		return expected(x, what);
	p = (const unsigned char *)x->s + 1;
	e = (const unsigned char *)x->s + x->n - 1;
	latin1 = !utf8_valid(p, e - p);
	o = s = plx_xrealloc(NULL, 2 * (e - p) + 1);
	for (; p < e; p++) {
		if (*p == '\\' && p + 1 < e && (p[1] == '"' || p[1] == '\\'))
			p++;
		if (latin1 && *p >= 0x80) {
			*o++ = 0xc0 | *p >> 6;
			*o++ = 0x80 | (*p & 0x3f);
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	*out = (char *)s;
	return took(x, out);
}

static struct dbc_msg *
find_msg(const struct dbc *d, uint64_t dbc_id)
{
	int i;

	for (i = 0; i < d->nmsg; i++)
		if (d->msg[i].dbc_id == dbc_id)
			return &d->msg[i];
	return NULL;
}

static struct dbc_sig *
find_sig(const struct dbc_msg *m, const char *name)
{
	int i;

	for (i = 0; m && i < m->nsig; i++)
		if (!strcmp(m->sig[i].name, name))
			return &m->sig[i];
	return NULL;
}

/* "id name" of CM_ SG_, VAL_, SIG_VALTYPE_: the signal, or NULL when the
 * file has none of that name. */
static int
get_sig_ref(struct lex *x, struct dbc_sig **s)
{
	uint64_t id;
	char *name;

	if (get_uint(x, "a message id", UINT32_MAX, &id) < 0 || get_ident(x, "a signal name", &name) < 0)
		return -1;
	x->ref = find_msg(x->d, id);
	*s = find_sig(x->ref, name);
	free(name);
	return 0;
}

static void
replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/* BU_: Engine Dash */
static int
parse_nodes(struct lex *x)
{
	struct dbc *d = x->d;

	if (next(x) < 0 || expect_punct(x, ':') < 0)
		return -1;
	while (x->t == T_ID && (!x->bol || (!x->col0 && !is_keyword(x)))) {
		if (d->nnode == x->nodecap) {
			x->nodecap = x->nodecap ? 2 * x->nodecap : 8;
			d->node = plx_xrealloc(d->node, x->nodecap * sizeof *d->node);
		}
		d->node[d->nnode].name = tok_dup(x);
		d->node[d->nnode++].comment = NULL;
		if (next(x) < 0)
			return -1;
	}
	return 0;
}

/* BO_ 2364540158 EEC1: 8 Engine */
static int
parse_msg(struct lex *x)
{
	struct dbc *d = x->d;
	struct dbc_msg *m;
	uint64_t id, size;
	int line;

	if (next(x) < 0)
		return -1;
	line = x->tline;
	if (peek_uint(x, "a message id", UINT32_MAX, &id) < 0)
		return -1;
	if (!(id & 0x80000000u) && id > CAN_SFF_MASK)
		return expected(x, "a standard id up to 2047 or an extended one with bit 31 set");
	if (find_msg(d, id))
		return expected(x, "a message id not used before");
	if (d->nmsg == x->msgcap) {
		x->msgcap = x->msgcap ? 2 * x->msgcap : 16;
		d->msg = plx_xrealloc(d->msg, x->msgcap * sizeof *d->msg);
	}
	m = &d->msg[d->nmsg++];
	memset(m, 0, sizeof *m);
	m->dbc_id = (uint32_t)id;
	m->id = (uint32_t)id;
	if ((id & 0x80000000u) && (id & 0x7fffffffu) <= CAN_EFF_MASK)
		m->id = CAN_EFF_FLAG | (id & CAN_EFF_MASK);
	m->muxer = -1;
	m->line = line;
	x->cur = d->nmsg - 1;
	x->sigcap = 0;
	if (next(x) < 0 || get_ident(x, "a message name", &m->name) < 0 || expect_punct(x, ':') < 0 ||
	    get_uint(x, "a message size in bytes (0 to 64)", DBC_MAX_SIZE, &size) < 0)
		return -1;
	m->size = (unsigned)size;
	if (x->t == T_ID && !x->bol && !is_id(x, "SG_"))
		return get_ident(x, "a transmitter", &m->transmitter);
	m->transmitter = plx_xrealloc(NULL, sizeof "Vector__XXX");   /* the DBC's "no node" */
	memcpy(m->transmitter, "Vector__XXX", sizeof "Vector__XXX");
	return 0;
}

/* The multiplexer indicator of an SG_ line: M, m<n>, or m<n>M.  The last
 * is extended multiplexing: a signal picked by value n of the message's
 * multiplexer that picks others in turn, as SG_MUL_VAL_ lines say. */
static int
parse_mux(struct lex *x, struct dbc_sig *s)
{
	const char *p = x->s, *e = x->s + x->n;
	uint64_t v = 0;

	if (x->n == 1 && *p == 'M') {
		s->mux = DBC_MUXER;
		return next(x);
	}
	if (*p != 'm' || x->n < 2)
		return expected(x, "':' or a multiplexer indicator (M, m<n>)");
	for (p++; p < e && is_digit(*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return expected(x, "a multiplexer value up to 2^64-1");
		v = 10 * v + (*p - '0');
	}
	if (p == x->s + 1 || (p < e && !(p + 1 == e && *p == 'M')))
		return expected(x, "':' or a multiplexer indicator (M, m<n>)");
	s->mux = DBC_MUXED;
	s->mux_val = v;
	return next(x);
}

/* Where the signal lies: bitpos and need (see dbc_decode.c). */
static int
place_sig(struct lex *x, struct dbc_msg *m, struct dbc_sig *s)
{
	if (s->little_endian)
		s->bitpos = s->start;
	else
		s->bitpos = s->start / 8 * 8 + 7 - s->start % 8;
	s->need = (s->bitpos + s->len - 1) / 8 + 1;
	if (s->need > m->size && !(m->id & ~(CAN_EFF_FLAG | CAN_EFF_MASK)))   /* a frame's */
		return fail(x, s->line, "expected signal %s within the %u bytes of message %s, found it ending in byte %u",
			    s->name, m->size, m->name, s->need);
	return 0;
}

static int
parse_sig_layout(struct lex *x, struct dbc_sig *s)
{
	uint64_t start, len;

	if (get_uint(x, "a start bit", 8 * DBC_MAX_SIZE - 1, &start) < 0 || expect_punct(x, '|') < 0 ||
	    peek_uint(x, "a length in bits (1 to 64)", 64, &len) < 0)
		return -1;
	if (len == 0)
		return expected(x, "a length in bits (1 to 64)");
	if (next(x) < 0 || expect_punct(x, '@') < 0)
		return -1;
	if (x->t != T_NUM || x->n != 1 || (x->s[0] != '0' && x->s[0] != '1'))
		return expected(x, "a byte order (0 Motorola, 1 Intel)");
	s->start = (unsigned)start;
	s->len = (unsigned)len;
	s->little_endian = x->s[0] == '1';
	if (next(x) < 0)
		return -1;
	if (!is_punct(x, '+') && !is_punct(x, '-'))
		return expected(x, "'+' (unsigned) or '-' (signed)");
	s->is_signed = x->s[0] == '-';
	return next(x);
}

/* SG_ Temp m1 : 8|16@0- (0.1,-40) [-40|215] "degC" Dash,Gateway */
static int
parse_sig(struct lex *x)
{
	struct dbc_msg *m;
	struct dbc_sig *s;
	char *name;

	if (x->cur < 0)
		return expected(x, "a BO_ line before SG_");
	m = &x->d->msg[x->cur];
	if (next(x) < 0 || get_ident(x, "a signal name", &name) < 0)
		return -1;
	if (find_sig(m, name)) {
		fail(x, x->tline, "expected a signal name not used before in message %s, found '%s'", m->name, name);
		free(name);
		return -1;
	}
	if (m->nsig == x->sigcap) {
		x->sigcap = x->sigcap ? 2 * x->sigcap : 8;
		m->sig = plx_xrealloc(m->sig, x->sigcap * sizeof *m->sig);
	}
	s = &m->sig[m->nsig++];
	memset(s, 0, sizeof *s);
	s->name = name;
	s->line = x->tline;
	s->muxer = -1;
	if (x->t == T_ID && parse_mux(x, s) < 0)
		return -1;
	if (expect_punct(x, ':') < 0 || parse_sig_layout(x, s) < 0 ||
	    expect_punct(x, '(') < 0 || get_real(x, "a factor", &s->factor) < 0 ||
	    expect_punct(x, ',') < 0 || get_real(x, "an offset", &s->offset) < 0 ||
	    expect_punct(x, ')') < 0 || expect_punct(x, '[') < 0 ||
	    get_real(x, "a minimum", &s->min) < 0 || expect_punct(x, '|') < 0 ||
	    get_real(x, "a maximum", &s->max) < 0 || expect_punct(x, ']') < 0 ||
	    get_str(x, "a unit string", &s->unit) < 0)
		return -1;
	while (!x->bol && (x->t == T_ID || is_punct(x, ',')))   /* receivers */
		if (next(x) < 0)
			return -1;
	return place_sig(x, m, s);
}

/* CM_ "text"; CM_ BU_ node "text"; CM_ BO_ id "text"; CM_ SG_ id sig "text"; CM_ EV_ var "text"; */
static int
parse_comment(struct lex *x)
{
	struct dbc *d = x->d;
	char **dst = NULL, *name, *text;
	struct dbc_msg *m;
	struct dbc_sig *s;
	uint64_t id;
	int i;

	if (next(x) < 0)
		return -1;
	if (x->t == T_STR) {
		dst = &d->comment;
	} else if (is_id(x, "BO_")) {
		if (next(x) < 0 || get_uint(x, "a message id", UINT32_MAX, &id) < 0)
			return -1;
		if ((m = find_msg(d, id)))
			dst = &m->comment;
	} else if (is_id(x, "SG_")) {
		if (next(x) < 0 || get_sig_ref(x, &s) < 0)
			return -1;
		if (s)
			dst = &s->comment;
	} else if (is_id(x, "BU_")) {
		if (next(x) < 0 || get_ident(x, "a node name", &name) < 0)
			return -1;
		for (i = 0; i < d->nnode; i++)
			if (!strcmp(d->node[i].name, name))
				dst = &d->node[i].comment;
		free(name);
	} else if (is_id(x, "EV_")) {          /* environment variables: not kept */
		if (next(x) < 0 || x->t != T_ID)
			return x->t != T_ID ? expected(x, "an environment variable") : -1;
		if (next(x) < 0)
			return -1;
	} else {
		return expected(x, "a string or BU_, BO_, SG_, EV_");
	}
	if (get_str(x, "a comment string", &text) < 0)
		return -1;
	if (dst)
		replace(dst, text);
	else
		free(text);
	return expect_punct(x, ';');
}

struct val_at { struct dbc_val v; int pos; };

/* By raw value, then by position in the file. */
static int
cmp_val(const void *a, const void *b)
{
	const struct val_at *p = a, *q = b;

	if (p->v.raw != q->v.raw)
		return p->v.raw < q->v.raw ? -1 : 1;
	return p->pos - q->pos;
}

static void
free_vals(struct dbc_val *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i].label);
	free(v);
}

/* 0 "Off" 1 "Run" ... up to the ';', sorted by raw; of two entries for a
 * value the last one written counts. */
static int
parse_vals(struct lex *x, struct dbc_val **out, int *nout)
{
	struct val_at *a = NULL;
	struct dbc_val *v;
	int n = 0, cap = 0, i, k;

	while (x->t == T_NUM) {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			a = plx_xrealloc(a, cap * sizeof *a);
		}
		a[n].v.label = NULL;
		a[n].pos = n;
		if (get_int(x, "a raw value", &a[n].v.raw) < 0 || get_str(x, "a value label", &a[n].v.label) < 0) {
			n++;
			goto bad;
		}
		n++;
	}
	if (expect_punct(x, ';') < 0)
		goto bad;
	if (n)
		qsort(a, n, sizeof *a, cmp_val);
	v = plx_xrealloc(NULL, n * sizeof *v);
	for (i = k = 0; i < n; i++) {
		if (i + 1 < n && a[i + 1].v.raw == a[i].v.raw)
			free(a[i].v.label);
		else
			v[k++] = a[i].v;
	}
	free(a);
	*out = v;
	*nout = k;
	return 0;
bad:
	for (i = 0; i < n; i++)
		free(a[i].v.label);
	free(a);
	return -1;
}

/* VAL_ 100 Mode 0 "Off" 1 "Run" ;   (or VAL_ envvar 0 "a" ... ;, ignored) */
static int
parse_val(struct lex *x)
{
	struct dbc_sig *s = NULL;
	struct dbc_val *v;
	int n;

	if (next(x) < 0)
		return -1;
	if (x->t == T_ID) {
		if (next(x) < 0)
			return -1;
	} else if (get_sig_ref(x, &s) < 0) {
		return -1;
	}
	if (parse_vals(x, &v, &n) < 0)
		return -1;
	if (s) {
		free_vals(s->vals, s->nvals);
		s->vals = v;
		s->nvals = n;
	} else {
		free_vals(v, n);
	}
	return 0;
}

/* VAL_TABLE_ Gears 0 "P" 1 "R" 2 "N" 3 "D" ; */
static int
parse_table(struct lex *x)
{
	struct dbc *d = x->d;
	struct dbc_table *t;

	if (d->ntable == x->tabcap) {
		x->tabcap = x->tabcap ? 2 * x->tabcap : 8;
		d->table = plx_xrealloc(d->table, x->tabcap * sizeof *d->table);
	}
	t = &d->table[d->ntable];
	memset(t, 0, sizeof *t);
	if (next(x) < 0 || get_ident(x, "a value table name", &t->name) < 0) {
		free(t->name);
		return -1;
	}
	if (parse_vals(x, &t->vals, &t->nvals) < 0) {
		free(t->name);
		return -1;
	}
	d->ntable++;
	return 0;
}

/* SIG_VALTYPE_ 100 Temp : 1;   (0 integer, 1 float32, 2 float64) */
static int
parse_valtype(struct lex *x)
{
	static const unsigned bits[] = { 0, 32, 64 };
	struct dbc_sig *s;
	uint64_t t;

	if (next(x) < 0 || get_sig_ref(x, &s) < 0)
		return -1;
	if (is_punct(x, ':') && next(x) < 0)
		return -1;
	if (peek_uint(x, "a value type (0 integer, 1 float32, 2 float64)", 2, &t) < 0)
		return -1;
	if (s && t && s->len != bits[t])
		return fail(x, x->tline, "expected a %u-bit signal for SIG_VALTYPE_ %u, found %s of %u bits",
			    bits[t], (unsigned)t, s->name, s->len);
	if (s)
		s->vtype = (enum dbc_vtype)t;
	return next(x) < 0 ? -1 : expect_punct(x, ';');
}

/* 3-5 in SG_MUL_VAL_: the scanner reads "3" "-5", or "3" "-" "5". */
static int
get_range(struct lex *x, struct dbc_range *r)
{
	if (get_uint(x, "a multiplexer value", UINT64_MAX, &r->lo) < 0)
		return -1;
	if (is_punct(x, '-')) {
		if (next(x) < 0)
			return -1;
	} else if (x->t == T_NUM && x->s[0] == '-') {
		x->s++;
		x->n--;
	} else {
		return expected(x, "'-' and the range's last value");
	}
	if (peek_uint(x, "the range's last value", UINT64_MAX, &r->hi) < 0)
		return -1;
	if (r->hi < r->lo)
		return expected(x, "a last value not below the first");
	return next(x);
}

/* SG_MUL_VAL_ 600 Leaf Sub 2-2, 5-7 ;   (Leaf is picked by Sub in 2, 5..7) */
static int
parse_mulval(struct lex *x)
{
	struct dbc_range *r = NULL;
	struct dbc_sig *s, *mx;
	char *name = NULL;
	int n = 0;

	if (next(x) < 0 || get_sig_ref(x, &s) < 0 || get_ident(x, "a multiplexer name", &name) < 0)
		return -1;
	mx = find_sig(x->ref, name);
	if (s && !mx) {
		fail(x, x->tline, "expected a multiplexer of message %s, found '%s'", x->ref->name, name);
		goto bad;
	}
	do {
		r = plx_xrealloc(r, (n + 1) * sizeof *r);
		if ((n && next(x) < 0) || get_range(x, &r[n++]) < 0)
			goto bad;
	} while (is_punct(x, ','));
	if (expect_punct(x, ';') < 0)
		goto bad;
	if (s) {
		s->muxer = (int)(mx - x->ref->sig);
		free(s->ranges);
		s->ranges = r;
		s->nranges = n;
	} else {
		free(r);
	}
	free(name);
	return 0;
bad:
	free(r);
	free(name);
	return -1;
}

/* The rest of a statement this parser does not use, up to its ';',
 * strings and all. */
static int
skip_rest(struct lex *x)
{
	while (x->t != T_EOF && !is_punct(x, ';')) {
		if (x->bol && is_keyword(x))
			return expected(x, "';'");
		if (next(x) < 0)
			return -1;
	}
	if (x->t == T_EOF)
		return expected(x, "';'");
	return next(x);
}

static int
skip_stmt(struct lex *x)
{
	return next(x) < 0 ? -1 : skip_rest(x);
}

/* The attribute GenSigStartValue (the raw value a signal has before anything
 * sets it, can-send's value of a signal not named), the only one used:
 *   BA_DEF_DEF_ "GenSigStartValue" 0;      its default
 *   BA_ "GenSigStartValue" SG_ 100 Temp 400;
 * Other attributes, and this one in another form (a string value, another
 * object), are skipped as before: can-read does not need it. */
static int
parse_attr(struct lex *x)
{
	int def = is_id(x, "BA_DEF_DEF_");
	struct dbc_sig *s = NULL;
	double v;

	if (next(x) < 0)
		return -1;
	if (x->t != T_STR || x->n != 18 || memcmp(x->s, "\"GenSigStartValue\"", 18))
		return skip_rest(x);
	if (next(x) < 0)
		return -1;
	if (!def) {
		if (!is_id(x, "SG_"))
			return skip_rest(x);
		if (next(x) < 0)
			return -1;
		if (x->t != T_NUM)
			return skip_rest(x);
		if (get_sig_ref(x, &s) < 0)
			return -1;
	}
	if (x->t != T_NUM)
		return skip_rest(x);
	if (get_real(x, "a start value", &v) < 0 || expect_punct(x, ';') < 0)
		return -1;
	if (def) {
		x->d->init_default = v;
	} else if (s) {
		s->init = v;
		s->has_init = 1;
	}
	return 0;
}

/* The header statements: VERSION "...", NS_ : names, BS_: [speed...] */
static int
parse_header(struct lex *x)
{
	char *v;

	if (is_id(x, "VERSION")) {
		if (next(x) < 0 || get_str(x, "a version string", &v) < 0)
			return -1;
		replace(&x->d->version, v);
		return 0;
	}
	if (is_id(x, "NS_")) {
		if (next(x) < 0 || expect_punct(x, ':') < 0)
			return -1;
		while (x->t == T_ID && !x->col0)
			if (next(x) < 0)
				return -1;
		return 0;
	}
	if (next(x) < 0 || expect_punct(x, ':') < 0)    /* BS_ */
		return -1;
	while (x->t != T_EOF && !x->bol)
		if (next(x) < 0)
			return -1;
	return 0;
}

static int
statement(struct lex *x)
{
	if (!is_keyword(x))
		return expected(x, "a DBC keyword (BO_, SG_, CM_, BA_, ...)");
	if (is_id(x, "SG_"))
		return parse_sig(x);
	x->cur = -1;
	if (is_id(x, "BO_"))
		return parse_msg(x);
	if (is_id(x, "VERSION") || is_id(x, "NS_") || is_id(x, "BS_"))
		return parse_header(x);
	if (is_id(x, "BU_"))
		return parse_nodes(x);
	if (is_id(x, "CM_"))
		return parse_comment(x);
	if (is_id(x, "VAL_"))
		return parse_val(x);
	if (is_id(x, "VAL_TABLE_"))
		return parse_table(x);
	if (is_id(x, "SIG_VALTYPE_"))
		return parse_valtype(x);
	if (is_id(x, "SG_MUL_VAL_"))
		return parse_mulval(x);
	if (is_id(x, "BA_") || is_id(x, "BA_DEF_DEF_"))
		return parse_attr(x);
	return skip_stmt(x);
}

/* A message's multiplexing, once all is read: one M at most; a muxed
 * signal that no SG_MUL_VAL_ gave a multiplexer has the M; no loops. */
static int
finish_mux(struct lex *x, struct dbc_msg *m)
{
	struct dbc_sig *s;
	int j, k, steps;

	for (j = 0; j < m->nsig; j++) {
		if (m->sig[j].mux != DBC_MUXER)
			continue;
		if (m->muxer >= 0)
			return fail(x, m->sig[j].line, "expected one multiplexer (M) in message %s, found %s and %s",
				    m->name, m->sig[m->muxer].name, m->sig[j].name);
		m->muxer = j;
	}
	for (j = 0; j < m->nsig; j++) {
		s = &m->sig[j];
		if (s->mux != DBC_MUXED)
			continue;
		if (s->muxer < 0 && m->muxer < 0)
			return fail(x, s->line, "expected a multiplexer (M) in message %s for %s, found none",
				    m->name, s->name);
		if (s->muxer < 0)
			s->muxer = m->muxer;
	}
	for (j = 0; j < m->nsig; j++)
		for (k = j, steps = 0; m->sig[k].mux == DBC_MUXED; k = m->sig[k].muxer)
			if (++steps > m->nsig)
				return fail(x, m->sig[j].line, "expected multiplexers without a loop in message %s, found one through %s",
					    m->name, m->sig[j].name);
	return 0;
}

static void
overlap(void *ctx, const struct dbc_msg *m, const struct dbc_sig *a, const struct dbc_sig *b,
        unsigned nbits, unsigned first)
{
	warn(ctx, b->line, "signals %s (line %d) and %s of message %s overlap: %u bit%s in both, from bit %u",
	     a->name, a->line, b->name, m->name, nbits, nbits == 1 ? "" : "s", first);
}

/* What a frame message says that cannot be right: a size no frame has
 * (dbc_decode would never decode it), signals that share bits. */
static void
check_msg(struct lex *x, const struct dbc_msg *m)
{
	if (m->id & ~(CAN_EFF_FLAG | CAN_EFF_MASK))
		return;                           /* no frame: see dbc.h */
	if (!dbc_len_exists(m->size))
		warn(x, m->line, "message %s has %u bytes, a length no CAN frame has (0 to 8, 12, 16, 20, 24, "
		     "32, 48, 64): it will never be decoded", m->name, m->size);
	dbc_overlaps(m, overlap, x);
}

/* Multiplexing, signal indices and the id lookup, once all is read. */
static int
finish(struct lex *x)
{
	struct dbc *d = x->d;
	int i, j, dup;

	for (i = 0; i < d->nmsg; i++) {
		for (j = 0; j < d->msg[i].nsig; j++)
			d->msg[i].sig[j].index = d->nsig++;
		if (finish_mux(x, &d->msg[i]) < 0)
			return -1;
		check_msg(x, &d->msg[i]);
	}
	if (dbc_index(d, &dup) < 0)
		return fail(x, d->msg[dup].line, "expected a CAN id not used before, found message %s", d->msg[dup].name);
	return 0;
}

struct dbc *
dbc_parse(const char *text, size_t len, const char *fname, char *err, size_t errlen)
{
	struct lex x;

	memset(&x, 0, sizeof x);
	x.p = x.text = text;
	x.end = text + len;
	x.fname = fname ? fname : "dbc";
	x.line = 1;
	x.err = err;
	x.errlen = errlen;
	x.cur = -1;
	x.d = plx_xrealloc(NULL, sizeof *x.d);
	memset(x.d, 0, sizeof *x.d);
	if (next(&x) < 0)
		goto bad;
	while (x.t != T_EOF)
		if (statement(&x) < 0)
			goto bad;
	if (finish(&x) < 0)
		goto bad;
	return x.d;
bad:
	dbc_free(x.d);
	return NULL;
}

struct dbc *
dbc_load(const char *path, char *err, size_t errlen)
{
	struct dbc *d = NULL;
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		goto sys;
	cap = (size_t)st.st_size + 1;          /* + 1: a file that grows is read whole */
	buf = plx_xrealloc(NULL, cap);
	while ((r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto sys;
		n += (size_t)r;
		if (n == cap)
			buf = plx_xrealloc(buf, cap *= 2);
	}
	d = dbc_parse(buf, n, path, err, errlen);
	goto out;
sys:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return d;
}

static void
free_msg(struct dbc_msg *m)
{
	int i;

	for (i = 0; i < m->nsig; i++) {
		free(m->sig[i].name);
		free(m->sig[i].unit);
		free(m->sig[i].comment);
		free_vals(m->sig[i].vals, m->sig[i].nvals);
		free(m->sig[i].ranges);
	}
	free(m->sig);
	free(m->name);
	free(m->transmitter);
	free(m->comment);
}

void
dbc_free(struct dbc *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nmsg; i++)
		free_msg(&d->msg[i]);
	for (i = 0; i < d->nnode; i++) {
		free(d->node[i].name);
		free(d->node[i].comment);
	}
	for (i = 0; i < d->ntable; i++) {
		free(d->table[i].name);
		free_vals(d->table[i].vals, d->table[i].nvals);
	}
	for (i = 0; i < d->nwarn; i++)
		free(d->warn[i]);
	free(d->warn);
	free(d->msg);
	free(d->node);
	free(d->table);
	free(d->version);
	free(d->comment);
	free(d->hash);
	free(d);
}

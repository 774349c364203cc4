/* -F csv: fields under a header line, or names given (lines.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

/* Splits s in place into fields ("a","b c", a "" inside quotes is a quote).
 * quoted[i] says whether field i was quoted.  Returns the count or -1. */
static int
csv_split(char *s, char sep, char **f, int *quoted, char *err, size_t errlen)
{
	int n = 0;
	char *w;

	for (;;) {
		if (n >= LP_RECS_MAX)
			FAIL("csv: more than %d fields", LP_RECS_MAX);
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
	return quoted || lp_typed(s).kind == V_STR;
}

int
fmt_csv(struct lp *p, char *s, size_t len, int64_t ts, char *err, size_t errlen)
{
	char *f[LP_RECS_MAX];
	int q[LP_RECS_MAX], n, i, header = 1;

	if ((n = csv_split(s, p->csv_sep, f, q, err, errlen)) < 0)
		return -1;
	if (!p->cols_fixed) {
		for (i = 0; i < n && header; i++)
			header = is_name(f[i], q[i]);
		if (header) {
			/* a header line: the names of the columns from now on */
			lp_free_names(p->col, &p->ncol);
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
		if (*p->col[i] && lp_emit_text(p, p->col[i], f[i], q[i], ts, err, errlen) < 0)
			return -1;
	return 0;
}


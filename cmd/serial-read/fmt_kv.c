/* -F kv: key=value (or key:value) pairs split by blanks, commas or
 * semicolons (lines.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

#define KV_SEP(c) ((c) == ' ' || (c) == '\t' || (c) == ',' || (c) == ';')

/* Two lines run together (the end of an unfinished one lost, a device that
 * restarted mid-line: "seq=20 hum=5" + "seq=21 hum=40.5") show as a value
 * running into the next key ("5seq=21") or as a key given twice: such a
 * line is refused whole rather than read as values nobody sent. */
int
fmt_kv(struct lp *p, char *s, size_t len, int64_t ts, char *err, size_t errlen)
{
	char *key, *val, *keys[LP_RECS_MAX];
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
			FAIL("kv: \"%.*s\" is not key=value", lp_excerpt(key, (size_t)(s - key)), key);
		*s = '\0';
		for (i = 0; i < pairs; i++)
			if (keys[i][0] == key[0] && !strcmp(keys[i], key))
				FAIL("kv: %.64s: twice in one line (two lines run together?)", key);
		if (pairs == LP_RECS_MAX)
			FAIL("more than %d values in one line", LP_RECS_MAX);
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
				     " run together?)", key, lp_excerpt(val, (size_t)(s - val)), val);
		}
		if (*s)
			*s++ = '\0';
		if (lp_emit_text(p, key, val, quoted, ts, err, errlen) < 0)
			return -1;
		pairs++;
	}
	if (!pairs)
		FAIL("kv: no key=value pair");
	return 0;
}


/* -F pattern: a POSIX extended regex whose groups are readings (lines.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

int
fmt_pattern(struct lp *p, char *s, size_t len, int64_t ts, char *err, size_t errlen)
{
	regmatch_t m[LP_RECS_MAX + 1];
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
		rc = lp_emit_text(p, p->field[i], s + m[i + 1].rm_so, 0, ts, err, errlen);
		s[m[i + 1].rm_eo] = save;
		if (rc < 0)
			return -1;
	}
	return 0;
}


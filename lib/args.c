/* Command-line numbers: see args.h. */
#include <errno.h>
#include <stdlib.h>
#include <sysexits.h>

#include "args.h"
#include "log.h"

int64_t
plx_opt_num(const char *opt, const char *s, int64_t min, int64_t max)
{
	char *e;
	long long v;
	int shift = 0;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (e != s)
		switch (*e) {
		case 'k': case 'K': shift = 10; e++; break;
		case 'm': case 'M': shift = 20; e++; break;
		case 'g': case 'G': shift = 30; e++; break;
		}
	if (e == s || *e || errno)
		goto bad;
	if (shift && (v < 0 || v > (INT64_MAX >> shift)))
		goto bad;
	v *= (long long)1 << shift;
	if (v < min || v > max)
		goto bad;
	return v;
bad:
	plx_die(EX_USAGE, "%s: \"%s\" is not a number from %lld to %lld", opt, s,
	        (long long)min, (long long)max);
}

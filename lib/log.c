/* Diagnostics on stderr: see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *plx_prog = "plx";
int plx_quiet;

void
plx_log_init(const char *argv0)
{
	const char *s, *q;

	if (argv0 && *argv0)
		plx_prog = (s = strrchr(argv0, '/')) ? s + 1 : argv0;
	q = getenv("PLEXUS_QUIET");
	plx_quiet = q && (!strcmp(q, "1") || !strcasecmp(q, "true") || !strcasecmp(q, "yes"));
}

static void
vlog(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);
	char line[2048];
	int len;

	/* Format into one buffer and write it with one call, so lines from
	 * several processes sharing a stderr (a pipeline) do not interleave. */
	len = snprintf(line, sizeof line, "%s: ", plx_prog);
	len += vsnprintf(line + len, sizeof line - len, fmt, ap);
	if (len >= (int)sizeof line - 2)
		len = sizeof line - 2;
	if (n && fmt[n - 1] == ':')
		len += snprintf(line + len, sizeof line - len, " %s", strerror(saved));
	if (len >= (int)sizeof line - 1)
		len = sizeof line - 2;
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
	fflush(stderr);
	errno = saved;
}

void
plx_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
plx_info(const char *fmt, ...)
{
	va_list ap;

	if (plx_quiet)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
plx_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(status);
}

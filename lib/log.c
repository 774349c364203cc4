/* Diagnostics on stderr: see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sysexits.h>

#include "clock.h"
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

void *
plx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		plx_die(EX_OSERR, "out of memory");
	return p;
}

void *
plx_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		plx_die(EX_OSERR, "out of memory");
	return p;
}

void *
plx_xrealloc(void *p, size_t n)
{
	if (!(p = realloc(p, n ? n : 1)))
		plx_die(EX_OSERR, "out of memory");
	return p;
}

char *
plx_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		plx_die(EX_OSERR, "out of memory");
	return p;
}

char *
plx_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		plx_die(EX_OSERR, "out of memory");
	return p;
}

int64_t
plx_ratelim_flush(struct plx_ratelim *rl, int final)
{
	int64_t now = plx_mono_ms(), sec = now / 1000;

	if (!rl->held)
		return -1;
	if (!final && sec == rl->second)
		return (sec + 1) * 1000;
	plx_warn("%lu more %s not shown", rl->held, rl->what);
	rl->held = 0;
	rl->n = 0;
	rl->second = sec;
	return -1;
}

void
plx_warn_limited(struct plx_ratelim *rl, const char *fmt, ...)
{
	int64_t sec = plx_mono_ms() / 1000;
	va_list ap;

	if (sec != rl->second) {
		plx_ratelim_flush(rl, 1);
		rl->second = sec;
		rl->n = 0;
	}
	if (rl->n >= rl->per_s) {
		rl->held++;
		return;
	}
	rl->n++;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

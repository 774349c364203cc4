/* Diagnostics: one line each on stderr, prefixed with the tool's name
 * ("plx-buffer: unable to open spool x: reason").  A format ending in ':'
 * appends strerror(errno), as sbase's eprintf does.  Data never goes here. */
#ifndef PLX_LOG_H
#define PLX_LOG_H
#include <stddef.h>
#include <stdint.h>

extern const char *plx_prog;   /* set by plx_log_init from argv[0] */
extern int plx_quiet;          /* PLEXUS_QUIET: silences plx_info only */

void plx_log_init(const char *argv0);
void plx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void plx_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void plx_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The one out-of-memory policy: these never return NULL; they end the
 * tool with EX_OSERR ("out of memory").  A gateway that cannot allocate
 * a few bytes cannot go on safely; its supervisor restarts it, and
 * nothing accepted is lost (the spool). */
void *plx_xmalloc(size_t n);
void *plx_xcalloc(size_t n, size_t size);
void *plx_xrealloc(void *p, size_t n);
char *plx_xstrdup(const char *s);
char *plx_xstrndup(const char *s, size_t n);

/* Warnings about input, at most per_s a second: line noise at 921600
 * baud or a gigabyte of junk on stdin must not turn into a flood on
 * stderr.  What is held back is counted and said once its second is
 * over ("1234 more <what> not shown"); every counter the tool keeps still
 * counts them.  lib/loop flushes the ones registered with it. */
struct plx_ratelim {
	int per_s;             /* lines a second */
	const char *what;      /* "bad lines", "warnings about devices" */
	int64_t second;        /* the second being counted (monotonic) */
	int n;                 /* lines said in it */
	unsigned long held;    /* lines held back in it */
};
void plx_warn_limited(struct plx_ratelim *rl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Says what was held back, once its second is over (final: now); when
 * to call again (monotonic ms), or -1: nothing held back. */
int64_t plx_ratelim_flush(struct plx_ratelim *rl, int final);

#endif

/* Diagnostics: one line each on stderr, prefixed with the tool's name
 * ("plx-buffer: unable to open spool x: reason").  A format ending in ':'
 * appends strerror(errno), as sbase's eprintf does.  Data never goes here. */
#ifndef PLX_LOG_H
#define PLX_LOG_H

extern const char *plx_prog;   /* set by plx_log_init from argv[0] */
extern int plx_quiet;          /* PLEXUS_QUIET: silences plx_info only */

void plx_log_init(const char *argv0);
void plx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void plx_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void plx_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

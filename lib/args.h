/* Command-line numbers, shared by every tool: "10", "64k", "8M", "2G". */
#ifndef PLX_ARGS_H
#define PLX_ARGS_H
#include <stdint.h>

/* The value of option opt's argument s, in [min, max]; anything else is a
 * usage error (exit 64) naming the option and the range. */
int64_t plx_opt_num(const char *opt, const char *s, int64_t min, int64_t max);

#endif

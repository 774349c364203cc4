/* Command lines: every tool's options as a table, parsed the same way, with
 * the options every tool shares (plexus-gateway(7), COMMON OPTIONS):
 *
 *   -h, --help              the synopsis and a line per option, on stdout
 *   --version               "TOOL VERSION"
 *   -q, --quiet             no informational lines (PLEXUS_QUIET=1)
 *   -s, --source-id ID      records' source (PLEXUS_SOURCE_ID)    PLX_COMMON_SOURCE
 *   -T, --tag KEY=VALUE     a tag on every record, repeatable       PLX_COMMON_TAGS
 *   -p, --prefix PREFIX     before every metric name                PLX_COMMON_PREFIX
 *   --status-interval DUR   gateway.* health records (0: none)      PLX_COMMON_STATUS
 *
 * Numbers take k, M, G (1024s): "64k".  Durations take a unit, the same
 * in every tool: "250ms", "2s", "1.5s", "5m", "1h"; a bare number keeps the
 * unit the option always had (--flush-ms 500 is ms, --status-interval 60
 * is seconds).  A usage error names the option and exits 64.
 *
 * An entry with `old` set is an old spelling kept for a release: it works
 * as the entry it names, and says once on stderr that it is deprecated. */
#ifndef PLX_OPTS_H
#define PLX_OPTS_H
#include <stddef.h>
#include <stdint.h>

enum plx_opt_kind {
	PLX_OPT_FLAG,      /* int *to = 1 */
	PLX_OPT_NUM,       /* int64_t *to, in [min, max], k/M/G */
	PLX_OPT_DUR,       /* int64_t *to, ms, in [min, max]; a bare number is `unit` ms */
	PLX_OPT_STR,       /* const char **to */
	PLX_OPT_FN,        /* fn(arg, to): 0, or -1 with why in err */
};

struct plx_opt {
	int key;                   /* the letter, or 0 for a long name only */
	const char *name;          /* the long name, without "--" (NULL: none) */
	enum plx_opt_kind kind;
	void *to;
	int64_t min, max;          /* NUM, DUR (ms) */
	int64_t unit;              /* DUR: ms in a bare number (1 or 1000) */
	int (*fn)(const char *arg, void *to, char *err, size_t errlen);
	const char *arg;           /* the argument's name in -h ("BAUD"), NULL: none */
	const char *help;          /* one line for -h */
	const char *old;           /* deprecated spelling of this option: the new one */
};

enum {
	PLX_COMMON_SOURCE = 1,
	PLX_COMMON_TAGS = 2,
	PLX_COMMON_PREFIX = 4,
	PLX_COMMON_STATUS = 8,
	PLX_COMMON_READER = 15,   /* all four */
};

#define PLX_COMMON_TAGS_MAX 16

/* What the common options gave (defaults set by the caller before parsing;
 * source_id defaults to PLEXUS_SOURCE_ID when it is set). */
struct plx_common {
	const char *source_id;
	const char *tag[PLX_COMMON_TAGS_MAX];   /* "KEY=VALUE", as given */
	int ntags;
	const char *prefix;
	int64_t status_ms;
};

/* Parses argv against tab (ended by an entry with neither key nor name)
 * and the common options in `common`; dies with 64 and the synopsis on a
 * usage error; prints help or the version and exits 0 for -h, --version.
 * synopsis is the man page's SYNOPSIS ("usage: tool [-a] ...\n").
 * Returns optind. */
int plx_opts_parse(int argc, char **argv, const struct plx_opt *tab, unsigned common,
                   struct plx_common *c, const char *synopsis);

/* "250ms", "2s", "5m", "1h", or a bare number of unit ms: the duration in
 * ms in *ms; -1 if it is none (or overflows). */
int plx_duration(const char *s, int64_t unit, int64_t *ms);
/* A number with an optional k, M or G; -1 if it is none. */
int plx_number(const char *s, int64_t *v);

#endif

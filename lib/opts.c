/* Command lines: see opts.h. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "opts.h"
#include "record.h"

#define MAX_OPTS 96

enum { C_SOURCE = 0x10000, C_TAG, C_PREFIX, C_STATUS, C_QUIET, C_HELP, C_VERSION, C_TOOL = 0x20000 };

static const struct plx_opt common_tab[] = {
	{ 's', "source-id", PLX_OPT_STR, NULL, 0, 0, 0, NULL, "ID", "source of the records (PLEXUS_SOURCE_ID)", NULL },
	{ 'T', "tag", PLX_OPT_STR, NULL, 0, 0, 0, NULL, "KEY=VALUE", "a tag on every record (repeatable)", NULL },
	{ 'p', "prefix", PLX_OPT_STR, NULL, 0, 0, 0, NULL, "PREFIX", "put before every metric name", NULL },
	{ 0, "status-interval", PLX_OPT_DUR, NULL, 0, 86400000, 1000, NULL, "DURATION",
	  "gateway.* health records every DURATION (0: none)", NULL },
	{ 'q', "quiet", PLX_OPT_FLAG, NULL, 0, 0, 0, NULL, NULL, "no informational lines on stderr (PLEXUS_QUIET)", NULL },
	{ 'h', "help", PLX_OPT_FLAG, NULL, 0, 0, 0, NULL, NULL, "this help", NULL },
	{ 0, "version", PLX_OPT_FLAG, NULL, 0, 0, 0, NULL, NULL, "the version", NULL },
};
static const int common_code[] = { C_SOURCE, C_TAG, C_PREFIX, C_STATUS, C_QUIET, C_HELP, C_VERSION };
static const unsigned common_bit[] = { PLX_COMMON_SOURCE, PLX_COMMON_TAGS, PLX_COMMON_PREFIX,
                                       PLX_COMMON_STATUS, 0, 0, 0 };

int
plx_number(const char *s, int64_t *v)
{
	char *e;
	long long n;
	int shift = 0;

	errno = 0;
	n = strtoll(s, &e, 10);
	if (e == s || errno)
		return -1;
	switch (*e) {
	case 'k': case 'K': shift = 10; e++; break;
	case 'M': shift = 20; e++; break;
	case 'G': shift = 30; e++; break;
	}
	if (*e || (shift && (n < 0 || n > (INT64_MAX >> shift))))
		return -1;
	*v = (int64_t)n * ((int64_t)1 << shift);
	return 0;
}

int
plx_duration(const char *s, int64_t unit, int64_t *ms)
{
	static const struct { const char *sfx; int64_t ms; } u[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 0 },
	};
	char *e;
	double d;
	size_t i;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	d = strtod(s, &e);
	if (e == s || errno || !isfinite(d) || (*e && !strchr("mshMSH", *e)))
		return -1;
	/* no hex, no exponent, no "inf": digits and one point */
	if (strspn(s, "0123456789.") != (size_t)(e - s))
		return -1;
	for (i = 0; i < sizeof u / sizeof u[0]; i++)
		if (!strcmp(e, u[i].sfx)) {
			d *= u[i].ms ? u[i].ms : unit;
			if (d > 9e15)
				return -1;
			/* rounded (d >= 0) without llround: a tool that needs
			 * nothing else of libm does not load it (250 KiB of RSS) */
			*ms = (int64_t)(d + 0.5);
			return 0;
		}
	return -1;
}

static const char *
spelled(const struct plx_opt *o, char *buf, size_t len)
{
	if (o->key && o->name)
		snprintf(buf, len, "-%c/--%s", o->key, o->name);
	else if (o->key)
		snprintf(buf, len, "-%c", o->key);
	else
		snprintf(buf, len, "--%s", o->name);
	return buf;
}

static _Noreturn void
usage_error(const char *synopsis)
{
	fputs(synopsis, stderr);
	exit(EX_USAGE);
}

/* -h: the synopsis, then a line per option (deprecated spellings left out). */
static void
help(const char *synopsis, const struct plx_opt *tab, int ntab, unsigned common)
{
	char left[64], a[48];
	size_t i;
	int k;

	fputs(synopsis, stdout);
	fputs("\noptions:\n", stdout);
	for (k = 0; k < ntab + (int)(sizeof common_tab / sizeof common_tab[0]); k++) {
		const struct plx_opt *o = k < ntab ? &tab[k] : &common_tab[k - ntab];
		if (o->old || (k >= ntab && common_bit[k - ntab] && !(common & common_bit[k - ntab])))
			continue;
		snprintf(a, sizeof a, "%s%s", o->arg ? " " : "", o->arg ? o->arg : "");
		if (o->key && o->name)
			snprintf(left, sizeof left, "-%c, --%s%s", o->key, o->name, a);
		else if (o->key)
			snprintf(left, sizeof left, "-%c%s", o->key, a);
		else
			snprintf(left, sizeof left, "    --%s%s", o->name, a);
		i = strlen(left);
		printf("  %s%*s  %s\n", left, i < 28 ? (int)(28 - i) : 0, "", o->help ? o->help : "");
	}
}

/* A key in argv is in every `ps` listing: refuse anything that looks like
 * one, in any form (plx_..., -kplx_..., --key=plx_...), and blank it. */
static void
no_key_in_argv(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "plx_", 4) || strstr(a, "=plx_") ||
		    (a[0] == '-' && a[1] && a[1] != '-' && strstr(a + 2, "plx_") == a + 2)) {
			explicit_bzero(argv[i], strlen(argv[i]));
			plx_die(EX_USAGE, "an API key is never accepted on the command line (ps shows it to"
			        " everyone): use PLEXUS_API_KEY, a key file, the systemd credential"
			        " plexus-api-key or ~/.plexus/config.json");
		}
	}
}

static void
take(const struct plx_opt *o, const char *arg, const char *synopsis)
{
	char name[64], err[200];
	int64_t v;

	switch (o->kind) {
	case PLX_OPT_FLAG:
		*(int *)o->to = 1;
		return;
	case PLX_OPT_STR:
		*(const char **)o->to = arg;
		return;
	case PLX_OPT_NUM:
		if (plx_number(arg, &v) < 0 || v < o->min || v > o->max)
			plx_die(EX_USAGE, "%s: \"%s\" is not a number from %lld to %lld", spelled(o, name, sizeof name),
			        arg, (long long)o->min, (long long)o->max);
		*(int64_t *)o->to = v;
		return;
	case PLX_OPT_DUR:
		if (plx_duration(arg, o->unit, &v) < 0 || v < o->min || v > o->max)
			plx_die(EX_USAGE, "%s: \"%s\" is not a duration from %lldms to %lldms (250ms, 2s, 5m; a bare"
			        " number is %s)", spelled(o, name, sizeof name), arg, (long long)o->min,
			        (long long)o->max, o->unit == 1 ? "ms" : o->unit == 1000 ? "seconds" : "minutes");
		*(int64_t *)o->to = v;
		return;
	case PLX_OPT_FN:
		if (o->fn(arg, o->to, err, sizeof err) < 0)
			plx_die(EX_USAGE, "%s: %s", spelled(o, name, sizeof name), err);
		return;
	}
	(void)synopsis;
}

int
plx_opts_parse(int argc, char **argv, const struct plx_opt *tab, unsigned common,
               struct plx_common *c, const char *synopsis)
{
	struct option lo[MAX_OPTS + 1];
	char letters[2 * MAX_OPTS + 2], name[64];
	const char *env, *eq;
	int n = 0, ntab, nl = 0, k, opt, help_asked = 0, version = 0, quiet = 0;
	size_t i;

	no_key_in_argv(argc, argv);
	if ((env = getenv("PLEXUS_SOURCE_ID")) && *env && (common & PLX_COMMON_SOURCE)) {
		if (!plx_source_id_ok(env))
			plx_die(EX_CONFIG, "PLEXUS_SOURCE_ID: \"%.64s\" does not match ^[a-z0-9][a-z0-9._-]*$", env);
		c->source_id = env;
	}
	for (ntab = 0; tab && (tab[ntab].key || tab[ntab].name); ntab++)
		;
	letters[n++] = ':';     /* a missing argument is ':', not '?' */
	for (k = 0; k < ntab + (int)(sizeof common_tab / sizeof common_tab[0]); k++) {
		const struct plx_opt *o = k < ntab ? &tab[k] : &common_tab[k - ntab];
		int code = k < ntab ? C_TOOL + k : common_code[k - ntab];
		if (k >= ntab && common_bit[k - ntab] && !(common & common_bit[k - ntab]))
			continue;
		if (nl >= MAX_OPTS)
			plx_die(EX_SOFTWARE, "too many options");
		if (o->key) {
			letters[n++] = (char)o->key;
			if (o->kind != PLX_OPT_FLAG)
				letters[n++] = ':';
		}
		if (o->name)
			lo[nl++] = (struct option){ o->name, o->kind == PLX_OPT_FLAG ? no_argument : required_argument,
			                            NULL, code };
	}
	letters[n] = 0;
	lo[nl] = (struct option){ 0 };

	opterr = 0;
	while ((opt = getopt_long(argc, argv, letters, lo, NULL)) != -1) {
		const struct plx_opt *o = NULL;
		if (opt == '?' || opt == ':') {
			if (optopt && optopt < 256)
				plx_warn("-%c: %s", optopt, opt == ':' ? "needs an argument" : "unknown option");
			else
				plx_warn("%s: %s", argv[optind - 1], opt == ':' ? "needs an argument" : "unknown option");
			usage_error(synopsis);
		}
		if (opt >= C_TOOL) {
			o = &tab[opt - C_TOOL];
		} else if (opt < 256) {
			for (k = 0; k < ntab && !o; k++)
				if (tab[k].key == opt)
					o = &tab[k];
			for (i = 0; !o && i < sizeof common_tab / sizeof common_tab[0]; i++)
				if (common_tab[i].key == opt)
					opt = common_code[i];
		}
		if (o) {
			if (o->old)
				plx_warn("%s is deprecated: use %s", spelled(o, name, sizeof name), o->old);
			take(o, optarg, synopsis);
			continue;
		}
		switch (opt) {
		case C_SOURCE:
			if (!plx_source_id_ok(optarg))
				plx_die(EX_USAGE, "-s: \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$ (at most 256 bytes)", optarg);
			c->source_id = optarg;
			break;
		case C_TAG:
			if (!(eq = strchr(optarg, '=')) || eq == optarg)
				plx_die(EX_USAGE, "-T: \"%s\" is not KEY=VALUE", optarg);
			if (c->ntags == PLX_COMMON_TAGS_MAX)
				plx_die(EX_USAGE, "-T: more than %d tags", PLX_COMMON_TAGS_MAX);
			c->tag[c->ntags++] = optarg;
			break;
		case C_PREFIX:
			if (strlen(optarg) >= PLX_NAME_MAX)
				plx_die(EX_USAGE, "-p: longer than %d bytes", PLX_NAME_MAX - 1);
			c->prefix = optarg;
			break;
		case C_STATUS:
			take(&(struct plx_opt){ 0, "status-interval", PLX_OPT_DUR, &c->status_ms, 0, 86400000, 1000,
			                        NULL, NULL, NULL, NULL }, optarg, synopsis);
			break;
		case C_QUIET: quiet = 1; break;
		case C_HELP: help_asked = 1; break;
		case C_VERSION: version = 1; break;
		}
	}
	if (help_asked) {
		help(synopsis, tab, ntab, common);
		exit(0);
	}
	if (version) {
		printf("%s %s\n", plx_prog, PLX_VERSION);
		exit(0);
	}
	if (quiet)
		plx_quiet = 1;
	return optind;
}

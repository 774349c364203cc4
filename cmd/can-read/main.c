/* can-read: CAN frames as Plexus records on stdout.  Options here; the
 * decode path is emit.c, the inputs loop.c (see can.h for the map). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "can.h"
#include "emit.h"
#include "log.h"
#include "opts.h"

static const char synopsis[] =
	"usage: can-read [-D dbc]... [--name format] [--raw-unknown] [-p prefix] [-s source-id]\n"
	"                [-T key=value]... [--filter list] [--on-change] [--max-quiet duration]\n"
	"                [-i duration] [--agg last|min|max|mean|all]\n"
	"                [--signal-rate pattern=duration]... [--status-interval duration]\n"
	"                [--backoff-max duration] [--queue bytes] [--rcvbuf bytes] [--bitrate bit/s]\n"
	"                interface[,filter...]... | -r file | -r - [--now] | --fd n[:name]\n"
	"       can-read -h | --version\n";

static int
dbc(const char *s, void *to, char *err, size_t errlen)
{
	struct opts *o = to;

	if (o->ndbc == (int)(sizeof o->dbc_path / sizeof o->dbc_path[0])) {
		snprintf(err, errlen, "at most 8 files");
		return -1;
	}
	o->dbc_path[o->ndbc++] = s;
	o->dbc_init = sigs_init;
	return 0;
}

static int
aggregate(const char *s, void *to, char *err, size_t errlen)
{
	static const char *const names[] = { "last", "min", "max", "mean", "all" };
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return *(enum agg *)to = (enum agg)i, 0;
	snprintf(err, errlen, "\"%s\" is not last, min, max, mean or all", s);
	return -1;
}

static int
filter(const char *s, void *to, char *err, size_t errlen)
{
	return filters_parse(to, s, err, errlen);
}

/* --signal-rate PATTERN=DURATION (0: every sample; a bare number is seconds) */
static int
signal_rate(const char *arg, void *to, char *err, size_t errlen)
{
	struct opts *o = to;
	const char *eq = strrchr(arg, '=');
	int64_t ms;

	if (!eq || eq == arg || plx_duration(eq + 1, 1000, &ms) < 0 || ms > 86400000) {
		snprintf(err, errlen, "expected pattern=duration (0 to 1 day: 250ms, 2s; a bare number is"
		         " seconds), got \"%s\"", arg);
		return -1;
	}
	if (o->nsigrate == (int)(sizeof o->sigrate / sizeof o->sigrate[0])) {
		snprintf(err, errlen, "at most 32");
		return -1;
	}
	o->sigrate[o->nsigrate].pat = plx_xstrndup(arg, (size_t)(eq - arg));
	o->sigrate[o->nsigrate++].ms = ms;
	return 0;
}

/* --fd N[:name] */
static int
fd_option(const char *arg, void *to, char *err, size_t errlen)
{
	struct opts *o = to;
	char *e;
	long n;

	errno = 0;
	n = strtol(arg, &e, 10);
	if (e == arg || errno || (*e && *e != ':') || n < 0 || n > 1 << 20) {
		snprintf(err, errlen, "\"%s\" is not n[:name] (a descriptor 0 to %d)", arg, 1 << 20);
		return -1;
	}
	o->in_fd = (int)n;
	o->fd_name = *e == ':' && e[1] ? e + 1 : "fd";
	if (strlen(o->fd_name) >= 16) {
		snprintf(err, errlen, "an interface name is 1 to 15 bytes");
		return -1;
	}
	return 0;
}

/* "can0" or "can0,123:7FF,#FFFFFFFF" */
static void
interface(struct opts *o, char *arg)
{
	struct iface *ic;
	char err[200], *c = strchr(arg, ',');

	if (o->nifc == MAX_IFACES)
		plx_die(EX_USAGE, "at most %d interfaces", MAX_IFACES);
	ic = &o->ifc[o->nifc++];
	if (c)
		*c = '\0';
	if (!*arg || strlen(arg) >= 16)
		plx_die(EX_USAGE, "\"%s\": an interface name is 1 to 15 bytes", arg);
	ic->name = arg;
	ic->sock = -1;
	ic->fl = o->fl;
	if (c && filters_parse(&ic->fl, c + 1, err, sizeof err) < 0)
		plx_die(EX_USAGE, "%s: %s", arg, err);
}

int
main(int argc, char **argv)
{
	static struct opts o = { .in_fd = -1, .name_fmt = "%p.%m.%s", .backoff_max_ms = 5000,
	                         .queue_max = PLX_OUT_MAX_DEFAULT, .rcvbuf = 1 << 20, .open_iface = sock_open };
	const struct plx_opt tab[] = {
		{ 'D', "dbc", PLX_OPT_FN, &o, 0, 0, 0, dbc, "FILE", "a DBC file: signals as metrics (repeatable)", NULL },
		{ 0, "name", PLX_OPT_STR, &o.name_fmt, 0, 0, 0, NULL, "FORMAT", "signal metric names (%p.%m.%s)", NULL },
		{ 0, "raw-unknown", PLX_OPT_FLAG, &o.raw_unknown, 0, 0, 0, NULL, NULL,
		  "frames the DBC does not know sent raw", NULL },
		{ 0, "filter", PLX_OPT_FN, &o.fl, 0, 0, 0, filter, "LIST", "candump filters for every input", NULL },
		{ 0, "on-change", PLX_OPT_FLAG, &o.rate.on_change, 0, 0, 0, NULL, NULL, "a value only when it changed", NULL },
		{ 0, "max-quiet", PLX_OPT_DUR, &o.rate.max_quiet_ms, 1, 86400000, 1000, NULL, "DURATION",
		  "with --on-change: an unchanged value again after this long", NULL },
		{ 'i', "interval", PLX_OPT_DUR, &o.rate.interval_ms, 1, 86400000, 1000, NULL, "DURATION",
		  "at most one record per signal per DURATION", NULL },
		{ 0, "agg", PLX_OPT_FN, &o.rate.agg, 0, 0, 0, aggregate, "last|min|max|mean|all",
		  "what an interval sends (last)", NULL },
		{ 0, "signal-rate", PLX_OPT_FN, &o, 0, 0, 0, signal_rate, "PATTERN=DURATION",
		  "the interval of the signals PATTERN matches", NULL },
		{ 0, "backoff-max", PLX_OPT_DUR, &o.backoff_max_ms, 100, 3600000, 1, NULL, "DURATION",
		  "longest wait between attempts to reopen an interface (5s)", NULL },
		{ 0, "queue", PLX_OPT_NUM, &o.queue_max, 65536, 1 << 30, 0, NULL, "BYTES",
		  "records waiting for a slow stdout before they are dropped (1M)", NULL },
		{ 0, "rcvbuf", PLX_OPT_NUM, &o.rcvbuf, 0, 1 << 30, 0, NULL, "BYTES", "receive buffer of each socket (1M)", NULL },
		{ 0, "bitrate", PLX_OPT_NUM, &o.bitrate, 1000, 8000000, 0, NULL, "BIT/S",
		  "set each interface's bitrate first", NULL },
		{ 'r', "read", PLX_OPT_STR, &o.replay, 0, 0, 0, NULL, "FILE", "replay a candump log (- for stdin)", NULL },
		{ 0, "now", PLX_OPT_FLAG, &o.now, 0, 0, 0, NULL, NULL, "with -r: frames stamped with the clock", NULL },
		{ 0, "fd", PLX_OPT_FN, &o, 0, 0, 0, fd_option, "N[:NAME]", "frames from a socket on descriptor N", NULL },
		{ 'd', NULL, PLX_OPT_FN, &o, 0, 0, 0, dbc, "FILE", NULL, "-D/--dbc" },
		{ 0, "replay", PLX_OPT_STR, &o.replay, 0, 0, 0, NULL, "FILE", NULL, "-r/--read" },
		{ 0 }
	};
	static const char *const own_tags[] = { "interface", "id", "unit", NULL };
	struct plx_common c = { .status_ms = 60000 };
	char err[200];
	int i, rc, optind_;

	plx_log_init(argv[0]);
	filters_init(&o.fl);
	optind_ = plx_opts_parse(argc, argv, tab, PLX_COMMON_READER, &c, synopsis);
	o.status_ms = c.status_ms;
	o.prefix = c.prefix ? c.prefix : "can";
	if (!*o.prefix || strlen(o.prefix) > 64)
		plx_die(EX_USAGE, "-p: 1 to 64 bytes");
	if (c.source_id && plx_tags_set_source(&o.tags, c.source_id, err, sizeof err) < 0)
		plx_die(EX_USAGE, "-s: %s", err);
	o.source_given = c.source_id && c.source_id != getenv("PLEXUS_SOURCE_ID");
	for (i = 0; i < c.ntags; i++)
		if (plx_tags_arg(&o.tags, c.tag[i], own_tags, 5, err, sizeof err) < 0)
			plx_die(EX_USAGE, "-T: %s", err);
	if ((o.replay != NULL) + (o.in_fd >= 0) + (optind_ < argc) != 1) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	if (o.rate.max_quiet_ms && !o.rate.on_change)
		plx_die(EX_USAGE, "--max-quiet goes with --on-change");
	if (o.rate.agg && !o.rate.interval_ms)
		plx_die(EX_USAGE, "--agg goes with -i/--interval");
	if (!o.ndbc && (o.raw_unknown || o.nsigrate || strcmp(o.name_fmt, "%p.%m.%s")))
		plx_die(EX_USAGE, "--name, --raw-unknown and --signal-rate go with -D");
	if (o.now && !o.replay)
		plx_die(EX_USAGE, "--now goes with -r");
	if (o.bitrate && optind_ == argc)
		plx_die(EX_USAGE, "--bitrate needs an interface");
	for (i = optind_; i < argc; i++)
		interface(&o, argv[i]);
	rc = run(&o);
	for (i = 0; i < o.nsigrate; i++)
		free(o.sigrate[i].pat);
	return rc;
}

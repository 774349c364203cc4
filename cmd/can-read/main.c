/* can-read: CAN frames as Plexus records on stdout.  Options here; the
 * decode path is emit.c, the loops loop.c (see can.h for the map). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "can.h"
#include "emit.h"
#include "log.h"

static const char usage_text[] =
	"usage: can-read [-d dbc]... [--name format] [--raw-unknown] [-p prefix] [-s source-id]\n"
	"                [-T key=value]... [--filter list] [--on-change] [--max-quiet seconds]\n"
	"                [--interval seconds] [--agg last|min|max|mean|all]\n"
	"                [--signal-rate pattern=seconds]... [--status-interval seconds]\n"
	"                [--backoff-max ms] [--queue bytes] [--rcvbuf bytes] [--bitrate bit/s]\n"
	"                interface[,filter...]... | -r file | -r - [--now] | --fd n[:name]\n"
	"       can-read -h | --version\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/* Seconds, fractions allowed ("0.25"), as milliseconds in [min_ms, 1 day]. */
static int64_t
seconds(const char *opt, const char *s, int64_t min_ms)
{
	char *e;
	double v = strtod(s, &e);

	if (e == s || *e || !isfinite(v) || v * 1000 < (double)min_ms || v > 86400)
		plx_die(EX_USAGE, "%s: \"%s\" is not a number of seconds in [%g, 86400]", opt, s,
		        (double)min_ms / 1000);
	return (int64_t)llround(v * 1000);
}

static enum agg
aggregate(const char *s)
{
	static const char *const names[] = { "last", "min", "max", "mean", "all" };
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return (enum agg)i;
	plx_die(EX_USAGE, "--agg: \"%s\" is not last, min, max, mean or all", s);
}

/* key=value: a tag on every record */
static void
tag(struct opts *o, char *kv)
{
	char err[200], *eq = strchr(kv, '=');

	if (!eq)
		plx_die(EX_USAGE, "-T: expected key=value, got \"%s\"", kv);
	*eq = '\0';
	if (!strcmp(kv, "interface") || !strcmp(kv, "id") || !strcmp(kv, "unit"))
		plx_die(EX_USAGE, "-T: \"%s\" is a tag can-read sets itself", kv);
	if (plx_tags_count(&o->tags) >= PLX_TAGS_MAX - 5)
		plx_die(EX_USAGE, "-T: at most %d tags (can-read adds up to 5)", PLX_TAGS_MAX - 5);
	if (plx_tags_add(&o->tags, kv, eq + 1, err, sizeof err) < 0)
		plx_die(EX_USAGE, "-T: %s", err);
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

/* --signal-rate PATTERN=SECONDS (0: every sample) */
static void
signal_rate(struct opts *o, char *arg)
{
	char *eq = strrchr(arg, '=');

	if (!eq || eq == arg)
		plx_die(EX_USAGE, "--signal-rate: expected pattern=seconds, got \"%s\"", arg);
	if (o->nsigrate == (int)(sizeof o->sigrate / sizeof o->sigrate[0]))
		plx_die(EX_USAGE, "--signal-rate: at most 32");
	*eq = '\0';
	o->sigrate[o->nsigrate].pat = arg;
	o->sigrate[o->nsigrate++].ms = strcmp(eq + 1, "0") ? seconds("--signal-rate", eq + 1, 1) : 0;
}

/* --fd N[:name] */
static void
fd_option(struct opts *o, char *arg)
{
	char *c = strchr(arg, ':');

	if (c)
		*c = '\0';
	o->in_fd = (int)plx_opt_num("--fd", arg, 0, 1 << 20);
	o->fd_name = c && c[1] ? c + 1 : "fd";
	if (strlen(o->fd_name) >= 16)
		plx_die(EX_USAGE, "--fd: an interface name is 1 to 15 bytes");
}

int
main(int argc, char **argv)
{
	enum { O_FILTER = 256, O_ONCHANGE, O_MAXQUIET, O_INTERVAL, O_AGG, O_STATUS, O_BACKOFF,
	       O_QUEUE, O_RCVBUF, O_BITRATE, O_NOW, O_FD, O_NAME, O_RAWUNKNOWN, O_SIGRATE, O_VERSION };
	static const struct option lo[] = {
		{ "dbc", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "replay", required_argument, NULL, 'r' },
		{ "source-id", required_argument, NULL, 's' },
		{ "tag", required_argument, NULL, 'T' },
		{ "filter", required_argument, NULL, O_FILTER },
		{ "on-change", no_argument, NULL, O_ONCHANGE },
		{ "max-quiet", required_argument, NULL, O_MAXQUIET },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "agg", required_argument, NULL, O_AGG },
		{ "status-interval", required_argument, NULL, O_STATUS },
		{ "backoff-max", required_argument, NULL, O_BACKOFF },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "rcvbuf", required_argument, NULL, O_RCVBUF },
		{ "bitrate", required_argument, NULL, O_BITRATE },
		{ "now", no_argument, NULL, O_NOW },
		{ "fd", required_argument, NULL, O_FD },
		{ "name", required_argument, NULL, O_NAME },
		{ "raw-unknown", no_argument, NULL, O_RAWUNKNOWN },
		{ "signal-rate", required_argument, NULL, O_SIGRATE },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	static struct opts o = { .in_fd = -1, .prefix = "can", .name_fmt = "%p.%m.%s", .status_s = 60, .backoff_max_ms = 5000,
	                         .queue_max = PLX_OUT_MAX_DEFAULT, .rcvbuf = 1 << 20 };
	char err[200];
	int c, i;

	plx_log_init(argv[0]);
	filters_init(&o.fl);
	while ((c = getopt_long(argc, argv, "T:d:hp:r:s:", lo, NULL)) != -1) {
		switch (c) {
		case 'T': tag(&o, optarg); break;
		case 'd':
			if (o.ndbc == (int)(sizeof o.dbc_path / sizeof o.dbc_path[0]))
				plx_die(EX_USAGE, "-d: at most 8 files");
			o.dbc_path[o.ndbc++] = optarg;
			o.dbc_init = sigs_init;
			break;
		case 'h': usage(0);
		case 'p':
			if (!*optarg || strlen(optarg) > 64)
				plx_die(EX_USAGE, "-p: 1 to 64 bytes");
			o.prefix = optarg;
			break;
		case 'r': o.replay = optarg; break;
		case 's':
			if (plx_tags_set_source(&o.tags, optarg, err, sizeof err) < 0)
				plx_die(EX_USAGE, "-s: %s", err);
			break;
		case O_FILTER:
			if (filters_parse(&o.fl, optarg, err, sizeof err) < 0)
				plx_die(EX_USAGE, "--filter: %s", err);
			break;
		case O_ONCHANGE: o.rate.on_change = 1; break;
		case O_MAXQUIET: o.rate.max_quiet_ms = seconds("--max-quiet", optarg, 1); break;
		case O_INTERVAL: o.rate.interval_ms = seconds("--interval", optarg, 1); break;
		case O_AGG: o.rate.agg = aggregate(optarg); break;
		case O_STATUS: o.status_s = (int)plx_opt_num("--status-interval", optarg, 0, 86400); break;
		case O_BACKOFF: o.backoff_max_ms = (int)plx_opt_num("--backoff-max", optarg, 100, 3600000); break;
		case O_QUEUE: o.queue_max = (size_t)plx_opt_num("--queue", optarg, 65536, 1 << 30); break;
		case O_RCVBUF: o.rcvbuf = (int)plx_opt_num("--rcvbuf", optarg, 0, 1 << 30); break;
		case O_BITRATE: o.bitrate = (unsigned long)plx_opt_num("--bitrate", optarg, 1000, 8000000); break;
		case O_NOW: o.now = 1; break;
		case O_FD: fd_option(&o, optarg); break;
		case O_NAME: o.name_fmt = optarg; break;
		case O_RAWUNKNOWN: o.raw_unknown = 1; break;
		case O_SIGRATE: signal_rate(&o, optarg); break;
		case O_VERSION: puts("can-read " PLX_VERSION); return 0;
		default: usage(EX_USAGE);
		}
	}
	if ((o.replay != NULL) + (o.in_fd >= 0) + (optind < argc) != 1)
		usage(EX_USAGE);
	if (o.rate.max_quiet_ms && !o.rate.on_change)
		plx_die(EX_USAGE, "--max-quiet goes with --on-change");
	if (o.rate.agg && !o.rate.interval_ms)
		plx_die(EX_USAGE, "--agg goes with --interval");
	if (!o.ndbc && (o.raw_unknown || o.nsigrate || strcmp(o.name_fmt, "%p.%m.%s")))
		plx_die(EX_USAGE, "--name, --raw-unknown and --signal-rate go with -d");
	if (o.now && !o.replay)
		plx_die(EX_USAGE, "--now goes with -r");
	if (o.bitrate && optind == argc)
		plx_die(EX_USAGE, "--bitrate needs an interface");
	for (i = optind; i < argc; i++)
		interface(&o, argv[i]);
	return o.replay ? run_replay(&o) : run_live(&o);
}

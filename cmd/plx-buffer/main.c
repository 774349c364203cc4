/* plx-buffer: stdin -> validate -> SQLite spool -> stdout, so that nothing a
 * reader produced is lost while the network, the uploader or the power is
 * away.  Options and modes here; the loop is in pump.c. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "buffer.h"
#include "config.h"
#include "log.h"

static const char usage_text[] =
	"usage: plx-buffer [-af] [-d spool] [--sync normal|full] [--max-rows n] [--max-bytes size]\n"
	"                  [--max-age seconds] [--overflow drop-oldest|drop-newest|block]\n"
	"                  [--commit-rows n] [--commit-ms ms] [--poll-ms ms] [--status-interval seconds]\n"
	"       plx-buffer [-d spool] [--stale seconds] --status | --dead | --requeue-dead\n"
	"       plx-buffer -h | --version\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

int
main(int argc, char **argv)
{
	enum { O_SYNC = 256, O_MAXROWS, O_MAXBYTES, O_MAXAGE, O_OVERFLOW, O_CROWS, O_CMS,
	       O_POLL, O_STATUS, O_DEAD, O_REQUEUE, O_INTERVAL, O_STALE, O_VERSION };
	static const struct option lo[] = {
		{ "append", no_argument, NULL, 'a' },
		{ "follow", no_argument, NULL, 'f' },
		{ "spool", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "sync", required_argument, NULL, O_SYNC },
		{ "max-rows", required_argument, NULL, O_MAXROWS },
		{ "max-bytes", required_argument, NULL, O_MAXBYTES },
		{ "max-age", required_argument, NULL, O_MAXAGE },
		{ "overflow", required_argument, NULL, O_OVERFLOW },
		{ "commit-rows", required_argument, NULL, O_CROWS },
		{ "commit-ms", required_argument, NULL, O_CMS },
		{ "poll-ms", required_argument, NULL, O_POLL },
		{ "status", no_argument, NULL, O_STATUS },
		{ "dead", no_argument, NULL, O_DEAD },
		{ "requeue-dead", no_argument, NULL, O_REQUEUE },
		{ "status-interval", required_argument, NULL, O_INTERVAL },
		{ "stale", required_argument, NULL, O_STALE },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	struct opts o = { .mode = PASS, .overflow = DROP_OLDEST, .commit_rows = 2000,
	                  .commit_ms = 100, .poll_ms = 100 };
	struct plx_config cf;
	struct spool *sp;
	int64_t stale_ms = 900000;
	int c, cmd = 0, rc;
	char *path;

	plx_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "ad:fh", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o.mode = APPEND; break;
		case 'd': o.path = optarg; break;
		case 'f': o.mode = FOLLOW; break;
		case 'h': usage(0);
		case O_SYNC:
			if (strcmp(optarg, "normal") && strcmp(optarg, "full"))
				plx_die(EX_USAGE, "--sync: \"%s\" is neither normal nor full", optarg);
			o.sync_full = !strcmp(optarg, "full");
			break;
		case O_MAXROWS: o.max_rows = plx_opt_num("--max-rows", optarg, 1, INT64_MAX); break;
		case O_MAXBYTES: o.max_bytes = plx_opt_num("--max-bytes", optarg, 1, INT64_MAX); break;
		case O_MAXAGE: o.max_age_ms = plx_opt_num("--max-age", optarg, 1, INT64_MAX / 1000) * 1000; break;
		case O_OVERFLOW:
			if (!strcmp(optarg, "drop-oldest")) o.overflow = DROP_OLDEST;
			else if (!strcmp(optarg, "drop-newest")) o.overflow = DROP_NEWEST;
			else if (!strcmp(optarg, "block")) o.overflow = BLOCK;
			else plx_die(EX_USAGE, "--overflow: unknown policy \"%s\"", optarg);
			break;
		case O_CROWS: o.commit_rows = plx_opt_num("--commit-rows", optarg, 1, 1000000); break;
		case O_CMS: o.commit_ms = plx_opt_num("--commit-ms", optarg, 0, 3600000); break;
		case O_POLL: o.poll_ms = plx_opt_num("--poll-ms", optarg, 1, 3600000); break;
		case O_STATUS: case O_DEAD: case O_REQUEUE: cmd = c; break;
		case O_INTERVAL: o.status_ms = plx_opt_num("--status-interval", optarg, 0, 86400) * 1000; break;
		case O_STALE: stale_ms = plx_opt_num("--stale", optarg, 0, INT64_MAX / 1000) * 1000; break;
		case O_VERSION: puts("plx-buffer " PLX_VERSION); return 0;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);

	plx_config_load(&cf);
	path = o.path ? strdup(o.path) : cf.buffer ? strdup(cf.buffer) : plx_default_spool();
	plx_config_free(&cf);
	o.path = path;
	if (spool_open(&sp, path, o.sync_full ? SPOOL_SYNC_FULL : 0) < 0)
		return EX_CANTCREAT;
	switch (cmd) {
	case O_STATUS: rc = show_status(sp, stale_ms); break;
	case O_DEAD: rc = show_dead(sp); break;
	case O_REQUEUE: rc = requeue_dead(sp); break;
	default:
		signal(SIGPIPE, SIG_IGN);
		rc = pump(&sp, &o);
	}
	spool_close(sp);
	free(path);
	return rc;
}

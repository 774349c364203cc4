/* plx-buffer: stdin -> validate -> SQLite spool -> stdout, so that nothing a
 * reader produced is lost while the network, the uploader or the power is
 * away.  Options and modes here; the loop is in pump.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buffer.h"
#include "config.h"
#include "log.h"
#include "opts.h"

static const char synopsis[] =
	"usage: plx-buffer [-af] [-d spool] [--sync normal|full] [--max-rows n] [--max-bytes size]\n"
	"                  [--max-age duration] [--overflow drop-oldest|drop-newest|block]\n"
	"                  [--commit-rows n] [--commit-ms duration] [--poll-ms duration]\n"
	"                  [--status-interval duration]\n"
	"       plx-buffer [-d spool] [--stale duration] [--backlog n] --status | --dead | --requeue-dead\n"
	"       plx-buffer [-d spool] --forget-device reader[/name]\n"
	"       plx-buffer -h | --version\n";

static int
sync_mode(const char *s, void *to, char *err, size_t errlen)
{
	if (strcmp(s, "normal") && strcmp(s, "full")) {
		snprintf(err, errlen, "\"%s\" is neither normal nor full", s);
		return -1;
	}
	*(int *)to = !strcmp(s, "full");
	return 0;
}

static int
overflow(const char *s, void *to, char *err, size_t errlen)
{
	static const char *name[] = { [DROP_OLDEST] = "drop-oldest", [DROP_NEWEST] = "drop-newest",
	                              [BLOCK] = "block" };
	size_t i;

	for (i = 0; i < sizeof name / sizeof name[0]; i++)
		if (!strcmp(s, name[i]))
			return *(enum overflow *)to = (enum overflow)i, 0;
	snprintf(err, errlen, "unknown policy \"%s\" (drop-oldest, drop-newest, block)", s);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct opts o = { .mode = PASS, .overflow = DROP_OLDEST, .commit_rows = 2000,
	                         .commit_ms = 100, .poll_ms = 100 };
	static int append, follow, status, dead, requeue;
	static int64_t stale_ms = 900000, backlog;
	static const char *forget;
	const struct plx_opt tab[] = {
		{ 'a', "append", PLX_OPT_FLAG, &append, 0, 0, 0, NULL, NULL,
		  "append only: stdin into the spool, nothing on stdout", NULL },
		{ 'f', "follow", PLX_OPT_FLAG, &follow, 0, 0, 0, NULL, NULL,
		  "follow: the spool to stdout, like tail -f; stdin not read", NULL },
		{ 'd', "spool", PLX_OPT_STR, &o.path, 0, 0, 0, NULL, "FILE", "the spool file (PLEXUS_BUFFER)", NULL },
		{ 0, "sync", PLX_OPT_FN, &o.sync_full, 0, 0, 0, sync_mode, "normal|full",
		  "full: an fsync at every commit (normal)", NULL },
		{ 0, "max-rows", PLX_OPT_NUM, &o.max_rows, 1, INT64_MAX, 0, NULL, "N",
		  "most records the spool holds (no limit)", NULL },
		{ 0, "max-bytes", PLX_OPT_NUM, &o.max_bytes, 1, INT64_MAX, 0, NULL, "BYTES",
		  "most bytes the spool takes, on disk too (no limit)", NULL },
		{ 0, "max-age", PLX_OPT_DUR, &o.max_age_ms, 1, INT64_MAX, 1000, NULL, "DURATION",
		  "records older than this are dropped (no limit)", NULL },
		{ 0, "overflow", PLX_OPT_FN, &o.overflow, 0, 0, 0, overflow, "POLICY",
		  "at a limit: drop-oldest, drop-newest or block (drop-oldest)", NULL },
		{ 0, "commit-rows", PLX_OPT_NUM, &o.commit_rows, 1, 1000000, 0, NULL, "N",
		  "rows in one transaction at most (2000)", NULL },
		{ 0, "commit-ms", PLX_OPT_DUR, &o.commit_ms, 0, 3600000, 1, NULL, "DURATION",
		  "longest life of a transaction (100ms)", NULL },
		{ 0, "poll-ms", PLX_OPT_DUR, &o.poll_ms, 1, 3600000, 1, NULL, "DURATION",
		  "how often a drainer looks for other writers' rows (100ms)", NULL },
		{ 0, "status", PLX_OPT_FLAG, &status, 0, 0, 0, NULL, NULL, "print the spool's state and exit", NULL },
		{ 0, "stale", PLX_OPT_DUR, &stale_ms, 0, INT64_MAX, 1000, NULL, "DURATION",
		  "--status exits 1 when a record waited longer (900s; 0: never)", NULL },
		{ 0, "backlog", PLX_OPT_NUM, &backlog, 0, INT64_MAX, 0, NULL, "N",
		  "--status exits 2 when more records wait (0: never)", NULL },
		{ 0, "dead", PLX_OPT_FLAG, &dead, 0, 0, 0, NULL, NULL, "print the dead letters and exit", NULL },
		{ 0, "requeue-dead", PLX_OPT_FLAG, &requeue, 0, 0, 0, NULL, NULL,
		  "put the dead letters back in the queue and exit", NULL },
		{ 0, "forget-device", PLX_OPT_STR, &forget, 0, 0, 0, NULL, "READER[/NAME]",
		  "forget a device removed for good (all of a reader's without /NAME) and exit", NULL },
		{ 0 }
	};
	struct plx_common c = { 0 };
	struct plx_config cf;
	struct spool *sp;
	int rc;
	char *path, *source;

	plx_log_init(argv[0]);
	if (plx_opts_parse(argc, argv, tab, PLX_COMMON_STATUS, &c, synopsis) != argc ||
	    append + follow > 1 || status + dead + requeue + !!forget > 1) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	o.mode = append ? APPEND : follow ? FOLLOW : PASS;
	o.status_ms = c.status_ms;

	plx_config_load(&cf);
	path = o.path ? plx_xstrdup(o.path) : cf.buffer ? plx_xstrdup(cf.buffer) : plx_default_spool();
	source = cf.source_id ? plx_xstrdup(cf.source_id) : plx_default_source_id();
	plx_config_free(&cf);
	o.path = path;
	o.source = source;
	if (status) {
		/* a health check: looks, never creates, renames or repairs */
		rc = spool_open(&sp, path, SPOOL_LOOK);
		if (rc == SPOOL_MISSING || rc < 0) {
			printf("%-16s%s\n%-16s%s\n", "spool", path, "health",
			       rc == SPOOL_MISSING ? "missing: no spool there" : "unreadable: the spool cannot be read");
			free(path);
			free(source);
			return rc == SPOOL_MISSING ? HEALTH_MISSING : HEALTH_UNREADABLE;
		}
		rc = show_status(sp, stale_ms, backlog);
		spool_close(sp);
		free(path);
		free(source);
		return rc;
	}
	if (spool_open(&sp, path, o.sync_full ? SPOOL_SYNC_FULL : 0) < 0)
		return EX_CANTCREAT;
	if (dead)
		rc = show_dead(sp);
	else if (requeue)
		rc = requeue_dead(sp);
	else if (forget)
		rc = forget_device(sp, forget);
	else
		rc = pump(&sp, &o);
	spool_close(sp);
	free(path);
	free(source);
	return rc;
}

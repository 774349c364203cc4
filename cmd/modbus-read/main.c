/* modbus-read: polls Modbus TCP and RTU devices and prints each value as a
 * Plexus record, one NDJSON line, stamped when the answer arrived:
 *
 *   modbus-read -c plant.conf | plx-buffer | plx-upload
 *   modbus-read -1 -H 127.0.0.1:5020 -U 1 holding:0:float32:ABCD:env.temperature
 *
 * Options here; the map (modbus-read.conf(5)), the decoder and opening a
 * device are lib/'s (mbmap.c, mbcodec.c, mbdev.c), request planning in
 * plan.c, a thread per connection in conn.c, the main loop in poll.c,
 * --probe in probe.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "modbus.h"
#include "opts.h"

static const char synopsis[] =
	"usage: modbus-read [-1] [--plan] [-s source-id] [-T key=value]... [-p prefix]\n"
	"                   [--status-interval duration] [--lock-wait duration] -c map\n"
	"       modbus-read [-1] [--plan] [-U unit] [-t timeout] [--retries n] [--gap n]\n"
	"                   [-i interval] [-s source-id] [-T key=value]... [-p prefix]\n"
	"                   [--status-interval duration] [--lock-wait duration]\n"
	"                   -H host[:port]|/dev/tty[:baud[:8E1]] point...\n"
	"       modbus-read [-U unit] [-t timeout] [--lock-wait duration]\n"
	"                   -H host[:port]|/dev/tty[:baud[:8E1]] --probe [function:]address:count\n"
	"       modbus-read -h | --version\n";

static _Noreturn void
usage(void)
{
	fputs(synopsis, stderr);
	exit(EX_USAGE);
}

/* "[function:]address:count" */
static void
probe_spec(const char *s, enum mb_func *f, int *addr, int *count)
{
	char buf[64], *a = buf, *colon;

	*f = MB_HOLDING;
	snprintf(buf, sizeof buf, "%s", s);
	if ((colon = strchr(buf, ':')) && strchr(colon + 1, ':')) {
		*colon = 0;
		if (mb_func_parse(buf, f) < 0)
			plx_die(EX_USAGE, "--probe: unknown function \"%s\"", buf);
		a = colon + 1;
	}
	if (!(colon = strchr(a, ':')))
		plx_die(EX_USAGE, "--probe: expected [function:]address:count, got \"%s\"", s);
	*colon = 0;
	if (mb_int(a, 0, 65535, addr) < 0)
		plx_die(EX_USAGE, "--probe: expected an address 0-65535, got \"%s\"", a);
	if (mb_int(colon + 1, 1, mb_func_bits(*f) ? MB_MAX_BITS : MB_MAX_REGS, count) < 0)
		plx_die(EX_USAGE, "--probe: expected a count 1-%d, got \"%s\"",
		        mb_func_bits(*f) ? MB_MAX_BITS : MB_MAX_REGS, colon + 1);
	if (*addr + *count > 65536)
		plx_die(EX_USAGE, "--probe: the range runs past address 65535");
}

/* -s and -T: the tags of every record.  The keys are copied into keys
 * (kept for the run), the values point into argv. */
static void
common_tags(const struct plx_common *cm, struct plx_tags *t, char **keys)
{
	const char *eq;
	char err[200], *key;
	int i;

	if (cm->source_id && plx_tags_set_source(t, cm->source_id, err, sizeof err) < 0)
		plx_die(EX_USAGE, "-s: %s", err);
	if (cm->ntags > PLX_TAGS_MAX - 2)
		plx_die(EX_USAGE, "-T: at most %d tags (a record has 16: device and unit_id are modbus-read's)",
		        PLX_TAGS_MAX - 2);
	for (i = 0; i < cm->ntags; i++) {
		eq = strchr(cm->tag[i], '=');
		key = keys[i] = plx_xstrndup(cm->tag[i], (size_t)(eq - cm->tag[i]));
		if (!strcmp(key, "device") || !strcmp(key, "unit_id") || !strcmp(key, "unit"))
			plx_die(EX_USAGE, "-T: %s is a tag modbus-read sets itself", key);
		if (plx_tags_add(t, key, eq + 1, err, sizeof err) < 0)
			plx_die(EX_USAGE, "-T: %s", err);
	}
}

int
main(int argc, char **argv)
{
	static const char *map, *host, *probe_arg;
	static int once, show_plan;
	static int64_t unit = -1, timeout = -1, retries = -1, gap = -1, interval = -1, lock_wait = 10000;
	const struct plx_opt tab[] = {
		MB_OPTS_DEVICE(&map, &host, &unit, &timeout, &retries),
		{ 0, "gap", PLX_OPT_NUM, &gap, 0, MB_MAX_BITS, 0, NULL, "N",
		  "-H: largest gap read through, in registers or bits (10)", NULL },
		{ 'i', "interval", PLX_OPT_DUR, &interval, 1, 86400000, 1000, NULL, "DURATION",
		  "-H: poll interval (10s; a bare number is seconds)", NULL },
		{ '1', "once", PLX_OPT_FLAG, &once, 0, 0, 0, NULL, NULL, "poll every point once, then exit (cron)", NULL },
		{ 0, "plan", PLX_OPT_FLAG, &show_plan, 0, 0, 0, NULL, NULL, "print the requests of the map, and exit", NULL },
		{ 0, "probe", PLX_OPT_STR, &probe_arg, 0, 0, 0, NULL, "[FUNCTION:]ADDRESS:COUNT",
		  "-H: read a range, print it every way", NULL },
		{ 0, "lock-wait", PLX_OPT_DUR, &lock_wait, 0, 3600000, 1000, NULL, "DURATION",
		  "wait for a serial line's lock (10s; a bare number is seconds)", NULL },
		/* deprecated spellings (DEPRECATED in modbus-read(1)) */
		{ 'u', "unit-id", PLX_OPT_NUM, &unit, 0, 255, 0, NULL, "UNIT", NULL, "-U/--unit" },
		{ 'r', NULL, PLX_OPT_NUM, &retries, 0, 10, 0, NULL, "N", NULL, "--retries" },
		{ 'g', NULL, PLX_OPT_NUM, &gap, 0, MB_MAX_BITS, 0, NULL, "N", NULL, "--gap" },
		{ 0 }
	};
	struct plx_common cm = { .status_ms = -1 };
	struct mb_conf conf = { 0 };
	struct mb_plan plan;
	struct mb_run run = { 0 };
	struct mb_device *d;
	int i, rc, addr, count, optind_;
	enum mb_func fn;
	char err[512], *keys[PLX_COMMON_TAGS_MAX] = { 0 };

	plx_log_init(argv[0]);
	optind_ = plx_opts_parse(argc, argv, tab, PLX_COMMON_READER, &cm, synopsis);
	if (!map == !host || (map && optind_ != argc) || (host && !probe_arg && optind_ == argc) ||
	    (probe_arg && (optind_ != argc || once || show_plan)))
		usage();
	if (map && (unit >= 0 || timeout >= 0 || retries >= 0 || gap >= 0 || interval >= 0))
		plx_die(EX_USAGE, "-U, -t, --retries, --gap and -i are for -H: with -c, the map sets them per device");
	if (map) {
		if (mb_conf_load(&conf, map, err, sizeof err) < 0) {
			mb_conf_free(&conf);
			plx_die(EX_CONFIG, "%s", err);
		}
	} else {
		if (mb_conf_add_device(&conf, host, err, sizeof err) < 0) {
			mb_conf_free(&conf);
			plx_die(EX_USAGE, "-H: %s", err);
		}
		d = &conf.dev[0];
		if (timeout >= 0) d->timeout_ms = (int)timeout;
		if (retries >= 0) d->retries = (int)retries;
		if (gap >= 0) d->gap = (int)gap;
		if (interval >= 0) d->interval_ms = (int)interval;
		if (unit >= 0) d->unit_id = (int)unit;
		if (probe_arg) {
			probe_spec(probe_arg, &fn, &addr, &count);
			rc = probe(&conf, fn, addr, count, (int)lock_wait);
			mb_conf_free(&conf);
			return rc;
		}
		for (i = optind_; i < argc; i++)
			if (mb_conf_add_point(&conf, argv[i], (int)unit, err, sizeof err) < 0) {
				mb_conf_free(&conf);
				plx_die(EX_USAGE, "%s: %s", argv[i], err);
			}
	}
	plan_make(&plan, &conf);
	if (show_plan) {
		plan_print(&plan, &conf, stdout);
		plan_free(&plan);
		mb_conf_free(&conf);
		return 0;
	}
	run = (struct mb_run){ .once = once, .lock_wait_ms = (int)lock_wait, .map = map,
	                       .status_ms = cm.status_ms, .prefix = cm.prefix,
	                       .source_given = cm.source_id && cm.source_id != getenv("PLEXUS_SOURCE_ID") };
	common_tags(&cm, &run.tags, keys);
	rc = poll_run(&conf, &plan, &run);
	for (i = 0; i < cm.ntags; i++)
		free(keys[i]);
	return rc;
}

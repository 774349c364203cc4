/* modbus-read: polls Modbus TCP and RTU devices and prints each value as a
 * Plexus record, one NDJSON line, stamped when the answer arrived:
 *
 *   modbus-read -c plant.conf | plx-buffer | plx-upload
 *   modbus-read -1 -H 127.0.0.1:5020 -u 1 holding:0:float32:ABCD:env.temperature
 *
 * Options here; the map in conf.c (modbus-read.conf(5)), the decoder in
 * decode.c, request planning in plan.c, devices in dev.c, the loop in poll.c,
 * --probe in probe.c. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "clock.h"
#include "log.h"
#include "modbus.h"

static const char usage_text[] =
	"usage: modbus-read [-1] [--plan] [--lock-wait seconds] -c map\n"
	"       modbus-read [-1] [--plan] [-u unit] [-t timeout] [-r retries] [-g gap] [-i interval]\n"
	"                   -H host[:port]|/dev/tty[:baud[:8E1]] point...\n"
	"       modbus-read [-u unit] [-t timeout] -H host[:port]|/dev/tty[:baud[:8E1]]\n"
	"                   --probe [function:]address:count\n"
	"       modbus-read -h | --version\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static void
on_signal(int sig)
{
	mb_stop = 1;
}

static int
duration_opt(const char *opt, const char *s, long min, long max)
{
	int ms;

	if (conf_duration(s, min, max, &ms) < 0)
		plx_die(EX_USAGE, "%s: expected a duration like 500ms or 2s, got \"%s\"", opt, s);
	return ms;
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
	*addr = plx_opt_num("--probe address", a, 0, 65535);
	*count = plx_opt_num("--probe count", colon + 1, 1, mb_func_bits(*f) ? MB_MAX_BITS : MB_MAX_REGS);
	if (*addr + *count > 65536)
		plx_die(EX_USAGE, "--probe: the range runs past address 65535");
}

int
main(int argc, char **argv)
{
	enum { O_PLAN = 256, O_PROBE, O_LOCKWAIT, O_VERSION };
	static const struct option lo[] = {
		{ "once", no_argument, NULL, '1' },
		{ "config", required_argument, NULL, 'c' },
		{ "gap", required_argument, NULL, 'g' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "interval", required_argument, NULL, 'i' },
		{ "retries", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "unit-id", required_argument, NULL, 'u' },
		{ "plan", no_argument, NULL, O_PLAN },
		{ "probe", required_argument, NULL, O_PROBE },
		{ "lock-wait", required_argument, NULL, O_LOCKWAIT },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	struct mb_conf conf = { 0 };
	struct mb_plan plan;
	struct mb_run run = { .lock_wait_ms = 10000 };
	struct mb_device *d;
	struct sigaction sa;
	const char *map = NULL, *host = NULL, *probe_arg = NULL;
	int c, show_plan = 0, unit = -1, timeout = -1, retries = -1, gap = -1, interval = -1;
	int i, rc, addr, count;
	enum mb_func fn;
	char err[512];

	plx_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "1c:g:H:hi:r:t:u:", lo, NULL)) != -1) {
		switch (c) {
		case '1': run.once = 1; break;
		case 'c': map = optarg; break;
		case 'g': gap = plx_opt_num("-g", optarg, 0, MB_MAX_BITS); break;
		case 'H': host = optarg; break;
		case 'h': usage(0);
		case 'i': interval = duration_opt("-i", optarg, 1, 86400000); break;
		case 'r': retries = plx_opt_num("-r", optarg, 0, 10); break;
		case 't': timeout = duration_opt("-t", optarg, 1, 600000); break;
		case 'u': unit = plx_opt_num("-u", optarg, 0, 255); break;
		case O_PLAN: show_plan = 1; break;
		case O_PROBE: probe_arg = optarg; break;
		case O_LOCKWAIT: run.lock_wait_ms = plx_opt_num("--lock-wait", optarg, 0, 3600) * 1000; break;
		case O_VERSION: puts("modbus-read " PLX_VERSION); return 0;
		default: usage(EX_USAGE);
		}
	}
	if (!map == !host || (map && optind != argc) || (host && !probe_arg && optind == argc) ||
	    (probe_arg && (optind != argc || map)))
		usage(EX_USAGE);
	if (map) {
		if (conf_load(&conf, map, err, sizeof err) < 0) {
			conf_free(&conf);
			plx_die(EX_CONFIG, "%s", err);
		}
	} else {
		if (conf_add_device(&conf, host, err, sizeof err) < 0) {
			conf_free(&conf);
			plx_die(EX_USAGE, "-H: %s", err);
		}
		d = &conf.dev[0];
		if (timeout >= 0) d->timeout_ms = timeout;
		if (retries >= 0) d->retries = retries;
		if (gap >= 0) d->gap = gap;
		if (interval >= 0) d->interval_ms = interval;
		if (unit >= 0) d->unit_id = unit;
		if (probe_arg) {
			probe_spec(probe_arg, &fn, &addr, &count);
			rc = probe(&conf, fn, addr, count);
			conf_free(&conf);
			return rc;
		}
		for (i = optind; i < argc; i++)
			if (conf_add_point(&conf, argv[i], unit, err, sizeof err) < 0) {
				conf_free(&conf);
				plx_die(EX_USAGE, "%s: %s", argv[i], err);
			}
	}
	if (plan_make(&plan, &conf) < 0)
		plx_die(EX_OSERR, "out of memory");
	if (show_plan) {
		plan_print(&plan, &conf, stdout);
		rc = 0;
	} else {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;       /* no SA_RESTART: a sleep ends at once */
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		plx_sleep_stop = &mb_stop;
		if (plx_clock_synced() == 0)
			plx_info("the system clock is not synchronised: records are stamped with it as it is");
		rc = poll_run(&conf, &plan, &run);
	}
	plan_free(&plan);
	conf_free(&conf);
	return rc;
}

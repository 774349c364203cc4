/* modbus-write: writes values into Modbus points, by name from a
 * modbus-read map or from a one-line point, encoded as modbus-read decodes
 * them (lib/mbcodec.c):
 *
 *   modbus-write -c plant.map setpoint=21.5 pump_on=1
 *   modbus-write -H 10.0.0.5 -U 1 holding:100:float32:CDAB:setpoint=21.5
 *
 * Options here; every value is parsed and checked before anything is sent
 * (target.c); the writes in write.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "loop.h"
#include "mbwrite.h"
#include "opts.h"

static const char synopsis[] =
	"usage: modbus-write [-n] [--verify] [--device name] [--lock-wait duration] -c map name=value...\n"
	"       modbus-write [-n] [--verify] [-U unit] [-t timeout] [--retries n]\n"
	"                    [--write-function auto|single|multiple] [--lock-wait duration]\n"
	"                    -H host[:port]|/dev/tty[:baud[:8E1]] function:address:type[:order]:name=value...\n"
	"       modbus-write -h | --version\n";

static _Noreturn void
usage(void)
{
	fputs(synopsis, stderr);
	exit(EX_USAGE);
}

static int
write_fn(const char *s, void *to, char *err, size_t errlen)
{
	enum mb_write_fn f;

	if (mb_write_fn_parse(s, &f) < 0)
		return snprintf(err, errlen, "\"%s\" is not auto, single or multiple", s), -1;
	*(int *)to = (int)f;
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *map, *host, *device;
	static int verify, dry_run, wfn = -1;
	static int64_t unit = -1, timeout = -1, retries = -1, lock_wait = 10000;
	const struct plx_opt tab[] = {
		MB_OPTS_DEVICE(&map, &host, &unit, &timeout, &retries),
		{ 0, "write-function", PLX_OPT_FN, &wfn, 0, 0, 0, write_fn, "auto|single|multiple",
		  "-H: functions 6/16 as needed, 6 (5) only, 16 (15) only", NULL },
		{ 0, "device", PLX_OPT_STR, &device, 0, 0, 0, NULL, "NAME", "-c: the points of this [device] only", NULL },
		{ 0, "verify", PLX_OPT_FLAG, &verify, 0, 0, 0, NULL, NULL, "read each value back and compare", NULL },
		{ 'n', "dry-run", PLX_OPT_FLAG, &dry_run, 0, 0, 0, NULL, NULL, "print the requests, send nothing", NULL },
		{ 0, "lock-wait", PLX_OPT_DUR, &lock_wait, 0, 3600000, 1000, NULL, "DURATION",
		  "wait for a serial line's lock (10s; a bare number is seconds)", NULL },
		{ 0 }
	};
	struct plx_common cm = { 0 };
	struct mb_conf conf = { 0 };
	struct target *t;
	struct plx_loop l;
	struct mb_device *d;
	char err[512];
	int i, n, optind_, rc;

	plx_log_init(argv[0]);
	optind_ = plx_opts_parse(argc, argv, tab, 0, &cm, synopsis);
	if (!map == !host || optind_ == argc)
		usage();
	if (map && (unit >= 0 || timeout >= 0 || retries >= 0 || wfn >= 0))
		plx_die(EX_USAGE, "-U, -t, --retries and --write-function are for -H: with -c, the map sets them per device");
	if (host && device)
		plx_die(EX_USAGE, "--device is for -c");
	if (map && mb_conf_load(&conf, map, err, sizeof err) < 0)
		plx_die(EX_CONFIG, "%s", err);
	if (host) {
		if (mb_conf_add_device(&conf, host, err, sizeof err) < 0)
			plx_die(EX_USAGE, "-H: %s", err);
		d = &conf.dev[0];
		if (timeout >= 0) d->timeout_ms = (int)timeout;
		if (retries >= 0) d->retries = (int)retries;
		if (wfn >= 0) d->write_fn = (enum mb_write_fn)wfn;
	}
	/* every point found and every value checked before anything is sent */
	n = argc - optind_;
	t = plx_xcalloc((size_t)n, sizeof *t);
	for (i = 0; i < n; i++)
		if ((rc = target_parse(&conf, argv[optind_ + i], map != NULL, (int)unit, device, &t[i], err, sizeof err)))
			plx_die(rc, "%s", err);
	/* lib/loop's signal policy: SIGTERM and SIGINT wait for the request in
	 * hand (write_all asks between requests) */
	plx_loop_init(&l, NULL);
	rc = write_all(&conf, t, n, &(struct wopts){ .verify = verify, .dry_run = dry_run,
	                                             .lock_wait_ms = (int)lock_wait, .l = &l });
	plx_loop_free(&l);
	free(t);
	mb_conf_free(&conf);
	return rc;
}

/* modbus-write: writes values into Modbus points, by name from a
 * modbus-read map or from a one-line point, encoded as modbus-read decodes
 * them (lib/mbcodec.c):
 *
 *   modbus-write -c plant.map setpoint=21.5 pump_on=1
 *   modbus-write -H 10.0.0.5 -U 1 holding:100:float32:CDAB:setpoint=21.5
 *
 * Options and the command line's points here; every value is parsed and
 * checked before anything is sent (mbvalue.c: refused, never rounded or
 * wrapped); the writes in write.c. */
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

/* The point NAME of the map names (of --device, if given): its index; dies
 * when there is none that can be written, or more than one. */
static int
find_point(const struct mb_conf *c, const char *name, const char *device)
{
	int i, found = -1, n = 0, readonly = -1;
	char where[300] = "";
	size_t len = 0;

	for (i = 0; i < c->npt; i++) {
		if (strcmp(c->pt[i].metric, name) || (device && strcmp(c->dev[c->pt[i].dev].name, device)))
			continue;
		if (c->pt[i].func != MB_HOLDING && c->pt[i].func != MB_COIL) {
			readonly = i;
			continue;
		}
		found = i;
		if (len < sizeof where)
			len += (size_t)snprintf(where + len, sizeof where - len, "%s[device %s] line %d", n ? ", " : "",
			                        c->dev[c->pt[i].dev].name, c->pt[i].line);
		n++;
	}
	if (n > 1)
		plx_die(EX_DATAERR, "%s: %d points of that name (%s)%s", name, n, where,
		        device ? "" : ": --device picks one");
	if (n == 0 && readonly >= 0)
		plx_die(EX_DATAERR, "%s: a %s cannot be written (line %d)", name,
		        c->pt[readonly].func == MB_INPUT ? "input register" : "discrete input", c->pt[readonly].line);
	if (n == 0)
		plx_die(EX_DATAERR, "%s: no such point in the map%s%s", name, device ? " for device " : "", device ? device : "");
	return found;
}

/* "name=value": the value, the name NUL-terminated in buf. */
static const char *
split(const char *arg, char *buf, size_t len)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		plx_die(EX_USAGE, "%s: expected name=value", arg);
	if ((size_t)(eq - arg) >= len)
		plx_die(EX_USAGE, "%.40s...: too long", arg);
	memcpy(buf, arg, (size_t)(eq - arg));
	buf[eq - arg] = 0;
	return eq + 1;
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
	const struct mb_point *p;
	const char *text;
	char err[512], name[4096 + 1];
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
	for (i = 0; i < n; i++) {
		text = split(argv[optind_ + i], name, sizeof name);
		if (map) {
			t[i].pt = find_point(&conf, name, device);
		} else {
			if (mb_conf_add_point(&conf, name, (int)unit, err, sizeof err) < 0)
				plx_die(EX_USAGE, "%s: %s", name, err);
			t[i].pt = conf.npt - 1;
			if (conf.pt[t[i].pt].func != MB_HOLDING && conf.pt[t[i].pt].func != MB_COIL)
				plx_die(EX_USAGE, "%s: a %s cannot be written: coil or holding", name,
				        mb_func_name(conf.pt[t[i].pt].func));
		}
		p = &conf.pt[t[i].pt];
		t[i].text = text;
		if (mb_value_parse(text, p->type, p->arg, p->scale, p->offset, &t[i].raw, err, sizeof err) < 0)
			plx_die(EX_DATAERR, "%s: %s", p->metric, err);
		if (p->type != MB_BIT && mb_encode(&t[i].raw, p->type, p->arg, p->order, t[i].regs) < 0)
			plx_die(EX_SOFTWARE, "%s: %s not encoded", p->metric, text);
	}
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

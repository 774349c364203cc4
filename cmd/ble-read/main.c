/* ble-read: BLE sensors through BlueZ, decoded, as Plexus records on
 * stdout.  Options and environment here (the tutorial's variables first,
 * flags over them); BlueZ is bluez.c, the loop is loop.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "ble.h"
#include "log.h"
#include "record.h"

static const char usage_text[] =
	"usage: ble-read [-a adapter] [-n name] [-m mac]... [-u uuid,...]... [-r dBm] [-p prefix]\n"
	"                [-s source-id] [-k mac=key]... [--keys file] [--alias mac=name]...\n"
	"                [--unknown] [--gatt] [--source-per-device] [--scan-duration seconds]\n"
	"                [--continuous] [--interval seconds] [--status-interval seconds]\n"
	"                [--max-devices n] [--max-queue bytes] [--bus address]\n"
	"       ble-read -h | --version\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* "181a,0000fcd2-0000-1000-8000-00805f9b34fb" added to the UUID filter */
static void
uuids(struct ble_opts *o, const char *what, const char *list)
{
	char one[64];
	const char *s = list, *e;
	size_t n;

	for (; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, ",");
		n = (size_t)(e - s);
		while (n && s[0] == ' ')
			s++, n--;
		while (n && s[n - 1] == ' ')
			n--;
		if (!n)
			continue;
		snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), s);
		if (!(o->uuids = realloc(o->uuids, (size_t)(o->nuuids + 1) * sizeof *o->uuids)))
			plx_die(EX_OSERR, "out of memory");
		if (n >= sizeof one || uuid_norm(one, o->uuids[o->nuuids]) < 0)
			plx_die(EX_USAGE, "%s: \"%s\" is not a UUID (181a, or 128-bit)", what, one);
		o->nuuids++;
	}
}

/* the first 17 bytes of s, a MAC, upper case into out */
static void
mac_arg(const char *what, const char *s, char out[18])
{
	uint8_t m[6];
	int i;

	for (i = 0; i < 17 && s[i]; i++)
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 'A' : s[i]);
	out[i] = 0;
	if (ble_addr_parse(out, m) < 0)
		plx_die(EX_USAGE, "%s: \"%s\" is not a MAC address AA:BB:CC:DD:EE:FF", what, s);
}

static void
mac(struct ble_opts *o, const char *s)
{
	if (!(o->macs = realloc(o->macs, (size_t)(o->nmacs + 1) * sizeof *o->macs)))
		plx_die(EX_OSERR, "out of memory");
	if (strlen(s) != 17)
		plx_die(EX_USAGE, "-m: \"%s\" is not a MAC address AA:BB:CC:DD:EE:FF", s);
	mac_arg("-m", s, o->macs[o->nmacs++]);
}

/* --alias MAC=NAME: the device's slug is NAME's, not its own name's and MAC's */
static void
alias(struct ble_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct ble_alias *al;
	int i;

	if (!eq || eq - arg != 17)
		plx_die(EX_USAGE, "--alias: \"%s\" is not MAC=NAME", arg);
	if (!(o->aliases = realloc(o->aliases, (size_t)(o->naliases + 1) * sizeof *o->aliases)))
		plx_die(EX_OSERR, "out of memory");
	al = &o->aliases[o->naliases];
	mac_arg("--alias", arg, al->mac);
	if (!ble_slugify(al->slug, sizeof al->slug, eq + 1))
		plx_die(EX_USAGE, "--alias: \"%s\": a name needs a letter or a digit", arg);
	for (i = 0; i < o->naliases; i++)
		if (!strcmp(o->aliases[i].slug, al->slug) && strcmp(o->aliases[i].mac, al->mac))
			plx_die(EX_USAGE, "--alias: %s and %s would both be %s", o->aliases[i].mac, al->mac, al->slug);
	o->naliases++;
}

/* The tutorial's environment: BLE_NAME_FILTER, BLE_SERVICE_UUIDS,
 * BLE_SCAN_DURATION, POLL_INTERVAL, PLEXUS_SOURCE_ID; BLE_KEEP_UNKNOWN. */
static void
from_env(struct ble_opts *o)
{
	const char *v;

	o->name_filter = env("BLE_NAME_FILTER");
	if ((v = env("BLE_SERVICE_UUIDS")))
		uuids(o, "BLE_SERVICE_UUIDS", v);
	if ((v = env("BLE_SCAN_DURATION")))
		o->scan_s = (int)plx_opt_num("BLE_SCAN_DURATION", v, 1, 86400);
	if ((v = env("POLL_INTERVAL")))
		o->interval_s = (int)plx_opt_num("POLL_INTERVAL", v, 1, 86400);
	if ((v = env("PLEXUS_SOURCE_ID"))) {
		if (!plx_source_id_ok(v))
			plx_die(EX_CONFIG, "PLEXUS_SOURCE_ID: \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$", v);
		o->source_id = v;
	}
	if ((v = env("BLE_KEEP_UNKNOWN")))
		o->keep_unknown = strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no");
}

/* What the options say together. */
static void
settle(struct ble_opts *o)
{
	if (!o->prefix)
		o->prefix = o->source_id ? o->source_id : "ble-gateway";
	if (!*o->prefix || strlen(o->prefix) > 128)
		plx_die(EX_USAGE, "-p: 1 to 128 bytes");
	if (o->scan_s >= o->interval_s)
		o->scan_s = 0;              /* scanning the whole interval: continuous */
}

int
main(int argc, char **argv)
{
	enum { O_KEYS = 256, O_ALIAS, O_UNKNOWN, O_GATT, O_PERDEV, O_SCAN, O_CONT, O_INTERVAL, O_STATUS,
	       O_MAXDEV, O_MAXQ, O_BUS, O_VERSION };
	static const struct option lo[] = {
		{ "adapter", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "mac", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "rssi", required_argument, NULL, 'r' },
		{ "source-id", required_argument, NULL, 's' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "keys", required_argument, NULL, O_KEYS },
		{ "alias", required_argument, NULL, O_ALIAS },
		{ "unknown", no_argument, NULL, O_UNKNOWN },
		{ "gatt", no_argument, NULL, O_GATT },
		{ "source-per-device", no_argument, NULL, O_PERDEV },
		{ "scan-duration", required_argument, NULL, O_SCAN },
		{ "continuous", no_argument, NULL, O_CONT },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "status-interval", required_argument, NULL, O_STATUS },
		{ "max-devices", required_argument, NULL, O_MAXDEV },
		{ "max-queue", required_argument, NULL, O_MAXQ },
		{ "bus", required_argument, NULL, O_BUS },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	struct ble_opts o = { .interval_s = 60, .status_s = 60, .max_devices = 1024,
	                      .out_max = PLX_OUT_MAX_DEFAULT };
	char err[200];
	int c, rc, cli_uuids = 0;

	plx_log_init(argv[0]);
	from_env(&o);
	while ((c = getopt_long(argc, argv, "a:hk:m:n:p:r:s:u:", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o.adapter = optarg; break;
		case 'h': usage(0);
		case 'k':
			if (keys_arg(&o, optarg, err, sizeof err) < 0)
				plx_die(EX_USAGE, "-k: %s", err);
			break;
		case 'm': mac(&o, optarg); break;
		case 'n': o.name_filter = *optarg ? optarg : NULL; break;
		case 'p': o.prefix = optarg; o.prefix_set = 1; break;
		case 'r': o.rssi_min = (int)plx_opt_num("-r", optarg, -127, 20); o.has_rssi_min = 1; break;
		case 's':
			if (!plx_source_id_ok(optarg))
				plx_die(EX_USAGE, "-s: \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$", optarg);
			o.source_id = optarg;
			break;
		case 'u':
			if (!cli_uuids++)
				o.nuuids = 0;    /* flags replace BLE_SERVICE_UUIDS */
			uuids(&o, "-u", optarg);
			break;
		case O_KEYS:
			if (keys_file(&o, optarg, err, sizeof err) < 0)
				plx_die(EX_NOINPUT, "--keys: %s", err);
			break;
		case O_ALIAS: alias(&o, optarg); break;
		case O_UNKNOWN: o.keep_unknown = 1; break;
		case O_GATT: o.gatt = 1; break;
		case O_PERDEV: o.per_device = 1; break;
		case O_SCAN: o.scan_s = (int)plx_opt_num("--scan-duration", optarg, 1, 86400); break;
		case O_CONT: o.scan_s = 0; break;
		case O_INTERVAL: o.interval_s = (int)plx_opt_num("--interval", optarg, 1, 86400); break;
		case O_STATUS: o.status_s = (int)plx_opt_num("--status-interval", optarg, 0, 86400); break;
		case O_MAXDEV: o.max_devices = (int)plx_opt_num("--max-devices", optarg, 2, 65535); break;
		case O_MAXQ: o.out_max = (size_t)plx_opt_num("--max-queue", optarg, 65536, 1 << 30); break;
		case O_BUS: o.bus = optarg; break;
		case O_VERSION: puts("ble-read " PLX_VERSION); return 0;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	settle(&o);
	rc = run(&o);
	keys_wipe(&o);
	free(o.macs);
	free(o.uuids);
	free(o.aliases);
	return rc;
}

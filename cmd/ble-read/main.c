/* ble-read: BLE sensors through BlueZ, decoded, as Plexus records on
 * stdout.  Options and environment here (the tutorial's variables first,
 * flags over them); BlueZ is bluez.c, the loop is loop.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ble.h"
#include "log.h"
#include "opts.h"
#include "out.h"
#include "record.h"

static const char synopsis[] =
	"usage: ble-read [--adapter name] [--name text] [-m mac]... [--uuid uuid,...]... [--rssi dBm]\n"
	"                [-p prefix] [-s source-id] [-T key=value]... [--keys file] [--bind-key mac=key]...\n"
	"                [--alias mac=name]... [--unknown] [--gatt] [--source-per-device]\n"
	"                [--scan-duration duration] [--continuous] [-i duration]\n"
	"                [--status-interval duration] [--max-devices n] [--max-queue bytes] [--bus address]\n"
	"       ble-read -h | --version\n";

static int cli_uuids;          /* --uuid given: it replaces BLE_SERVICE_UUIDS */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* "181a,0000fcd2-0000-1000-8000-00805f9b34fb" added to the UUID filter */
static int
uuid_list(struct ble_opts *o, const char *list, char *err, size_t errlen)
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
		o->uuids = plx_xrealloc(o->uuids, (size_t)(o->nuuids + 1) * sizeof *o->uuids);
		if (n >= sizeof one || uuid_norm(one, o->uuids[o->nuuids]) < 0) {
			snprintf(err, errlen, "\"%s\" is not a UUID (181a, or 128-bit)", one);
			return -1;
		}
		o->nuuids++;
	}
	return 0;
}

static int
uuids(const char *s, void *to, char *err, size_t errlen)
{
	struct ble_opts *o = to;

	if (!cli_uuids++)
		o->nuuids = 0;      /* flags replace BLE_SERVICE_UUIDS */
	return uuid_list(o, s, err, errlen);
}

/* the first 17 bytes of s, a MAC, upper case into out */
static int
mac_arg(const char *s, char out[18], char *err, size_t errlen)
{
	uint8_t m[6];
	int i;

	for (i = 0; i < 17 && s[i]; i++)
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 'A' : s[i]);
	out[i] = 0;
	if (ble_addr_parse(out, m) < 0) {
		snprintf(err, errlen, "\"%s\" is not a MAC address AA:BB:CC:DD:EE:FF", s);
		return -1;
	}
	return 0;
}

static int
mac(const char *s, void *to, char *err, size_t errlen)
{
	struct ble_opts *o = to;

	o->macs = plx_xrealloc(o->macs, (size_t)(o->nmacs + 1) * sizeof *o->macs);
	if (strlen(s) != 17 || mac_arg(s, o->macs[o->nmacs], err, errlen) < 0)
		return snprintf(err, errlen, "\"%s\" is not a MAC address AA:BB:CC:DD:EE:FF", s), -1;
	o->nmacs++;
	return 0;
}

/* --alias MAC=NAME: the device's slug is NAME's, not its own name's and MAC's */
static int
alias(const char *arg, void *to, char *err, size_t errlen)
{
	struct ble_opts *o = to;
	const char *eq = strchr(arg, '=');
	struct ble_alias *al;
	int i;

	if (!eq || eq - arg != 17) {
		snprintf(err, errlen, "\"%s\" is not MAC=NAME", arg);
		return -1;
	}
	o->aliases = plx_xrealloc(o->aliases, (size_t)(o->naliases + 1) * sizeof *o->aliases);
	al = &o->aliases[o->naliases];
	if (mac_arg(arg, al->mac, err, errlen) < 0)
		return -1;
	if (!ble_slugify(al->slug, sizeof al->slug, eq + 1)) {
		snprintf(err, errlen, "\"%s\": a name needs a letter or a digit", arg);
		return -1;
	}
	for (i = 0; i < o->naliases; i++)
		if (!strcmp(o->aliases[i].slug, al->slug) && strcmp(o->aliases[i].mac, al->mac)) {
			snprintf(err, errlen, "%s and %s would both be %s", o->aliases[i].mac, al->mac, al->slug);
			return -1;
		}
	o->naliases++;
	return 0;
}

static int
name(const char *s, void *to, char *err, size_t errlen)
{
	((struct ble_opts *)to)->name_filter = *s ? s : NULL;
	return 0;
}

static int
rssi(const char *s, void *to, char *err, size_t errlen)
{
	struct ble_opts *o = to;
	int64_t v;

	if (plx_number(s, &v) < 0 || v < -127 || v > 20) {
		snprintf(err, errlen, "\"%s\" is not a number of dBm from -127 to 20", s);
		return -1;
	}
	o->rssi_min = (int)v;
	o->has_rssi_min = 1;
	return 0;
}

static int
bind_key(const char *s, void *to, char *err, size_t errlen)
{
	return keys_arg(to, s, err, errlen);
}

/* --keys FILE: a file that cannot be read is no usage error (66) */
static int
keys(const char *s, void *to, char *err, size_t errlen)
{
	if (keys_file(to, s, err, errlen) < 0)
		plx_die(EX_NOINPUT, "--keys: %s", err);
	return 0;
}

static int
continuous(const char *s, void *to, char *err, size_t errlen)
{
	((struct ble_opts *)to)->scan_ms = 0;
	return 0;
}

/* A duration from the environment (a bare number is seconds), as the
 * option it stands for takes it. */
static void
env_duration(const char *var, int64_t *ms)
{
	const char *v = env(var);

	if (v && (plx_duration(v, 1000, ms) < 0 || *ms < 1000 || *ms > 86400000))
		plx_die(EX_USAGE, "%s: \"%s\" is not a duration from 1s to 1 day (10s, 5m; a bare number"
		        " is seconds)", var, v);
}

/* The tutorial's environment: BLE_NAME_FILTER, BLE_SERVICE_UUIDS,
 * BLE_SCAN_DURATION, POLL_INTERVAL; BLE_KEEP_UNKNOWN.  (PLEXUS_SOURCE_ID
 * is -s's default: lib/opts.c.) */
static void
from_env(struct ble_opts *o)
{
	char err[200];
	const char *v;

	o->name_filter = env("BLE_NAME_FILTER");
	if ((v = env("BLE_SERVICE_UUIDS")) && uuid_list(o, v, err, sizeof err) < 0)
		plx_die(EX_USAGE, "BLE_SERVICE_UUIDS: %s", err);
	env_duration("BLE_SCAN_DURATION", &o->scan_ms);
	env_duration("POLL_INTERVAL", &o->interval_ms);
	if ((v = env("BLE_KEEP_UNKNOWN")))
		o->keep_unknown = strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no");
}

int
main(int argc, char **argv)
{
	static struct ble_opts o = { .interval_ms = 60000, .max_devices = 1024, .out_max = PLX_OUT_MAX_DEFAULT };
	const struct plx_opt tab[] = {
		{ 0, "adapter", PLX_OPT_STR, &o.adapter, 0, 0, 0, NULL, "NAME", "the adapter (hci0; default: the first)", NULL },
		{ 0, "name", PLX_OPT_FN, &o, 0, 0, 0, name, "TEXT", "devices whose name holds TEXT (BLE_NAME_FILTER)", NULL },
		{ 'm', "mac", PLX_OPT_FN, &o, 0, 0, 0, mac, "MAC", "devices on this allowlist (repeatable)", NULL },
		{ 0, "uuid", PLX_OPT_FN, &o, 0, 0, 0, uuids, "UUID,...", "devices with these services (BLE_SERVICE_UUIDS)", NULL },
		{ 0, "rssi", PLX_OPT_FN, &o, 0, 0, 0, rssi, "DBM", "advertisements at least this strong", NULL },
		{ 0, "keys", PLX_OPT_FN, &o, 0, 0, 0, keys, "FILE", "BTHome bindkeys, one MAC and key a line", NULL },
		{ 0, "bind-key", PLX_OPT_FN, &o, 0, 0, 0, bind_key, "MAC=KEY",
		  "a BTHome bindkey (ps shows it: --keys is safer)", NULL },
		{ 0, "alias", PLX_OPT_FN, &o, 0, 0, 0, alias, "MAC=NAME", "the device's name in metrics", NULL },
		{ 0, "unknown", PLX_OPT_FLAG, &o.keep_unknown, 0, 0, 0, NULL, NULL, "data no decoder claims, as hex", NULL },
		{ 0, "gatt", PLX_OPT_FLAG, &o.gatt, 0, 0, 0, NULL, NULL, "also read sensors over GATT", NULL },
		{ 0, "source-per-device", PLX_OPT_FLAG, &o.per_device, 0, 0, 0, NULL, NULL,
		  "each sensor its own source", NULL },
		{ 0, "scan-duration", PLX_OPT_DUR, &o.scan_ms, 1000, 86400000, 1000, NULL, "DURATION",
		  "scan this long every interval (BLE_SCAN_DURATION)", NULL },
		{ 0, "continuous", PLX_OPT_FN, &o, 0, 0, 0, continuous, NULL, "scan all the time (the default)", NULL },
		{ 'i', "interval", PLX_OPT_DUR, &o.interval_ms, 1000, 86400000, 1000, NULL, "DURATION",
		  "scan and GATT period (60s; POLL_INTERVAL)", NULL },
		{ 0, "max-devices", PLX_OPT_NUM, &o.max_devices, 2, 65535, 0, NULL, "N", "devices remembered (1024)", NULL },
		{ 0, "max-queue", PLX_OPT_NUM, &o.out_max, 65536, 1 << 30, 0, NULL, "BYTES",
		  "records waiting for a slow stdout before they are dropped (1M)", NULL },
		{ 0, "bus", PLX_OPT_STR, &o.bus, 0, 0, 0, NULL, "ADDRESS", "the D-Bus bus of org.bluez (the system bus)", NULL },
		{ 'a', NULL, PLX_OPT_STR, &o.adapter, 0, 0, 0, NULL, "NAME", NULL, "--adapter" },
		{ 'n', NULL, PLX_OPT_FN, &o, 0, 0, 0, name, "TEXT", NULL, "--name" },
		{ 'u', NULL, PLX_OPT_FN, &o, 0, 0, 0, uuids, "UUID,...", NULL, "--uuid" },
		{ 'r', NULL, PLX_OPT_FN, &o, 0, 0, 0, rssi, "DBM", NULL, "--rssi" },
		{ 'k', "key", PLX_OPT_FN, &o, 0, 0, 0, bind_key, "MAC=KEY", NULL, "--bind-key" },
		{ 0 }
	};
	static const char *const own_tags[] = { "mac", "format", "unit", NULL };
	struct plx_common c = { .status_ms = 60000 };
	char err[200];
	int i, rc;

	plx_log_init(argv[0]);
	from_env(&o);
	if (plx_opts_parse(argc, argv, tab, PLX_COMMON_READER, &c, synopsis) != argc) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	o.source_id = c.source_id;
	o.source_given = c.source_id && c.source_id != getenv("PLEXUS_SOURCE_ID");
	o.status_ms = c.status_ms;
	o.prefix = c.prefix ? c.prefix : o.source_id ? o.source_id : "ble-gateway";
	o.prefix_set = c.prefix != NULL;
	if (!*o.prefix || strlen(o.prefix) > 128)
		plx_die(EX_USAGE, "-p: 1 to 128 bytes");
	for (i = 0; i < c.ntags; i++)
		if (plx_tags_arg(&o.tags, c.tag[i], own_tags, 3, err, sizeof err) < 0)
			plx_die(EX_USAGE, "-T: %s", err);
	if (o.scan_ms >= o.interval_ms)
		o.scan_ms = 0;              /* scanning the whole interval: continuous */
	rc = run(&o);
	keys_wipe(&o);
	free(o.macs);
	free(o.uuids);
	free(o.aliases);
	return rc;
}

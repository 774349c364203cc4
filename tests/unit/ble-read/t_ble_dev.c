/* ble-read's table and naming, without D-Bus: the device table stays
 * within --max-devices and gives up the slot unseen longest; slugs (one
 * per sensor, from its name and MAC, the same whatever the order);
 * UUID forms; key files; what emit_adv lets through (filters, the
 * allowlist, devices that do not decode) and the names it gives. */
#include <stdlib.h>
#include <unistd.h>

#include "ble.h"
#include "io.h"
#include "loop.h"
#include "unit.h"

struct app *ble_app;
void gatt_forget(struct app *a, struct dev *d) { (void)a; (void)d; }

static struct app A;
static struct ble_opts O;
static struct plx_loop L;       /* its stdout queue, onto the pipe */
static int pfd[2];

static struct dev *
get(const char *path, int64_t seen)
{
	int added;
	struct dev *d = dev_get(&A, path, &added);

	if (d)
		d->last_seen = seen;
	return d;
}

/* emit_adv with one service-data entry; what came out on the pipe. */
static const char *
adv(struct dev *d, const char *uuid, const uint8_t *p, size_t n)
{
	static char buf[8192];
	struct ble_adv a = { .addr = d->addr, .nsvc = 1 };
	ssize_t got;

	a.svc[0].uuid = uuid;
	a.svc[0].data = p;
	a.svc[0].len = n;
	emit_adv(&A, d, &a, 1, 0);
	plx_loop_drain(&L);
	got = read(pfd[0], buf, sizeof buf - 1);
	buf[got > 0 ? got : 0] = 0;
	return buf;
}

static void
table(void)
{
	char path[64];
	struct dev *d;
	int i;

	T(get("/org/bluez/hci0", 1) == NULL, "an adapter path is not a device");
	T(get("/org/bluez/hci0/dev_A4_C1_38_00_00_0", 1) == NULL, "a short address is not a device");
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "/org/bluez/hci0/dev_A4_C1_38_00_00_%02X", i);
		get(path, 10 + i);
	}
	T(A.tab.used == 4 && A.n.devices_seen == 4, "4 devices in a table of 4");
	get("/org/bluez/hci0/dev_A4_C1_38_00_00_02", 100);     /* seen again: no longer the oldest */
	get("/org/bluez/hci0/dev_A4_C1_38_00_00_00", 101);
	d = get("/org/bluez/hci0/dev_A4_C1_38_00_01_00", 102);
	T(d && A.tab.used == 4, "a fifth: the table stays at 4");
	T(!dev_find(&A.tab, "/org/bluez/hci0/dev_A4_C1_38_00_00_01"), "the one unseen longest gave its slot");
	T(dev_find(&A.tab, "/org/bluez/hci0/dev_A4_C1_38_00_00_00") &&
	  dev_find(&A.tab, "/org/bluez/hci0/dev_A4_C1_38_00_00_02") &&
	  dev_find(&A.tab, "/org/bluez/hci0/dev_A4_C1_38_00_00_03"), "the others are still found");
	T_STR(d->addr, "A4:C1:38:00:01:00", "the address from the path");
	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof path, "/org/bluez/hci0/dev_5E_00_00_00_%02X_%02X", i >> 8, i & 255);
		get(path, 200 + i);
	}
	T(A.tab.used == 4 && A.n.devices_seen == 1005, "1000 random addresses later: still 4 slots");
	d = dev_find(&A.tab, "/org/bluez/hci0/dev_5E_00_00_00_03_E7");
	T(d != NULL, "the last one is there");
	dev_drop(&A.tab, d);
	T(A.tab.used == 3 && !dev_find(&A.tab, "/org/bluez/hci0/dev_5E_00_00_00_03_E7"), "a device removed");
}

/* A device at the BlueZ path of mac, named name, seen at seen. */
static struct dev *
named(const char *mac, const char *name, int64_t seen)
{
	char path[64];
	struct dev *d;
	int i;

	snprintf(path, sizeof path, "/org/bluez/hci0/dev_%s", mac);
	for (i = 20; path[i]; i++)
		if (path[i] == ':')
			path[i] = '_';
	if ((d = get(path, seen)))
		dev_set_name(&A, d, name);
	return d;
}

static void
slugs(void)
{
	struct dev *d, *b, *c;
	char sb[BLE_NAME_KEEP], sc[BLE_NAME_KEEP];

	d = named("A4:C1:38:00:00:01", "EnvSensor 1", 5000);
	T_STR(d->slug, "envsensor_1_000001", "slug: the name, then the MAC's last 6 hex digits");
	dev_set_name(&A, d, "  Küche-Temp");
	T_STR(d->slug, "k__che_temp_000001", "leading non-alnum dropped, each other one '_'");
	dev_set_name(&A, d, "");
	T_STR(d->slug, "a4_c1_38_00_00_01", "no name: the address");
	dev_set_name(&A, d, "***");
	T_STR(d->slug, "a4_c1_38_00_00_01", "a name of symbols: the address");
	T_STR(d->name, "***", "... the name kept for the filter");
	dev_set_name(&A, d, "ATC_000001");
	T_STR(d->slug, "atc_000001", "a name that ends with the MAC's digits does not get them twice");

	/* two sensors that advertise the same stock name */
	b = named("A4:C1:38:12:34:56", "MJ_HT_V1", 5001);
	c = named("A4:C1:38:AB:CD:EF", "MJ_HT_V1", 5002);
	T(b && c && strcmp(b->slug, c->slug), "two devices named MJ_HT_V1: two slugs (%s, %s)",
	  b ? b->slug : "", c ? c->slug : "");
	T_STR(c->slug, "mj_ht_v1_abcdef", "... the second");
	snprintf(sb, sizeof sb, "%s", b->slug);
	snprintf(sc, sizeof sc, "%s", c->slug);
	dev_drop(&A.tab, b);
	dev_drop(&A.tab, c);
	c = named("A4:C1:38:AB:CD:EF", "MJ_HT_V1", 5003);
	b = named("A4:C1:38:12:34:56", "MJ_HT_V1", 5004);
	T(!strcmp(b->slug, sb) && !strcmp(c->slug, sc), "found again the other way round: the same slugs");

	/* the same name and MAC ending, another maker: the whole MAC */
	d = named("58:2D:34:12:34:56", "MJ_HT_V1", 5005);
	T_STR(d->slug, "mj_ht_v1_582d34123456", "a slug another sensor has: the whole MAC");
	T_STR(b->slug, "mj_ht_v1_123456", "... the first one keeps its own");

	/* --alias */
	O.aliases = calloc(1, sizeof *O.aliases);
	strcpy(O.aliases[0].mac, "A4:C1:38:12:34:56");
	strcpy(O.aliases[0].slug, "kitchen");
	O.naliases = 1;
	dev_set_name(&A, b, "MJ_HT_V1");
	T_STR(b->slug, "kitchen", "--alias: the slug is the alias");
	O.naliases = 0;
	free(O.aliases);
	O.aliases = NULL;
	dev_set_name(&A, b, "MJ_HT_V1");
}

static void
uuids(void)
{
	char u[BLE_UUID_LEN];

	T(uuid_norm("181A", u) == 0, "16-bit");
	T_STR(u, "0000181a-0000-1000-8000-00805f9b34fb", "... in the base UUID, lower case");
	T(uuid_norm("0xfcd2", u) == 0 && !strcmp(u, "0000fcd2-0000-1000-8000-00805f9b34fb"), "0x prefix");
	T(uuid_norm("6E400001-B5A3-F393-E0A9-E50E24DCCA9E", u) == 0 &&
	  !strcmp(u, "6e400001-b5a3-f393-e0a9-e50e24dcca9e"), "128-bit");
	T(uuid_norm("18a", u) < 0 && uuid_norm("181g", u) < 0 && uuid_norm("6E400001xB5A3-F393-E0A9-E50E24DCCA9E", u) < 0,
	  "bad ones refused");
}

static void
keys(void)
{
	struct ble_opts o = { 0 };
	char err[200], path[] = "/tmp/t_ble_keys.XXXXXX";
	FILE *f;
	int fd = mkstemp(path);

	f = fdopen(fd, "w");
	fputs("# keys\n\nA4:C1:38:12:34:56 231d39c1d7cc1ab1aee224cd096db932\n"
	      "a4:c1:38:ab:cd:ef = 5a4b3c2d1e0f00112233445566778899  # trailing\n", f);
	fclose(f);
	T(keys_file(&o, path, err, sizeof err) == 0 && o.nkeys == 2, "a key file of 2 keys");
	T(keys_find(&o, "a4:c1:38:12:34:56") && !strcmp(keys_find(&o, "A4:C1:38:AB:CD:EF"), "5a4b3c2d1e0f00112233445566778899"),
	  "found, case ignored");
	T(!keys_find(&o, "A4:C1:38:00:00:00"), "an unknown MAC has none");
	T(keys_arg(&o, "A4:C1:38:12:34:56=00112233445566778899aabbccddeeff", err, sizeof err) == 0 &&
	  !strcmp(keys_find(&o, "A4:C1:38:12:34:56"), "00112233445566778899aabbccddeeff"), "-k: the last given wins");
	T(keys_arg(&o, "A4:C1:38:12:34:56=0011", err, sizeof err) < 0, "a short key refused");
	f = fopen(path, "w");
	fputs("A4:C1:38:12:34:56 nothex\n", f);
	fclose(f);
	T(keys_file(&o, path, err, sizeof err) < 0 && strstr(err, ":1:"), "a bad line: refused, its number said");
	unlink(path);
	keys_wipe(&o);
}

static void
emitting(void)
{
	static const uint8_t bt[] = { 0x40, 0x02, 0xc4, 0x09 }, junk[] = { 0x01, 0x02 },
		own[] = { 0x42, 0xa5, 0x80, 0x8f, 0xe6, 0x48, 0x54, 0x02, 0xca, 0x09 };
	struct dev *d;
	const char *out;

	d = get("/org/bluez/hci0/dev_A4_C1_38_00_00_0A", 1000);
	dev_set_name(&A, d, "EnvSensor 10");
	emit_flags(&A, d);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", bt, sizeof bt);
	T(strstr(out, "\"metric\":\"ble-gateway.envsensor_10_00000a.temperature\",\"value\":25,") != NULL, "a BTHome reading named");
	T(strstr(out, "\"tags\":{\"mac\":\"A4:C1:38:00:00:0A\",\"format\":\"bthome\",\"unit\":\"°C\"}") != NULL, "... tagged");
	out = adv(d, "0000abcd-0000-1000-8000-00805f9b34fb", junk, sizeof junk);
	T(!*out, "unknown data of a device not allowlisted: nothing");
	O.name_filter = "other";
	emit_flags(&A, d);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", bt, sizeof bt);
	T(!*out, "-n not matching: nothing");
	O.name_filter = "SENSOR";
	emit_flags(&A, d);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", bt, sizeof bt);
	T(*out, "-n matching, case ignored: emitted");
	O.name_filter = NULL;
	O.macs = calloc(1, sizeof *O.macs);
	strcpy(O.macs[0], "A4:C1:38:00:00:0A");
	O.nmacs = 1;
	emit_flags(&A, d);
	out = adv(d, "0000abcd-0000-1000-8000-00805f9b34fb", junk, sizeof junk);
	T(strstr(out, "\"metric\":\"ble-gateway.envsensor_10_00000a.svc_abcd\",\"value\":\"0102\"") != NULL,
	  "allowlisted: its unknown data as hex");
	strcpy(O.macs[0], "A4:C1:38:00:00:0B");
	emit_flags(&A, d);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", bt, sizeof bt);
	T(!*out, "off the allowlist: nothing");
	O.nmacs = 0;
	free(O.macs);
	O.per_device = 1;
	emit_flags(&A, d);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", bt, sizeof bt);
	T(strstr(out, "\"metric\":\"temperature\"") && strstr(out, "\"source_id\":\"envsensor_10_00000a\""),
	  "--source-per-device: the slug as source_id");
	O.per_device = 0;

	/* a BTHome packet that carries the sensor's MAC (54:48:E6:8F:80:A5) from
	 * a random BlueZ address: named and tagged by the sensor's MAC */
	d = named("7A:00:00:00:00:03", "Secret 3", 6000);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", own, sizeof own);
	T(strstr(out, "\"metric\":\"ble-gateway.secret_3_8f80a5.temperature\",\"value\":25.06,") != NULL,
	  "MAC included: the slug from the sensor's MAC");
	T(strstr(out, "\"mac\":\"54:48:E6:8F:80:A5\"") != NULL, "... and its mac tag");
	d = named("7A:00:00:00:00:04", "Secret 3", 6001);
	out = adv(d, "0000fcd2-0000-1000-8000-00805f9b34fb", own, sizeof own);
	T(strstr(out, "\"metric\":\"ble-gateway.secret_3_8f80a5.temperature\"") != NULL,
	  "... the same sensor at another BlueZ address: the same series");
}

int
main(void)
{
	O.prefix = "ble-gateway";
	O.max_devices = 4;
	A.o = &O;
	A.gatt_busy = -1;
	ble_app = &A;
	plx_recs_init(&A.recs);
	devtab_init(&A.tab, (int)O.max_devices);
	if (pipe(pfd) < 0 || plx_nonblock(pfd[0], 1) < 0)
		return 1;
	plx_loop_init(&L, &A);
	plx_loop_output(&L, pfd[1], 65536, 0);
	A.l = &L;
	table();
	slugs();
	uuids();
	keys();
	emitting();
	devtab_free(&A.tab);
	plx_recs_free(&A.recs);
	plx_loop_free(&L);
	UNIT_END();
}

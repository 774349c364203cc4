/* ble-read's decoders (cmd/ble-read/decode.h) against the golden cases of
 * tests/golden/ble/NAME.txt; one unit per reading name in all they give, as
 * the table of ble-read(1) says; then the small helpers and limits.  A golden line
 * is one advertisement (or one GATT value) and the readings expected:
 *
 *   [keyring MAC=HEX32] [mac AA:BB:CC:DD:EE:FF] [key HEX32] [unknown]
 *       svc UUID HEX | mfr ID HEX ... => READINGS
 *   gatt UUID HEX => READINGS
 *
 * UUIDs are written short ("fcd2") and handed to the decoders in BlueZ's
 * 128-bit form.  mac is the address BlueZ reports; lines naming the same mac
 * share the device's state (bindkey, last packet id), in file order; without
 * mac each line is a new device.  key is the device's bindkey (found by that
 * address); keyring adds a key to the key file, which a packet that carries
 * its own MAC is keyed from, from then on.  (HEX "-": no bytes.)  READINGS:
 * "-" for none, else "name=value unit; name2=..." with texts as name="text"
 * (plus "(value unit)" when the reading has a unit: a dimmer's steps); then
 * " @ MAC" when the device's packets said its own MAC; then " ! message"
 * when the decoder reported one.  A new case is a line of data.
 * BLE_GOLDEN_PRINT=1 prints what each line gives. */
#include <glob.h>
#include <strings.h>
#include <stdlib.h>

#include "decode.h"
#include "unit.h"

#define MAXR 64

static struct { char mac[18]; struct ble_dev d; } devs[64];
static int ndevs;
static struct { char mac[18], hex[33]; } ring[16];
static int nring;

static const char *
ring_find(const void *arg, const char *mac)
{
	int i;

	(void)arg;
	for (i = nring - 1; i >= 0; i--)
		if (!strcasecmp(ring[i].mac, mac))
			return ring[i].hex;
	return NULL;
}

static void
dev_init(struct ble_dev *d)
{
	ble_dev_init(d);
	d->lookup = ring_find;
}

static struct ble_dev *
device(const char *mac)
{
	int i;

	for (i = 0; i < ndevs; i++)
		if (!strcmp(devs[i].mac, mac))
			return &devs[i].d;
	if (ndevs == 64)
		return NULL;
	snprintf(devs[ndevs].mac, sizeof devs[ndevs].mac, "%s", mac);
	dev_init(&devs[ndevs].d);
	return &devs[ndevs++].d;
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned b;

	while (s[0] && s[1] && n < cap && sscanf(s, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

static void
longuuid(char *dst, size_t cap, const char *u)
{
	if (strlen(u) == 4)
		snprintf(dst, cap, "0000%s-0000-1000-8000-00805f9b34fb", u);
	else
		snprintf(dst, cap, "%s", u);
}

/* readings + message -> the golden text */
static void
render(char *buf, size_t cap, const struct ble_reading *r, int n, const char *own, const char *err)
{
	size_t len = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && len < cap; i++) {
		len += snprintf(buf + len, cap - len, "%s%s", i ? "; " : "", r[i].name);
		if (len < cap && r[i].idx)
			len += snprintf(buf + len, cap - len, "_%d", r[i].idx);
		if (len >= cap)
			break;
		if (r[i].is_text) {
			len += snprintf(buf + len, cap - len, "=\"%s\"", r[i].text);
			if (len < cap && *r[i].unit)
				len += snprintf(buf + len, cap - len, " (%.10g %s)", r[i].value, r[i].unit);
		} else
			len += snprintf(buf + len, cap - len, "=%.10g%s%s", r[i].value,
			                *r[i].unit ? " " : "", r[i].unit);
	}
	if (n == 0)
		len = snprintf(buf, cap, "-");
	if (len < cap && own[0])
		len += snprintf(buf + len, cap - len, " @ %s", own);
	if (len < cap && err[0])
		snprintf(buf + len, cap - len, " ! %s", err);
}

static struct ble_reading out[MAXR];

/* Every reading name the golden cases give, with its units and the formats
 * that give it: one unit per name whichever decoder made it, and the table
 * of ble-read(1)'s READINGS says the same (readings(), below). */
static struct seen {
	char name[32];
	const char *unit[4];
	int nunit;
	unsigned formats;           /* bit i: format i of fmt_bit() */
	int in_man;                 /* a row of ble-read(1) READINGS names it */
} seen[200];
static int nseen;

/* the formats in table order, then "gatt", "unknown"; -1 for none of them */
static int
fmt_bit(const char *f, size_t len)
{
	static const char *const more[] = { "gatt", "unknown" };
	const char *n;
	int i, k;

	for (i = 0; (n = ble_format_name(i)); i++)
		if (strlen(n) == len && !strncmp(n, f, len))
			return i;
	for (k = 0; k < 2; k++)
		if (strlen(more[k]) == len && !strncmp(more[k], f, len))
			return i + k;
	return -1;
}

static const char *
fmt_name(int bit)
{
	int n;

	for (n = 0; ble_format_name(n); n++)
		;
	return bit < n ? ble_format_name(bit) : bit == n ? "gatt" : bit == n + 1 ? "unknown" : "?";
}

/* svc_180f, svc_6e400001 -> svc_XXXX; mfr_004c -> mfr_XXXX */
static const char *
family(const char *name)
{
	return !strncmp(name, "svc_", 4) ? "svc_XXXX" : !strncmp(name, "mfr_", 4) ? "mfr_XXXX" : name;
}

static struct seen *
seen_find(const char *name)
{
	int i;

	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i].name, name))
			return &seen[i];
	return NULL;
}

static void
collect(const struct ble_reading *r, int n)
{
	struct seen *s;
	int i, k;

	for (i = 0; i < n; i++) {
		if (!(s = seen_find(family(r[i].name)))) {
			if (nseen == (int)(sizeof seen / sizeof seen[0]))
				continue;
			s = &seen[nseen++];
			snprintf(s->name, sizeof s->name, "%.31s", family(r[i].name));
		}
		for (k = 0; k < s->nunit && strcmp(s->unit[k], r[i].unit); k++)
			;
		if (k == s->nunit && k < 4)
			s->unit[s->nunit++] = r[i].unit;
		s->formats |= 1u << fmt_bit(r[i].format, strlen(r[i].format));
	}
}

/* One golden line: 0 if it holds, else -1 with got in msg. */
static int
golden(char *line, char *got, size_t gotlen, const char **want)
{
	static uint8_t bytes[16][300];
	static char uuids[16][40];
	struct ble_adv a = { .addr = "00:00:00:00:00:00" };
	struct ble_dev fresh, *d = &fresh;
	char *sep, *tok, *arg, *arg2, err[300];
	unsigned flags = 0;
	int n, k = 0, gatt = 0;
	size_t len = 0;

	dev_init(&fresh);
	if (!(sep = strstr(line, " => ")))
		return snprintf(got, gotlen, "no ' => ' in the line"), -1;
	*sep = 0;
	*want = sep + 4;
	for (tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (!strcmp(tok, "unknown")) {
			flags |= BLE_KEEP_UNKNOWN;
			continue;
		}
		if (!(arg = strtok(NULL, " \t")))
			return snprintf(got, gotlen, "'%s' without its value", tok), -1;
		if (!strcmp(tok, "mac")) {
			a.addr = arg;
			if (!(d = device(arg)))
				return snprintf(got, gotlen, "too many devices"), -1;
			continue;
		}
		if (!strcmp(tok, "keyring")) {
			if (nring == 16 || strlen(arg) != 17 + 1 + 32 || arg[17] != '=')
				return snprintf(got, gotlen, "keyring: MAC=HEX32, at most 16"), -1;
			snprintf(ring[nring].mac, sizeof ring[nring].mac, "%.17s", arg);
			snprintf(ring[nring++].hex, sizeof ring[0].hex, "%s", arg + 18);
			continue;
		}
		if (!strcmp(tok, "key")) {
			if (ble_dev_set_key(d, arg, err, sizeof err) < 0)
				return snprintf(got, gotlen, "key: %s", err), -1;
			continue;
		}
		if (k == 16 || !(arg2 = strtok(NULL, " \t")))
			return snprintf(got, gotlen, "'%s %s' without data", tok, arg), -1;
		if (strcmp(arg2, "-") && (strlen(arg2) % 2 || strspn(arg2, "0123456789abcdefABCDEF") != strlen(arg2)))
			return snprintf(got, gotlen, "'%s' is not an even number of hex digits", arg2), -1;
		len = unhex(arg2, bytes[k], sizeof bytes[k]);
		if (!strcmp(tok, "svc") && a.nsvc < BLE_MAX_SVC) {
			longuuid(uuids[k], sizeof uuids[k], arg);
			a.svc[a.nsvc].uuid = uuids[k];
			a.svc[a.nsvc].data = bytes[k];
			a.svc[a.nsvc++].len = len;
		} else if (!strcmp(tok, "mfr") && a.nmfr < BLE_MAX_MFR) {
			a.mfr[a.nmfr].company = (uint16_t)strtoul(arg, NULL, 16);
			a.mfr[a.nmfr].data = bytes[k];
			a.mfr[a.nmfr++].len = len;
		} else if (!strcmp(tok, "gatt")) {
			longuuid(uuids[k], sizeof uuids[k], arg);
			gatt = 1;
		} else
			return snprintf(got, gotlen, "unknown word '%s'", tok), -1;
		k++;
	}
	if (gatt)
		n = ble_decode_gatt(uuids[k - 1], bytes[k - 1], len, out, MAXR, err, sizeof err);
	else
		n = ble_decode_adv(&a, d, flags, out, MAXR, err, sizeof err);
	if (n < 0 && !err[0]) {
		ble_dev_free(&fresh);
		return snprintf(got, gotlen, "returned -1 without a message"), -1;
	}
	collect(out, n < 0 ? 0 : n);
	render(got, gotlen, out, n < 0 ? 0 : n, d->mac, err);
	ble_dev_free(&fresh);
	return strcmp(got, *want) ? -1 : 0;
}

static void
files(void)
{
	glob_t g;
	FILE *f;
	char line[2048], got[2048], copy[2048];
	const char *want = NULL;
	size_t i;
	int lineno, cases = 0, bad = 0, print = getenv("BLE_GOLDEN_PRINT") != NULL;

	T(glob("tests/golden/ble/*.txt", 0, NULL, &g) == 0, "golden files found (run from the top of the tree)");
	for (i = 0; i < g.gl_pathc; i++) {
		if (!(f = fopen(g.gl_pathv[i], "r")))
			continue;
		for (lineno = 1; fgets(line, sizeof line, f); lineno++) {
			line[strcspn(line, "\n")] = 0;
			if (!line[0] || line[0] == '#')
				continue;
			snprintf(copy, sizeof copy, "%s", line);
			cases++;
			if (golden(line, got, sizeof got, &want) < 0) {
				bad++;
				printf("not ok - %s:%d: %s\n#   got  %s\n#   want %s\n", g.gl_pathv[i], lineno,
				       copy, got, want ? want : "");
				unit_failed = 1;
			} else if (print)
				printf("# %s:%d: %s\n", g.gl_pathv[i], lineno, got);
		}
		fclose(f);
	}
	T(cases > 50 && bad == 0, "%d golden cases in %zu files, %d differ", cases, g.gl_pathc, bad);
	globfree(&g);
	for (i = 0; i < (size_t)ndevs; i++)
		ble_dev_free(&devs[i].d);
}

/* The rows of the table under READINGS in ble-read(1): reading, unit ("\-":
 * none), formats (comma-separated), tab-separated.  Each must be what the
 * golden cases give, and each name they give must be a row; only rssi,
 * which emit.c adds to every device, is not a decoder's. */
static void
readings(void)
{
	char line[512], *name, *unit, *fmts, *f;
	struct seen *s;
	unsigned bits;
	int in = 0, rows = 0, bad = 0, i, b;
	FILE *fp = fopen("cmd/ble-read/ble-read.1", "r");

	T(fp != NULL, "ble-read(1) found");
	while (fp && fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, ".SH", 3))
			in = !strcmp(line, ".SH READINGS");
		if (!in || !strchr(line, '\t') || !(unit = strchr(line, '\t')) || !(fmts = strchr(unit + 1, '\t')))
			continue;
		name = line;
		*unit++ = 0;
		*fmts++ = 0;
		if (!strcmp(name, "T{") || !strcmp(name, "reading"))
			continue;
		rows++;
		if (!strcmp(unit, "\\-"))
			unit = "";
		for (bits = 0, f = fmts; *f; f += strspn(f, ", ")) {
			b = fmt_bit(f, strcspn(f, ", "));
			bits |= b < 0 ? 1u << 31 : 1u << b;
			f += strcspn(f, ", ");
		}
		if (!(s = seen_find(name))) {
			if (strcmp(name, "rssi")) {
				printf("# ble-read(1) READINGS: %s: no golden case gives it\n", name);
				bad++;
			}
			continue;
		}
		s->in_man = 1;
		if (s->nunit != 1 || strcmp(s->unit[0], unit) || s->formats != bits) {
			printf("# ble-read(1) READINGS: %s %s (%s): the golden cases give", name, unit, fmts);
			for (i = 0; i < s->nunit; i++)
				printf(" \"%s\"", s->unit[i]);
			for (i = 0; i < 32; i++)
				if (s->formats >> i & 1)
					printf(" %s", fmt_name(i));
			printf("\n");
			bad++;
		}
	}
	if (fp)
		fclose(fp);
	for (i = 0; i < nseen; i++)
		if (!seen[i].in_man) {
			printf("# ble-read(1) READINGS: no row for %s\n", seen[i].name);
			bad++;
		}
	T(rows > 50 && bad == 0, "ble-read(1) READINGS: %d rows, as the decoders give them (%d differ)", rows, bad);
	for (bad = i = 0; i < nseen; i++)
		if (seen[i].nunit != 1) {
			printf("# %s in %d units:", seen[i].name, seen[i].nunit);
			for (b = 0; b < seen[i].nunit; b++)
				printf(" \"%s\"", seen[i].unit[b]);
			printf("\n");
			bad++;
		}
	T(nseen > 50 && bad == 0, "one unit per reading name, whichever decoder made it: %d names, %d with more",
	  nseen, bad);
}

int
main(void)
{
	struct ble_adv a = { .addr = "00:00:00:00:00:00", .nsvc = 1 };
	struct ble_dev d;
	char err[300];
	uint8_t mac[6], many[40];
	int i, n;

	files();
	readings();

	T(ble_uuid16("0000fcd2-0000-1000-8000-00805f9b34fb") == 0xfcd2, "128-bit base UUID");
	T(ble_uuid16("0000FE95-0000-1000-8000-00805F9B34FB") == 0xfe95, "upper case UUID");
	T(ble_uuid16("181a") == 0x181a, "16-bit UUID");
	T(ble_uuid16("0001fcd2-0000-1000-8000-00805f9b34fb") == -1, "a 32-bit UUID is not 16-bit");
	T(ble_uuid16("0000fcd2-0000-1000-8000-00805f9b34fc") == -1, "not the base UUID");
	T(ble_uuid16("fcz2") == -1 && ble_uuid16("") == -1 && ble_uuid16(NULL) == -1, "bad UUIDs");
	T(ble_addr_parse("54:48:E6:8F:80:a5", mac) == 0 && mac[0] == 0x54 && mac[5] == 0xa5, "address");
	T(ble_addr_parse("54:48:E6:8F:80", mac) < 0 && ble_addr_parse("54-48-E6-8F-80-A5", mac) < 0,
	  "bad addresses");
	T(ble_format_name(0) && !strcmp(ble_format_name(0), "bthome") && !ble_format_name(99), "format names");

	ble_dev_init(&d);
	T(ble_dev_set_key(&d, "231d39c1d7cc1ab1aee224cd096db93", err, sizeof err) < 0, "short key refused");
	T_STR(err, "a bindkey is 32 hex digits, got 31 characters", "short key message");
	T(ble_dev_set_key(&d, "231d39c1d7cc1ab1aee224cd096db9zz", err, sizeof err) < 0, "non-hex key refused");
	T(ble_dev_set_key(&d, "231d39c1d7cc1ab1aee224cd096db932", err, sizeof err) == 0 && d.has_key, "key set");
	ble_dev_free(&d);
	T(!d.has_key && d.cipher == NULL, "key wiped");

	/* 19 temperatures into room for 4: 4 readings and one message */
	many[0] = 0x40;
	for (i = 0; i < 19; i++) {
		many[1 + 2 * i] = 0x57;
		many[2 + 2 * i] = (uint8_t)i;
	}
	a.svc[0].uuid = "fcd2";
	a.svc[0].data = many;
	a.svc[0].len = 39;
	n = ble_decode_adv(&a, NULL, 0, out, 4, err, sizeof err);
	T(n == 4 && out[3].idx == 4 && out[3].value == 3, "readings past max dropped (%d)", n);
	T_STR(err, "more than 4 readings in one advertisement: the rest dropped", "overflow message");
	n = ble_decode_adv(&a, NULL, 0, out, 0, err, sizeof err);
	T(n == -1, "no room at all: -1");
	a.nsvc = 99;      /* a caller's count beyond the array is clamped */
	a.svc[1].uuid = NULL;
	for (i = 2; i < BLE_MAX_SVC; i++)
		a.svc[i] = a.svc[0];
	n = ble_decode_adv(&a, NULL, BLE_KEEP_UNKNOWN, out, MAXR, err, sizeof err);
	T(n == MAXR && err[0], "8 entries of 19 readings: clamped and bounded");
	T(ble_decode_gatt("2a6e", (const uint8_t *)"\x2c\x09", 2, out, 0, err, sizeof err) == -1,
	  "gatt without room: -1");
	UNIT_END();
}

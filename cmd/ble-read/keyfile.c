/* ble-read: BTHome bindkeys, given as --bind-key MAC=KEY or in a key file.
 *
 *   # /etc/plexus/ble-keys (mode 0600: anyone who reads it reads the sensors)
 *   A4:C1:38:12:34:56 231d39c1d7cc1ab1aee224cd096db932
 *   a4:c1:38:ab:cd:ef = 5a4b3c2d1e0f00112233445566778899
 *
 * One device per line, MAC then 32 hex digits, separated by blanks or '=';
 * '#' starts a comment.  The keys are checked here (ble_dev_set_key reads
 * them again when a device appears) and wiped at exit. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ble.h"
#include "log.h"

int
keys_add(struct ble_opts *o, const char *mac, const char *hex, char *err, size_t errlen)
{
	uint8_t m[6];
	struct ble_key *k;
	int i;

	if (ble_addr_parse(mac, m) < 0) {
		snprintf(err, errlen, "\"%s\" is not a MAC address AA:BB:CC:DD:EE:FF", mac);
		return -1;
	}
	for (i = 0; hex[i]; i++)
		if (!isxdigit((unsigned char)hex[i]))
			break;
	if (i != 32 || hex[i]) {
		snprintf(err, errlen, "%s: a bindkey is 32 hex digits", mac);
		return -1;
	}
	o->keys = k = plx_xrealloc(o->keys, (size_t)(o->nkeys + 1) * sizeof *k);
	k += o->nkeys++;
	for (i = 0; i < 17; i++)
		k->mac[i] = (char)toupper((unsigned char)mac[i]);
	k->mac[17] = 0;
	memcpy(k->hex, hex, 33);
	return 0;
}

int
keys_arg(struct ble_opts *o, const char *arg, char *err, size_t errlen)
{
	char mac[18];
	const char *eq = strchr(arg, '=');

	if (!eq || eq - arg != 17) {
		snprintf(err, errlen, "\"%.20s...\" is not MAC=KEY", arg);
		return -1;
	}
	memcpy(mac, arg, 17);
	mac[17] = 0;
	return keys_add(o, mac, eq + 1, err, errlen);
}

/* One line: MAC [blanks or '='] KEY; 1 when it held a key, 0 blank, -1. */
static int
key_line(struct ble_opts *o, char *s, char *err, size_t errlen)
{
	char *mac, *key, *e;

	if ((e = strchr(s, '#')))
		*e = 0;
	mac = s + strspn(s, " \t");
	if (!*mac || *mac == '\n')
		return 0;
	key = mac + strcspn(mac, " \t=");
	if (*key)
		*key++ = 0;
	key += strspn(key, " \t=");
	key[strcspn(key, " \t\r\n")] = 0;
	return keys_add(o, mac, key, err, errlen) < 0 ? -1 : 1;
}

/* The lines of f (named name in messages): 0, or -1 at the first bad one. */
int
keys_stream(struct ble_opts *o, FILE *f, const char *name, char *err, size_t errlen)
{
	char line[256], why[160];
	int no = 0, rc = 0;

	while (rc == 0 && fgets(line, sizeof line, f)) {
		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: longer than %zu bytes", name, no, sizeof line - 2);
			rc = -1;
		} else if (key_line(o, line, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, no, why);
			rc = -1;
		}
	}
	explicit_bzero(line, sizeof line);
	return rc;
}

int
keys_file(struct ble_opts *o, const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	int rc;

	if (!(f = fopen(path, "re"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		plx_warn("%s: readable by others (mode %04o); chmod 600 advised", path,
		         (unsigned)(st.st_mode & 07777));
	rc = keys_stream(o, f, path, err, errlen);
	fclose(f);
	return rc;
}

const char *
keys_find(const struct ble_opts *o, const char *mac)
{
	int i;

	for (i = o->nkeys - 1; i >= 0; i--)     /* the last one given wins */
		if (!strcasecmp(o->keys[i].mac, mac))
			return o->keys[i].hex;
	return NULL;
}

void
keys_wipe(struct ble_opts *o)
{
	if (o->keys)
		explicit_bzero(o->keys, (size_t)o->nkeys * sizeof *o->keys);
	free(o->keys);
	o->keys = NULL;
	o->nkeys = 0;
}

/* Device identity: see devices.h and plexus-devices(5). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "devices.h"
#include "log.h"
#include "opts.h"

#define FILE_MAX (1 << 20)

static const char *const kinds[PLX_DEV_KINDS] = { "ble", "serial", "modbus", "can", "mqtt" };

void
plx_devices_free(struct plx_devices *d)
{
	int i, k;

	for (i = 0; i < d->n; i++) {
		free(d->dev[i].name);
		free(d->dev[i].source_id);
		for (k = 0; k < d->dev[i].ntags; k++)
			free(d->dev[i].tag_kv[k]);
	}
	for (i = 0; i < d->nkeys; i++)
		free(d->key[i].id);
	free(d->dev);
	free(d->key);
	free(d->path);
	memset(d, 0, sizeof *d);
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PLX_DEVICE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* A MAC: six hex pairs split by ':' (or '-'), kept upper case with ':'. */
static int
mac_norm(const char *s, char *out)
{
	int i;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':' && s[i] != '-')
				return -1;
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)s[i]))
				return -1;
			out[i] = (char)toupper((unsigned char)s[i]);
		}
	}
	out[17] = '\0';
	return 0;
}

/* A whole number in decimal, or hex after 0x (datasheets give both). */
static int
whole(const char *s, size_t n, long min, long max, long *v)
{
	int base = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
	size_t i = base == 16 ? 2 : 0;

	if (i == n || n - i > 8)
		return -1;
	for (*v = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]) || (base == 10 && !isdigit((unsigned char)s[i])))
			return -1;
		*v = *v * base + (isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return *v < min || *v > max ? -1 : 0;
}

/* A Modbus unit: HOST[:PORT]/UNIT (an IPv6 HOST in brackets) or
 * /dev/.../UNIT, kept as HOST:PORT/UNIT (PORT 502 when not said) or
 * PATH/UNIT, the unit (0-255) in decimal: the forms modbus-read gives. */
static int
modbus_norm(const char *s, char *out, size_t len)
{
	const char *slash = strrchr(s, '/'), *hend = NULL, *colon;
	long unit, port = 502;
	size_t hostlen;
	int k;

	if (!slash || slash == s || whole(slash + 1, strlen(slash + 1), 0, 255, &unit) < 0)
		return -1;
	if (*s == '/') {
		k = snprintf(out, len, "%.*s/%ld", (int)(slash - s), s, unit);
		return k < 0 || (size_t)k >= len ? -1 : 0;
	}
	if (*s == '[' && !(hend = memchr(s, ']', (size_t)(slash - s))))
		return -1;
	colon = memchr(hend ? hend : s, ':', (size_t)(slash - (hend ? hend : s)));
	if ((hend && hend + 1 != slash && hend + 1 != colon) || (hend && hend - s < 2))
		return -1;
	hostlen = (size_t)((colon ? colon : slash) - s);
	if (!hostlen || (colon && whole(colon + 1, (size_t)(slash - colon - 1), 1, 65535, &port) < 0))
		return -1;
	k = snprintf(out, len, "%.*s:%ld/%ld", (int)hostlen, s, port, unit);
	return k < 0 || (size_t)k >= len ? -1 : 0;
}

/* An id as a reader gives it, in the form keys are kept in. */
static int
id_norm(enum plx_dev_kind kind, const char *id, char *out, size_t len)
{
	if (kind == PLX_DEV_BLE)
		return mac_norm(id, out);
	if (kind == PLX_DEV_MODBUS)
		return modbus_norm(id, out, len);
	if (!*id || strlen(id) >= len)
		return -1;
	strcpy(out, id);
	return 0;
}

/* "FILE:LINE: what" into err. */
static void __attribute__((format(printf, 5, 6)))
at(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, errlen, "%s:%u: ", file, line);

	if (k < 0 || (size_t)k >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
	va_end(ap);
}
#define FAIL(...) do { at(err, errlen, name, lineno, __VA_ARGS__); goto fail; } while (0)

/* The helpers below say what is wrong in msg (MSG_MAX bytes) and return -1;
 * plx_devices_parse puts the file and line before it. */
#define MSG_MAX 300
#define SAY(...) (snprintf(msg, MSG_MAX, __VA_ARGS__), -1)

/* "[device NAME]" (k: the trimmed line): a new device, the current one. */
static int
section(struct plx_devices *d, char *k, unsigned lineno, char *msg)
{
	struct plx_device *cur;
	int i;

	if (strncmp(k, "[device ", 8) || k[strlen(k) - 1] != ']')
		return SAY("expected [device NAME], got '%.64s'", k);
	k += 8;
	k[strlen(k) - 1] = '\0';
	while (*k == ' ')
		k++;
	if (!name_ok(k, strlen(k)))
		return SAY("device name '%.64s': 1-%d of A-Z a-z 0-9 . _ -", k, PLX_DEVICE_NAME_MAX);
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->dev[i].name, k))
			return SAY("device %s: named twice (first at line %u)", k, d->dev[i].line);
	d->dev = plx_xrealloc(d->dev, (size_t)(d->n + 1) * sizeof *d->dev);
	cur = &d->dev[d->n++];
	memset(cur, 0, sizeof *cur);
	cur->name = plx_xstrdup(k);
	cur->line = lineno;
	return 0;
}

/* "ble = AA:BB:..." and the like: how a reader knows the current device. */
static int
identity(struct plx_devices *d, int kind, const char *v, char *msg)
{
	char norm[512];
	int i;

	if (id_norm((enum plx_dev_kind)kind, v, norm, sizeof norm) < 0)
		return SAY("%s = '%.64s': %s", kinds[kind], v, kind == PLX_DEV_BLE ? "not a MAC (AA:BB:CC:DD:EE:FF)"
		           : kind == PLX_DEV_MODBUS ? "not HOST[:PORT]/UNIT or /dev/PORT/UNIT (a unit 0-255)"
		           : "empty or too long");
	for (i = 0; i < d->nkeys; i++)
		if (d->key[i].kind == (enum plx_dev_kind)kind && !strcmp(d->key[i].id, norm))
			return SAY("%s %.128s: already device %s", kinds[kind], norm, d->dev[d->key[i].dev].name);
	d->key = plx_xrealloc(d->key, (size_t)(d->nkeys + 1) * sizeof *d->key);
	d->key[d->nkeys].kind = (enum plx_dev_kind)kind;
	d->key[d->nkeys].id = plx_xstrdup(norm);
	d->key[d->nkeys++].dev = d->n - 1;
	return 0;
}

/* source-id, tag and expect of the current device. */
static int
attribute(struct plx_device *cur, const char *k, const char *v, char *msg)
{
	char why[200], *eq;

	if (!strcmp(k, "source-id")) {
		if (cur->source_id)
			return SAY("source-id given twice");
		cur->source_id = plx_xstrdup(v);
		if (plx_tags_set_source(&cur->tags, cur->source_id, why, sizeof why) < 0)
			return SAY("source-id: %s", why);
	} else if (!strcmp(k, "tag")) {
		if (!(eq = strchr(v, '=')) || eq == v)
			return SAY("tag = '%.64s': not key=value", v);
		if (cur->ntags == PLX_TAGS_MAX - 2)
			return SAY("more than %d tags", PLX_TAGS_MAX - 2);
		cur->tag_kv[cur->ntags] = plx_xstrdup(v);
		eq = cur->tag_kv[cur->ntags] + (eq - v);
		*eq = '\0';
		if (plx_tags_add(&cur->tags, cur->tag_kv[cur->ntags], eq + 1, why, sizeof why) < 0) {
			free(cur->tag_kv[cur->ntags]);
			return SAY("tag: %s", why);
		}
		cur->ntags++;
	} else if (!strcmp(k, "expect")) {
		if (plx_duration(v, 1000, &cur->expect_ms) < 0 || cur->expect_ms < 100)
			return SAY("expect = '%.32s': a duration of at least 100ms (10s, 5m)", v);
	} else {
		return SAY("unknown key '%.32s' (ble, serial, modbus, can, mqtt, source-id, tag, expect)", k);
	}
	return 0;
}

/* A "key = value" line (k: trimmed, not a section), split at its '='. */
static int
key_line(struct plx_devices *d, char *k, char *msg)
{
	char *v = strchr(k, '='), *q;
	int kind;

	if (!v)
		return SAY("expected key = value, got '%.64s'", k);
	for (q = v; q > k && isspace((unsigned char)q[-1]); q--)
		;
	*q = '\0';
	for (v++; isspace((unsigned char)*v); v++)
		;
	if (!d->n)
		return SAY("'%.32s' before the first [device NAME]", k);
	for (kind = 0; kind < PLX_DEV_KINDS && strcmp(k, kinds[kind]); kind++)
		;
	return kind < PLX_DEV_KINDS ? identity(d, kind, v, msg) : attribute(&d->dev[d->n - 1], k, v, msg);
}

int
plx_devices_parse(struct plx_devices *d, const char *name, const char *text, size_t len,
                  char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *e;
	char line[1024], *k, msg[MSG_MAX];
	unsigned lineno = 0;
	int i, j, named;

	memset(d, 0, sizeof *d);
	for (; p < end; p = e + (e < end)) {
		size_t n;
		lineno++;
		if (!(e = memchr(p, '\n', (size_t)(end - p))))
			e = end;
		n = (size_t)(e - p);
		if (n >= sizeof line)
			FAIL("line longer than %zu bytes", sizeof line - 1);
		if (memchr(p, '\0', n))
			FAIL("a NUL byte");
		memcpy(line, p, n);
		line[n] = '\0';
		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if (*k && *k != '#' && (*k == '[' ? section(d, k, lineno, msg) : key_line(d, k, msg)) < 0)
			FAIL("%s", msg);
	}
	for (i = 0; i < d->n; i++) {
		for (named = 0, j = 0; j < d->nkeys; j++)
			named |= d->key[j].dev == i;
		if (!named) {
			lineno = d->dev[i].line;
			FAIL("device %s: no ble, serial, modbus, can or mqtt line says which device it is",
			     d->dev[i].name);
		}
	}
	return 0;
fail:
	plx_devices_free(d);
	return -1;
}

int
plx_devices_load(struct plx_devices *d, const char *path, char *err, size_t errlen)
{
	const char *env = getenv("PLEXUS_DEVICES");
	int given = path || (env && *env), rc;
	char *text;
	size_t n;
	FILE *f;

	memset(d, 0, sizeof *d);
	if (!path)
		path = env && *env ? env : PLX_DEVICES_DEFAULT;
	if (!(f = fopen(path, "r"))) {
		if (errno == ENOENT && !given)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = plx_xmalloc(FILE_MAX + 1);
	n = fread(text, 1, FILE_MAX + 1, f);
	if (ferror(f) || n > FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? strerror(errno) : "larger than 1 MiB");
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	rc = plx_devices_parse(d, path, text, n, err, errlen);
	free(text);
	if (rc == 0)
		d->path = plx_xstrdup(path);
	return rc;
}

const struct plx_device *
plx_devices_find(const struct plx_devices *d, enum plx_dev_kind kind, const char *id)
{
	char norm[PATH_MAX], real[PATH_MAX];
	int i, pass;

	if (!d->nkeys || id_norm(kind, id, norm, sizeof norm) < 0)
		return NULL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->nkeys; i++) {
			if (d->key[i].kind != kind)
				continue;
			if (!strcmp(d->key[i].id, norm))
				return &d->dev[d->key[i].dev];
			/* a serial port named otherwise: the same device node */
			if (pass && kind == PLX_DEV_SERIAL && realpath(d->key[i].id, real) &&
			    !strcmp(real, norm))
				return &d->dev[d->key[i].dev];
		}
		if (kind != PLX_DEV_SERIAL || !realpath(id, norm))
			break;
	}
	return NULL;
}

int
plx_devices_reload(struct plx_devices *d)
{
	struct plx_devices next;
	char err[300];

	if (plx_devices_load(&next, NULL, err, sizeof err) < 0) {
		plx_warn("devices file: %s; names as they were", err);
		return -1;
	}
	plx_devices_free(d);
	*d = next;
	return 0;
}

const struct plx_device *
plx_devices_lookup(const struct plx_devices *d, enum plx_dev_kind kind, const char *id)
{
	const struct plx_device *v = plx_devices_find(d, kind, id);

	if (v)
		plx_info("%s is device %s (%s)", id, v->name, d->path);
	return v;
}

int
plx_device_tags(const struct plx_devices *ds, const struct plx_device *d, const struct plx_tags *base,
                int keep_source, const char *dflt, struct plx_tags *out)
{
	const char *k, *v, *name = d ? d->name : dflt;
	char err[200];
	int i, rc = 0;

	*out = *base;
	for (i = 0; d && plx_tags_get(&d->tags, i, &k, &v) == 0; i++)
		if (plx_tags_add(out, k, v, err, sizeof err) < 0 && (rc = -1))
			plx_warn("%s: device %s: %s", ds->path, d->name, err);
	if (name && plx_tags_add(out, "device", name, err, sizeof err) < 0 && (rc = -1))
		plx_warn("device %s: %s", name, err);
	if (d && d->source_id && !keep_source && plx_tags_set_source(out, d->source_id, err, sizeof err) < 0 &&
	    (rc = -1))
		plx_warn("%s: device %s: %s", ds->path, d->name, err);
	return rc;
}

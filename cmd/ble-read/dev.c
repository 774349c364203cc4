/* ble-read: the device table.  BlueZ names a device by an object path that
 * holds its address:
 *
 *   /org/bluez/hci0/dev_A4_C1_38_12_34_56            Device1
 *   /org/bluez/hci0/dev_A4_C1_38_12_34_56/service000a/char000b
 *
 * The table is allocated once (--max-devices slots) and never grows: a
 * street full of phones with random addresses must not grow the reader.
 * When it is full, the device unseen for longest gives up its slot (its
 * decoder state with it); a device that comes back starts afresh.  Lookup
 * is a hash of the path with chains through the slots.  A device's name in
 * the metrics (its slug) is made here too, from its name and MAC. */
#include <stdlib.h>
#include <string.h>

#include "ble.h"
#include "log.h"

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;           /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

void
devtab_init(struct devtab *t, int max)
{
	int i;

	memset(t, 0, sizeof *t);
	for (t->nbucket = 16; t->nbucket < 2u * (unsigned)max; t->nbucket <<= 1)
		;
	t->d = plx_xcalloc((size_t)max, sizeof *t->d);
	t->bucket = plx_xmalloc(t->nbucket * sizeof *t->bucket);
	for (i = 0; i < (int)t->nbucket; i++)
		t->bucket[i] = -1;
	t->max = max;
}

void
devtab_free(struct devtab *t)
{
	int i;

	for (i = 0; t->d && i < t->max; i++)
		ble_dev_free(&t->d[i].st);
	free(t->d);
	free(t->bucket);
	memset(t, 0, sizeof *t);
}

int
dev_index(const struct devtab *t, const struct dev *d)
{
	return (int)(d - t->d);
}

struct dev *
dev_find(struct devtab *t, const char *path)
{
	int i;

	for (i = t->bucket[hash(path) & (t->nbucket - 1)]; i >= 0; i = t->d[i].next)
		if (!strcmp(t->d[i].path, path))
			return &t->d[i];
	return NULL;
}

void
dev_drop(struct devtab *t, struct dev *d)
{
	int *p = &t->bucket[hash(d->path) & (t->nbucket - 1)];
	int i = dev_index(t, d);
	unsigned gen = d->gen;

	while (*p >= 0 && *p != i)
		p = &t->d[*p].next;
	if (*p == i)
		*p = d->next;
	ble_dev_free(&d->st);
	memset(d, 0, sizeof *d);
	d->gen = gen + 1;
	d->next = -1;
	t->used--;
}

/* "/org/bluez/hci0/dev_A4_C1_38_12_34_56" -> "A4:C1:38:12:34:56"; -1 when
 * the path is not a device's. */
static int
path_addr(const char *path, char addr[18])
{
	const char *p = strrchr(path, '/');
	int i;

	if (!p || strncmp(p, "/dev_", 5) || strlen(p + 5) != 17 || strlen(path) >= BLE_PATH_MAX)
		return -1;
	for (p += 5, i = 0; i < 17; i++)
		addr[i] = i % 3 == 2 ? (p[i] == '_' ? ':' : '?') : p[i];
	addr[17] = 0;
	{
		uint8_t m[6];
		return ble_addr_parse(addr, m);
	}
}

/* The key file, for packets that carry the sensor's own MAC. */
static const char *
key_lookup(const void *o, const char *mac)
{
	return keys_find(o, mac);
}

static struct dev *
oldest(struct devtab *t, int busy)
{
	struct dev *o = NULL;
	int i;

	for (i = 0; i < t->max; i++)
		if (i != busy && t->d[i].path[0] && (!o || t->d[i].last_seen < o->last_seen))
			o = &t->d[i];
	return o;
}

static struct dev *
free_slot(struct devtab *t)
{
	int i;

	for (i = 0; i < t->max; i++)
		if (!t->d[i].path[0])
			return &t->d[i];
	return NULL;
}

struct dev *
dev_get(struct app *a, const char *path, int *added)
{
	struct devtab *t = &a->tab;
	struct dev *d;
	char addr[18], err[160];
	const char *key;
	unsigned gen, h;

	*added = 0;
	if ((d = dev_find(t, path)))
		return d;
	if (path_addr(path, addr) < 0)
		return NULL;
	if (t->used == t->max && (d = oldest(t, a->gatt_busy))) {
		ident_gone(a, d);
		dev_drop(t, d);
	}
	if (!(d = free_slot(t)))
		return NULL;
	gen = d->gen;
	memset(d, 0, sizeof *d);
	d->gen = gen;
	strcpy(d->path, path);
	memcpy(d->addr, addr, sizeof addr);
	memcpy(d->mac, addr, sizeof addr);
	ble_dev_init(&d->st);
	d->st.lookup = key_lookup;
	d->st.lookup_arg = a->o;
	d->live = -1;
	ident_dev(a, d);
	dev_set_name(a, d, "");
	if ((key = keys_find(a->o, addr)) && ble_dev_set_key(&d->st, key, err, sizeof err) < 0)
		plx_warn("%s: %s", addr, err);
	h = hash(path) & (t->nbucket - 1);
	d->next = t->bucket[h];
	t->bucket[h] = dev_index(t, d);
	t->used++;
	a->n.devices_seen++;
	emit_flags(a, d);
	*added = 1;
	return d;
}

/* s lower case, each character not a letter or digit '_', leading '_'
 * dropped, at most cap - 1 bytes: the length. */
size_t
ble_slugify(char *dst, size_t cap, const char *s)
{
	size_t n = 0;
	char c;

	for (; *s && n + 1 < cap; s++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (c != '_' || n > 0)
			dst[n++] = c;
	}
	if (cap)
		dst[n] = 0;
	return n;
}

/* The hex digits of a MAC, from the byte `from` on: "A4:C1:38:12:34:56", 3
 * -> "123456". */
static void
mac_hex(char *dst, const char *mac, int from)
{
	int i;

	for (i = from; i < 6; i++) {
		*dst++ = (char)(mac[3 * i] | 0x20);       /* digits stay, A-F become a-f */
		*dst++ = (char)(mac[3 * i + 1] | 0x20);
	}
	*dst = 0;
}

static const char *
alias_find(const struct ble_opts *o, const char *mac)
{
	int i;

	for (i = o->naliases - 1; i >= 0; i--)    /* the last one given wins */
		if (!strcasecmp(o->aliases[i].mac, mac))
			return o->aliases[i].slug;
	return NULL;
}

/* Another device in the table named slug: one with another MAC (a sensor
 * whose BlueZ address changed is the same sensor). */
static int
slug_taken(const struct app *a, const struct dev *d, const char *slug)
{
	int i;

	for (i = 0; i < a->tab.max; i++)
		if (&a->tab.d[i] != d && a->tab.d[i].path[0] && strcmp(a->tab.d[i].mac, d->mac) &&
		    !strcmp(a->tab.d[i].slug, slug))
			return 1;
	return 0;
}

/* The slug, from the MAC (the sensor's own, else BlueZ's) and the name, so
 * that it is the same at every start and differs between two sensors that
 * advertise the same name: the name's slug, '_', the MAC's last 6 hex digits
 * ("MJ_HT_V1" at A4:C1:38:12:34:56: mj_ht_v1_123456), unless it already ends
 * with them (ATC_123456); no name: the MAC's ("a4_c1_38_12_34_56"); an
 * --alias: its own; else a name in the devices file: that one's.  When another sensor has that slug already (same name
 * and MAC ending), the whole MAC ("mj_ht_v1_a4c138123456"). */
static void
dev_slug(struct app *a, struct dev *d)
{
	const char *alias = alias_find(a->o, d->mac);
	char base[BLE_NAME_KEEP], tail[13];
	size_t n;

	if (alias || (alias = alias_find(a->o, d->addr))) {
		snprintf(d->slug, sizeof d->slug, "%s", alias);
		return;
	}
	if (d->named) {             /* the devices file's name */
		ble_slugify(d->slug, sizeof d->slug, d->named->name);
		return;
	}
	n = ble_slugify(base, 50, d->name);       /* room for "_" and 12 hex digits */
	if (!n) {
		ble_slugify(d->slug, sizeof d->slug, d->mac);
		return;
	}
	mac_hex(tail, d->mac, 3);
	if (n >= 6 && !strcmp(base + n - 6, tail))
		snprintf(d->slug, sizeof d->slug, "%s", base);
	else
		snprintf(d->slug, sizeof d->slug, "%.49s_%s", base, tail);
	if (!slug_taken(a, d, d->slug))
		return;
	mac_hex(tail, d->mac, 0);
	plx_warn("%s: %s is the name of another sensor already: %s_%s instead (--alias to choose)",
	         d->mac, d->slug, base, tail);
	snprintf(d->slug, sizeof d->slug, "%.49s_%s", base, tail);
}

void
dev_set_name(struct app *a, struct dev *d, const char *name)
{
	snprintf(d->name, sizeof d->name, "%s", name);
	dev_slug(a, d);
}

void
dev_set_mac(struct app *a, struct dev *d, const char *mac)
{
	if (mac != d->mac)          /* (the same MAC again: who it is, its slug) */
		snprintf(d->mac, sizeof d->mac, "%s", mac);
	ident_dev(a, d);
	dev_slug(a, d);
}

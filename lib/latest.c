/* The latest value of each series, per commit: see latest.h. */
#include <stdlib.h>
#include <string.h>

#include "latest.h"
#include "log.h"

#define SLOTS (2 * LATEST_MAX)

void
plx_latest_init(struct plx_latest *m, const char *default_source)
{
	int i;

	memset(m, 0, sizeof *m);
	m->e = plx_xcalloc(LATEST_MAX, sizeof *m->e);
	m->slot = plx_xmalloc(SLOTS * sizeof *m->slot);
	for (i = 0; i < SLOTS; i++)
		m->slot[i] = -1;
	m->source = plx_xstrdup(default_source ? default_source : "");
	m->source_n = strlen(m->source);
}

void
plx_latest_detach(struct plx_latest *m)
{
	sqlite3_finalize(m->up);
	sqlite3_finalize(m->devup);
	m->up = m->devup = NULL;
	m->db = NULL;
}

void
plx_latest_free(struct plx_latest *m)
{
	int i;

	if (!m->e)
		return;
	plx_latest_detach(m);
	for (i = 0; i < LATEST_MAX; i++) {
		free(m->e[i].key);
		free(m->e[i].value);
	}
	free(m->e);
	free(m->slot);
	free(m->source);
	memset(m, 0, sizeof *m);
}

void
plx_latest_clear(struct plx_latest *m)
{
	int i;

	/* the entries keep their buffers for the next commit */
	for (i = 0; i < m->n; i++)
		m->e[i].count = 0;
	for (i = 0; i < SLOTS; i++)
		m->slot[i] = -1;
	m->n = 0;
	m->ndev = 0;
}

/* This runs once per record: the length and three words of the string
 * (its first, middle and last eight bytes), not every byte; names that
 * differ only elsewhere share a hash and are told apart by the probe's
 * comparison. */
static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

static uint64_t
hash(const char *s, size_t n, uint64_t h)
{
	uint64_t a, b, c;
	size_t i;

	h = mix(h, n);
	if (n < 8) {
		for (a = 0, i = 0; i < n; i++)
			a = a << 8 | (unsigned char)s[i];
		return mix(h, a);
	}
	memcpy(&a, s, 8);
	memcpy(&b, s + (n - 8) / 2, 8);
	memcpy(&c, s + n - 8, 8);
	return mix(mix(mix(h, a), b), c);
}

static void
put(char **to, size_t *cap, const char *s, size_t n)
{
	if (n + 1 > *cap) {
		*cap = n + 1 > 64 ? n + 1 : 64;
		*to = plx_xrealloc(*to, *cap);
	}
	memcpy(*to, s, n);
	(*to)[n] = '\0';
}

/* The value of the device key in a flat tags object without escapes. */
static int
device_tag(const char *s, size_t n, const char **v, size_t *vn)
{
	const char *e = s + n, *k, *q;
	size_t kn;

	for (;;) {
		while (s < e && *s != '"')
			s++;
		if (s == e)
			return 0;
		k = ++s;                       /* a key */
		if (!(q = memchr(s, '"', (size_t)(e - s))))
			return 0;
		kn = (size_t)(q - k);
		s = q + 1;
		while (s < e && *s != '"')     /* its value */
			s++;
		if (s == e || !(q = memchr(s + 1, '"', (size_t)(e - s - 1))))
			return 0;
		if (kn == 6 && !memcmp(k, "device", 6)) {
			*v = s + 1;
			*vn = (size_t)(q - s - 1);
			return 1;
		}
		s = q + 1;
	}
}

/* gateway.<reader>.device.connected or .silent: the device's state. */
static int
note_device(struct plx_latest *m, const struct plx_point *p)
{
	static const char pre[] = "gateway.";
	const char *r = p->metric + sizeof pre - 1, *dot, *dev = p->device, *e = p->metric + p->metric_n;
	size_t rn, devn = p->device_n;
	int silent, i, up;

	if (p->metric_n < sizeof pre - 1 || memcmp(p->metric, pre, sizeof pre - 1) ||
	    !(dot = memchr(r, '.', (size_t)(e - r))))
		return 0;
	rn = (size_t)(dot - r);
	if ((size_t)(e - dot) == sizeof ".device.silent" - 1 && !memcmp(dot, ".device.silent", (size_t)(e - dot)))
		silent = 1;
	else if ((size_t)(e - dot) == sizeof ".device.connected" - 1 && !memcmp(dot, ".device.connected", (size_t)(e - dot)))
		silent = 0;
	else
		return 0;
	if (p->tags && !device_tag(p->tags, p->tags_n, &dev, &devn))
		return 0;
	if (!dev || !devn || rn >= sizeof m->dev[0].reader || devn >= sizeof m->dev[0].name)
		return 0;
	up = p->value_n && p->value[0] != '0';   /* 1 or 0, as live.c writes them */
	for (i = 0; i < m->ndev; i++)
		if (!strncmp(m->dev[i].reader, r, rn) && !m->dev[i].reader[rn] &&
		    !strncmp(m->dev[i].name, dev, devn) && !m->dev[i].name[devn])
			break;
	if (i == m->ndev) {
		if (m->ndev == LATEST_DEV_MAX) {
			m->missed++;
			return -1;
		}
		memcpy(m->dev[i].reader, r, rn);
		m->dev[i].reader[rn] = '\0';
		memcpy(m->dev[i].name, dev, devn);
		m->dev[i].name[devn] = '\0';
		m->dev[i].connected = m->dev[i].silent = -1;
		m->ndev++;
	}
	if (silent)
		m->dev[i].silent = up;
	else
		m->dev[i].connected = up;
	return 0;
}

int
plx_latest_note(struct plx_latest *m, const struct plx_point *p)
{
	const char *src = p->source ? p->source : m->source;
	size_t sn = p->source ? p->source_n : m->source_n, kn = sn + 1 + p->metric_n;
	uint64_t h = hash(p->metric, p->metric_n, hash(src, sn, 0x243f6a8885a308d3ull));
	struct latest_ent *x;
	int i = (int)(h % SLOTS);

	if (p->metric_n > 8 && p->metric[0] == 'g')
		note_device(m, p);
	for (; m->slot[i] >= 0; i = (i + 1) % SLOTS) {
		x = &m->e[m->slot[i]];
		if (x->key_n == kn && x->source_n == sn && !memcmp(x->key, src, sn) &&
		    !memcmp(x->key + sn + 1, p->metric, p->metric_n))
			goto found;
	}
	if (m->n == LATEST_MAX) {
		m->missed++;
		return -1;
	}
	m->slot[i] = m->n;
	x = &m->e[m->n++];
	free(x->key);
	x->key = plx_xmalloc(kn + 1);
	memcpy(x->key, src, sn);
	x->key[sn] = '\0';
	memcpy(x->key + sn + 1, p->metric, p->metric_n);
	x->key[kn] = '\0';
	x->key_n = kn;
	x->source_n = sn;
found:
	put(&x->value, &x->value_cap, p->value, p->value_n);
	x->value_n = p->value_n;
	if (p->cls && p->cls_n < sizeof x->cls) {
		memcpy(x->cls, p->cls, p->cls_n);
		x->cls[p->cls_n] = '\0';
	} else {
		x->cls[0] = '\0';
	}
	x->ts = p->ts;
	if (p->ts_text && p->ts_n < sizeof x->ts_text) {
		memcpy(x->ts_text, p->ts_text, p->ts_n);   /* read once a commit, not once a record */
		x->ts_text[p->ts_n] = '\0';
	} else {
		x->ts_text[0] = '\0';
	}
	x->count++;
	return 0;
}

static int
prepare(struct plx_latest *m, sqlite3 *db)
{
	int rc;

	if (m->db == db)
		return SQLITE_OK;
	plx_latest_detach(m);
	if ((rc = sqlite3_prepare_v3(db, "INSERT INTO latest VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	                             " ON CONFLICT(source_id, metric) DO UPDATE SET value = ?3, class = ?4,"
	                             " t = ?5, count = count + ?6, updated = ?7", -1,
	                             SQLITE_PREPARE_PERSISTENT, &m->up, NULL)) ||
	    (rc = sqlite3_prepare_v3(db, "INSERT INTO devices VALUES (?1, ?2, coalesce(?3, 0), coalesce(?4, 0), ?5)"
	                             " ON CONFLICT(reader, device) DO UPDATE SET"
	                             " connected = coalesce(?3, connected), silent = coalesce(?4, silent),"
	                             " updated = ?5", -1, SQLITE_PREPARE_PERSISTENT, &m->devup, NULL))) {
		plx_latest_detach(m);
		return rc;
	}
	m->db = db;
	return SQLITE_OK;
}

static int
step(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
plx_latest_flush(struct plx_latest *m, sqlite3 *db, int64_t now)
{
	struct latest_ent *x;
	int i, rc = SQLITE_OK;

	if (!m->n && !m->ndev)
		return SQLITE_OK;
	if ((rc = prepare(m, db)))
		return rc;
	for (i = 0; i < m->n && !rc; i++) {
		x = &m->e[i];
		sqlite3_bind_text(m->up, 1, x->key, (int)x->source_n, SQLITE_STATIC);
		sqlite3_bind_text(m->up, 2, x->key + x->source_n + 1, (int)(x->key_n - x->source_n - 1), SQLITE_STATIC);
		sqlite3_bind_text(m->up, 3, x->value, (int)x->value_n, SQLITE_STATIC);
		sqlite3_bind_text(m->up, 4, x->cls, -1, SQLITE_STATIC);
		/* a number the record rules accepted: ms, maybe with a fraction or an exponent */
		sqlite3_bind_int64(m->up, 5, x->ts_text[0] ? (int64_t)strtod(x->ts_text, NULL) : x->ts);
		sqlite3_bind_int64(m->up, 6, x->count);
		sqlite3_bind_int64(m->up, 7, now);
		rc = step(m->up);
	}
	for (i = 0; i < m->ndev && !rc; i++) {
		sqlite3_bind_text(m->devup, 1, m->dev[i].reader, -1, SQLITE_STATIC);
		sqlite3_bind_text(m->devup, 2, m->dev[i].name, -1, SQLITE_STATIC);
		if (m->dev[i].connected >= 0)
			sqlite3_bind_int(m->devup, 3, m->dev[i].connected);
		else
			sqlite3_bind_null(m->devup, 3);
		if (m->dev[i].silent >= 0)
			sqlite3_bind_int(m->devup, 4, m->dev[i].silent);
		else
			sqlite3_bind_null(m->devup, 4);
		sqlite3_bind_int64(m->devup, 5, now);
		rc = step(m->devup);
	}
	plx_latest_clear(m);
	return rc;
}

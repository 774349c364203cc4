/* The Modbus register map, modbus-read.conf(5), of modbus-read and
 * modbus-write.  A line-oriented
 * format rather than JSON: plant engineers edit it by hand, it takes
 * comments, a point is one line that diffs well, and every error can name
 * the file and line (json-c keeps no line numbers).  A sample:
 *
 *   status-interval = 60s
 *   [device meter1]
 *   tcp = 192.168.1.10:502
 *   unit-id = 1
 *   interval = 10s
 *   holding:0:float32:ABCD:power.active unit=W
 *   holding:#40003:uint16:power.pf scale=0.001 tag.phase=L1
 *
 * A point line is the same "function:address:type[:order]:metric" as the
 * one-line form of the command line, followed by key=value options. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mbmap.h"
#include "opts.h"

#define LINE_MAX_LEN 4096

struct ctx {
	struct mb_conf *c;
	const char *path;
	int line;
	char *err;
	size_t errlen;
};

static int
fail(struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (x->path)
		n = snprintf(x->err, x->errlen, "%s:%d: ", x->path, x->line);
	if (n < 0 || (size_t)n >= x->errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A duration as every tool writes one (lib/opts.h), "500ms", "10s", "1m",
 * "1h", in [min, max] ms.  In the map the unit is required: "timeout = 5"
 * says neither seconds nor milliseconds. */
int
mb_conf_duration(const char *s, long min, long max, int *ms)
{
	size_t n = strlen(s);
	int64_t v;

	if (!n || strchr("0123456789.", s[n - 1]) || plx_duration(s, 1, &v) < 0 || v < min || v > max)
		return -1;
	*ms = (int)v;
	return 0;
}

static int
real(const char *s, double *out)
{
	char *end;

	if (!*s)
		return -1;
	*out = strtod(s, &end);
	return *end || !isfinite(*out) ? -1 : 0;
}

static struct mb_device *
new_device(struct mb_conf *c, const char *name, int line)
{
	struct mb_device *d;

	if (c->ndev == c->capdev) {
		c->capdev = c->capdev ? 2 * c->capdev : 4;
		c->dev = plx_xrealloc(c->dev, (size_t)c->capdev * sizeof *c->dev);
	}
	d = &c->dev[c->ndev++];
	*d = (struct mb_device){ .name = plx_xstrdup(name), .port = 502, .baud = 19200, .data_bits = 8,
	                         .parity = 'E', .stop_bits = 1, .rs485 = -1, .rts = -1,
	                         .timeout_ms = 500, .retries = 1, .gap = 10, .interval_ms = 10000,
	                         .unit_id = 1, .line = line };
	return d;
}

/* "HOST[:PORT]" */
static int
set_tcp(struct ctx *x, struct mb_device *d, const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[256];
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	if (n == 0 || n >= sizeof host)
		return fail(x, "expected tcp = HOST[:PORT], got '%s'", v);
	if (colon && mb_int(colon + 1, 1, 65535, &d->port))
		return fail(x, "expected a TCP port 1-65535, got '%s'", colon + 1);
	memcpy(host, v, n);
	host[n] = 0;
	free(d->host);
	free(d->tty);
	d->tty = NULL;
	d->host = plx_xstrdup(host);
	return 0;
}

/* "8N1" */
static int
set_dps(struct mb_device *d, const char *s)
{
	if (strlen(s) != 3 || s[0] < '5' || s[0] > '8' || !strchr("NEO", s[1]) || s[1] == 0 ||
	    (s[2] != '1' && s[2] != '2'))
		return -1;
	d->data_bits = s[0] - '0';
	d->parity = s[1];
	d->stop_bits = s[2] - '0';
	return 0;
}

/* "DEVICE [BAUD [8N1]]" (file) or "DEVICE[:BAUD[:8N1]]" (command line) */
static int
set_rtu(struct ctx *x, struct mb_device *d, char *v, const char *sep)
{
	char *tty = strtok(v, sep), *baud = strtok(NULL, sep), *dps = strtok(NULL, sep);

	if (!tty || *tty != '/')
		return fail(x, "expected rtu = /dev/TTY [BAUD [8N1]], got '%s'", v);
	if (strtok(NULL, sep))
		return fail(x, "expected rtu = /dev/TTY [BAUD [8N1]], got more");
	if (baud && mb_int(baud, 50, 4000000, &d->baud))
		return fail(x, "expected a baud rate, got '%s'", baud);
	if (dps && set_dps(d, dps))
		return fail(x, "expected data bits, parity, stop bits like 8N1 or 8E1, got '%s'", dps);
	free(d->host);
	free(d->tty);
	d->host = NULL;
	d->tty = plx_xstrdup(tty);
	return 0;
}

static int
onoff(const char *s)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "1"))
		return 1;
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "0"))
		return 0;
	return -1;
}

static int
device_setting(struct ctx *x, struct mb_device *d, const char *k, char *v)
{
	if (!strcmp(k, "tcp"))
		return set_tcp(x, d, v);
	if (!strcmp(k, "rtu"))
		return set_rtu(x, d, v, " \t");
	if (!strcmp(k, "rs485")) {
		if ((d->rs485 = onoff(v)) < 0)
			return fail(x, "expected rs485 = on or off, got '%s'", v);
	} else if (!strcmp(k, "rts")) {
		if (!strcmp(v, "none")) d->rts = -1;
		else if (!strcmp(v, "up")) d->rts = 1;
		else if (!strcmp(v, "down")) d->rts = 2;
		else return fail(x, "expected rts = none, up or down, got '%s'", v);
	} else if (!strcmp(k, "unit-id")) {
		if (mb_int(v, 0, 255, &d->unit_id))
			return fail(x, "expected a unit id 0-255, got '%s'", v);
	} else if (!strcmp(k, "timeout")) {
		if (mb_conf_duration(v, 1, 600000, &d->timeout_ms))
			return fail(x, "expected a duration like 500ms or 2s (at most 10m), got '%s'", v);
	} else if (!strcmp(k, "retries")) {
		if (mb_int(v, 0, 10, &d->retries))
			return fail(x, "expected retries 0-10, got '%s'", v);
	} else if (!strcmp(k, "gap")) {
		if (mb_int(v, 0, MB_MAX_BITS, &d->gap))
			return fail(x, "expected a gap 0-2000 (registers or bits), got '%s'", v);
	} else if (!strcmp(k, "interval")) {
		if (mb_conf_duration(v, 1, 86400000, &d->interval_ms))
			return fail(x, "expected a poll interval like 500ms, 10s or 5m, got '%s'", v);
	} else if (!strcmp(k, "pause-connect")) {
		if (mb_conf_duration(v, 0, 60000, &d->pause_connect_ms))
			return fail(x, "expected a duration like 100ms (at most 1m), got '%s'", v);
	} else if (!strcmp(k, "pause-request")) {
		if (mb_conf_duration(v, 0, 60000, &d->pause_request_ms))
			return fail(x, "expected a duration like 20ms (at most 1m), got '%s'", v);
	} else if (!strcmp(k, "write-function")) {
		if (mb_write_fn_parse(v, &d->write_fn) < 0)
			return fail(x, "expected write-function = auto, single or multiple, got '%s'", v);
	} else if (!strcmp(k, "lock")) {
		if (*v != '/')
			return fail(x, "expected lock = /ABSOLUTE/PATH, got '%s'", v);
		free(d->lock);
		d->lock = plx_xstrdup(v);
	} else {
		return fail(x, "expected a device setting (tcp, rtu, rs485, rts, unit-id, timeout, "
		            "retries, gap, interval, pause-connect, pause-request, write-function, lock), got '%s'", k);
	}
	return 0;
}

/* "#40001": a Modicon reference, the table digit then a 1-based number. */
static int
reference(struct ctx *x, enum mb_func f, const char *s, int *addr)
{
	static const char table[] = { [MB_COIL] = '0', [MB_DISCRETE] = '1', [MB_HOLDING] = '4',
	                              [MB_INPUT] = '3' };
	size_t n = strlen(s);
	int num;

	if ((n != 5 && n != 6) || strspn(s, "0123456789") != n)
		return fail(x, "expected a reference like #40001 (5 or 6 digits), got '#%s'", s);
	if (s[0] != table[f])
		return fail(x, "reference #%s is not a %s (%cxxxx)", s, mb_func_name(f), table[f]);
	num = atoi(s + 1);
	if (num < 1 || num > 65536)
		return fail(x, "reference #%s: register number out of 1-65536", s);
	*addr = num - 1;
	return 0;
}

static int
point_option(struct ctx *x, struct mb_point *p, char *kv)
{
	char *v = strchr(kv, '=');

	if (!v || v == kv)
		return fail(x, "expected key=value after the point, got '%s'", kv);
	*v++ = 0;
	if (!strcmp(kv, "unit-id")) {
		if (mb_int(v, 0, 255, &p->unit_id))
			return fail(x, "expected a unit id 0-255, got '%s'", v);
	} else if (!strcmp(kv, "scale")) {
		if (real(v, &p->scale))
			return fail(x, "expected a number for scale, got '%s'", v);
	} else if (!strcmp(kv, "offset")) {
		if (real(v, &p->offset))
			return fail(x, "expected a number for offset, got '%s'", v);
	} else if (!strcmp(kv, "unit")) {
		if (!*v || strlen(v) > 255)
			return fail(x, "expected a unit of 1-255 bytes");
		free(p->unit);
		p->unit = plx_xstrdup(v);
	} else if (!strcmp(kv, "interval")) {
		if (mb_conf_duration(v, 1, 86400000, &p->interval_ms))
			return fail(x, "expected a poll interval like 500ms, 10s or 5m, got '%s'", v);
	} else if (!strncmp(kv, "tag.", 4) && kv[4]) {
		if (p->ntags == MB_TAGS_MAX)
			return fail(x, "expected at most %d tags", MB_TAGS_MAX);
		if (strlen(kv + 4) > 255 || !*v || strlen(v) > 255 || !strcmp(kv + 4, "device") ||
		    !strcmp(kv + 4, "unit_id") || !strcmp(kv + 4, "unit"))
			return fail(x, "expected tag.KEY=VALUE, 1-255 bytes each, KEY not device, unit_id or unit");
		p->tag_key[p->ntags] = plx_xstrdup(kv + 4);
		p->tag_val[p->ntags++] = plx_xstrdup(v);
	} else {
		return fail(x, "expected a point option (unit-id, scale, offset, unit, interval, "
		            "tag.KEY), got '%s'", kv);
	}
	return 0;
}

static void
point_free(struct mb_point *p)
{
	int i;

	free(p->metric);
	free(p->unit);
	for (i = 0; i < p->ntags; i++) {
		free(p->tag_key[i]);
		free(p->tag_val[i]);
	}
}

/* "function:address:type[:order]:metric" then options; s is modified. */
static int
point_line(struct ctx *x, char *s, int dev)
{
	struct mb_conf *c = x->c;
	struct mb_device *d = &c->dev[dev];
	struct mb_point p = { .dev = dev, .unit_id = d->unit_id, .scale = 1,
	                      .interval_ms = d->interval_ms, .line = x->line };
	char *spec = strtok(s, " \t"), *opt, *f[6];
	int n = 0, top;

	/* split at colons into at most 6 fields (6: too many) */
	for (f[0] = spec; f[n] && n < 6; ) {
		char *colon = strchr(f[n], ':');

		if (++n == 6 || !colon)
			break;
		*colon = 0;
		f[n] = colon + 1;
	}
	if (n != 4 && n != 5)
		return fail(x, "expected function:address:type[:order]:metric");
	if (mb_func_parse(f[0], &p.func))
		return fail(x, "expected a function (coil, discrete, holding, input), got '%s'", f[0]);
	if (f[1][0] == '#') {
		if (reference(x, p.func, f[1] + 1, &p.addr))
			return -1;
	} else if (mb_int(f[1], 0, 65535, &p.addr)) {
		return fail(x, "expected a 0-based address 0-65535 (or a reference like #40001), got '%s'", f[1]);
	}
	if (mb_type_parse(f[2], &p.type, &p.arg))
		return fail(x, "expected a type (bool, bitN, int16, uint16, int32, uint32, int64, "
		            "uint64, float32, float64, stringN), got '%s'", f[2]);
	if (n == 5 && mb_order_parse(f[3], &p.order))
		return fail(x, "expected an order (ABCD, CDAB, BADC, DCBA), got '%s'", f[3]);
	if (mb_func_bits(p.func) && p.type != MB_BOOL)
		return fail(x, "expected type bool for a %s, got '%s'", mb_func_name(p.func), f[2]);
	/* an order that would not be applied is refused, not ignored */
	if (mb_func_bits(p.func) && p.order != MB_ABCD)
		return fail(x, "expected no order for a %s (one bit has no bytes to swap), got '%s'",
		            mb_func_name(p.func), f[3]);
	top = p.addr + mb_type_regs(p.type, p.arg);
	if (top > 65536)
		return fail(x, "the %s at %d runs past address 65535", f[2], p.addr);
	if (!*f[n - 1] || strlen(f[n - 1]) > 256)
		return fail(x, "expected a metric name of 1-256 bytes");
	p.metric = plx_xstrdup(f[n - 1]);
	while ((opt = strtok(NULL, " \t")))
		if (point_option(x, &p, opt)) {
			point_free(&p);
			return -1;
		}
	if (c->npt == c->cappt) {
		c->cappt = c->cappt ? 2 * c->cappt : 16;
		c->pt = plx_xrealloc(c->pt, (size_t)c->cappt * sizeof *c->pt);
	}
	c->pt[c->npt++] = p;
	return 0;
}

static int
check_device(struct ctx *x, struct mb_device *d)
{
	struct mb_device *o;

	if (!d->host && !d->tty) {
		x->line = d->line;
		return fail(x, "expected a tcp = or rtu = line in [device %s]", d->name);
	}
	/* a serial line is one connection, its units take turns on it: two
	 * sections would be two connections fighting over it */
	for (o = x->c->dev; d->tty && o < d; o++)
		if (o->tty && !strcmp(o->tty, d->tty)) {
			x->line = d->line;
			return fail(x, "[device %s]: %s is the line of [device %s] (line %d): one section a "
			            "line, its units set by unit-id", d->name, d->tty, o->name, o->line);
		}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = 0;
	return s;
}

static int
parse_line(struct ctx *x, char *s, int *dev)
{
	struct mb_conf *c = x->c;
	char *eq, *k, *v, *name;
	int i;

	s = trim(s);
	if (!*s || *s == '#')
		return 0;
	if (*s == '[') {
		if (strncmp(s, "[device", 7) || s[strlen(s) - 1] != ']')
			return fail(x, "expected [device NAME]");
		s[strlen(s) - 1] = 0;
		name = trim(s + 7);
		if (!*name || strlen(name) > 64 || strpbrk(name, " \t") || s[7] != ' ')
			return fail(x, "expected [device NAME], NAME 1-64 bytes without spaces");
		for (i = 0; i < c->ndev; i++)
			if (!strcmp(c->dev[i].name, name))
				return fail(x, "device %s already defined on line %d", name, c->dev[i].line);
		if (*dev >= 0 && check_device(x, &c->dev[*dev]))
			return -1;
		new_device(c, name, x->line);
		*dev = c->ndev - 1;
		return 0;
	}
	eq = strchr(s, '=');
	if (eq && strcspn(s, " \t=") < strcspn(s, ":")) {
		/* key = value: no colon in the first word */
		*eq = 0;
		k = trim(s);
		v = trim(eq + 1);
		if (!*v)
			return fail(x, "expected a value after '%s ='", k);
		if (*dev < 0) {
			if (!strcmp(k, "status-interval")) {
				if (mb_conf_duration(v, 0, 86400000, &c->status_ms))
					return fail(x, "expected a duration like 60s (0s: only at exit), got '%s'", v);
				return 0;
			}
			return fail(x, "expected status-interval = or a [device NAME] section, got '%s'", k);
		}
		return device_setting(x, &c->dev[*dev], k, v);
	}
	if (*dev < 0)
		return fail(x, "expected a [device NAME] section before the first point");
	return point_line(x, s, *dev);
}

int
mb_conf_parse(struct mb_conf *c, const char *path, const char *text, size_t n,
           char *err, size_t errlen)
{
	struct ctx x = { c, path ? path : "-", 0, err, errlen };
	char line[LINE_MAX_LEN + 1];
	size_t i = 0, len;
	int dev = -1;
	const char *nl;

	c->status_ms = 60000;
	while (i < n) {
		x.line++;
		nl = memchr(text + i, '\n', n - i);
		len = (nl ? (size_t)(nl - text) : n) - i;
		if (len > LINE_MAX_LEN)
			return fail(&x, "expected a line of at most %d bytes", LINE_MAX_LEN);
		memcpy(line, text + i, len);
		line[len] = 0;
		if (strlen(line) != len)
			return fail(&x, "expected text, got a NUL byte");
		i += len + 1;
		if (parse_line(&x, line, &dev))
			return -1;
	}
	if (dev >= 0 && check_device(&x, &c->dev[dev]))
		return -1;
	if (c->npt == 0) {
		x.line++;
		return fail(&x, "expected at least one point");
	}
	return 0;
}

int
mb_conf_load(struct mb_conf *c, const char *path, char *err, size_t errlen)
{
	size_t n = 0, cap = 0;
	ssize_t r;
	char *buf = NULL;
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return snprintf(err, errlen, "unable to open %s: %s", path, strerror(errno)), -1;
	do {
		if (n == cap)
			buf = plx_xrealloc(buf, cap = cap ? 2 * cap : 65536);
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			n += r;
	} while (r > 0 && n < (16 << 20));
	close(fd);
	if (r < 0) {
		free(buf);
		return snprintf(err, errlen, "unable to read %s: %s", path, strerror(errno)), -1;
	}
	rc = mb_conf_parse(c, path, buf, n, err, errlen);
	free(buf);
	return rc;
}

int
mb_conf_add_device(struct mb_conf *c, const char *spec, char *err, size_t errlen)
{
	struct ctx x = { c, NULL, 0, err, errlen };
	struct mb_device *d = new_device(c, spec, 0);
	char buf[512];

	if (strlen(spec) >= sizeof buf)
		return fail(&x, "device %s: too long", spec);
	strcpy(buf, spec);
	if (c->status_ms == 0)
		c->status_ms = 60000;
	return *spec == '/' ? set_rtu(&x, d, buf, ":") : set_tcp(&x, d, buf);
}

int
mb_conf_add_point(struct mb_conf *c, const char *spec, int unit_id, char *err, size_t errlen)
{
	struct ctx x = { c, NULL, 0, err, errlen };
	char buf[LINE_MAX_LEN + 1];

	if (c->ndev == 0)
		return fail(&x, "a point needs a device (-H)");
	if (strlen(spec) > LINE_MAX_LEN)
		return fail(&x, "point too long");
	strcpy(buf, spec);
	if (unit_id >= 0)
		c->dev[c->ndev - 1].unit_id = unit_id;
	return point_line(&x, buf, c->ndev - 1);
}

void
mb_conf_free(struct mb_conf *c)
{
	int i;

	for (i = 0; i < c->ndev; i++) {
		free(c->dev[i].name);
		free(c->dev[i].host);
		free(c->dev[i].tty);
		free(c->dev[i].lock);
	}
	for (i = 0; i < c->npt; i++)
		point_free(&c->pt[i]);
	free(c->dev);
	free(c->pt);
	memset(c, 0, sizeof *c);
}

int
mb_write_fn_parse(const char *s, enum mb_write_fn *f)
{
	if (!strcmp(s, "auto")) *f = MB_WRITE_AUTO;
	else if (!strcmp(s, "single")) *f = MB_WRITE_SINGLE;
	else if (!strcmp(s, "multiple")) *f = MB_WRITE_MULTIPLE;
	else return -1;
	return 0;
}

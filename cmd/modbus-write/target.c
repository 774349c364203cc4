/* modbus-write: the values the command line names (mbwrite.h), each found
 * and checked before anything is sent:
 *
 *   -c MAP:  NAME=VALUE                 a coil or holding point of the map
 *   -H DEV:  FUNCTION:ADDRESS:TYPE[:ORDER]:NAME=VALUE   a point of its own
 *
 * The value is parsed for the point's type, scale and offset (mbvalue.c:
 * refused, never rounded or wrapped) and encoded (mbcodec.c; a bitN point
 * once its register is read). */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "mbwrite.h"

#define FAIL(status, ...) do { snprintf(err, errlen, __VA_ARGS__); return status; } while (0)

static int
writable(enum mb_func f)
{
	return f == MB_HOLDING || f == MB_COIL;
}

/* The point NAME of the map (of device, if given) that can be written:
 * its index, or -(exit status) with why. */
static int
find_point(const struct mb_conf *c, const char *name, const char *device, char *err, size_t errlen)
{
	int i, found = -1, n = 0, readonly = -1;
	char where[300] = "";
	size_t len = 0;

	for (i = 0; i < c->npt; i++) {
		if (strcmp(c->pt[i].metric, name) || (device && strcmp(c->dev[c->pt[i].dev].name, device)))
			continue;
		if (!writable(c->pt[i].func)) {
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
		FAIL(-EX_DATAERR, "%s: %d points of that name (%s)%s", name, n, where, device ? "" : ": --device picks one");
	if (n == 0 && readonly >= 0)
		FAIL(-EX_DATAERR, "%s: a %s cannot be written (line %d)", name,
		     c->pt[readonly].func == MB_INPUT ? "input register" : "discrete input", c->pt[readonly].line);
	if (n == 0)
		FAIL(-EX_DATAERR, "%s: no such point in the map%s%s", name, device ? " for device " : "", device ? device : "");
	return found;
}

int
target_parse(struct mb_conf *c, const char *arg, int from_map, int unit, const char *device, struct target *t,
             char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	const struct mb_point *p;
	char name[4096 + 1], why[300];
	int i;

	memset(t, 0, sizeof *t);
	if (!eq || eq == arg)
		FAIL(EX_USAGE, "%.64s: expected name=value", arg);
	if ((size_t)(eq - arg) >= sizeof name)
		FAIL(EX_USAGE, "%.40s...: too long", arg);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = 0;
	if (from_map) {
		if ((i = find_point(c, name, device, err, errlen)) < 0)
			return -i;
		t->pt = i;
	} else {
		if (mb_conf_add_point(c, name, unit, why, sizeof why) < 0)
			FAIL(EX_USAGE, "%.64s: %s", name, why);
		t->pt = c->npt - 1;
		if (!writable(c->pt[t->pt].func))
			FAIL(EX_USAGE, "%.64s: a %s cannot be written: coil or holding", name, mb_func_name(c->pt[t->pt].func));
	}
	p = &c->pt[t->pt];
	t->text = eq + 1;
	if (mb_value_parse(t->text, p->type, p->arg, p->scale, p->offset, &t->raw, why, sizeof why) < 0)
		FAIL(EX_DATAERR, "%s: %s", p->metric, why);
	if (p->type != MB_BIT && mb_encode(&t->raw, p->type, p->arg, p->order, t->regs) < 0)
		FAIL(EX_SOFTWARE, "%s: %.64s not encoded", p->metric, t->text);
	return 0;
}

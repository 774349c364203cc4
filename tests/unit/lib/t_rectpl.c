/* Unit test of record templates (lib/recs.c, plx_rectpl_*): a record from a
 * template is byte for byte what plx_recs_num writes, names and tags with
 * characters to escape included; a name or tag over the limits is refused
 * when the template is made. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"
#include "unit.h"

static int
same(const char *name, const struct plx_tags *t, const char *num, double v, int64_t ts)
{
	struct plx_recs a, b;
	struct plx_rectpl tp;
	char err[200];
	int ok;

	plx_recs_init(&a);
	plx_recs_init(&b);
	if (plx_rectpl_init(&tp, name, t, err, sizeof err) < 0)
		return 0;
	plx_recs_num(&a, name, v, ts, t);
	plx_recs_tpl_num(&b, &tp, num, strlen(num), ts);
	plx_recs_tpl_num(&b, &tp, num, strlen(num), ts);     /* the cached timestamp */
	ok = a.len * 2 == b.len && !memcmp(a.s, b.s, a.len) && !memcmp(a.s, b.s + a.len, a.len) && b.n == 2;
	if (!ok)
		printf("#   want %.*s#   got  %.*s", (int)a.len, a.s, (int)b.len, b.s);
	plx_rectpl_free(&tp);
	plx_recs_free(&a);
	plx_recs_free(&b);
	return ok;
}

/* The same for events with a string value. */
static int
same_ev(const char *name, const struct plx_tags *t, const char *val, int64_t ts)
{
	struct plx_recs a, b;
	struct plx_rectpl tp;
	char err[200];
	int ok;

	plx_recs_init(&a);
	plx_recs_init(&b);
	if (plx_rectpl_init_event(&tp, name, t, err, sizeof err) < 0)
		return 0;
	plx_recs_str(&a, name, val, strlen(val), ts, t);
	plx_recs_tpl_str(&b, &tp, val, strlen(val), ts);
	ok = a.len == b.len && !memcmp(a.s, b.s, a.len) && b.n == 1;
	if (!ok)
		printf("#   want %.*s#   got  %.*s", (int)a.len, a.s, (int)b.len, b.s);
	plx_rectpl_free(&tp);
	plx_recs_free(&a);
	plx_recs_free(&b);
	return ok;
}

int
main(void)
{
	struct plx_tags t = { 0 }, none = { 0 };
	struct plx_recs r;
	struct plx_rectpl tp;
	char err[200], longname[300];

	setenv("PLEXUS_CLOCK", "synced", 1);   /* no "_plx_clk" mark in the texts compared */

	plx_tags_add(&t, "interface", "can0", err, sizeof err);
	plx_tags_add(&t, "unit", "\"deg\\C\"", err, sizeof err);
	plx_tags_set_source(&t, "truck-7", err, sizeof err);
	T(same("can.Engine.Rpm", &t, "2019.75", 2019.75, 1436509052100), "with tags and a source");
	T(same("can.Engine.Rpm", &none, "-3", -3, 0), "no tags, timestamp 0");
	T(same("a \"quoted\" ,\"value\":0,\"timestamp\":0 name", &t, "0.1", 0.1, -5), "cut marks inside the name");
	T(same("x", &t, "123456789012345", 123456789012345.0, 1), "a 15-digit integer");

	T(same_ev("can.Engine.Gear", &t, "Drive", 1436509052100), "event with a label");
	T(same_ev("can.Engine.Gear", &none, "say \"hi\"\n\\", 7), "event value with characters to escape");
	T(same_ev("can.Engine.Gear", &t, "", 7), "empty string value");

	plx_recs_init(&r);
	plx_rectpl_init_event(&tp, "x", &t, err, sizeof err);
	T(plx_recs_tpl_str(&r, &tp, "\xff", 1, 0) < 0 && r.len == 0, "not UTF-8: refused, nothing written");
	plx_rectpl_free(&tp);
	plx_rectpl_init(&tp, "x", &t, err, sizeof err);
	T(plx_recs_tpl_num(&r, &tp, "1e400", 5, 0) < 0 && r.len == 0, "no exponents: refused, nothing written");
	T(plx_recs_tpl_num(&r, &tp, "nan", 3, 0) < 0 && r.len == 0, "not a number: refused");
	T(plx_recs_tpl_num(&r, &tp, "01", 2, 0) < 0, "leading zero: refused");
	T(plx_recs_tpl_fixed(&r, &tp, INT64_MIN, 0, 0) < 0 && r.len == 0, "-2^63 (json-c's clamp): refused");
	T(plx_recs_tpl_fixed(&r, &tp, INT64_MIN, 1, 0) == 0 && strstr(r.s, "\"value\":-922337203685477580.8,"),
	  "-2^63 / 10: written");
	T(plx_recs_tpl_double(&r, &tp, NAN, 0) < 0 && plx_recs_tpl_double(&r, &tp, 0.1, 0) == 0 &&
	  strstr(r.s, "\"value\":0.1,"), "a double: NaN refused, 0.1 written");
	plx_recs_clear(&r);
	plx_rectpl_free(&tp);
	plx_recs_free(&r);
	memset(longname, 'a', 299);
	longname[299] = '\0';
	T(plx_rectpl_init(&tp, longname, &t, err, sizeof err) < 0 && strstr(err, "256"), "name over 256 bytes: %s", err);
	T(plx_rectpl_init(&tp, "", &t, err, sizeof err) < 0, "empty name refused");
	UNIT_END();
}

/* -F nmea: NMEA 0183 GGA and RMC sentences into gps.* (lines.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ddmm.mmmm (or dddmm.mmmm) and a hemisphere to signed decimal degrees. */
static int
nmea_coord(const char *s, const char *hemi, double *out)
{
	const char *q;
	char *end;
	double v, deg, min;

	if (!*s)
		return -1;
	for (q = s; *q; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			return -1;
	v = strtod(s, &end);
	if (*end || v >= 18100)
		return -1;
	deg = (double)(long long)(v / 100);
	min = v - deg * 100;
	if (*end || min >= 60)
		return -1;
	v = deg + min / 60;
	if (!strcmp(hemi, "S") || !strcmp(hemi, "W"))
		v = -v;
	else if (strcmp(hemi, "N") && strcmp(hemi, "E"))
		return -1;
	*out = lp_round_to(v, 1e7);   /* 1e-7 degree is 1 cm: all a receiver gives */
	return 0;
}

static int
emit_num(struct lp *p, const char *name, const char *text, int64_t ts, char *err, size_t errlen)
{
	struct val v;

	if (!*text)
		return 0;
	v = lp_typed(text);
	if (v.kind != V_NUMTEXT)
		FAIL("nmea: %s: \"%.32s\" is not a number", name, text);
	return lp_emit(p, name, v, ts, err, errlen);
}

static int
emit_position(struct lp *p, char **f, int64_t ts, char *err, size_t errlen)
{
	double lat, lon;

	if (nmea_coord(f[0], f[1], &lat) < 0 || nmea_coord(f[2], f[3], &lon) < 0 || fabs(lat) > 90 ||
	    fabs(lon) > 180)
		FAIL("nmea: bad position \"%.16s,%.2s,%.16s,%.2s\"", f[0], f[1], f[2], f[3]);
	if (lp_emit(p, "gps.lat", (struct val){ .kind = V_NUM, .d = lat }, ts, err, errlen) < 0)
		return -1;
	return lp_emit(p, "gps.lon", (struct val){ .kind = V_NUM, .d = lon }, ts, err, errlen);
}

int
fmt_nmea(struct lp *p, char *s, size_t len, int64_t ts, char *err, size_t errlen)
{
	char *star, *f[40], *q;
	unsigned sum = 0;
	int n = 0, want, quality;
	double knots;

	if (*s != '$' && *s != '!')
		FAIL("nmea: does not start with $");
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	if (!(star = strchr(s, '*')))
		FAIL("nmea: no checksum");
	if (s + len - star != 3 || hexval(star[1]) < 0 || hexval(star[2]) < 0)
		FAIL("nmea: checksum is not two hex digits at the end");
	for (q = s + 1; q < star; q++)
		sum ^= (unsigned char)*q;
	want = hexval(star[1]) * 16 + hexval(star[2]);
	if ((int)sum != want)
		FAIL("nmea: checksum %02X, computed %02X", want, sum);
	*star = '\0';
	for (q = s + 1; n < 40; ) {
		f[n++] = q;
		if (!(q = strchr(q, ',')))
			break;
		*q++ = '\0';
	}
	if (strlen(f[0]) != 5)
		return 0;                     /* not a talker+type sentence: ignored */
	if (!strcmp(f[0] + 2, "GGA")) {
		if (n < 10)
			FAIL("nmea: GGA with %d fields", n);
		if (emit_num(p, "gps.fix_quality", f[6], ts, err, errlen) < 0 ||
		    emit_num(p, "gps.satellites", f[7], ts, err, errlen) < 0)
			return -1;
		quality = atoi(f[6]);
		if (quality == 0 || !*f[2])
			return 0;                 /* no fix: no position */
		if (emit_position(p, f + 2, ts, err, errlen) < 0 ||
		    emit_num(p, "gps.hdop", f[8], ts, err, errlen) < 0 ||
		    emit_num(p, "gps.altitude", f[9], ts, err, errlen) < 0)
			return -1;
		return 0;
	}
	if (!strcmp(f[0] + 2, "RMC")) {
		if (n < 9)
			FAIL("nmea: RMC with %d fields", n);
		if (strcmp(f[2], "A"))
			return 0;                 /* V: void, no fix */
		if (emit_position(p, f + 3, ts, err, errlen) < 0)
			return -1;
		if (*f[7]) {
			if (emit_num(p, "gps.speed_knots", f[7], ts, err, errlen) < 0)
				return -1;
			knots = strtod(f[7], NULL);
			if (lp_emit(p, "gps.speed", (struct val){ .kind = V_NUM,
			         .d = lp_round_to(knots * 0.514444, 1000) }, ts, err, errlen) < 0)
				return -1;
		}
		return emit_num(p, "gps.course", f[8], ts, err, errlen);
	}
	return 0;                             /* GSV, GSA, VTG...: ignored */
}


/* mqtt-read's pieces without a broker: RFC 3339 times as the payloads
 * write them (mq_time), the templates' checks, and what a device becomes as
 * a source id and a device tag (name_records). */
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"
#include "unit.h"

static void
times(void)
{
	static const struct { const char *s; int ok; int64_t ms; } c[] = {
		{ "2022-07-18T09:34:15.775023242+00:00", 0, 1658136855775 },   /* ChirpStack: ns cut to ms */
		{ "2020-02-12T15:15:12.148911Z", 0, 1581520512148 },           /* The Things Stack */
		{ "2019-11-03T14:48:19+01:00", 0, 1572788899000 },             /* zigbee2mqtt ISO_8601 */
		{ "2021-01-02T10:00:00-0130", 0, 1609587000000 },              /* an offset without ':' */
		{ "2019-11-03 14:48:19Z", 0, 1572792499000 },                  /* RFC 3339 allows a space */
		{ "2019-11-03T14:48:19", -1, 0 },       /* a local time: no offset, not the gateway's to guess */
		{ "2019-11-03T14:48:19.Z", -1, 0 },
		{ "2019-13-03T14:48:19Z", -1, 0 },
		{ "2019-11-03T14:48:19Zjunk", -1, 0 },
		{ "1572788899", -1, 0 },
		{ "", -1, 0 },
	};
	size_t i;
	int64_t ms;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		ms = 0;
		T(mq_time(c[i].s, &ms) == c[i].ok && (c[i].ok || ms == c[i].ms), "mq_time(\"%s\") = %lld",
		  c[i].s, (long long)ms);
	}
}

static void
templates(void)
{
	char err[200];

	T(name_check("%1.%m", 1, err, sizeof err) == 0, "%%1.%%m");
	T(name_check("%{rxInfo.0.gatewayId}-%{12}%%", 1, err, sizeof err) == 0, "%%{field}, %%{12}, %%%%");
	T(name_check("%m", 0, err, sizeof err) < 0, "%%m in --device: refused");
	T(name_check("%x", 1, err, sizeof err) < 0 && strstr(err, "%x"), "%%x: refused, named (%s)", err);
	T(name_check("%{", 1, err, sizeof err) < 0, "%%{ without }: refused");
	T(name_check("%{}", 1, err, sizeof err) < 0, "%%{}: refused");
	T(name_check("a%", 1, err, sizeof err) < 0, "a lone %% at the end: refused");
}

/* the first record of a plain message on topic, as text */
static const char *
first(struct namer *nm, const char *topic, const char *payload)
{
	static struct mq_dec d;
	static char line[1024], err[200];
	size_t n;

	if (!d.r)
		mq_dec_init(&d);
	if (mq_decode(&d, mq_format_find("plain"), topic, payload, strlen(payload), 1, err, sizeof err) < 0 ||
	    name_records(nm, &d, 1, err, sizeof err) < 1)
		return err;
	n = strcspn(nm->out.s, "\n");
	memcpy(line, nm->out.s, n);
	line[n] = '\0';
	return line;
}

static void
sources(void)
{
	struct namer nm = { .metric = "%m" };

	plx_recs_init(&nm.out);
	plx_live_init(&nm.live, "mqtt");
	T_STR(first(&nm, "Home/Living_Room/t", "1"),
	      "{\"class\":\"metric\",\"metric\":\"t\",\"value\":1,\"timestamp\":1,\"source_id\":\"home.living-room\","
	      "\"tags\":{\"device\":\"Home/Living_Room\"}}", "a device as a source: lower case, '/' '.', '_' '-'");
	T_STR(first(&nm, "__x y/t", "1"),
	      "{\"class\":\"metric\",\"metric\":\"t\",\"value\":1,\"timestamp\":1,\"source_id\":\"x-y\","
	      "\"tags\":{\"device\":\"__x y\"}}", "leading characters a source cannot start with: dropped");
	T_STR(first(&nm, "t", "1"), "{\"class\":\"metric\",\"metric\":\"t\",\"value\":1,\"timestamp\":1}",
	      "no device: no source, no device tag");
	nm.device = "%{9}";
	T_STR(first(&nm, "a/b", "1"), "the topic has no level 9", "a level a template names is missing: refused");
	nm.device = "%1";
	nm.metric = "%m.%2";
	nm.prefix = "p";
	T_STR(first(&nm, "a/b", "1"),
	      "{\"class\":\"metric\",\"metric\":\"p.b.b\",\"value\":1,\"timestamp\":1,\"source_id\":\"a\","
	      "\"tags\":{\"device\":\"a\"}}", "--metric %%m.%%2, --device %%1, -p p");
	plx_recs_free(&nm.out);
	plx_live_free(&nm.live);
}

int
main(void)
{
	unsetenv("PLEXUS_DEVICES");
	times();
	templates();
	sources();
	UNIT_END();
}

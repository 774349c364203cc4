/* mqtt-read: what devices publish to an MQTT broker, as Plexus records on
 * stdout.  Options here; the broker is client.c, the run run.c, the
 * formats decode.c and fmt_*.c, the names name.c (see mqtt.h). */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "mqtt.h"
#include "opts.h"
#include "out.h"

static const char synopsis[] =
	"usage: mqtt-read [-F format] [-t filter]... [-H host] [--port port] [--qos 0|1|2]\n"
	"                 [--client-id id] [--clean] [--keepalive duration] [--auth-file file]\n"
	"                 [--tls] [--cacert file] [--capath dir] [--cert file --cert-key file]\n"
	"                 [--metric template] [--device template] [-p prefix] [-s source-id]\n"
	"                 [-T key=value]... [--status-interval duration]\n"
	"                 [--backoff-max duration] [--queue bytes]\n"
	"       mqtt-read -h | --version\n";

static const struct mq_format *first_fmt, *cur_fmt;

/* -F: the format of the -t after it (and of those before the first -F) */
static int
format(const char *s, void *to, char *err, size_t errlen)
{
	struct opts *o = to;
	const struct mq_format *f = mq_format_find(s);
	int i, n;

	if (!f) {
		n = snprintf(err, errlen, "unknown format \"%s\" (", s);
		for (i = 0; mq_format(i) && n > 0 && (size_t)n < errlen; i++)
			n += snprintf(err + n, errlen - (size_t)n, "%s%s", i ? ", " : "", mq_format(i)->name);
		if (n > 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, ")");
		return -1;
	}
	if (!first_fmt)
		for (first_fmt = f, i = 0; i < o->nsub; i++)
			o->sub[i].fmt = f;
	cur_fmt = f;
	return 0;
}

static void
add_sub(struct opts *o, const char *filter, const struct mq_format *f)
{
	if (o->nsub == MQ_SUBS)
		plx_die(EX_USAGE, "at most %d topic filters", MQ_SUBS);
	if (mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS)
		plx_die(EX_USAGE, "-t: \"%s\" is no topic filter (+ and # stand alone in a level, # last)", filter);
	o->sub[o->nsub].filter = filter;
	o->sub[o->nsub++].fmt = f;
}

static int
topic(const char *s, void *to, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	add_sub(to, s, cur_fmt);
	return 0;
}

static int
metric_template(const char *s, void *to, char *err, size_t errlen)
{
	if (name_check(s, 1, err, errlen) < 0)
		return -1;
	*(const char **)to = s;
	return 0;
}

static int
device_template(const char *s, void *to, char *err, size_t errlen)
{
	if (name_check(s, 0, err, errlen) < 0)
		return -1;
	*(const char **)to = s;
	return 0;
}

/* The default client id: the same at every start of the same command on
 * this host (the session at the broker is found again), another for
 * another broker or other filters (two instances do not throw each other
 * off: a broker drops the older of two connections with one id). */
static const char *
client_id(const struct opts *o)
{
	static char id[128];
	char host[64] = "host";
	uint32_t h = 2166136261u;
	const char *p;
	int i;

	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	for (i = 0; i < o->nsub; i++)
		for (p = o->sub[i].filter; ; p++) {
			h = (h ^ (unsigned char)*p) * 16777619u;
			if (!*p)
				break;
		}
	for (p = o->host; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ (uint32_t)o->port) * 16777619u;
	snprintf(id, sizeof id, "plx-mqtt-read-%.40s-%08x", host, h);
	return id;
}

int
main(int argc, char **argv)
{
	static struct opts o = { .host = "localhost", .qos = 1, .keepalive_ms = 60000,
	                         .backoff_max_ms = 30000, .queue_max = PLX_OUT_MAX_DEFAULT };
	static struct namer nm = { .metric = "%m" };
	const struct plx_opt tab[] = {
		{ 'F', "format", PLX_OPT_FN, &o, 0, 0, 0, format, "FORMAT",
		  "plain, json, zigbee2mqtt, tasmota, shelly, chirpstack, tts (of the -t after it)", NULL },
		{ 't', "topic", PLX_OPT_FN, &o, 0, 0, 0, topic, "FILTER",
		  "a topic filter, + and # wildcards (repeatable; default: the format's)", NULL },
		{ 'H', "host", PLX_OPT_STR, &o.host, 0, 0, 0, NULL, "HOST", "the broker (localhost)", NULL },
		{ 0, "port", PLX_OPT_NUM, &o.port, 1, 65535, 0, NULL, "PORT", "its port (1883; 8883 with TLS)", NULL },
		{ 0, "qos", PLX_OPT_NUM, &o.qos, 0, 2, 0, NULL, "0|1|2", "of the subscriptions (1)", NULL },
		{ 0, "client-id", PLX_OPT_STR, &o.client_id, 0, 0, 0, NULL, "ID",
		  "the session's id (default: from the host, broker and filters)", NULL },
		{ 0, "clean", PLX_OPT_FLAG, &o.clean, 0, 0, 0, NULL, NULL,
		  "no session kept at the broker while the tool is down", NULL },
		{ 0, "keepalive", PLX_OPT_DUR, &o.keepalive_ms, 5000, 65535000, 1000, NULL, "DURATION",
		  "MQTT keepalive (60s)", NULL },
		{ 0, "auth-file", PLX_OPT_STR, &o.auth_file, 0, 0, 0, NULL, "FILE",
		  "username= and password= lines (else PLEXUS_MQTT_USERNAME, PLEXUS_MQTT_PASSWORD)", NULL },
		{ 0, "tls", PLX_OPT_FLAG, &o.tls, 0, 0, 0, NULL, NULL, "TLS, the broker's certificate verified", NULL },
		{ 0, "cacert", PLX_OPT_STR, &o.cacert, 0, 0, 0, NULL, "FILE", "CA certificates to verify it with", NULL },
		{ 0, "capath", PLX_OPT_STR, &o.capath, 0, 0, 0, NULL, "DIR", "a directory of them (/etc/ssl/certs)", NULL },
		{ 0, "cert", PLX_OPT_STR, &o.cert, 0, 0, 0, NULL, "FILE", "a client certificate (PEM)", NULL },
		{ 0, "cert-key", PLX_OPT_STR, &o.cert_key, 0, 0, 0, NULL, "FILE", "its private key (PEM)", NULL },
		{ 0, "metric", PLX_OPT_FN, &nm.metric, 0, 0, 0, metric_template, "TEMPLATE",
		  "metric names: %m reading, %d device, %1.. topic levels, %{field} (%m)", NULL },
		{ 0, "device", PLX_OPT_FN, &nm.device, 0, 0, 0, device_template, "TEMPLATE",
		  "the device of a message (default: the format's)", NULL },
		{ 0, "backoff-max", PLX_OPT_DUR, &o.backoff_max_ms, 100, 3600000, 1, NULL, "DURATION",
		  "longest wait between connection attempts (30s)", NULL },
		{ 0, "queue", PLX_OPT_NUM, &o.queue_max, 65536, 1 << 30, 0, NULL, "BYTES",
		  "records waiting for a slow stdout before they are dropped (1M)", NULL },
		{ 0 }
	};
	static const char *const own_tags[] = { "device", NULL };
	struct plx_common c = { .status_ms = 60000 };
	char err[200];
	const char *p, *e;
	int i, rc, optind_;

	plx_log_init(argv[0]);
	optind_ = plx_opts_parse(argc, argv, tab, PLX_COMMON_READER, &c, synopsis);
	if (optind_ != argc) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	o.status_ms = c.status_ms;
	nm.prefix = c.prefix;
	nm.source_given = c.source_id && c.source_id != getenv("PLEXUS_SOURCE_ID");
	if (c.source_id && plx_tags_set_source(&nm.base, c.source_id, err, sizeof err) < 0)
		plx_die(EX_USAGE, "-s: %s", err);
	for (i = 0; i < c.ntags; i++)
		if (plx_tags_arg(&nm.base, c.tag[i], own_tags, 1, err, sizeof err) < 0)
			plx_die(EX_USAGE, "-T: %s", err);
	if (!o.nsub && !cur_fmt)
		plx_die(EX_USAGE, "-t or -F: what to subscribe to");
	if (!o.nsub)        /* the format's own filters */
		for (p = cur_fmt->filters; *p; p = *e ? e + 1 : e) {
			e = p + strcspn(p, " ");
			add_sub(&o, plx_xstrndup(p, (size_t)(e - p)), cur_fmt);
		}
	for (i = 0; i < o.nsub; i++)
		if (!o.sub[i].fmt)
			o.sub[i].fmt = mq_format_find("json");
	if (o.cacert || o.capath || o.cert)
		o.tls = 1;
	if (o.tls && !o.cacert && !o.capath)
		o.capath = "/etc/ssl/certs";
	if (!o.cert != !o.cert_key)
		plx_die(EX_USAGE, "--cert and --cert-key go together");
	if (!o.port)
		o.port = o.tls ? 8883 : 1883;
	if (!o.client_id)
		o.client_id = client_id(&o);
	name_init(&nm);
	rc = run(&o, &nm);
	name_free(&nm);
	return rc;
}

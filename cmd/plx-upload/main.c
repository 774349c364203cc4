/* plx-upload: NDJSON records on stdin -> batches -> POST $gateway/ingest,
 * acknowledging each delivered record to plx-buffer's spool.  Options,
 * configuration and setup here; the key and files read again in files.c,
 * the loop in input.c, the status policy in send.c.
 *
 * Exit status (sysexits.h): 0 all input delivered or dead-lettered, or a
 * stop signal; 64 usage; 73 spool or dead-letter file cannot be opened;
 * 74 reading stdin failed; 78 no API key, a bad gateway URL or an unreadable
 * TLS file; 71 out of memory or a system call that must not fail did. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "opts.h"
#include "record.h"
#include "safefile.h"
#include "upload.h"

static const char synopsis[] =
	"usage: plx-upload [-d spool] [-k keyfile] [-s source-id] [-u url] [-z level]\n"
	"                  [--batch-points n] [--batch-bytes bytes] [--batch-ms duration] [--in-flight n]\n"
	"                  [--dead-letter file] [--timeout duration] [--connect-timeout duration]\n"
	"                  [--backoff duration] [--backoff-max duration] [--auth-retry duration]\n"
	"                  [--cacert file] [--cert file] [--cert-key file]\n"
	"                  [--status-interval duration] [--clock-warn duration]\n"
	"       plx-upload -h | --version\n";

/* -s: the envelope's; PLEXUS_SOURCE_ID is read with the configuration,
 * where one the server would refuse makes records carry their own. */
static int
source_id(const char *s, void *to, char *err, size_t errlen)
{
	if (!plx_source_id_ok(s)) {
		snprintf(err, errlen, "\"%s\" does not match ^[a-z0-9][a-z0-9._-]*$ (at most 256 bytes)", s);
		return -1;
	}
	*(const char **)to = s;
	return 0;
}

/* PLEXUS_API_KEY, once read, wiped from the environment: from the block
 * /proc/PID/environ shows as well as from what children would inherit. */
static void
forget_env_key(void)
{
	extern char **environ;
	char **e;

	for (e = environ; *e; e++)
		if (!strncmp(*e, "PLEXUS_API_KEY=", 15))
			explicit_bzero(*e + 15, strlen(*e + 15));
	unsetenv("PLEXUS_API_KEY");
}

/* The key sent in clear text to a host other than this machine is said:
 * http:// is for a local test server. */
static void
check_clear_text(const char *url)
{
	char host[256];
	const char *h, *e, *at;
	size_t n;

	if (strncasecmp(url, "http://", 7))
		return;
	h = url + 7;
	e = h + strcspn(h, "/?#");
	if ((at = memchr(h, '@', (size_t)(e - h))))
		h = at + 1;
	if (*h == '[')
		n = strcspn(h, "]") + 1;
	else
		n = strcspn(h, ":/?#");
	snprintf(host, sizeof host, "%.*s", (int)(n < sizeof host ? n : sizeof host - 1), h);
	if (!strcasecmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "[::1]"))
		return;
	plx_warn("gateway URL %s is http://: the API key goes in clear text to %s (use https://)", url, host);
}

static void
setup(struct up *u)
{
	const char *tls[] = { u->o.cacert, u->o.cert, u->o.cert_key }, *path;
	char err[4400];
	size_t i;
	int fd;

	/* A closed 0, 1 or 2 would be reused by a socket or the spool. */
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			plx_die(EX_OSERR, "open /dev/null:");
	plx_config_load(&u->cf);
	if (u->o.url) {
		size_t n = strlen(u->o.url);
		while (n > 0 && u->o.url[n - 1] == '/')
			n--;
		plx_config_set(&u->cf.gateway_url, u->o.url);
		u->cf.gateway_url[n] = '\0';
	}
	if (strncasecmp(u->cf.gateway_url, "http://", 7) && strncasecmp(u->cf.gateway_url, "https://", 8))
		plx_die(EX_CONFIG, "gateway URL \"%s\" is neither http:// nor https://", u->cf.gateway_url);
	check_clear_text(u->cf.gateway_url);
	/* Else libcurl would find out at the first request, and the failure
	 * would be retried forever like a network error. */
	for (i = 0; i < sizeof tls / sizeof *tls; i++)
		if (tls[i] && access(tls[i], R_OK) < 0)
			plx_die(EX_CONFIG, "unable to read %s:", tls[i]);
	if (u->o.source)
		plx_config_set(&u->cf.source_id, u->o.source);
	/* An envelope the server would refuse: records must name their own source. */
	u->need_source = !plx_source_id_ok(u->cf.source_id);
	if (plx_source_id_default_host(u->cf.source_id))
		plx_warn("source id \"%s\" is a name many machines have: gateways cloned from one image would"
		         " send as one source (plexus-gateway init -s ID, or PLEXUS_SOURCE_ID)", u->cf.source_id);
	if (http_init(&u->http, &u->o, u->cf.gateway_url, 1) < 0)
		plx_die(EX_OSERR, "unable to set up libcurl");
	if (key_reload(u, 1) < 0)
		plx_die(EX_CONFIG, "no API key: set PLEXUS_API_KEY, use -k keyfile, the systemd credential"
		        " plexus-api-key, or api_key in ~/.plexus/config.json");
	forget_env_key();
	/* Only the spool it is told about: never one found by itself. */
	if ((path = u->o.spool ? u->o.spool : u->cf.buffer)) {
		if (spool_open(&u->sp, path, SPOOL_ACK_ONLY) < 0)
			exit(EX_CANTCREAT);
		ack_init(u);
	}
	u->dead_fd = -1;
	u->h.last.clock_offset_ms = INT64_MIN;
	/* 0600 whatever the umask; never through another user's link or file */
	if (u->o.dead_file &&
	    (u->dead_fd = plx_open_trusted(u->o.dead_file, O_WRONLY | O_APPEND, 0600, err, sizeof err)) < 0)
		plx_die(EX_CANTCREAT, "unable to open %s: %s", u->o.dead_file, err);
	batch_init(&u->b, u->need_source ? NULL : u->cf.source_id, (int)u->o.level, (size_t)u->o.max_bytes);
	srandom(getpid() ^ (unsigned)plx_now_ms());
}

static void
teardown(struct up *u)
{
	struct counters *c = &u->c;
	uint64_t left = c->read + c->own - c->delivered - c->dead;
	char more[128] = "";

	if (left)
		snprintf(more, sizeof more, ", %llu not delivered (stopped; not acknowledged)",
		         (unsigned long long)left);
	if (c->server_dropped)
		snprintf(more + strlen(more), sizeof more - strlen(more), ", %llu dropped by the server",
		         (unsigned long long)c->server_dropped);
	plx_info("%llu records delivered in %llu requests, %llu retries, %llu dead letters,"
	         " %llu lines rejected%s", (unsigned long long)c->delivered,
	         (unsigned long long)c->requests, (unsigned long long)c->retries,
	         (unsigned long long)c->dead, (unsigned long long)c->rejected, more);
	ack_free(u);           /* its thread ended before the spool it uses closes */
	spool_close(u->sp);
	if (u->dead_fd >= 0)
		close(u->dead_fd);
	batch_free(&u->b);
	http_free(&u->http);
	plx_config_free(&u->cf);
}

int
main(int argc, char **argv)
{
	static struct up u = { .o = {
		.max_points = 5000, .max_bytes = 1 << 20, .batch_ms = 0, .level = 6,
		.backoff_ms = 500, .backoff_max_ms = 60000, .auth_retry_ms = 60000,
		.timeout_ms = 30000, .connect_ms = 10000, .clock_warn_ms = 60000, .window = 4,
	} };
	struct opts *o = &u.o;
	const struct plx_opt tab[] = {
		{ 'd', "spool", PLX_OPT_STR, &o->spool, 0, 0, 0, NULL, "FILE",
		  "the spool to acknowledge delivered records to (PLEXUS_BUFFER)", NULL },
		{ 'k', "key-file", PLX_OPT_STR, &o->keyfile, 0, 0, 0, NULL, "FILE", "read the API key from FILE", NULL },
		{ 's', "source-id", PLX_OPT_FN, &o->source, 0, 0, 0, source_id, "ID",
		  "the source of records that name none (PLEXUS_SOURCE_ID)", NULL },
		{ 'u', "url", PLX_OPT_STR, &o->url, 0, 0, 0, NULL, "URL", "the gateway (PLEXUS_GATEWAY_URL)", NULL },
		{ 'z', "gzip", PLX_OPT_NUM, &o->level, 0, 12, 0, NULL, "LEVEL",
		  "gzip level of bodies over 1 KiB, 1-12, 0: none (6)", NULL },
		{ 0, "batch-points", PLX_OPT_NUM, &o->max_points, 1, PLX_POINTS_MAX, 0, NULL, "N",
		  "points in one request at most (5000)", NULL },
		{ 0, "batch-bytes", PLX_OPT_NUM, &o->max_bytes, 1024, PLX_BODY_MAX, 0, NULL, "BYTES",
		  "uncompressed body of one request at most (1M)", NULL },
		{ 0, "batch-ms", PLX_OPT_DUR, &o->batch_ms, 0, 3600000, 1, NULL, "DURATION",
		  "a batch waits this long for more records; 0: live, it leaves when no more input waits (0)", NULL },
		{ 0, "in-flight", PLX_OPT_NUM, &o->window, 1, WINDOW_MAX, 0, NULL, "N",
		  "requests on their way at once, at most (4)", NULL },
		{ 0, "dead-letter", PLX_OPT_STR, &o->dead_file, 0, 0, 0, NULL, "FILE",
		  "records refused for good, without a spool: appended to FILE", NULL },
		{ 0, "timeout", PLX_OPT_DUR, &o->timeout_ms, 1, 86400000, 1, NULL, "DURATION",
		  "longest a request may take (30s)", NULL },
		{ 0, "connect-timeout", PLX_OPT_DUR, &o->connect_ms, 1, 86400000, 1, NULL, "DURATION",
		  "longest the connection may take (10s)", NULL },
		{ 0, "backoff", PLX_OPT_DUR, &o->backoff_ms, 1, 3600000, 1, NULL, "DURATION",
		  "first wait before a retry (500ms)", NULL },
		{ 0, "backoff-max", PLX_OPT_DUR, &o->backoff_max_ms, 1, 86400000, 1, NULL, "DURATION",
		  "longest wait between retries (60s)", NULL },
		{ 0, "auth-retry", PLX_OPT_DUR, &o->auth_retry_ms, 1, 86400000, 1, NULL, "DURATION",
		  "how often to try again while the key is refused (60s)", NULL },
		{ 0, "cacert", PLX_OPT_STR, &o->cacert, 0, 0, 0, NULL, "FILE", "the certificate authorities to trust", NULL },
		{ 0, "cert", PLX_OPT_STR, &o->cert, 0, 0, 0, NULL, "FILE", "a client certificate", NULL },
		{ 0, "cert-key", PLX_OPT_STR, &o->cert_key, 0, 0, 0, NULL, "FILE", "its private key", NULL },
		{ 0, "clock-warn", PLX_OPT_DUR, &o->clock_warn_ms, 0, 86400000LL * 365, 1000, NULL, "DURATION",
		  "say so when our clock is this far off the server's (60s; 0: never)", NULL },
		{ 'n', "points", PLX_OPT_NUM, &o->max_points, 1, PLX_POINTS_MAX, 0, NULL, "N", NULL, "--batch-points" },
		{ 'b', "bytes", PLX_OPT_NUM, &o->max_bytes, 1024, PLX_BODY_MAX, 0, NULL, "BYTES", NULL, "--batch-bytes" },
		{ 't', NULL, PLX_OPT_DUR, &o->batch_ms, 0, 3600000, 1, NULL, "DURATION", NULL, "--batch-ms" },
		{ 0, "source", PLX_OPT_FN, &o->source, 0, 0, 0, source_id, "ID", NULL, "-s/--source-id" },
		{ 0, "gzip-level", PLX_OPT_NUM, &o->level, 0, 12, 0, NULL, "LEVEL", NULL, "-z/--gzip" },
		{ 0 }
	};
	struct plx_common c = { 0 };
	int rc;

	plx_log_init(argv[0]);
	/* No core dump, no ptrace by the same user, /proc/PID/mem and environ
	 * root's: the key is in this process's memory (a core held it 4 times). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		plx_die(EX_OSERR, "prctl PR_SET_DUMPABLE:");
	if (plx_opts_parse(argc, argv, tab, PLX_COMMON_STATUS, &c, synopsis) != argc) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	o->status_ms = c.status_ms;
	if (o->backoff_max_ms < o->backoff_ms)
		o->backoff_max_ms = o->backoff_ms;

	setup(&u);
	rc = run(&u);
	teardown(&u);
	return rc;
}

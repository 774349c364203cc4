/* plx-upload: NDJSON records on stdin -> batches -> POST $gateway/ingest,
 * acknowledging each delivered record to plx-buffer's spool.  Options,
 * configuration, the API key and signals here; the loop is in input.c,
 * the status policy in send.c.
 *
 * Exit status (sysexits.h): 0 all input delivered or dead-lettered, or a
 * stop signal; 64 usage; 73 spool or dead-letter file cannot be opened;
 * 74 reading stdin failed; 78 no API key, a bad gateway URL or an unreadable
 * TLS file; 71 out of memory or a system call that must not fail did. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "log.h"
#include "record.h"
#include "upload.h"

volatile int up_stop, up_abort, up_hup;

static const char usage_text[] =
	"usage: plx-upload [-b bytes] [-d spool] [-k keyfile] [-n points] [-s source] [-t ms]\n"
	"                  [-u url] [-z level] [--dead-letter file] [--backoff ms]\n"
	"                  [--backoff-max ms] [--auth-retry ms] [--timeout ms] [--connect-timeout ms]\n"
	"                  [--cacert file] [--cert file] [--cert-key file]\n"
	"                  [--status-interval seconds] [--clock-warn seconds]\n"
	"       plx-upload -h | --version\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/* ps(1) shows every argument to every user: refuse anything that looks
 * like a key, and blank it in /proc/PID/cmdline at once. */
static void
no_key_in_argv(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "plx_", 4) || strstr(argv[i], "=plx_")) {
			explicit_bzero(argv[i], strlen(argv[i]));
			plx_die(EX_USAGE, "an API key is never accepted on the command line (ps shows it to"
			        " everyone): use PLEXUS_API_KEY, -k keyfile, the systemd credential"
			        " plexus-api-key or ~/.plexus/config.json");
		}
}

int
key_reload(struct up *u, int initial)
{
	struct plx_config c;
	const char *from;
	char *key;

	if (u->o.keyfile) {
		key = plx_read_secret(u->o.keyfile);
		from = u->o.keyfile;
	} else if (initial) {
		key = u->cf.api_key;
		from = u->cf.key_from;
	} else {
		plx_config_load(&c);
		key = c.api_key;
		from = c.key_from;   /* a string constant, outlives c */
		c.api_key = NULL;
		plx_config_free(&c);
	}
	if (!key) {
		if (!initial)
			plx_warn("no API key found when re-reading it: keeping the one in use");
		return -1;
	}
	if (key != u->cf.api_key) {
		if (!initial && u->cf.api_key && strcmp(key, u->cf.api_key))
			plx_info("API key changed, read from %s", from);
		if (u->cf.api_key)
			explicit_bzero(u->cf.api_key, strlen(u->cf.api_key));
		free(u->cf.api_key);
		u->cf.api_key = key;
	}
	u->cf.key_from = from;
	if (http_set_key(&u->http, key) < 0)
		plx_die(EX_OSERR, "out of memory");
	return 0;
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		up_hup = 1;
		return;
	}
	if (up_stop)
		up_abort = 1;   /* the second one: do not even finish the request */
	up_stop = 1;
}

static void
setup(struct up *u)
{
	const char *tls[] = { u->o.cacert, u->o.cert, u->o.cert_key }, *path;
	struct sigaction sa;
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
	/* Else libcurl would find out at the first request, and the failure
	 * would be retried forever like a network error. */
	for (i = 0; i < sizeof tls / sizeof *tls; i++)
		if (tls[i] && access(tls[i], R_OK) < 0)
			plx_die(EX_CONFIG, "unable to read %s:", tls[i]);
	if (u->o.source)
		plx_config_set(&u->cf.source_id, u->o.source);
	/* An envelope the server would refuse: records must name their own source. */
	u->need_source = !plx_source_id_ok(u->cf.source_id);
	if (http_init(&u->http, &u->o, u->cf.gateway_url) < 0)
		plx_die(EX_OSERR, "unable to set up libcurl");
	if (key_reload(u, 1) < 0)
		plx_die(EX_CONFIG, "no API key: set PLEXUS_API_KEY, use -k keyfile, the systemd credential"
		        " plexus-api-key, or api_key in ~/.plexus/config.json");
	if ((path = u->o.spool ? u->o.spool : u->cf.buffer)) {
		u->spool_looked = 1;
		if (spool_open(&u->sp, path, SPOOL_ACK_ONLY) < 0)
			exit(EX_CANTCREAT);
	}
	u->dead_fd = -1;
	u->h.last.clock_offset_ms = INT64_MIN;
	if (u->o.dead_file &&
	    (u->dead_fd = open(u->o.dead_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		plx_die(EX_CANTCREAT, "unable to open %s:", u->o.dead_file);
	if (batch_init(&u->b, u->need_source ? NULL : u->cf.source_id, u->o.level, u->o.max_bytes) < 0 ||
	    !(u->seqs = malloc(u->o.max_points * sizeof *u->seqs)))
		plx_die(EX_OSERR, "out of memory");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;   /* no SA_RESTART: poll() must wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	plx_sleep_stop = &up_stop;
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
	spool_close(u->sp);
	if (u->dead_fd >= 0)
		close(u->dead_fd);
	batch_free(&u->b);
	http_free(&u->http);
	free(u->seqs);
	plx_config_free(&u->cf);
}

int
main(int argc, char **argv)
{
	enum { O_DEAD = 256, O_BACKOFF, O_BACKOFF_MAX, O_AUTH, O_TIMEOUT, O_CONNECT, O_CACERT,
	       O_CERT, O_CERT_KEY, O_STATUS, O_CLOCK, O_VERSION };
	static const struct option lo[] = {
		{ "bytes", required_argument, NULL, 'b' },
		{ "spool", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "points", required_argument, NULL, 'n' },
		{ "source", required_argument, NULL, 's' },
		{ "batch-ms", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		{ "gzip-level", required_argument, NULL, 'z' },
		{ "dead-letter", required_argument, NULL, O_DEAD },
		{ "backoff", required_argument, NULL, O_BACKOFF },
		{ "backoff-max", required_argument, NULL, O_BACKOFF_MAX },
		{ "auth-retry", required_argument, NULL, O_AUTH },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "connect-timeout", required_argument, NULL, O_CONNECT },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "cert-key", required_argument, NULL, O_CERT_KEY },
		{ "status-interval", required_argument, NULL, O_STATUS },
		{ "clock-warn", required_argument, NULL, O_CLOCK },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	static struct up u = { .o = {
		.max_points = 5000, .max_bytes = 1 << 20, .batch_ms = 1000, .level = 6,
		.backoff_ms = 500, .backoff_max_ms = 60000, .auth_retry_ms = 60000,
		.timeout_ms = 30000, .connect_ms = 10000, .clock_warn_ms = 60000,
	} };
	struct opts *o = &u.o;
	int c, rc;

	plx_log_init(argv[0]);
	no_key_in_argv(argc, argv);
	while ((c = getopt_long(argc, argv, "b:d:hk:n:s:t:u:z:", lo, NULL)) != -1) {
		switch (c) {
		case 'b': o->max_bytes = plx_opt_num("-b", optarg, 1024, PLX_BODY_MAX); break;
		case 'd': o->spool = optarg; break;
		case 'h': usage(0);
		case 'k': o->keyfile = optarg; break;
		case 'n': o->max_points = plx_opt_num("-n", optarg, 1, PLX_POINTS_MAX); break;
		case 's':
			if (!plx_source_id_ok(optarg))
				plx_die(EX_USAGE, "-s: \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$", optarg);
			o->source = optarg;
			break;
		case 't': o->batch_ms = plx_opt_num("-t", optarg, 0, 3600000); break;
		case 'u': o->url = optarg; break;
		case 'z': o->level = plx_opt_num("-z", optarg, 0, 9); break;
		case O_DEAD: o->dead_file = optarg; break;
		case O_BACKOFF: o->backoff_ms = plx_opt_num("--backoff", optarg, 1, 3600000); break;
		case O_BACKOFF_MAX: o->backoff_max_ms = plx_opt_num("--backoff-max", optarg, 1, 86400000); break;
		case O_AUTH: o->auth_retry_ms = plx_opt_num("--auth-retry", optarg, 1, 86400000); break;
		case O_TIMEOUT: o->timeout_ms = plx_opt_num("--timeout", optarg, 1, 86400000); break;
		case O_CONNECT: o->connect_ms = plx_opt_num("--connect-timeout", optarg, 1, 86400000); break;
		case O_CACERT: o->cacert = optarg; break;
		case O_CERT: o->cert = optarg; break;
		case O_CERT_KEY: o->cert_key = optarg; break;
		case O_STATUS: o->status_ms = plx_opt_num("--status-interval", optarg, 0, 86400) * 1000; break;
		case O_CLOCK: o->clock_warn_ms = plx_opt_num("--clock-warn", optarg, 0, 86400 * 365) * 1000; break;
		case O_VERSION: puts("plx-upload " PLX_VERSION); return 0;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	if (o->backoff_max_ms < o->backoff_ms)
		o->backoff_max_ms = o->backoff_ms;

	setup(&u);
	rc = run(&u);
	teardown(&u);
	return rc;
}

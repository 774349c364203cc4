/* plx-command: commands from Plexus to this gateway's devices (DESIGN §6).
 * Options, configuration, the key and the loop's hooks here; the files
 * are listed in command.h.
 *
 * Exit status (sysexits.h): 0 stopped by a signal; 64 usage; 78 no API
 * key, a bad URL, an unreadable TLS file, or a command directory that is
 * unsafe or wrong; 71 a system call that must not fail did. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "opts.h"
#include "record.h"

#define DEFAULT_DIR "/etc/plexus/commands"

static const char synopsis[] =
	"usage: plx-command [-q] [-C dir] [-k keyfile] [-s source-id] [-u url] [--cacert file]\n"
	"                   [--cert file] [--cert-key file] [--heartbeat duration]\n"
	"                   [--backoff duration] [--backoff-max duration] [--auth-retry duration]\n"
	"                   [--auth-wait duration] [--max-runs n] [--status-interval duration]\n"
	"       plx-command --check [-C dir]\n"
	"       plx-command -h | --version\n";

static int64_t
prepare(struct plx_loop *l, void *arg)
{
	struct app *a = arg;
	int64_t due = -1, t[4];
	enum link_state st;
	int i;

	/* libuv's due work first: its callbacks change what the others plan
	 * (a close plans a reconnect); then theirs; then libuv's next timeout,
	 * with what they started (a connect), until the link's state holds
	 * (a connect that fails at once is a close inside libuv's run) */
	ws_prepare(a->ws);
	t[0] = runner_prepare(a->runner);
	t[1] = deliver_prepare(a);
	for (i = 0; i < 4; i++) {
		t[2] = link_prepare(a);
		st = a->state;
		t[3] = ws_prepare(a->ws);
		if (a->state == st)
			break;
	}
	for (i = 0; i < 4; i++)
		if (t[i] >= 0 && (due < 0 || t[i] < due))
			due = t[i];
	return due;
}

/* The key: -k FILE, else PLEXUS_API_KEY, the systemd credential,
 * ~/.plexus/config.json (lib/config.c).  NULL when there is none. */
static char *
load_key(const struct app *a, const char **from)
{
	struct plx_config c;
	char *key;

	if (a->o.keyfile) {
		*from = a->o.keyfile;
		return plx_read_secret(a->o.keyfile);
	}
	plx_config_load(&c);
	key = c.api_key;
	*from = c.key_from;   /* a string constant */
	c.api_key = NULL;
	plx_config_free(&c);
	return key;
}

static void
set_key(struct app *a, char *key)
{
	if (a->key)
		explicit_bzero(a->key, strlen(a->key));
	free(a->key);
	a->key = key;
}

/* SIGHUP: the command directory and the key again; a change reconnects,
 * since the manifest and the key travel in device_auth only. */
static void
on_hup(struct plx_loop *l, void *arg)
{
	struct app *a = arg;
	struct cmdset cs;
	const char *from;
	char err[600], *key;
	json_object *m;
	int changed = 0;

	if (cmdset_load(&cs, a->o.dir, err, sizeof err) < 0) {
		plx_warn("SIGHUP: %s; keeping the %d commands in use", err, a->cs.n);
		cmdset_free(&cs);
	} else {
		m = cmdset_manifest(&cs);
		changed = !json_object_equal(m, a->manifest);
		cmdset_free(&a->cs);
		a->cs = cs;
		json_object_put(a->manifest);
		a->manifest = m;
		plx_info("SIGHUP: %d commands%s", cs.n, changed ? ", changed" : "");
	}
	if (!(key = load_key(a, &from))) {
		plx_warn("SIGHUP: no API key found: keeping the one in use");
	} else if (strcmp(key, a->key)) {
		plx_info("SIGHUP: API key changed, read from %s", from);
		set_key(a, key);
		a->key_from = from;
		changed = 1;
	} else {
		set_key(a, key);
	}
	if (changed)
		link_reload(a);
}

static void
on_term(struct plx_loop *l, void *arg)
{
	link_stop(arg);
}

static void
on_stop(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	if (a->o.status_ms)
		health_records(l, a);
}

/* --check: the directory read as at the start; its manifest on stdout. */
static int
check(const char *dir)
{
	struct cmdset cs;
	json_object *m;
	char err[600];

	if (cmdset_load(&cs, dir, err, sizeof err) < 0) {
		cmdset_free(&cs);
		plx_die(EX_CONFIG, "%s", err);
	}
	m = cmdset_manifest(&cs);
	puts(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(m);
	cmdset_free(&cs);
	return 0;
}

static void
setup(struct app *a)
{
	const char *tls[] = { a->o.tls.cacert, a->o.tls.cert, a->o.tls.cert_key };
	char err[600], host[256], path[1024];
	struct plx_config c;
	struct ws_hooks h;
	int fd, t, port;
	size_t i;

	/* a closed 0, 1 or 2 would be reused by a socket or a pipe */
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			plx_die(EX_OSERR, "open /dev/null:");
	plx_config_load(&c);
	a->url = plx_xstrdup(a->o.url ? a->o.url : c.gateway_ws_url);
	if (!a->source_id)
		a->source_id = plx_xstrdup(c.source_id);
	a->key = c.api_key;
	a->key_from = c.key_from;
	c.api_key = NULL;
	plx_config_free(&c);
	if (ws_url_split(a->url, &t, host, sizeof host, &port, path, sizeof path, err, sizeof err) < 0)
		plx_die(EX_CONFIG, "gateway WebSocket URL: %s", err);
	if (!plx_source_id_ok(a->source_id))
		plx_die(EX_CONFIG, "source id \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$", a->source_id);
	for (i = 0; i < sizeof tls / sizeof *tls; i++)
		if (tls[i] && access(tls[i], R_OK) < 0)
			plx_die(EX_CONFIG, "unable to read %s:", tls[i]);
	if (a->o.keyfile) {
		set_key(a, NULL);
		a->key = load_key(a, &a->key_from);
	}
	if (!a->key)
		plx_die(EX_CONFIG, "no API key: set PLEXUS_API_KEY, use -k keyfile, the systemd credential"
		        " plexus-api-key, or api_key in ~/.plexus/config.json");
	if (cmdset_load(&a->cs, a->o.dir, err, sizeof err) < 0)
		plx_die(EX_CONFIG, "%s", err);
	a->manifest = cmdset_manifest(&a->cs);
	if (!a->cs.n)
		plx_warn("%s declares no command: every command will be refused", a->o.dir);

	plx_loop_init(&a->l, a);
	plx_loop_output(&a->l, STDOUT_FILENO, 0, 0);
	a->rl = (struct plx_ratelim){ .per_s = 10, .what = "warnings about frames" };
	plx_loop_ratelim(&a->l, &a->rl);
	a->runner = runner_new(&a->l, (int)a->o.max_runs, deliver_done, deliver_progress, a);
	h = link_hooks(a);
	a->ws = ws_new(&a->l, &a->o.tls, &h);
	link_start(a);
	if (a->o.status_ms)
		plx_loop_every(&a->l, a->o.status_ms, health_records);
	a->l.prepare = prepare;
	a->l.on_hup = on_hup;
	a->l.on_term = on_term;
	a->l.on_stop = on_stop;
	srandom((unsigned)(getpid() ^ plx_now_ms()));
}

int
main(int argc, char **argv)
{
	static struct app a = { .o = {
		.dir = DEFAULT_DIR, .heartbeat_ms = 30000, .backoff_ms = 1000, .backoff_max_ms = 60000,
		.auth_retry_ms = 60000, .auth_wait_ms = 10000, .max_runs = 8,
	} };
	static int check_only;
	const struct plx_opt tab[] = {
		{ 'C', "commands", PLX_OPT_STR, &a.o.dir, 0, 0, 0, NULL, "DIR", "the command directory (" DEFAULT_DIR ")", NULL },
		{ 'k', "key-file", PLX_OPT_STR, &a.o.keyfile, 0, 0, 0, NULL, "FILE", "read the API key from FILE", NULL },
		{ 'u', "url", PLX_OPT_STR, &a.o.url, 0, 0, 0, NULL, "URL",
		  "the gateway's WebSocket (wss://gateway.plexus.company; /ws/device is added)", NULL },
		{ 0, "cacert", PLX_OPT_STR, &a.o.tls.cacert, 0, 0, 0, NULL, "FILE", "trust these CAs, not the system's", NULL },
		{ 0, "cert", PLX_OPT_STR, &a.o.tls.cert, 0, 0, 0, NULL, "FILE", "a client certificate", NULL },
		{ 0, "cert-key", PLX_OPT_STR, &a.o.tls.cert_key, 0, 0, 0, NULL, "FILE", "its key", NULL },
		{ 0, "heartbeat", PLX_OPT_DUR, &a.o.heartbeat_ms, 100, 3600000, 1000, NULL, "DURATION",
		  "a heartbeat frame this often (30s)", NULL },
		{ 0, "backoff", PLX_OPT_DUR, &a.o.backoff_ms, 10, 3600000, 1, NULL, "DURATION",
		  "the first wait before connecting again (1s)", NULL },
		{ 0, "backoff-max", PLX_OPT_DUR, &a.o.backoff_max_ms, 10, 86400000, 1, NULL, "DURATION",
		  "the longest (60s)", NULL },
		{ 0, "auth-retry", PLX_OPT_DUR, &a.o.auth_retry_ms, 10, 86400000, 1, NULL, "DURATION",
		  "the wait after the server refused the key (60s)", NULL },
		{ 0, "auth-wait", PLX_OPT_DUR, &a.o.auth_wait_ms, 10, 3600000, 1, NULL, "DURATION",
		  "the wait for \"authenticated\" (10s)", NULL },
		{ 0, "max-runs", PLX_OPT_NUM, &a.o.max_runs, 1, CMD_RUNS_MAX, 0, NULL, "N",
		  "commands running at once, at most (8)", NULL },
		{ 0, "check", PLX_OPT_FLAG, &check_only, 0, 0, 0, NULL, NULL,
		  "check the command directory, print what it offers, exit", NULL },
		{ 0 }
	};
	struct plx_common c = { .status_ms = 60000 };
	int rc;

	plx_log_init(argv[0]);
	if (plx_opts_parse(argc, argv, tab, PLX_COMMON_SOURCE | PLX_COMMON_STATUS, &c, synopsis) != argc) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	if (check_only)
		return check(a.o.dir);
	if (a.o.backoff_max_ms < a.o.backoff_ms)
		a.o.backoff_max_ms = a.o.backoff_ms;
	a.o.status_ms = c.status_ms;
	if (c.source_id)
		a.source_id = plx_xstrdup(c.source_id);
	setup(&a);
	rc = plx_loop_run(&a.l);
	ws_free(a.ws);
	runner_free(a.runner);
	deliver_free(&a);
	cmdset_free(&a.cs);
	json_object_put(a.manifest);
	set_key(&a, NULL);
	free(a.url);
	free(a.source_id);
	plx_loop_free(&a.l);
	return rc;
}

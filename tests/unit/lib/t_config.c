/* lib/config.c: where each setting comes from (DESIGN §5): the environment,
 * then a systemd credential for the key, then ~/.plexus/config.json, then
 * defaults.  HOME points at a fresh temporary directory, so the tester's
 * own configuration never leaks in.
 *
 * The precedence cases are a table: the config.json text (NULL: no file),
 * the environment, and the settings expected. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "record.h"
#include "unit.h"

static char home[64], cred[128], path[256];

static void
put(const char *file, const char *text, mode_t mode)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(file);
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

static void
set_config(const char *text)
{
	snprintf(path, sizeof path, "%s/.plexus/config.json", home);
	if (text)
		put(path, text, 0600);
	else
		unlink(path);
}

static void
env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static void
clear_env(void)
{
	unsetenv("PLEXUS_API_KEY");
	unsetenv("PLEXUS_GATEWAY_URL");
	unsetenv("PLEXUS_GATEWAY_WS_URL");
	unsetenv("PLEXUS_SOURCE_ID");
	unsetenv("PLEXUS_BUFFER");
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", home, 1);
}

/* stderr into a file while a call runs, to read its warnings back. */
static char errtext[4096];
static int saved_fd = -1;

static void
capture(void)
{
	char name[] = "/tmp/t_config.err.XXXXXX";
	int fd = mkstemp(name);

	unlink(name);
	fflush(stderr);
	saved_fd = dup(2);
	dup2(fd, 2);
	close(fd);
}

static const char *
captured(void)
{
	ssize_t n;

	fflush(stderr);
	lseek(2, 0, SEEK_SET);
	n = read(2, errtext, sizeof errtext - 1);
	errtext[n > 0 ? n : 0] = '\0';
	dup2(saved_fd, 2);
	close(saved_fd);
	return errtext;
}

#define NONE NULL
#define HOST "(host)"   /* the default: the host name as a valid source id */

static const struct {
	const char *what;
	const char *file;                        /* config.json, NULL for none */
	const char *key, *url, *sid, *buf;       /* the environment */
	const char *want_key, *want_url, *want_sid, *want_buf, *want_from, *warn;
} cases[] = {
	{ "nothing set: defaults", NONE, NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "" },
	{ "config.json alone", "{\"api_key\":\"plx_file\",\"gateway_url\":\"https://f.example\",\"source_id\":\"file-src\"}",
	  NONE, NONE, NONE, NONE,
	  "plx_file", "https://f.example", "file-src", NONE, "~/.plexus/config.json", "" },
	{ "environment over config.json", "{\"api_key\":\"plx_file\",\"gateway_url\":\"https://f.example\",\"source_id\":\"file-src\"}",
	  "plx_env", "http://127.0.0.1:8080", "env-src", "/tmp/s.db",
	  "plx_env", "http://127.0.0.1:8080", "env-src", "/tmp/s.db", "PLEXUS_API_KEY", "" },
	{ "environment field by field", "{\"api_key\":\"plx_file\",\"gateway_url\":\"https://f.example\",\"source_id\":\"file-src\"}",
	  NONE, "http://e.example", NONE, NONE,
	  "plx_file", "http://e.example", "file-src", NONE, "~/.plexus/config.json", "" },
	{ "an empty variable counts as unset", "{\"api_key\":\"plx_file\",\"source_id\":\"file-src\"}",
	  "", "", "", "",
	  "plx_file", PLX_DEFAULT_GATEWAY, "file-src", NONE, "~/.plexus/config.json", "" },
	{ "trailing slashes stripped (env)", NONE, NONE, "https://e.example/api///", NONE, NONE,
	  NONE, "https://e.example/api", HOST, NONE, NONE, "" },
	{ "trailing slash stripped (file)", "{\"gateway_url\":\"https://f.example/\"}", NONE, NONE, NONE, NONE,
	  NONE, "https://f.example", HOST, NONE, NONE, "" },
	{ "config.json extra keys ignored", "{\"endpoint\":\"https://app\",\"persistent_buffer\":true,\"api_key\":\"plx_k\"}",
	  NONE, NONE, NONE, NONE, "plx_k", PLX_DEFAULT_GATEWAY, HOST, NONE, "~/.plexus/config.json", "" },
	{ "null fields are unset", "{\"api_key\":null,\"gateway_url\":null,\"source_id\":null}", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "" },
	{ "empty strings are unset", "{\"api_key\":\"\",\"gateway_url\":\"\",\"source_id\":\"\"}", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "" },
	{ "non-string fields ignored", "{\"api_key\":5,\"gateway_url\":[\"x\"],\"source_id\":{\"a\":1}}", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "api_key: not a string, ignored" },
	{ "non-string field, env set: no warning", "{\"api_key\":5}", "plx_env", NONE, NONE, NONE,
	  "plx_env", PLX_DEFAULT_GATEWAY, HOST, NONE, "PLEXUS_API_KEY", "" },
	{ "malformed config.json", "{\"api_key\":\"plx_x\"", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "not valid JSON" },
	{ "config.json garbage", "\x01\x02garbage", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "not valid JSON" },
	{ "empty config.json", "", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "not valid JSON" },
	{ "config.json an array", "[\"plx_x\"]", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "not a JSON object" },
	{ "config.json a string", "\"plx_x\"", NONE, NONE, NONE, NONE,
	  NONE, PLX_DEFAULT_GATEWAY, HOST, NONE, NONE, "not a JSON object" },
	{ "malformed config.json, env still used", "{{", "plx_env", NONE, "env-src", NONE,
	  "plx_env", PLX_DEFAULT_GATEWAY, "env-src", NONE, "PLEXUS_API_KEY", "not valid JSON" },
	{ "an invalid source id is kept, with a warning", NONE, NONE, NONE, "Bad_Source", NONE,
	  NONE, PLX_DEFAULT_GATEWAY, "Bad_Source", NONE, NONE, "the server will refuse it" },
};

static void
precedence(void)
{
	struct plx_config c;
	size_t i;
	const char *w;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		clear_env();
		set_config(cases[i].file);
		env("PLEXUS_API_KEY", cases[i].key);
		env("PLEXUS_GATEWAY_URL", cases[i].url);
		env("PLEXUS_SOURCE_ID", cases[i].sid);
		env("PLEXUS_BUFFER", cases[i].buf);
		capture();
		plx_config_load(&c);
		w = captured();
		if (cases[i].want_key)
			T_STR(c.api_key, cases[i].want_key, cases[i].what);
		else
			T(c.api_key == NULL, "%s: no key", cases[i].what);
		T_STR(c.gateway_url, cases[i].want_url, cases[i].what);
		if (strcmp(cases[i].want_sid, HOST))
			T_STR(c.source_id, cases[i].want_sid, cases[i].what);
		else
			T(c.source_id && plx_source_id_ok(c.source_id), "%s: default source id \"%s\" is valid",
			  cases[i].what, c.source_id ? c.source_id : "(null)");
		if (cases[i].want_buf)
			T_STR(c.buffer, cases[i].want_buf, cases[i].what);
		else
			T(c.buffer == NULL, "%s: no buffer", cases[i].what);
		if (cases[i].want_from)
			T_STR(c.key_from, cases[i].want_from, cases[i].what);
		else
			T(c.key_from == NULL, "%s: key_from NULL (got %s)", cases[i].what, c.key_from ? c.key_from : "NULL");
		if (*cases[i].warn)
			T(strstr(w, cases[i].warn) != NULL, "%s: warns '%s'", cases[i].what, cases[i].warn);
		else
			T(*w == '\0', "%s: no warning", cases[i].what);
		if (*w)
			T(strchr(w, '\n') == w + strlen(w) - 1 || strstr(cases[i].what, "non-string"),
			  "%s: one line on stderr", cases[i].what);
		for (; *w; w = strchr(w, '\n') ? strchr(w, '\n') + 1 : w + strlen(w))
			printf("#   stderr: %.*s\n", (int)strcspn(w, "\n"), w);
		plx_config_free(&c);
		T(!c.api_key && !c.gateway_url && !c.source_id && !c.buffer, "%s: freed and cleared", cases[i].what);
	}
	plx_config_free(&c);   /* twice is harmless */
}

static void
file_modes(void)
{
	struct plx_config c;
	const char *w;

	clear_env();
	set_config(NULL);
	put(path, "{\"api_key\":\"plx_open\"}", 0644);
	capture();
	plx_config_load(&c);
	w = captured();
	T_STR(c.api_key, "plx_open", "a key in a world-readable config.json is still used");
	T(strstr(w, "readable by others (chmod 600 it)") != NULL, "and a warning says chmod 600");
	plx_config_free(&c);

	put(path, "{\"gateway_url\":\"https://f.example\"}", 0644);
	capture();
	plx_config_load(&c);
	w = captured();
	T(*w == '\0', "a world-readable config.json without a key: no warning");
	plx_config_free(&c);

	/* a directory where the file should be: reported, not fatal */
	unlink(path);
	mkdir(path, 0700);
	capture();
	plx_config_load(&c);
	w = captured();
	T(c.api_key == NULL && !strcmp(c.gateway_url, PLX_DEFAULT_GATEWAY), "config.json a directory: defaults");
	T(*w != '\0', "config.json a directory: a warning");
	plx_config_free(&c);
	rmdir(path);

	/* no HOME at all */
	unsetenv("HOME");
	plx_config_load(&c);
	T(c.api_key == NULL && c.source_id && plx_source_id_ok(c.source_id), "no HOME: defaults");
	plx_config_free(&c);
	setenv("HOME", home, 1);
}

/* plx-command's device WebSocket: PLEXUS_GATEWAY_WS_URL, then
 * gateway_ws_url in config.json, then the default; slashes stripped. */
static void
ws_url(void)
{
	struct plx_config c;

	clear_env();
	set_config(NULL);
	plx_config_load(&c);
	T_STR(c.gateway_ws_url, PLX_DEFAULT_GATEWAY_WS, "the WebSocket URL: the default");
	plx_config_free(&c);
	put(path, "{\"gateway_ws_url\":\"ws://f.example:8080/\"}", 0600);
	plx_config_load(&c);
	T_STR(c.gateway_ws_url, "ws://f.example:8080", "the WebSocket URL: gateway_ws_url, slash stripped");
	plx_config_free(&c);
	setenv("PLEXUS_GATEWAY_WS_URL", "wss://e.example//", 1);
	plx_config_load(&c);
	T_STR(c.gateway_ws_url, "wss://e.example", "the WebSocket URL: the environment first");
	plx_config_free(&c);
	clear_env();
	unlink(path);
}

static void
secrets(void)
{
	static const struct { const char *text; const char *want; const char *what; } rows[] = {
		{ "plx_abc", "plx_abc", "bare key" },
		{ "plx_abc\n", "plx_abc", "newline trimmed" },
		{ "plx_abc\r\n", "plx_abc", "CRLF trimmed" },
		{ "  \tplx_abc \t\n", "plx_abc", "blanks around trimmed" },
		{ "\n\nplx_abc\n", "plx_abc", "leading blank lines skipped" },
		{ "plx_abc\nsecond line\n", "plx_abc", "first line only" },
		{ "plx a b\n", "plx a b", "inner spaces kept" },
		{ "", NULL, "empty file" },
		{ " \n\t\n", NULL, "blanks only" },
	};
	char file[256], *s;
	size_t i;

	snprintf(file, sizeof file, "%s/key", home);
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		put(file, rows[i].text, 0600);
		capture();
		s = plx_read_secret(file);
		captured();
		if (rows[i].want)
			T_STR(s, rows[i].want, rows[i].what);
		else
			T(s == NULL && strstr(errtext, "is empty"), "%s: NULL, reported", rows[i].what);
		free(s);
	}
	put(file, "plx_abc\n", 0644);
	capture();
	s = plx_read_secret(file);
	captured();
	T_STR(s, "plx_abc", "key file readable by others: still read");
	T(strstr(errtext, "readable by others") != NULL, "key file readable by others: warned");
	free(s);
	unlink(file);
	capture();
	s = plx_read_secret(file);
	captured();
	T(s == NULL && strstr(errtext, "unable to open key file"), "missing key file: NULL, reported");
}

static void
credentials(void)
{
	struct plx_config c;
	char file[256];

	snprintf(cred, sizeof cred, "%s/creds", home);
	mkdir(cred, 0700);
	snprintf(file, sizeof file, "%s/plexus-api-key", cred);
	put(file, "plx_cred\n", 0600);

	clear_env();
	set_config("{\"api_key\":\"plx_file\"}");
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	plx_config_load(&c);
	T_STR(c.api_key, "plx_cred", "systemd credential over config.json");
	T_STR(c.key_from, "systemd credential plexus-api-key", "key_from names the credential");
	plx_config_free(&c);

	setenv("PLEXUS_API_KEY", "plx_env", 1);
	plx_config_load(&c);
	T_STR(c.api_key, "plx_env", "PLEXUS_API_KEY over the credential");
	plx_config_free(&c);

	unsetenv("PLEXUS_API_KEY");
	unlink(file);
	plx_config_load(&c);
	T_STR(c.api_key, "plx_file", "credential directory without the file: config.json");
	plx_config_free(&c);

	put(file, "\n", 0600);
	capture();
	plx_config_load(&c);
	captured();
	T_STR(c.api_key, "plx_file", "empty credential: config.json");
	T_STR(c.key_from, "~/.plexus/config.json", "and key_from says so");
	plx_config_free(&c);
	unlink(file);
	rmdir(cred);
	set_config(NULL);
}

/* plx_default_spool: root gets the system path, a user XDG_STATE_HOME or
 * ~/.local/state.  Run as a user in a child when the test runs as root. */
static void
default_spool(void)
{
	static const struct { const char *xdg, *home, *want; } rows[] = {
		{ "/x/state", "/h", "/x/state/plexus/spool.db" },
		{ "", "/h", "/h/.local/state/plexus/spool.db" },
		{ NULL, "/h", "/h/.local/state/plexus/spool.db" },
		{ NULL, NULL, PLX_SYSTEM_SPOOL },
	};
	char got[512];
	size_t i;
	int p[2], st;
	ssize_t n;
	char *s;

	if (geteuid() == 0) {
		s = plx_default_spool();
		T_STR(s, PLX_SYSTEM_SPOOL, "root: the system spool");
		free(s);
	}
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		if (pipe(p) < 0)
			return;
		if (fork() == 0) {
			if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
				_exit(1);
			env("XDG_STATE_HOME", rows[i].xdg);
			env("HOME", rows[i].home);
			s = plx_default_spool();
			n = write(p[1], s, strlen(s));
			free(s);
			_exit(n < 0);
		}
		close(p[1]);
		n = read(p[0], got, sizeof got - 1);
		got[n > 0 ? n : 0] = '\0';
		close(p[0]);
		wait(&st);
		T_STR(got, rows[i].want, rows[i].want);
	}
	setenv("HOME", home, 1);
}

static void
quiet(void)
{
	static const struct { const char *v; int q; } rows[] = {
		{ "1", 1 }, { "true", 1 }, { "TRUE", 1 }, { "yes", 1 }, { "Yes", 1 },
		{ "0", 0 }, { "no", 0 }, { "", 0 }, { NULL, 0 }, { "11", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		env("PLEXUS_QUIET", rows[i].v);
		plx_log_init("/usr/bin/plx-test");
		T(plx_quiet == rows[i].q, "PLEXUS_QUIET=%s: quiet %d", rows[i].v ? rows[i].v : "(unset)", rows[i].q);
	}
	T_STR(plx_prog, "plx-test", "plx_prog is argv[0]'s base name");
	unsetenv("PLEXUS_QUIET");
	plx_log_init("t_config");
}

/* Clones of one SD card image (the same machine id) in two boards (two
 * serial numbers) get two source ids; one machine gets the same one each
 * time; host names everyone has are told apart from the rest. */
static void
source_default(void)
{
	char mid[300], s1[300], s2[300], files[1000];
	char *a, *b, *c, *d;
	FILE *f;

	snprintf(mid, sizeof mid, "%s/machine-id", home);
	snprintf(s1, sizeof s1, "%s/serial1", home);
	snprintf(s2, sizeof s2, "%s/serial2", home);
	f = fopen(mid, "w"); fputs("0123456789abcdef0123456789abcdef\n", f); fclose(f);
	f = fopen(s1, "w"); fputs("10000000a1b2c3d4", f); fclose(f);
	f = fopen(s2, "w"); fputs("10000000e5f6a7b8", f); fclose(f);
	snprintf(files, sizeof files, "%s:%s", mid, s1);
	setenv("PLEXUS_MACHINE_FILES", files, 1);
	a = plx_default_source_id();
	b = plx_default_source_id();
	snprintf(files, sizeof files, "%s:%s", mid, s2);
	setenv("PLEXUS_MACHINE_FILES", files, 1);
	c = plx_default_source_id();
	setenv("PLEXUS_MACHINE_FILES", "/nonexistent", 1);
	d = plx_default_source_id();
	T(plx_source_id_ok(a) && strlen(a) > 7 && a[strlen(a) - 7] == '-', "the default: host name and 6 hex digits (%s)", a);
	T(!strcmp(a, b), "the same machine: the same source id");
	T(strcmp(a, c), "one image cloned into two boards: two source ids (%s, %s)", a, c);
	T(plx_source_id_ok(d) && strlen(d) + 7 == strlen(a) && !strncmp(a, d, strlen(d)),
	  "nothing that tells machines apart: the host name alone (%s)", d);
	T(plx_source_id_default_host("raspberrypi") && plx_source_id_default_host("localhost") &&
	  !plx_source_id_default_host("truck-7"), "raspberrypi and localhost are names many machines have");
	unsetenv("PLEXUS_MACHINE_FILES");
	free(a); free(b); free(c); free(d);
	unlink(mid); unlink(s1); unlink(s2);
}

int
main(void)
{
	char dir[128];

	setvbuf(stdout, NULL, _IOLBF, 0);   /* ok lines stay whole between warnings */

	snprintf(home, sizeof home, "/tmp/t_config.XXXXXX");
	if (!mkdtemp(home))
		return 1;
	snprintf(dir, sizeof dir, "%s/.plexus", home);
	mkdir(dir, 0700);
	plx_log_init("t_config");
	precedence();
	file_modes();
	ws_url();
	secrets();
	credentials();
	default_spool();
	quiet();
	source_default();
	set_config(NULL);
	rmdir(dir);
	T(rmdir(home) == 0, "temporary HOME left empty");
	UNIT_END();
}

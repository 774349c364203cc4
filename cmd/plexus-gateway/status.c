/* plexus-gateway status: the one command a person runs first, over the
 * system gateway (the files of /etc/plexus, the system spool, the plexus-*
 * units):
 *
 *   key         /etc/plexus/api-key there, a key in it, no one else can
 *               read it (the key itself is never printed)
 *   source_id   the one plx-upload will send as, and where it comes from
 *   the spool   `plx-buffer --status`, run as it is (its figures printed as
 *               they are; its documented exit status read, not its words)
 *   unit        each loaded plexus-* unit's state, when systemd is PID 1
 *   verdict     ok, or the first thing wrong: then the exit status is 1
 *
 * Commands are run by fork and exec, no shell. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "gateway.h"
#include "log.h"
#include "record.h"
#include "../plx-buffer/buffer.h"

#define LINE "%-16s"

struct verdict {
	char why[512];   /* the first thing wrong; "" while all is well */
};

__attribute__((format(printf, 2, 3))) static void
wrong(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (*v->why)
		return;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
}

/* Runs argv (execvp); its standard output into out (NUL-terminated, cut at
 * outlen) or, out NULL, ours.  Its exit status, or -1 when it could not run
 * (said) or was killed. */
static int
run(char *const argv[], char *out, size_t outlen)
{
	int p[2] = { -1, -1 }, st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	fflush(stdout);
	if (out && pipe(p) < 0)
		return plx_warn("pipe:"), -1;
	if ((pid = fork()) < 0) {
		plx_warn("fork:");
		if (out)
			close(p[0]), close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (out) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
		}
		execvp(argv[0], argv);
		plx_warn("unable to run %s:", argv[0]);
		_exit(127);
	}
	if (out) {
		char rest[4096];

		close(p[1]);
		/* to its end, what does not fit thrown away: a child blocked on
		 * a full pipe would never be waited for */
		while ((r = read(p[0], n + 1 < outlen ? out + n : rest,
		                 n + 1 < outlen ? outlen - n - 1 : sizeof rest)) != 0) {
			if (r < 0 && errno != EINTR)
				break;
			if (r > 0 && n + 1 < outlen)
				n += (size_t)r;
		}
		out[n] = '\0';
		close(p[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return plx_warn("waitpid:"), -1;
	return WIFEXITED(st) && WEXITSTATUS(st) != 127 ? WEXITSTATUS(st) : -1;
}

/* The key file: there, holding a key, not readable by others. */
static void
key(const char *etc, struct verdict *v)
{
	char path[PATH_MAX], *k;
	struct stat st;

	snprintf(path, sizeof path, "%s/api-key", etc);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		printf(LINE "%s: none\n", "key", path);
		wrong(v, "no API key in %s (plexus-gateway init)", path);
		return;
	}
	if (access(path, R_OK) < 0) {
		printf(LINE "%s: there, mode %04o, not readable by this user (root can check it)\n", "key", path,
		       (unsigned)(st.st_mode & 07777));
		return;
	}
	if (!(k = plx_read_secret(path))) {       /* says why */
		printf(LINE "%s: no key in it\n", "key", path);
		wrong(v, "no API key in %s (plexus-gateway init)", path);
		return;
	}
	printf(LINE "%s: %s, mode %04o\n", "key", path, gw_key_ok(k) ? "a key" : "not a key (plx_...)",
	       (unsigned)(st.st_mode & 07777));
	if (!gw_key_ok(k))
		wrong(v, "%s holds no API key (plx_...; plexus-gateway init)", path);
	else if (st.st_mode & 077)
		wrong(v, "%s is readable by others (chmod 600 %s)", path, path);
	explicit_bzero(k, strlen(k));
	free(k);
}

/* The source id plexus-upload.service sends as: upload.env's, else the
 * machine's default (what plx-upload takes when none is configured). */
static void
source(const char *etc, struct verdict *v)
{
	char path[PATH_MAX], from[PATH_MAX + 64], *env, *sid = NULL;

	snprintf(path, sizeof path, "%s/upload.env", etc);
	snprintf(from, sizeof from, "from %s", path);
	env = gw_slurp(path);
	if (!env && errno != ENOENT) {
		printf(LINE "unknown: %s not readable by this user (root can check it)\n", "source_id", path);
		return;
	}
	if (env)
		sid = gw_env_get(env, "PLEXUS_SOURCE_ID");
	if (!sid) {
		sid = plx_default_source_id();
		snprintf(from, sizeof from, "the machine's default: no PLEXUS_SOURCE_ID in %s", path);
	}
	printf(LINE "%s (%s)\n", "source_id", sid, from);
	if (!plx_source_id_ok(sid))
		wrong(v, "source id \"%s\" does not match ^[a-z0-9][a-z0-9._-]*$: the server will refuse it (%s)", sid, from);
	else if (plx_source_id_default_host(sid))
		printf(LINE "\"%s\" is a name many machines have: cloned gateways would send as one source"
		       " (plexus-gateway init -s ID)\n", "source_id", sid);
	free(sid);
	free(env);
}

/* The plx-buffer beside this program (an installed or built tree), else
 * the one on PATH. */
static void
plx_buffer_path(char *path, size_t len)
{
	char self[PATH_MAX - 16], *slash;   /* room for /plx-buffer in path */
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			snprintf(path, len, "%s/plx-buffer", self);
			if (access(path, X_OK) == 0)
				return;
		}
	}
	snprintf(path, len, "plx-buffer");
}

/* What the spool's health check found, by its exit status (plx-buffer(1),
 * EXIT STATUS): its health line, printed above, says it in full. */
static void
spool(struct verdict *v)
{
	static const char *const what[] = {
		[HEALTH_STALE] = "a record waited longer than --stale: nothing gets through",
		[HEALTH_BACKLOG] = "more records wait than --backlog",
		[HEALTH_REFUSED] = "the server refused the API key (401/403) at the last upload",
		[HEALTH_UNREADABLE] = "the spool is damaged or cannot be read",
		[HEALTH_MISSING] = "there is no spool (no reader has written yet?)",
		[HEALTH_DEAD] = "dead letters nobody looked at (plx-buffer --dead)",
		[HEALTH_SILENT] = "a device is silent, or its reader stopped reporting it",
	};
	const char *env = getenv("PLEXUS_BUFFER");
	char prog[PATH_MAX];
	char *argv[] = { prog, "-d", (char *)(env && *env ? env : PLX_SYSTEM_SPOOL), "--status", NULL };
	int rc;

	plx_buffer_path(prog, sizeof prog);
	rc = run(argv, NULL, 0);
	if (rc == 0)
		return;
	if (rc > 0 && (size_t)rc < sizeof what / sizeof what[0] && what[rc])
		wrong(v, "spool: %s (plx-buffer --status: %d)%s", what[rc], rc,
		      rc == HEALTH_UNREADABLE && geteuid() ? "; it is the plexus user's: as root?" : "");
	else
		wrong(v, "spool: plx-buffer --status failed (%d; its health line says why)", rc);
}

/* Each loaded plexus-* unit and its state, when systemd runs the machine
 * (sd_booted(3)'s test; PLEXUS_SYSTEMD_RUN names another directory, for
 * tests). */
static void
units(struct verdict *v)
{
	const char *booted = getenv("PLEXUS_SYSTEMD_RUN");
	char *list_argv[] = { "systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager",
	                      "plexus-*", NULL };
	static char list[65536];
	char state[64], *line, *next, *sp;
	int n = 0;

	if (access(booted && *booted ? booted : "/run/systemd/system", F_OK) < 0) {
		printf(LINE "%s\n", "units", "systemd is not PID 1 here: no units to look at");
		return;
	}
	if (run(list_argv, list, sizeof list) < 0) {
		wrong(v, "systemctl list-units failed");
		return;
	}
	for (line = list; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		line += strspn(line, " ");
		if ((sp = strchr(line, ' ')))
			*sp = '\0';
		if (strncmp(line, "plexus-", 7))
			continue;
		{
			char *argv[] = { "systemctl", "is-active", line, NULL };

			*state = '\0';
			run(argv, state, sizeof state);   /* non-zero unless active: the word says */
		}
		state[strcspn(state, "\n")] = '\0';
		printf(LINE "%s %s\n", "unit", line, *state ? state : "unknown");
		n++;
		if (!strcmp(state, "failed"))
			wrong(v, "%s failed (journalctl -u %s)", line, line);
		else if (!strcmp(line, "plexus-upload.service") && strcmp(state, "active") &&
		         strcmp(state, "activating") && strcmp(state, "reloading"))
			wrong(v, "plexus-upload.service is %s: nothing is delivered (systemctl start %s)",
			      *state ? state : "unknown", line);
	}
	if (!n)
		printf(LINE "%s\n", "units", "none loaded (systemctl enable --now plexus-upload.service ...)");
}

int
gw_status(const char *etc)
{
	struct verdict v = { "" };

	key(etc, &v);
	source(etc, &v);
	spool(&v);
	units(&v);
	printf(LINE "%s\n", "verdict", *v.why ? v.why : "ok: all is well");
	if (fflush(stdout) == EOF || ferror(stdout))
		return EX_IOERR;
	return *v.why ? 1 : 0;
}

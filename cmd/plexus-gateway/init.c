/* plexus-gateway init: the API key and the source id, written where the
 * tools read them, so that a person never types the key on a command line
 * (ps, the shell's history) nor leaves it readable by others.
 *
 *   as root:   /etc/plexus/api-key      the key, one line, root 0600
 *                                       (plexus-upload.service hands it to
 *                                       the uploader by LoadCredential=)
 *              /etc/plexus/upload.env   PLEXUS_SOURCE_ID=..., and
 *                                       PLEXUS_GATEWAY_URL=... if -u; the
 *                                       other lines kept
 *   otherwise: ~/.plexus/config.json    api_key, source_id (gateway_url):
 *                                       the file the Python SDK's
 *                                       `plexus init` writes, its other
 *                                       fields kept; 0600 in a 0700 dir
 *
 * The key: from -k FILE, or read from standard input, without echo when it
 * is a terminal.  The source id: -s, else the one already there, else
 * plx_default_source_id() (the host name and six hex digits that differ on
 * machines cloned from one image).  Each file is written whole to a
 * temporary name and renamed, so a power cut leaves the old or the new. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>
#include <json-c/json.h>

#include "config.h"
#include "gateway.h"
#include "log.h"
#include "record.h"

#define KEY_MAX 256

/* A key as the service gives them: plx_ and printable ASCII, no blanks. */
int
gw_key_ok(const char *k)
{
	size_t n = strlen(k), i;

	if (n < 8 || n > KEY_MAX || strncmp(k, "plx_", 4))
		return 0;
	for (i = 0; i < n; i++)
		if (k[i] <= ' ' || k[i] > '~')
			return 0;
	return 1;
}

/* One line from standard input; without echo on a terminal. */
static char *
read_key(void)
{
	char buf[KEY_MAX + 64], *s, *e;
	struct termios t, quiet;
	int tty = isatty(STDIN_FILENO);

	if (tty) {
		fputs("Plexus API key (plx_..., from the Plexus app; not shown): ", stderr);
		if (tcgetattr(STDIN_FILENO, &t) == 0) {
			quiet = t;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else {
			tty = 0;
		}
	}
	s = fgets(buf, sizeof buf, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		fputc('\n', stderr);
	}
	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	s = plx_xstrdup(s);
	explicit_bzero(buf, sizeof buf);
	return s;
}

/* Writes text to path whole: a temporary file of that mode, renamed. */
static int
write_file(const char *path, const char *text, mode_t mode, gid_t gid)
{
	char tmp[4200];
	int fd;
	size_t n = strlen(text);

	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) < 0) {
		plx_warn("unable to create %s:", tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || (gid != (gid_t)-1 && fchown(fd, 0, gid) < 0) ||
	    write(fd, text, n) != (ssize_t)n || fsync(fd) < 0 || close(fd) < 0) {
		plx_warn("unable to write %s:", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		plx_warn("unable to rename %s to %s:", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* What a file holds (NULL: none), at most 64 KiB. */
char *
gw_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	size_t n;

	if (!f)
		return NULL;
	s = plx_xmalloc(65537);
	n = fread(s, 1, 65536, f);
	fclose(f);
	s[n] = '\0';
	return s;
}

/* upload.env's value of NAME (a copy), or NULL. */
char *
gw_env_get(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p, *e;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, name, n) && p[n] == '=') {
			e = p + n + 1 + strcspn(p + n + 1, "\n");
			return plx_xstrndup(p + n + 1, (size_t)(e - p - n - 1));
		}
	}
	return NULL;
}

/* text with NAME=value set: its line replaced, or one added. */
static char *
env_set(const char *text, const char *name, const char *value)
{
	size_t n = strlen(name), len = strlen(text) + strlen(name) + strlen(value) + 4;
	char *out = plx_xmalloc(len), *w = out;
	const char *p, *e;
	int done = 0;

	for (p = text; *p; p = e) {
		e = p + strcspn(p, "\n");
		if (*e)
			e++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			if (!done)
				w += sprintf(w, "%s=%s\n", name, value);
			done = 1;
		} else {
			memcpy(w, p, (size_t)(e - p));
			w += e - p;
			if (e[-1] != '\n')
				*w++ = '\n';
		}
	}
	if (!done)
		w += sprintf(w, "%s=%s\n", name, value);
	*w = '\0';
	return out;
}

static int
init_system(const struct init_opts *o, const char *key, char *sid)
{
	char path[4096], line[KEY_MAX + 2], *env, *old, *next, *own = NULL;
	struct group *g = getgrnam("plexus");
	gid_t gid = g ? g->gr_gid : (gid_t)-1;

	if (mkdir(o->etc, 0750) < 0 && errno != EEXIST) {
		plx_warn("unable to create %s:", o->etc);
		return EX_CANTCREAT;
	}
	snprintf(path, sizeof path, "%s/upload.env", o->etc);
	env = gw_slurp(path);
	if (!env)
		env = plx_xstrdup("# /etc/plexus/upload.env: read by plexus-upload.service and the s6\n"
		                  "# plexus-upload service (written by plexus-gateway init)\n");
	old = gw_env_get(env, "PLEXUS_SOURCE_ID");
	if (!sid)
		sid = own = old && plx_source_id_ok(old) ? plx_xstrdup(old) : plx_default_source_id();
	free(old);
	next = env_set(env, "PLEXUS_SOURCE_ID", sid);
	free(env);
	env = next;
	if (o->url) {
		next = env_set(env, "PLEXUS_GATEWAY_URL", o->url);
		free(env);
		env = next;
	}
	if (write_file(path, env, 0640, gid) < 0) {
		free(env);
		free(own);
		return EX_CANTCREAT;
	}
	free(env);
	snprintf(path, sizeof path, "%s/api-key", o->etc);
	snprintf(line, sizeof line, "%s\n", key);
	if (write_file(path, line, 0600, (gid_t)-1) < 0) {
		free(own);
		return EX_CANTCREAT;
	}
	explicit_bzero(line, sizeof line);
	printf("key        %s/api-key (root, 0600; plexus-upload.service reads it by LoadCredential=)\n", o->etc);
	printf("source id  %s (%s/upload.env)\n", sid, o->etc);
	printf("next       systemctl enable --now plexus-upload.service, then a reader:"
	       " man plexus-gateway, DEPLOYING A GATEWAY\n");
	free(own);
	return 0;
}

static int
init_user(const struct init_opts *o, const char *key, char *sid)
{
	const char *home = getenv("HOME");
	char dir[4096], path[4200];
	json_object *cf = NULL, *v;
	const char *text;
	char *own = NULL;
	int rc;

	if (!home || !*home) {
		plx_warn("no HOME: nowhere to write ~/.plexus/config.json");
		return EX_CANTCREAT;
	}
	snprintf(dir, sizeof dir, "%s/.plexus", home);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		plx_warn("unable to create %s:", dir);
		return EX_CANTCREAT;
	}
	chmod(dir, 0700);
	snprintf(path, sizeof path, "%s/config.json", dir);
	if (access(path, F_OK) == 0 && !(cf = json_object_from_file(path))) {
		plx_warn("%s: not valid JSON: not changed (move it away first)", path);
		return EX_DATAERR;
	}
	if (cf && !json_object_is_type(cf, json_type_object)) {
		plx_warn("%s: not a JSON object: not changed (move it away first)", path);
		json_object_put(cf);
		return EX_DATAERR;
	}
	if (!cf)
		cf = json_object_new_object();
	if (!sid && json_object_object_get_ex(cf, "source_id", &v) && json_object_is_type(v, json_type_string) &&
	    plx_source_id_ok(json_object_get_string(v)))
		sid = own = plx_xstrdup(json_object_get_string(v));
	else if (!sid)
		sid = own = plx_default_source_id();
	json_object_object_add(cf, "api_key", json_object_new_string(key));
	json_object_object_add(cf, "source_id", json_object_new_string(sid));
	if (o->url)
		json_object_object_add(cf, "gateway_url", json_object_new_string(o->url));
	text = json_object_to_json_string_ext(cf, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = write_file(path, text, 0600, (gid_t)-1);
	json_object_put(cf);
	if (rc == 0) {
		printf("key        %s (0600)\n", path);
		printf("source id  %s\n", sid);
		printf("next       READER | plx-buffer | plx-upload (man plexus-gateway)\n");
	}
	free(own);
	return rc < 0 ? EX_CANTCREAT : 0;
}

int
gw_init(const struct init_opts *o)
{
	char *key = o->keyfile ? plx_read_secret(o->keyfile) : read_key(), *sid = NULL;
	int rc;

	if (!key) {
		plx_warn("no key read");
		return EX_NOINPUT;
	}
	if (!gw_key_ok(key)) {
		explicit_bzero(key, strlen(key));
		free(key);
		plx_warn("that is not an API key: plx_ and up to 252 characters without blanks");
		return EX_DATAERR;
	}
	if (o->source_id) {
		sid = plx_xstrdup(o->source_id);
		if (plx_source_id_default_host(sid))
			plx_warn("source id \"%s\" is a name many machines have: gateways cloned from one image "
			         "would send as one source", sid);
	}
	if (o->url && strncmp(o->url, "https://", 8) && strncmp(o->url, "http://", 7)) {
		plx_warn("-u: \"%s\" is not an http:// or https:// URL", o->url);
		rc = EX_USAGE;
	} else {
		rc = o->user ? init_user(o, key, sid) : init_system(o, key, sid);
	}
	explicit_bzero(key, strlen(key));
	free(key);
	free(sid);
	return rc;
}

int
gw_source_id(void)
{
	struct plx_config c;

	plx_config_load(&c);
	printf("%s\n", c.source_id);
	if (plx_source_id_default_host(c.source_id))
		plx_warn("\"%s\" is a name many machines have: gateways cloned from one image would send as one"
		         " source (plexus-gateway init -s ID)", c.source_id);
	plx_config_free(&c);
	return 0;
}

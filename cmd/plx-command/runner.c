/* An executable run: what a command's executable gets and gives
 * (plx-command.conf(5), THE EXECUTABLE):
 *
 *   argv      its name only; never a shell
 *   stdin     the checked parameters as one JSON object, defaults filled in
 *   env       PATH, LANG, PLX_COMMAND, PLX_RUN_ID, PLX_PROGRESS_FD=3,
 *             PLX_PARAM_<NAME> for each parameter (numbers and booleans as
 *             JSON writes them), and the variables its declaration names
 *   fd 3      progress lines, "50 half way" (percent, then a message)
 *   stdout    the result: a JSON object; anything else is result.output
 *   stderr    the error text when it fails (its last 1000 bytes)
 *   status    0 succeeded; anything else, or a signal, failed
 *
 * and the sandbox it runs in, beyond the service's own: a session and
 * process group of its own (all of it is killed when the time limit is
 * over, and what it left behind when it exits), no other descriptors,
 * umask 077, the working directory /, no new privileges, killed if
 * plx-command dies, RLIMIT_CORE 0, RLIMIT_CPU from timeout_s, RLIMIT_AS
 * from memory_mb, and sockets only of the families its "network" names
 * (AF_UNIX always): a seccomp filter refuses the others with EACCES.
 *
 * The end of a run is its exit (a pidfd in the loop) and the end of its
 * stdout and stderr; a descendant that left the process group and holds
 * them open is not waited for more than a second. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "command.h"
#include "io.h"
#include "log.h"
#include "record.h"

#define KILL_GRACE_MS 2000     /* SIGTERM at the time limit, SIGKILL this much later */
#define DRAIN_MS      1000     /* after the exit: what is left of stdout, stderr */
#define PROG_LINE_MAX 300
#define WAIT_POLL_MS  100      /* no pidfd: how often to look for the exit */

extern char **environ;

struct slot {
	struct runner *r;
	int used;
	char name[CMD_NAME_MAX + 1];
	pid_t pid;
	int fd[4];              /* pidfd, stdout, stderr, progress (-1: closed) */
	int h[4];               /* their watches */
	int reaped, wstatus;
	int64_t deadline, kill_at, drain_until;
	struct run_out o;
	char err[2 * CMD_ERR_MAX];   /* the tail of stderr */
	size_t nerr;
	char prog[PROG_LINE_MAX + 1];
	size_t nprog;
	int prog_long;           /* inside a progress line too long: dropped */
};

struct runner {
	struct plx_loop *l;
	struct slot *s;
	int n;
	run_done_fn *done;
	run_progress_fn *progress;
	void *arg;
};

static void on_fd(struct plx_loop *l, int fd, short revents, void *arg);

int
progress_parse(const char *line, size_t len, int *pct, const char **msg)
{
	size_t i = 0;
	int v = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] < '0' || line[i] > '9')
		return -1;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++)
		if ((v = v * 10 + (line[i] - '0')) > 100)
			return -1;
	if (i < len && line[i] == '%')
		i++;
	if (i < len && line[i] != ' ' && line[i] != '\t')
		return -1;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*pct = v;
	*msg = line + i;
	return 0;
}

struct runner *
runner_new(struct plx_loop *l, int slots, run_done_fn *done, run_progress_fn *prog, void *arg)
{
	struct runner *r = plx_xcalloc(1, sizeof *r);
	int i, k;

	r->l = l;
	r->n = slots;
	r->done = done;
	r->progress = prog;
	r->arg = arg;
	r->s = plx_xcalloc((size_t)slots, sizeof *r->s);
	for (i = 0; i < slots; i++) {
		r->s[i].r = r;
		for (k = 0; k < 4; k++) {
			r->s[i].fd[k] = -1;
			r->s[i].h[k] = plx_loop_fd(l, -1, 0, on_fd);
			plx_loop_fd_arg(l, r->s[i].h[k], &r->s[i]);
		}
	}
	return r;
}

void
runner_free(struct runner *r)
{
	int i, k;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct slot *s = &r->s[i];
		if (!s->used)
			continue;
		if (!s->reaped) {
			kill(-s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		for (k = 0; k < 4; k++)
			if (s->fd[k] >= 0)
				close(s->fd[k]);
		free(s->o.out);
	}
	free(r->s);
	free(r);
}

int
runner_free_slot(const struct runner *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!r->s[i].used)
			return i;
	return -1;
}

int
runner_busy(const struct runner *r, const char *name)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->s[i].used && !strcmp(r->s[i].name, name);
	return n;
}

int
runner_running(const struct runner *r)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->s[i].used;
	return n;
}

static void
close_fd(struct slot *s, int k)
{
	if (s->fd[k] < 0)
		return;
	close(s->fd[k]);
	s->fd[k] = -1;
	plx_loop_fd_set(s->r->l, s->h[k], -1, 0);
}

/* ---- the child ---- */

/* Sockets of the families d may use; every other family, and io_uring
 * (which could open sockets past the filter), EACCES. */
static int
net_filter(unsigned net)
{
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	int fam, r = 0;

	if (!c)
		return -1;
	for (fam = 0; fam < AF_MAX && r == 0; fam++) {
		if (fam == AF_UNIX || ((net & NET_INET) && (fam == AF_INET || fam == AF_INET6 || fam == AF_NETLINK)) ||
		    ((net & NET_CAN) && fam == AF_CAN))
			continue;
		r = seccomp_rule_add_array(c, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
		                           &(struct scmp_arg_cmp){ 0, SCMP_CMP_EQ, (scmp_datum_t)fam, 0 });
	}
	if (r == 0)
		r = seccomp_rule_add_array(c, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
		                           &(struct scmp_arg_cmp){ 0, SCMP_CMP_GE, AF_MAX, 0 });
	if (r == 0)
		r = seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), 0);
	if (r == 0)
		r = seccomp_load(c);
	seccomp_release(c);
	return r;
}

static _Noreturn void
child_fail(const char *what, const char *path)
{
	dprintf(2, "plx-command: %s %s: %s\n", what, path, strerror(errno));
	_exit(126);
}

static _Noreturn void
child(const struct decl *d, int fds[4], char **envp, pid_t parent)
{
	struct rlimit rl;
	sigset_t none;
	int i, hi[4];
	char *argv[] = { d->name, NULL };

	setsid();
	/* out of the way first: one of them may be 0-3 itself */
	for (i = 0; i < 4; i++)
		if ((hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			child_fail("dup for", d->path);
	for (i = 0; i < 4; i++)
		if (dup2(hi[i], i) < 0)
			child_fail("dup2 for", d->path);
	syscall(SYS_close_range, 4U, ~0U, 0U);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);   /* ignored dispositions survive exec */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	umask(077);
	if (chdir("/") < 0)
		child_fail("chdir / for", d->path);
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	rl.rlim_cur = (rlim_t)(d->timeout_ms / 1000 + 1);
	rl.rlim_max = rl.rlim_cur + 1;
	setrlimit(RLIMIT_CPU, &rl);
	if (d->memory_mb) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)d->memory_mb << 20;
		setrlimit(RLIMIT_AS, &rl);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail("no_new_privs for", d->path);
	if (net_filter(d->net) < 0)
		child_fail("seccomp filter for", d->path);
	execve(d->path, argv, envp);
	child_fail("exec", d->path);
}

/* "NAME=value", malloc'd */
static char *
env_pair(const char *name, const char *v)
{
	size_t n = strlen(name) + strlen(v) + 2;
	char *s = plx_xmalloc(n);

	snprintf(s, n, "%s=%s", name, v);
	return s;
}

/* The run's environment: ours never leaks into it, only what is said. */
static char **
environment(const struct decl *d, const char *run_id, json_object *params)
{
	char **e = plx_xcalloc(8 + CMD_PARAMS_MAX + CMD_ENV_MAX, sizeof *e), name[CMD_NAME_MAX + 16];
	const char *v;
	int n = 0, i;
	char *p;

	e[n++] = env_pair("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	e[n++] = env_pair("LANG", "C.UTF-8");
	e[n++] = env_pair("PLX_COMMAND", d->name);
	e[n++] = env_pair("PLX_RUN_ID", run_id);
	e[n++] = env_pair("PLX_PROGRESS_FD", "3");
	json_object_object_foreach(params, key, val) {
		snprintf(name, sizeof name, "PLX_PARAM_%s", key);
		for (p = name; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		e[n++] = env_pair(name, json_object_is_type(val, json_type_string) ? json_object_get_string(val)
		                        : json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	}
	for (i = 0; i < d->nenv; i++)
		if ((v = getenv(d->env[i])))
			e[n++] = env_pair(d->env[i], v);
	return e;
}

int
runner_start(struct runner *r, int slot, const struct decl *d, const char *run_id, json_object *params,
             char *err, size_t errlen)
{
	struct slot *s = &r->s[slot];
	const char *in = json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, mfd, fds[4], i, k;
	char **envp;
	pid_t pid;

	/* stdin from memory: a child that never reads cannot block us */
	if ((mfd = memfd_create("plx-command-params", MFD_CLOEXEC)) < 0 ||
	    plx_write_all(mfd, in, strlen(in)) < 0 || lseek(mfd, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "parameters for stdin: %s", strerror(errno));
		if (mfd >= 0)
			close(mfd);
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0) {
			snprintf(err, errlen, "pipe: %s", strerror(errno));
			goto fail;
		}
	envp = environment(d, run_id, params);
	fds[0] = mfd;
	fds[1] = p[0][1];
	fds[2] = p[1][1];
	fds[3] = p[2][1];
	fflush(NULL);
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		for (i = 0; envp[i]; i++)
			free(envp[i]);
		free(envp);
		goto fail;
	}
	if (pid == 0)
		child(d, fds, envp, getppid());
	for (i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
	close(mfd);
	memset(&s->o, 0, sizeof s->o);
	s->used = 1;
	snprintf(s->name, sizeof s->name, "%s", d->name);
	s->pid = pid;
	s->reaped = 0;
	s->nerr = s->nprog = 0;
	s->prog_long = 0;
	s->fd[0] = (int)syscall(SYS_pidfd_open, pid, 0);
	for (i = 0; i < 3; i++) {
		close(p[i][1]);
		s->fd[i + 1] = p[i][0];
		plx_nonblock(p[i][0], 1);
	}
	/* without a pidfd (before Linux 5.3, valgrind) the exit is looked
	 * for every WAIT_POLL_MS */
	for (k = 0; k < 4; k++)
		plx_loop_fd_set(r->l, s->h[k], s->fd[k], POLLIN);
	s->deadline = plx_mono_ms() + d->timeout_ms;
	s->kill_at = s->drain_until = -1;
	return 0;
fail:
	close(mfd);
	for (i = 0; i < 3; i++) {
		if (p[i][0] >= 0)
			close(p[i][0]);
		if (p[i][1] >= 0)
			close(p[i][1]);
	}
	return -1;
}

/* ---- what comes back ---- */

static void
progress_line(struct slot *s)
{
	const char *msg;
	int pct;

	s->prog[s->nprog] = '\0';
	if (!s->prog_long && progress_parse(s->prog, s->nprog, &pct, &msg) == 0 &&
	    plx_utf8_bad((const unsigned char *)msg, strlen(msg)) == strlen(msg))
		s->r->progress(s->r->arg, (int)(s - s->r->s), pct, msg);
	s->nprog = 0;
	s->prog_long = 0;
}

static void
got(struct slot *s, int k, const char *b, size_t n)
{
	size_t i;

	if (k == 1) {
		if (s->o.nout + n > CMD_OUT_MAX) {
			s->o.too_big = 1;
			return;
		}
		s->o.out = plx_xrealloc(s->o.out, s->o.nout + n + 1);
		memcpy(s->o.out + s->o.nout, b, n);
		s->o.out[s->o.nout += n] = '\0';
	} else if (k == 2) {
		/* keep the tail: the last lines say why */
		if (n >= sizeof s->err) {
			b += n - sizeof s->err / 2;
			n = sizeof s->err / 2;
		}
		if (s->nerr + n > sizeof s->err) {
			size_t drop = s->nerr + n - sizeof s->err;
			memmove(s->err, s->err + drop, s->nerr - drop);
			s->nerr -= drop;
		}
		memcpy(s->err + s->nerr, b, n);
		s->nerr += n;
	} else {
		for (i = 0; i < n; i++) {
			if (b[i] == '\n')
				progress_line(s);
			else if (s->nprog < PROG_LINE_MAX)
				s->prog[s->nprog++] = b[i];
			else
				s->prog_long = 1;
		}
	}
}

/* The error text: the tail of stderr, trimmed, valid UTF-8. */
static void
err_text(struct slot *s)
{
	char *b = s->err, *e = s->err + s->nerr;
	size_t n, i;

	while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - b) > CMD_ERR_MAX)
		b = e - CMD_ERR_MAX;
	while (b < e && ((unsigned char)*b & 0xc0) == 0x80)   /* not inside a character */
		b++;
	n = (size_t)(e - b);
	memcpy(s->o.err, b, n);
	s->o.err[n] = '\0';
	for (i = 0; (i += plx_utf8_bad((unsigned char *)s->o.err + i, n - i)) < n; i++)
		s->o.err[i] = '?';
	for (i = 0; i < n; i++)
		if ((unsigned char)s->o.err[i] < 0x20 && s->o.err[i] != '\n' && s->o.err[i] != '\t')
			s->o.err[i] = ' ';
}

static void
finish(struct slot *s)
{
	struct runner *r = s->r;
	char buf[4096];
	ssize_t n;
	int k;

	/* progress written just before the exit is still in its pipe */
	while (s->fd[3] >= 0 && (n = plx_read(s->fd[3], buf, sizeof buf)) > 0)
		got(s, 3, buf, (size_t)n);
	for (k = 0; k < 4; k++)
		close_fd(s, k);
	if (s->nprog)
		progress_line(s);
	if (WIFEXITED(s->wstatus)) {
		s->o.exited = 1;
		s->o.code = WEXITSTATUS(s->wstatus);
	} else if (WIFSIGNALED(s->wstatus)) {
		s->o.signal = WTERMSIG(s->wstatus);
	}
	s->o.timed_out = s->kill_at >= 0;
	err_text(s);
	s->used = 0;   /* free for a new run from the callback */
	r->done(r->arg, (int)(s - r->s), &s->o);
	free(s->o.out);
	s->o.out = NULL;
}

static void
check_done(struct slot *s)
{
	if (s->used && s->reaped && (s->fd[1] < 0 && s->fd[2] < 0 ? 1 : plx_mono_ms() >= s->drain_until))
		finish(s);
}

/* The run's exit, if it came: 1. */
static int
reap(struct slot *s)
{
	if (waitpid(s->pid, &s->wstatus, WNOHANG) != s->pid)
		return 0;
	s->reaped = 1;
	close_fd(s, 0);
	/* what it left behind goes with it: a run is its whole group */
	kill(-s->pid, SIGKILL);
	s->drain_until = plx_mono_ms() + DRAIN_MS;
	return 1;
}

static void
on_fd(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct slot *s = arg;
	char buf[8192];
	ssize_t n;
	int k;

	for (k = 0; k < 4 && s->fd[k] != fd; k++)
		;
	if (k == 4)
		return;
	if (k == 0) {
		reap(s);
	} else {
		while ((n = plx_read(fd, buf, sizeof buf)) > 0)
			got(s, k, buf, (size_t)n);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			close_fd(s, k);
	}
	check_done(s);
}

int64_t
runner_prepare(struct runner *r)
{
	int64_t now = plx_mono_ms(), due = -1, t;
	int i;

	for (i = 0; i < r->n; i++) {
		struct slot *s = &r->s[i];
		if (!s->used)
			continue;
		if (!s->reaped && s->fd[0] < 0 && reap(s))
			now = plx_mono_ms();
		if (s->reaped) {
			check_done(s);
			t = s->drain_until;
		} else if (s->kill_at >= 0) {
			if (now >= s->kill_at)
				kill(-s->pid, SIGKILL);
			t = now >= s->kill_at ? now + 100 : s->kill_at;
		} else if (now >= s->deadline) {
			kill(-s->pid, SIGTERM);
			s->kill_at = now + KILL_GRACE_MS;
			t = s->kill_at;
		} else {
			t = s->deadline;
		}
		if (!s->reaped && s->fd[0] < 0 && now + WAIT_POLL_MS < t)
			t = now + WAIT_POLL_MS;
		if (s->used && (due < 0 || t < due))
			due = t;
	}
	return due;
}

void
runner_kill_all(struct runner *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->s[i].used && !r->s[i].reaped)
			kill(-r->s[i].pid, SIGTERM);
}

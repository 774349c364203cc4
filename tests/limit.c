/* limit SECONDS CMD [ARG...]: runs one test with a time limit, and leaves
 * no process of it behind.  tests/run runs every test through it.
 *
 * The test runs in a process group of its own.  This process is a child
 * subreaper (prctl(2) PR_SET_CHILD_SUBREAPER): whatever the test starts
 * stays our descendant even when it calls setsid or its parent exits, so
 * nothing escapes a cleanup.
 *
 *  - The test ends in time: its status is ours.
 *  - Its time is up, or we get SIGTERM/SIGINT/SIGHUP: SIGTERM to its group,
 *    SIGKILL to the group GRACE_S seconds later; "limit: CMD ran out of
 *    time after N s" on stderr; exit 124 (as timeout(1)).
 *  - Either way, every descendant still alive then (a server the test did
 *    not stop, a pipeline whose shell ignores SIGTERM) gets SIGTERM, then
 *    SIGKILL GRACE_S seconds later, is reaped, and is named on stderr as
 *    "limit: left behind: PID COMMAND".  Exit 125 when the test itself
 *    passed but left processes behind, so that a cleanup that forgets
 *    something is a failure with a name rather than a hang later. */
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_S 5

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Our direct children still running (not zombies), from /proc: at most
 * max pids in pid[]. */
static int children(pid_t *pid, int max)
{
	char path[300], buf[512];
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		/* "pid (comm) state ppid ...": comm may hold spaces and ')' */
		char *p = strrchr(buf, ')');
		int ppid;
		char state;
		if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid() && state != 'Z')
			pid[n++] = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

static void name_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(out, 1, len - 1, f) : 0;
	if (f)
		fclose(f);
	for (size_t i = 0; i + 1 < n; i++)
		if (!out[i])
			out[i] = ' ';
	out[n] = 0;
}

/* Reaps what has ended; 1 while some child is left. */
static int reap(pid_t test, int *test_status)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == test)
			*test_status = st;
	return !(p < 0 && errno == ECHILD);
}

/* Waits until every child is gone or the deadline passes. */
static int wait_all(pid_t test, int *test_status, double deadline)
{
	while (reap(test, test_status)) {
		if (now_s() >= deadline)
			return 1;
		usleep(20000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: limit SECONDS CMD [ARG...]\n");
		return 64;
	}
	int secs = atoi(argv[1]);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("limit: prctl");
		return 71;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	pid_t test = fork();
	if (test < 0) {
		perror("limit: fork");
		return 71;
	}
	if (test == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "limit: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	setpgid(test, test);   /* both sides, so no signal finds it unset */

	double start = now_s(), end = start + secs;
	int status = -1, timed_out = 0;
	for (;;) {
		int st;
		pid_t p = waitpid(test, &st, WNOHANG);
		if (p == test) {
			status = st;
			break;
		}
		if (interrupted || now_s() >= end) {
			timed_out = 1;
			break;
		}
		usleep(20000);
	}
	if (timed_out) {
		const char *what = argc > 3 ? argv[3] : argv[2];   /* bash t-x.sh: the script */
		if (interrupted)
			fprintf(stderr, "limit: %s stopped by signal %d after %.0f s\n", what,
			        (int)interrupted, now_s() - start);
		else
			fprintf(stderr, "limit: %s ran out of time after %d s\n", what, secs);
		kill(-test, SIGTERM);
		double dl = now_s() + GRACE_S;
		while (status == -1 && now_s() < dl) {
			reap(test, &status);
			usleep(20000);
		}
		kill(-test, SIGKILL);
	}

	/* What is left: SIGTERM to each child (and its group), SIGKILL after
	 * the grace time.  A killed child's own children come to us, so go on
	 * until there are none. */
	int left = 0;
	pid_t told[256];
	for (int round = 0; round < 100; round++) {
		pid_t pid[256];
		reap(test, &status);
		int n = children(pid, 256);
		if (n == 0)
			break;
		for (int i = 0; i < n; i++) {
			char name[200];
			name_of(pid[i], name, sizeof name);
			int seen = 0;
			for (int j = 0; j < left && j < 256; j++)
				seen |= told[j] == pid[i];
			if (pid[i] != test && !seen) {
				if (!timed_out)
					fprintf(stderr, "limit: left behind: %d %s\n", (int)pid[i], name);
				if (left < 256)
					told[left] = pid[i];
				left++;
			}
			kill(pid[i], SIGTERM);
			kill(-pid[i], SIGTERM);
		}
		if (wait_all(test, &status, now_s() + (round ? 1 : GRACE_S)))
			for (int i = 0; i < n; i++) {
				kill(-pid[i], SIGKILL);
				kill(pid[i], SIGKILL);
			}
	}
	while (reap(test, &status) && wait_all(test, &status, now_s() + 1))
		;
	if (timed_out)
		return 124;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	int rc = WEXITSTATUS(status);
	return rc == 0 && left ? 125 : rc;
}

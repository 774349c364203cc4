/* plx-buffer's loop and a consumer that is gone: EPIPE on stdout ends the
 * run with 74 ("unacknowledged records stay in the spool"), but not while
 * a SIGTERM stops the pipeline, whose consumer may go first: 0 then.  The
 * SIGTERM is made to wait (blocked, raised) before the first write, as it
 * does when it comes while the loop is busy. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "log.h"
#include "unit.h"

/* pump() in follow mode with stdout a pipe whose reader is closed. */
static int
follow_into_closed_pipe(struct spool **sp, const char *path)
{
	struct opts o = { .mode = FOLLOW, .path = path, .commit_rows = 2000, .commit_ms = 100, .poll_ms = 100 };
	int p[2], out, rc;

	fflush(stdout);
	if (pipe(p) < 0 || (out = dup(1)) < 0)
		return -1;
	close(p[0]);
	dup2(p[1], 1);
	close(p[1]);
	rc = pump(sp, &o);
	dup2(out, 1);
	close(out);
	return rc;
}

int
main(void)
{
	char dir[] = "/tmp/t_pump.XXXXXX", path[64], cmd[96];
	struct spool *sp;
	sigset_t term, was;
	int i, rc;

	plx_log_init("t_pump");
	T(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/spool.db", dir);
	T(spool_open(&sp, path, 0) == 0 && spool_begin(sp) == 0, "spool");
	for (i = 0; i < 10; i++)
		spool_insert(sp, "{\"metric\":\"a.b\",\"value\":1}", 26, plx_now_ms());
	T(spool_commit(sp) == 0, "10 rows in the spool");

	rc = follow_into_closed_pipe(&sp, path);
	T(rc == EX_IOERR, "EPIPE: exit 74 (%d)", rc);

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &was);
	raise(SIGTERM);
	rc = follow_into_closed_pipe(&sp, path);
	T(rc == 0, "EPIPE with a SIGTERM waiting: exit 0 (%d)", rc);
	T(sigtimedwait(&term, NULL, &(struct timespec){ 0, 0 }) == SIGTERM, "the SIGTERM still waits for the loop");
	sigprocmask(SIG_SETMASK, &was, NULL);

	spool_close(sp);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	T(system(cmd) == 0, "temp dir removed");
	UNIT_END();
}

/* plx-tail: what flows through a gateway, live, in a terminal.
 *
 *   reader | tee >(plx-tail) | plx-buffer ...       watch a pipeline
 *   plx-tail --once < capture.ndjson                 the table once, as text
 *   plx-tail -d /var/lib/plexus/spool.db             watch a gateway's spool
 *
 * Records come on standard input, or from a spool's latest values, polled
 * read-only every --interval (poll.c): the default spool when standard
 * input is a terminal.  Keys from the terminal (/dev/tty), so that a
 * pipe and the keys work at once. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "opts.h"
#include "record.h"
#include "tail.h"

static const char synopsis[] =
	"usage: plx-tail [-d spool] [-f filter] [--sort name|rate|age] [-i interval] [--once]\n"
	"       plx-tail -h | --version\n";

struct app {
	struct table t;
	struct plx_lines in;
	int once, eof, tty;
	int64_t interval;
	struct tail_spool *spool;  /* polled instead of standard input, or NULL */
	char msg[200];             /* what the last poll said about it */
};

static int
sort_by(const char *s, void *to, char *err, size_t errlen)
{
	static const char *const names[SORT_KINDS] = { "name", "rate", "age" };
	int i;

	for (i = 0; i < SORT_KINDS; i++)
		if (!strcmp(s, names[i]))
			return ((struct table *)to)->sort = (enum sort_by)i, 0;
	snprintf(err, errlen, "\"%s\" is not name, rate or age", s);
	return -1;
}

static void
on_input(struct plx_loop *l, int fd, short ev, void *arg)
{
	struct app *a = arg;
	int64_t now = plx_mono_ms();
	char *line;
	size_t len;
	int r;

	if (plx_lines_fill(&a->in) < 0)
		return;
	while ((r = plx_lines_next(&a->in, &line, &len)) == PLX_LINE || r == PLX_LINE_LONG) {
		if (r == PLX_LINE)
			input_line(&a->t, line, len, now);
		else
			a->t.bad++;
	}
	if (r == PLX_LINE_EOF) {
		a->eof = 1;
		plx_loop_fd_set(l, 0, -1, 0);
		if (a->once)
			plx_loop_stop(l, 0);
	}
}

static void
draw(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	if (a->spool)
		poll_spool(a->spool, &a->t, plx_mono_ms(), a->msg, sizeof a->msg);
	view_draw(&a->t, plx_mono_ms(), a->spool ? a->msg : a->eof ? "(input ended)" : "");
}

static void
on_key(struct plx_loop *l, int fd, short ev, void *arg)
{
	struct app *a = arg;

	if (view_key(&a->t))
		plx_loop_stop(l, 0);
	else
		draw(l, a);
}

int
main(int argc, char **argv)
{
	static struct app a = { .interval = 500 };
	static const char *filter, *path;
	const struct plx_opt tab[] = {
		{ 'd', "spool", PLX_OPT_STR, &path, 0, 0, 0, NULL, "FILE",
		  "poll the spool's latest values, read-only (the default when standard input is a terminal)", NULL },
		{ 'f', "filter", PLX_OPT_STR, &filter, 0, 0, 0, NULL, "TEXT",
		  "only series whose source, metric or tags hold TEXT (/ in the view)", NULL },
		{ 0, "sort", PLX_OPT_FN, &a.t, 0, 0, 0, sort_by, "name|rate|age", "the order of the rows (s in the view)", NULL },
		{ 'i', "interval", PLX_OPT_DUR, &a.interval, 50, 3600000, 1, NULL, "DURATION",
		  "redraw (and poll the spool) every DURATION (500ms)", NULL },
		{ 0, "once", PLX_OPT_FLAG, &a.once, 0, 0, 0, NULL, NULL,
		  "read standard input to its end (or the spool once), print the table once as text", NULL },
		{ 0 }
	};
	struct plx_common c = { 0 };
	struct plx_config cf;
	struct plx_loop l;
	int tty = -1, rc;
	char *spool = NULL, err[300];

	plx_log_init(argv[0]);
	table_init(&a.t);
	if (plx_opts_parse(argc, argv, tab, 0, &c, synopsis) != argc) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	if (filter)
		snprintf(a.t.filter, sizeof a.t.filter, "%s", filter);
	if (!path && isatty(STDIN_FILENO)) {
		/* the spool plx-buffer would use */
		plx_config_load(&cf);
		spool = cf.buffer ? plx_xstrdup(cf.buffer) : plx_default_spool();
		plx_config_free(&cf);
		path = spool;
	}
	if (path && poll_open(&a.spool, path, err, sizeof err) < 0)
		plx_die(EX_NOINPUT, "%s", err);
	if (a.spool && a.once) {
		poll_spool(a.spool, &a.t, plx_mono_ms(), a.msg, sizeof a.msg);
		if (*a.msg)
			puts(a.msg);
		view_print(&a.t, plx_mono_ms(), getenv("COLUMNS") ? atoi(getenv("COLUMNS")) : 120);
		poll_close(a.spool);
		free(spool);
		table_free(&a.t);
		return 0;
	}
	if (!a.once) {
		if (!isatty(STDOUT_FILENO))
			plx_die(EX_USAGE, "standard output is not a terminal: --once prints the table as text");
		if ((tty = open("/dev/tty", O_RDONLY | O_CLOEXEC)) < 0 || view_open(tty) < 0)
			plx_die(EX_UNAVAILABLE, "unable to open the terminal (/dev/tty)");
	}
	if (plx_lines_init(&a.in, STDIN_FILENO, PLX_LINE_MAX) < 0)
		plx_die(EX_OSERR, "out of memory");
	plx_loop_init(&l, &a);
	if (!a.spool) {
		plx_nonblock(STDIN_FILENO, 1);
		plx_loop_fd(&l, STDIN_FILENO, POLLIN, on_input);
	}
	if (!a.once) {
		plx_loop_fd(&l, tty, POLLIN, on_key);
		plx_loop_every(&l, a.interval, draw);
		draw(&l, &a);
	}
	rc = plx_loop_run(&l);
	if (a.once)
		view_print(&a.t, plx_mono_ms(), getenv("COLUMNS") ? atoi(getenv("COLUMNS")) : 120);
	else
		view_close();
	plx_loop_free(&l);
	plx_lines_free(&a.in);
	poll_close(a.spool);
	free(spool);
	table_free(&a.t);
	return rc;
}

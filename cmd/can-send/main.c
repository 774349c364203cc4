/* can-send: CAN frames sent on an interface, as can-utils' cansend writes
 * them, or a DBC message encoded from signal values, the inverse of
 * can-read's decoder (lib/dbc):
 *
 *   can-send can0 123#DEADBEEF 1F334455#R 213##1112233
 *   can-send -D car.dbc can0 EngineData EngineSpeed=1500 EngineTemp=90
 *   can-send --every 100ms --for 10s -D car.dbc can0 Heartbeat
 *
 * Every frame is parsed or encoded before anything is sent; with --every,
 * the frames go out on lib/loop's timer until --count or --for says, or
 * SIGTERM/SIGINT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <net/if.h>

#include "canframe.h"
#include "cansend.h"
#include "clock.h"
#include "log.h"
#include "loop.h"
#include "opts.h"

static const char synopsis[] =
	"usage: can-send [-n] [--every duration [--count n] [--for duration]] interface frame...\n"
	"       can-send -D dbc [-n] [--every duration [--count n] [--for duration]]\n"
	"                interface message [signal=value]...\n"
	"       can-send -h | --version\n";

struct run {
	struct canfd_frame *f;
	int *fd;
	int n;
	int sock;                   /* -1: -n, printed */
	const char *ifname;
	int64_t count, sent;        /* rounds: to send (0: no end), sent */
	int64_t until;              /* --for: monotonic ms, 0 none */
};

/* --fd N: the socket of a test, or of a supervisor */
static int
fd_option(const char *arg, void *to, char *err, size_t errlen)
{
	char *e;
	long n = strtol(arg, &e, 10);

	if (e == arg || *e || n < 0 || n > 1 << 20)
		return snprintf(err, errlen, "\"%s\" is not a descriptor 0 to %d", arg, 1 << 20), -1;
	*(int *)to = (int)n;
	return 0;
}

/* One round: every frame, in order: 0, or the exit status. */
static int
round_once(struct run *r)
{
	char text[CANFRAME_TEXT_MAX];
	int i;

	for (i = 0; i < r->n; i++) {
		if (r->sock < 0) {
			printf("%s\n", canframe_format(&r->f[i], r->fd[i], text, sizeof text));
			continue;
		}
		if (cs_write(r->sock, &r->f[i], r->fd[i], 1000) < 0) {
			plx_warn("%s: %s: %m", r->ifname, canframe_format(&r->f[i], r->fd[i], text, sizeof text));
			return EX_UNAVAILABLE;
		}
	}
	if (r->sock < 0 && fflush(stdout) == EOF)
		return EX_IOERR;
	r->sent++;
	return 0;
}

static void
tick(struct plx_loop *l, void *arg)
{
	struct run *r = arg;
	int rc;

	if (r->until && plx_mono_ms() >= r->until)
		plx_loop_stop(l, 0);
	else if ((rc = round_once(r)))
		plx_loop_stop(l, rc);
	else if (r->count && r->sent >= r->count)
		plx_loop_stop(l, 0);
}

int
main(int argc, char **argv)
{
	static const char *dbc_path;
	static int dry_run, out_fd = -1;
	static int64_t every = -1, count = -1, dur = -1;
	const struct plx_opt tab[] = {
		{ 'D', "dbc", PLX_OPT_STR, &dbc_path, 0, 0, 0, NULL, "FILE",
		  "a DBC file: the message and its signals by name", NULL },
		{ 0, "every", PLX_OPT_DUR, &every, 1, 86400000, 1, NULL, "DURATION",
		  "send the frames again every DURATION (a bare number is ms)", NULL },
		{ 0, "count", PLX_OPT_NUM, &count, 1, INT64_MAX, 0, NULL, "N", "--every: N times in all", NULL },
		{ 0, "for", PLX_OPT_DUR, &dur, 1, INT64_MAX / 2, 1000, NULL, "DURATION",
		  "--every: for so long (a bare number is seconds)", NULL },
		{ 'n', "dry-run", PLX_OPT_FLAG, &dry_run, 0, 0, 0, NULL, NULL,
		  "print the frames in cansend's notation, send nothing", NULL },
		{ 0, "fd", PLX_OPT_FN, &out_fd, 0, 0, 0, fd_option, "N",
		  "write the frames to the socket on descriptor N (tests)", NULL },
		{ 0 }
	};
	struct plx_common cm = { 0 };
	struct run r = { .sock = -1 };
	struct dbc *d = NULL;
	struct plx_loop l;
	char err[512];
	int i, k, any_fd = 0, rc;

	plx_log_init(argv[0]);
	k = plx_opts_parse(argc, argv, tab, 0, &cm, synopsis);
	if (argc - k < 2 || (every < 0 && (count >= 0 || dur >= 0))) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	r.ifname = argv[k++];
	if (strlen(r.ifname) >= IFNAMSIZ)
		plx_die(EX_USAGE, "\"%s\": an interface name is 1 to %d bytes", r.ifname, IFNAMSIZ - 1);
	if (dbc_path) {
		if (!(d = dbc_load(dbc_path, err, sizeof err)))
			plx_die(EX_DATAERR, "%s", err);
		r.n = 1;
		r.f = plx_xcalloc(1, sizeof *r.f);
		r.fd = plx_xcalloc(1, sizeof *r.fd);
		if (cs_message(d, argv[k], argv + k + 1, argc - k - 1, r.f, r.fd, err, sizeof err) < 0)
			plx_die(EX_DATAERR, "%s", err);
	} else {
		r.n = argc - k;
		r.f = plx_xcalloc((size_t)r.n, sizeof *r.f);
		r.fd = plx_xcalloc((size_t)r.n, sizeof *r.fd);
		for (i = 0; i < r.n; i++)
			if (canframe_parse(argv[k + i], &r.f[i], &r.fd[i], err, sizeof err) < 0)
				plx_die(EX_DATAERR, "%.64s: %s", argv[k + i], err);
	}
	for (i = 0; i < r.n; i++)
		any_fd |= r.fd[i];
	if (!dry_run && (r.sock = out_fd) < 0 && (r.sock = cs_open(r.ifname, any_fd, err, sizeof err)) < 0)
		plx_die(EX_UNAVAILABLE, "%s", err);
	/* the first round now, the others on the loop's timer */
	r.count = every < 0 ? 1 : count > 0 ? count : 0;
	r.until = dur > 0 ? plx_mono_ms() + dur : 0;
	plx_loop_init(&l, &r);
	if (!(rc = round_once(&r)) && (!r.count || r.sent < r.count)) {
		plx_loop_every(&l, every, tick);
		rc = plx_loop_run(&l);
	}
	plx_loop_free(&l);
	if (r.sock >= 0 && r.sock != out_fd)
		close(r.sock);
	free(r.f);
	free(r.fd);
	dbc_free(d);
	return rc;
}

/* serial-write: lines to a serial device that serial-read holds, through
 * its --control socket (the protocol: lib/serctl.h, serial-read(1)).
 * Each line is sent once the one before it is written and drained; the
 * first that fails ends the run with a status that says why (sysexits):
 *
 *   0   every line written          69  nobody answers on the socket
 *   64  usage                       74  the port failed while writing
 *   65  a line refused (CR, LF,     75  the port was not there in time,
 *       NUL, too long): nothing         serial-read busy or stopping
 *       sent                        76  an answer not of the protocol
 *   77  the socket's permissions    71  a system call failed */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "opts.h"
#include "serctl.h"

/* serial-read answers when the port times out; this much more is
 * waited for its answer before the client gives up on it */
#define ANSWER_MARGIN_MS 2000

static const char synopsis[] =
	"usage: serial-write [-t timeout] [-q] socket line...\n"
	"       serial-write -h | --version\n";

static int
connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof a.sun_path)
		plx_die(EX_USAGE, "%s: longer than %zu bytes", path, sizeof a.sun_path - 1);
	memcpy(a.sun_path, path, strlen(path));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		plx_die(EX_OSERR, "socket:");
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
		return s;
	if (errno == EACCES || errno == EPERM)
		plx_die(EX_NOPERM, "%s: %s (serial-read's --control-mode, --control-group)", path,
		        strerror(errno));
	if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTSOCK)
		plx_die(EX_UNAVAILABLE, "%s: %s (is serial-read running with --control %s?)", path,
		        strerror(errno), path);
	plx_die(EX_UNAVAILABLE, "%s:", path);
}

/* The next answer line into buf (its LF replaced by NUL): its length;
 * dies when none comes by deadline. */
static size_t
answer(int s, char *buf, size_t cap, size_t *have, int64_t deadline)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char *nl;
	ssize_t n;
	int64_t left;

	while (!(nl = memchr(buf, '\n', *have))) {
		if (*have == cap)
			plx_die(EX_PROTOCOL, "an answer longer than %zu bytes", cap);
		if ((left = deadline - plx_mono_ms()) <= 0)
			plx_die(EX_TEMPFAIL, "no answer from serial-read in time");
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			plx_die(EX_OSERR, "poll:");
		if (!p.revents)
			continue;
		if ((n = plx_read(s, buf + *have, cap - *have)) < 0)
			plx_die(EX_UNAVAILABLE, "read:");
		if (n == 0)
			plx_die(EX_UNAVAILABLE, "serial-read closed the connection before it answered");
		*have += (size_t)n;
	}
	*nl = '\0';
	return (size_t)(nl - buf);
}

/* an answer's code as an exit status */
static int
status_of(enum serctl_code c)
{
	switch (c) {
	case SERCTL_OK: return 0;
	case SERCTL_REFUSED: return EX_DATAERR;
	case SERCTL_TIMEOUT: case SERCTL_BUSY: case SERCTL_STOPPED: return EX_TEMPFAIL;
	case SERCTL_GONE: case SERCTL_IO: return EX_IOERR;
	default: return EX_PROTOCOL;
	}
}

int
main(int argc, char **argv)
{
	static int64_t timeout_ms = 5000;
	const struct plx_opt tab[] = {
		{ 't', "timeout", PLX_OPT_DUR, &timeout_ms, 0, SERCTL_TIMEOUT_MAX, 1000, NULL, "DURATION",
		  "how long each line may wait for the port and take to write (5s)", NULL },
		{ 0 }
	};
	struct plx_common c = { 0 };
	char req[SERCTL_REQ_MAX], ans[SERCTL_ANSWER_MAX], err[200];
	enum serctl_code code;
	const char *msg;
	size_t n, len, msglen, have = 0;
	int i, first, s, rc;

	plx_log_init(argv[0]);
	first = plx_opts_parse(argc, argv, tab, 0, &c, synopsis);
	if (argc - first < 2) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	/* every line checked before any is sent: all or none of a bad call */
	for (i = first + 1; i < argc; i++)
		if (serctl_text_check(argv[i], strlen(argv[i]), err, sizeof err) < 0)
			plx_die(EX_DATAERR, "line %d: %s: refused, nothing sent", i - first, err);
	s = connect_to(argv[first]);
	for (i = first + 1; i < argc; i++) {
		n = serctl_format_req(req, timeout_ms, argv[i], strlen(argv[i]));
		/* a failed send may still have an answer waiting: serial-read
		 * says "busy" and closes before reading a request */
		if (send(s, req, n, MSG_NOSIGNAL) != (ssize_t)n && errno != EPIPE && errno != ECONNRESET)
			plx_die(EX_UNAVAILABLE, "send to %s:", argv[first]);
		len = answer(s, ans, sizeof ans, &have, plx_mono_ms() + timeout_ms + ANSWER_MARGIN_MS);
		if (serctl_parse_answer(ans, len, &code, &msg, &msglen) < 0)
			plx_die(EX_PROTOCOL, "an answer not of the protocol: \"%.100s\"", ans);
		if ((rc = status_of(code)) != 0) {
			plx_warn("line %d: %s: %.*s (%d of %d lines written)", i - first,
			         serctl_code_name(code), (int)msglen, msg, i - first - 1, argc - first - 1);
			return rc;
		}
		have -= len + 1;
		memmove(ans, ans + len + 1, have);
	}
	close(s);
	return 0;
}

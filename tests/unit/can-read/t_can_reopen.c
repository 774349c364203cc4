/* can-read's interfaces coming and going, without CAN in the kernel: run()
 * in a child with the interface "seam0" opened by connecting to a unix
 * SOCK_SEQPACKET socket of ours (struct opts' open_iface: the same
 * datagrams a CAN_RAW socket gives).  Each connection we accept is one
 * opening.  SIGHUP must close the socket and open it again, the tool going
 * on; a socket that ends must be reopened after its backoff and counted;
 * SIGTERM ends the run with 0. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "can.h"
#include "clock.h"
#include "unit.h"

#define WAIT_MS 10000

static struct sockaddr_un addr = { .sun_family = AF_UNIX };

static int
open_unix(struct iface *ic, int rcvbuf, char *err, size_t errlen)
{
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		if (s >= 0)
			close(s);
		return SOCK_FAILED;
	}
	return s;
}

/* A connection of the child's, or -1 after WAIT_MS. */
static int
accept_one(int ls)
{
	struct pollfd p = { .fd = ls, .events = POLLIN };

	if (poll(&p, 1, WAIT_MS) != 1)
		return -1;
	return accept(ls, NULL, NULL);
}

/* Reads the child's stdout into buf until it holds want; 1 when it does. */
static int
output_has(int fd, char *buf, size_t cap, size_t *len, const char *want)
{
	int64_t end = plx_mono_ms() + WAIT_MS;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (!strstr(buf, want) && plx_mono_ms() < end && *len < cap - 1) {
		if (poll(&p, 1, 100) == 1 && (n = read(fd, buf + *len, cap - 1 - *len)) > 0) {
			*len += (size_t)n;
			buf[*len] = 0;
		}
	}
	return strstr(buf, want) != NULL;
}

/* The peer closed its end: 1 (after at most WAIT_MS). */
static int
closed_by_peer(int s)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char b[16];

	return poll(&p, 1, WAIT_MS) == 1 && read(s, b, sizeof b) == 0;
}

static void
frame(int s, unsigned char byte)
{
	struct can_frame f = { .can_id = 0x123, .len = 1, .data = { byte } };

	if (send(s, &f, sizeof f, 0) != sizeof f)
		perror("send");
}

static void
child(int out, int err)
{
	static struct opts o = { .in_fd = -1, .prefix = "can", .name_fmt = "%p.%m.%s", .status_ms = 3600000,
	                         .backoff_max_ms = 5000, .queue_max = 1 << 20, .open_iface = open_unix };

	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	plx_log_init("can-read");
	plx_quiet = 0;
	filters_init(&o.fl);
	o.nifc = 1;
	o.ifc[0].name = "seam0";
	o.ifc[0].sock = -1;
	o.ifc[0].fl = o.fl;
	_exit(run(&o));
}

int
main(void)
{
	char dir[] = "/tmp/t_can_reopen.XXXXXX", errpath[64], buf[65536] = "", log[4096] = "";
	int ls, p[2], ef, c1, c2, c3, st;
	size_t len = 0;
	pid_t pid;
	FILE *f;

	if (!mkdtemp(dir) || pipe(p) < 0)
		return 1;
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s/bus", dir);
	snprintf(errpath, sizeof errpath, "%s/err", dir);
	if ((ls = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    listen(ls, 4) < 0 || (ef = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return 1;
	if ((pid = fork()) == 0)
		child(p[1], ef);
	close(p[1]);

	c1 = accept_one(ls);
	T(c1 >= 0, "the interface opened");
	frame(c1, 1);
	T(output_has(p[0], buf, sizeof buf, &len, "\"value\":\"01\""), "... its frame read");

	kill(pid, SIGHUP);
	T(closed_by_peer(c1), "SIGHUP: the socket closed");
	c2 = accept_one(ls);
	T(c2 >= 0, "... and opened again");
	frame(c2, 2);
	T(output_has(p[0], buf, sizeof buf, &len, "\"value\":\"02\""), "... frames read from it");

	close(c2);                 /* the interface goes away */
	c3 = accept_one(ls);
	T(c3 >= 0, "a socket that ended: opened again after its backoff");
	frame(c3, 3);
	T(output_has(p[0], buf, sizeof buf, &len, "\"value\":\"03\""), "... frames read from it");

	kill(pid, SIGTERM);
	T(output_has(p[0], buf, sizeof buf, &len, "\"gateway.can.reconnects\",\"value\":1,"),
	  "SIGTERM: the final status counts the one loss (not the SIGHUP)");
	T(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "... exit 0");

	if ((f = fopen(errpath, "r"))) {
		log[fread(log, 1, sizeof log - 1, f)] = 0;
		fclose(f);
	}
	T(strstr(log, "can-read: SIGHUP: reopening the interfaces") != NULL, "SIGHUP said");
	T(strstr(log, "can-read: seam0: device gone (end of file); reopening") != NULL, "the loss said");
	if (unit_failed)
		printf("# stderr:\n%s", log);
	close(c1);
	close(c3);
	close(ls);
	unlink(addr.sun_path);
	unlink(errpath);
	rmdir(dir);
	UNIT_END();
}

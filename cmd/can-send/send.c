/* can-send: the socket (cansend.h).  A CAN_RAW socket takes one frame per
 * write in the kernel's layout (linux/can.h): struct can_frame, 16 bytes
 * (CAN_MTU), or with CAN_RAW_FD_FRAMES on, struct canfd_frame, 72 bytes
 * (CANFD_MTU).  A write fails with ENOBUFS while the interface's transmit
 * queue is full (the bus is busy, or nobody acknowledges); poll's POLLOUT
 * says nothing about that queue (it is the socket's), so the write is
 * tried again every few milliseconds. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/can/raw.h>

#include "cansend.h"
#include "clock.h"

int
cs_open(const char *ifname, int fd, char *err, size_t errlen)
{
	struct sockaddr_can addr = { .can_family = AF_CAN };
	int s, on = 1, e;

	if ((s = socket(PF_CAN, SOCK_RAW | SOCK_CLOEXEC, CAN_RAW)) < 0) {
		e = errno;
		snprintf(err, errlen, "socket(AF_CAN): %s%s", strerror(e),
		         e == EAFNOSUPPORT ? " (no CAN in this kernel: modprobe can-raw)" : "");
		return errno = e, -1;
	}
	if (!(addr.can_ifindex = (int)if_nametoindex(ifname))) {
		e = errno;
		snprintf(err, errlen, "%s: %s", ifname, e == ENODEV ? "no such interface" : strerror(e));
		goto fail;
	}
	if (fd && setsockopt(s, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, &on, sizeof on) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: no CAN FD frames on this socket: %s", ifname, strerror(e));
		goto fail;
	}
	/* what is sent is not read back on this socket (it receives nothing) */
	(void)setsockopt(s, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0);
	if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: bind: %s", ifname, strerror(e));
		goto fail;
	}
	return s;
fail:
	close(s);
	return errno = e, -1;
}

int
cs_write(int s, const struct canfd_frame *f, int fd, int wait_ms)
{
	size_t mtu = fd ? CANFD_MTU : CAN_MTU;
	int64_t until = plx_mono_ms() + wait_ms, left;
	ssize_t n;

	for (;;) {
		n = write(s, f, mtu);
		if (n == (ssize_t)mtu)
			return 0;
		if (n >= 0)
			return errno = EMSGSIZE, -1;
		if (errno == EINTR)
			continue;
		if ((errno != ENOBUFS && errno != EAGAIN) || (left = until - plx_mono_ms()) <= 0)
			return -1;
		plx_sleep_ms(left > 5 ? 5 : left);
	}
}

/* SocketCAN raw sockets, and any socket of CAN frame datagrams.
 *
 * A CAN_RAW socket hands out one frame per datagram in the kernel's layout
 * (linux/can.h), 16 bytes for classic CAN (CAN_MTU), 72 for CAN FD
 * (CANFD_MTU, with CAN_RAW_FD_FRAMES on):
 *
 *   can_id  u32  id | CAN_EFF_FLAG 0x80000000 | CAN_RTR_FLAG 0x40000000 | CAN_ERR_FLAG 0x20000000
 *   len     u8   bytes of data (classic: the DLC, 0..8; FD: 0..64)
 *   flags   u8   FD: CANFD_BRS 1, CANFD_ESI 2; classic: padding
 *   res0, res1 / len8_dlc
 *   data    8 or 64 bytes
 *
 * with control messages: SO_RXQ_OVFL (u32, frames the kernel dropped on
 * this socket since it opened: its receive queue was full),
 * SO_TIMESTAMPING (software and hardware stamps) or SO_TIMESTAMPNS.
 * recvmmsg takes up to SOCK_BATCH frames per system call.  The same reader
 * serves --fd: a socket (socketpair, or passed by a supervisor) carrying
 * the same datagrams, without the control messages; the end of a
 * SOCK_SEQPACKET stream, or an empty datagram, ends it. */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "can.h"
#include "clock.h"
#include "log.h"

/* The address of a received frame: CAN_RAW fills in only can_family and
 * can_ifindex, and says so in msg_namelen (the kernel's RAW_MIN_NAMELEN:
 * 8 bytes, not sizeof(struct sockaddr_can), whose union is for other
 * protocols).  The interface a frame came from, on an "any" socket. */
#define CAN_NAMELEN (offsetof(struct sockaddr_can, can_ifindex) + sizeof(int))

#define CTRL_LEN (CMSG_SPACE(sizeof(struct scm_timestamping)) + CMSG_SPACE(sizeof(struct timespec)) + \
                  CMSG_SPACE(sizeof(uint32_t)) + 64)

struct sockbatch {
	struct mmsghdr m[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH];
	struct canfd_frame f[SOCK_BATCH];
	struct sockaddr_can addr[SOCK_BATCH];
	char ctrl[SOCK_BATCH][CTRL_LEN];
	int eof;            /* an empty datagram was read after frames: say so next call */
};

struct sockbatch *
sockbatch_new(void)
{
	return plx_xcalloc(1, sizeof(struct sockbatch));
}

int
sockbatch_eof(const struct sockbatch *b)
{
	return b->eof;
}

void
sockbatch_free(struct sockbatch *b)
{
	free(b);
}

#define SETOPT(lvl, opt, val, len, what) do { \
	if (setsockopt(s, lvl, opt, val, len) < 0) { \
		snprintf(err, errlen, "setsockopt(%s): %s", what, strerror(errno)); \
		goto fail; } } while (0)

int
sock_open(struct iface *ic, int rcvbuf, char *err, size_t errlen)
{
	struct sockaddr_can addr = { .can_family = AF_CAN };
	int s, on = 1, ts = SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE |
	                    SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	unsigned idx = 0;
	int e;

	if ((s = socket(PF_CAN, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CAN_RAW)) < 0) {
		e = errno;
		snprintf(err, errlen, "socket(AF_CAN): %s", strerror(e));
		return e == EAFNOSUPPORT || e == EPROTONOSUPPORT ? SOCK_NO_CAN : SOCK_FAILED;
	}
	if (strcmp(ic->name, "any") && !(idx = if_nametoindex(ic->name))) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	/* An old kernel without CAN FD still gives classic frames. */
	(void)setsockopt(s, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, &on, sizeof on);
	if (ic->fl.given)
		SETOPT(SOL_CAN_RAW, CAN_RAW_FILTER, ic->fl.n ? ic->fl.f : NULL,
		       (socklen_t)(ic->fl.n * sizeof ic->fl.f[0]), "CAN_RAW_FILTER");
	if (ic->fl.join)
		SETOPT(SOL_CAN_RAW, CAN_RAW_JOIN_FILTERS, &on, sizeof on, "CAN_RAW_JOIN_FILTERS");
	SETOPT(SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &ic->fl.err_mask, sizeof ic->fl.err_mask,
	       "CAN_RAW_ERR_FILTER");
	SETOPT(SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on, "SO_RXQ_OVFL");
	if (setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof ts) < 0)
		SETOPT(SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on, "SO_TIMESTAMPNS");
	/* A bigger queue rides out a burst while the loop writes; FORCE needs privilege. */
	if (rcvbuf && setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	addr.can_ifindex = (int)idx;
	if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
		snprintf(err, errlen, "bind: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	close(s);
	return SOCK_FAILED;
}

static int64_t
ts_ms(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

/* The frame's time: a hardware stamp when it is on the wall clock (some
 * adapters count from their own power-on), else the kernel's software one. */
static int64_t
stamp(struct msghdr *mh, uint32_t *drops, int *has_drops)
{
	struct cmsghdr *c;
	int64_t sw = 0, hw = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SO_TIMESTAMPING) {
			struct scm_timestamping t;
			memcpy(&t, CMSG_DATA(c), sizeof t);
			sw = ts_ms(&t.ts[0]);
			hw = ts_ms(&t.ts[2]);
		} else if (c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(c), sizeof t);
			sw = ts_ms(&t);
		} else if (c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(drops, CMSG_DATA(c), sizeof *drops);
			*has_drops = 1;
		}
	}
	if (hw && sw && llabs(hw - sw) < 10000)
		return hw;
	return sw;
}

int
sock_read(int fd, struct sockbatch *b, struct cframe *out, int *ifindex, int max,
          uint32_t *drops, int *has_drops, unsigned long *bad)
{
	int i, n, k = 0;
	int64_t now = 0, t;

	if (b->eof)
		return -2;
	if (max > SOCK_BATCH)
		max = SOCK_BATCH;
	for (i = 0; i < max; i++) {
		b->iov[i].iov_base = &b->f[i];
		b->iov[i].iov_len = sizeof b->f[i];
		memset(&b->m[i].msg_hdr, 0, sizeof b->m[i].msg_hdr);
		b->m[i].msg_hdr.msg_iov = &b->iov[i];
		b->m[i].msg_hdr.msg_iovlen = 1;
		b->m[i].msg_hdr.msg_name = &b->addr[i];
		b->m[i].msg_hdr.msg_namelen = sizeof b->addr[i];
		b->m[i].msg_hdr.msg_control = b->ctrl[i];
		b->m[i].msg_hdr.msg_controllen = CTRL_LEN;
	}
	do
		n = recvmmsg(fd, b->m, (unsigned)max, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0 || b->m[0].msg_len == 0)
		return -2;          /* the peer closed a stream-like socket */
	for (i = 0; i < n; i++) {
		struct canfd_frame *f = &b->f[i];
		struct msghdr *mh = &b->m[i].msg_hdr;
		unsigned len = b->m[i].msg_len;

		if (len == 0) {     /* end of the stream, or an empty datagram: the next call says so */
			b->eof = 1;
			break;
		}

		if ((len != CAN_MTU && len != CANFD_MTU) || (mh->msg_flags & MSG_TRUNC) ||
		    f->len > (len == CAN_MTU ? CAN_MAX_DLEN : CANFD_MAX_DLEN)) {
			(*bad)++;
			continue;
		}
		out[k].f = *f;
		out[k].fd = len == CANFD_MTU;
		if (!out[k].fd)
			out[k].f.flags = 0;
		if (!(t = stamp(mh, drops, has_drops)))
			t = now ? now : (now = plx_now_ms());
		out[k].ts = t;
		ifindex[k] = mh->msg_namelen >= CAN_NAMELEN &&
		             b->addr[i].can_family == AF_CAN ? b->addr[i].can_ifindex : 0;
		k++;
	}
	return k;
}

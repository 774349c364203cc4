/* can-send: CAN frames sent on an interface, written in can-utils'
 * notation or encoded from a DBC message by signal name.
 *
 *   main.c   options, the frames of the command line, the periodic sending
 *   msg.c    a DBC message's frame from "signal=value" arguments
 *   send.c   the socket: a SocketCAN raw socket, or --fd's */
#ifndef CAN_SEND_H
#define CAN_SEND_H
#include <stddef.h>
#include <linux/can.h>

#include "dbc.h"

/* The frame of the message named msg, its signals set by args
 * ("EngineSpeed=1500"), the others at their start value (dbc.h): into f,
 * *fd 1 when it is a CAN FD frame (more than 8 bytes).  0, or -1 with why
 * in err ("EngineSpeed: 9000 is out of EngineSpeed's range [0|8031.875]"). */
int cs_message(const struct dbc *d, const char *msg, char *const *args, int n, struct canfd_frame *f, int *fd,
               char *err, size_t errlen);

/* A CAN_RAW socket bound to the interface, CAN FD frames on when fd: the
 * socket, or -1 with errno and why in err. */
int cs_open(const char *ifname, int fd, char *err, size_t errlen);
/* One frame written, in the kernel's layout (CAN_MTU, or CANFD_MTU when
 * fd); a full transmit queue (ENOBUFS, EAGAIN) is waited for, up to
 * wait_ms.  0, or -1 with errno. */
int cs_write(int s, const struct canfd_frame *f, int fd, int wait_ms);

#endif

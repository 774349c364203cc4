/* The CAN interface itself, through libsocketcan (netlink): its state
 * (error-active, error-warning, error-passive, bus-off, stopped, sleeping)
 * and bitrate for the status records, and setting the bitrate on request:
 * `ip link set can0 down; ip link set can0 type can bitrate N; ... up`,
 * which needs CAP_NET_ADMIN.  Where the kernel has no CAN every call fails
 * and the status records simply leave these out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libsocketcan.h>
#include <linux/can/netlink.h>

#include "can.h"

const char *
link_state(const char *ifname)
{
	static const char *const names[] = { "error-active", "error-warning", "error-passive",
		"bus-off", "stopped", "sleeping" };
	int st;

	if (can_get_state(ifname, &st) < 0 || st < 0 || st >= (int)(sizeof names / sizeof names[0]))
		return NULL;
	return names[st];
}

long
link_bitrate(const char *ifname)
{
	struct can_bittiming bt;

	memset(&bt, 0, sizeof bt);
	if (can_get_bittiming(ifname, &bt) < 0 || !bt.bitrate)
		return -1;
	return (long)bt.bitrate;
}

int
link_set_bitrate(const char *ifname, unsigned long bitrate, char *err, size_t errlen)
{
	const char *step = "stop";

	errno = 0;
	if (can_do_stop(ifname) < 0)
		goto fail;
	step = "set the bitrate of";
	if (can_set_bitrate(ifname, (__u32)bitrate) < 0)
		goto fail;
	step = "start";
	if (can_do_start(ifname) < 0)
		goto fail;
	return 0;
fail:
	if (errno == EPERM || errno == EACCES)
		snprintf(err, errlen, "unable to %s %s: %s (setting the bitrate needs CAP_NET_ADMIN: "
		         "run as root, or bring the interface up with its bitrate at boot, with "
		         "systemd-networkd: can-read(1), CAN AT BOOT)", step, ifname, strerror(errno));
	else
		snprintf(err, errlen, "unable to %s %s: %s", step, ifname,
		         errno ? strerror(errno) : "not a CAN interface, or no CAN support in this kernel");
	return -1;
}

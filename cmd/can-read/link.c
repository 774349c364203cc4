/* The CAN interface itself, through libsocketcan (netlink): its state
 * (error-active, error-warning, error-passive, bus-off, stopped, sleeping)
 * and bitrate for the status records, and setting the bitrate on request:
 * `ip link set can0 down; ip link set can0 type can bitrate N; ... up`,
 * which needs CAP_NET_ADMIN.  Where the kernel has no CAN, or the
 * interface is no CAN controller (vcan, vxcan: no state, no bitrate),
 * every call fails and the status records simply leave these out.
 *
 * libsocketcan prints its own errors on stderr ("no link data found" for a
 * vcan at every status record, "RTNETLINK answers: ..."), without our
 * name, and leaves errno to chance after them: its calls run with stderr
 * on /dev/null, and can-read says what failed, from what it checked
 * itself.  (Found on a real kernel, tests/vm/t-can.sh.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <libsocketcan.h>
#include <linux/can/netlink.h>

#include "can.h"

#define CAP_NET_ADMIN_BIT 12    /* linux/capability.h */

/* stderr on /dev/null for the length of a libsocketcan call */
static int
quiet(void)
{
	int saved, nul;

	fflush(stderr);
	if ((saved = fcntl(2, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		dup2(nul, 2);
		close(nul);
	}
	return saved;
}

static void
loud(int saved)
{
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
}

static int
get_state(const char *ifname, int *st)
{
	int q = quiet(), r = can_get_state(ifname, st);

	loud(q);
	return r;
}

const char *
link_state(const char *ifname)
{
	static const char *const names[] = { "error-active", "error-warning", "error-passive",
		"bus-off", "stopped", "sleeping" };
	int st;

	if (get_state(ifname, &st) < 0 || st < 0 || st >= (int)(sizeof names / sizeof names[0]))
		return NULL;
	return names[st];
}

long
link_bitrate(const char *ifname)
{
	struct can_bittiming bt;
	int q = quiet(), r;

	memset(&bt, 0, sizeof bt);
	r = can_get_bittiming(ifname, &bt);
	loud(q);
	if (r < 0 || !bt.bitrate)
		return -1;
	return (long)bt.bitrate;
}

/* Whether this process may configure interfaces (CapEff of /proc/self/status). */
static int
net_admin(void)
{
	char line[128];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 1;           /* cannot tell: let the kernel decide */
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> CAP_NET_ADMIN_BIT) & 1;
}

int
link_set_bitrate(const char *ifname, unsigned long bitrate, char *err, size_t errlen)
{
	int st, r, q, e;

	if (!if_nametoindex(ifname)) {
		snprintf(err, errlen, "unable to set the bitrate of %s: %s", ifname, strerror(errno));
		errno = ENODEV;
		return -1;
	}
	if (!net_admin()) {
		snprintf(err, errlen, "setting the bitrate of %s needs CAP_NET_ADMIN: "
		         "run as root or with that capability, or bring the interface up with its "
		         "bitrate at boot, with systemd-networkd: can-read(1), CAN AT BOOT", ifname);
		errno = EPERM;
		return -1;
	}
	/* a CAN controller has a state, even stopped; vcan and vxcan have none */
	if (get_state(ifname, &st) < 0) {
		snprintf(err, errlen, "%s has no bitrate to set: not a CAN controller "
		         "(a virtual one, vcan or vxcan, has none)", ifname);
		errno = EOPNOTSUPP;
		return -1;
	}
	q = quiet();
	errno = 0;
	r = can_do_stop(ifname) < 0 ? 1 : can_set_bitrate(ifname, (__u32)bitrate) < 0 ? 2 :
	    can_do_start(ifname) < 0 ? 3 : 0;
	e = errno;
	if (r == 2 && st != CAN_STATE_STOPPED)
		(void)can_do_start(ifname);     /* as it was: up, at its old bitrate */
	loud(q);
	if (r) {
		snprintf(err, errlen, "unable to %s %s (%lu bit/s): %s", r == 1 ? "stop" :
		         r == 2 ? "set the bitrate of" : "start", ifname, bitrate,
		         e ? strerror(e) : "refused by the kernel");
		errno = EIO;
		return -1;
	}
	return 0;
}

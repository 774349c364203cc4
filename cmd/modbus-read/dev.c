/* modbus-read: opening a device.  TCP: a libmodbus TCP context; RTU: the
 * serial port with its line settings and RS-485 mode, taken only under an
 * exclusive flock(2) on a lock file, so that two modbus-read processes (a
 * daemon and a cron run, or two cron runs) never interleave frames on one
 * RS-485 line.  The lock is held as long as the port is open.  Called from
 * a connection's thread (conn.c): what goes wrong is given back as text;
 * the two warnings about a port's mode are whole lines on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "clock.h"
#include "dev.h"
#include "io.h"
#include "log.h"

/* The lock file of a serial device: the configured one, else
 * /run/lock/modbus-read.ttyUSB0.lock (or $TMPDIR, /tmp when /run/lock is
 * not writable).  The descriptor, or -1 with why in err. */
static int
lock_line(const struct mb_device *d, int wait_ms, int (*stop)(void *), void *arg, char *err, size_t errlen)
{
	char path[512], *real = realpath(d->tty, NULL);
	const char *base, *dir;
	int fd;
	int64_t end = plx_mono_ms() + wait_ms;

	/* one name per device, whichever symlink (/dev/serial/by-id/...) names it */
	base = strrchr(real ? real : d->tty, '/') + 1;
	if (d->lock)
		snprintf(path, sizeof path, "%s", d->lock);
	else {
		dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(path, sizeof path, "%s/modbus-read.%s.lock", dir, base);
	}
	free(real);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) {
		snprintf(err, errlen, "lock file %s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (plx_mono_ms() >= end || (stop && stop(arg))) {
			snprintf(err, errlen, "%s is locked by another process (waited %d ms)", path, wait_ms);
			close(fd);
			return -1;
		}
		plx_sleep_ms(20);
	}
	return fd;
}

int
dev_open(struct dev *v, const struct mb_device *d, int lock_wait_ms, int (*stop)(void *), void *arg,
         char *err, size_t errlen)
{
	char port[16];

	v->lockfd = -1;
	if (d->tty && (v->lockfd = lock_line(d, lock_wait_ms, stop, arg, err, errlen)) < 0)
		return -1;
	snprintf(port, sizeof port, "%d", d->port);
	/* _pi: a host name or an IPv6 address as well as an IPv4 one */
	v->ctx = d->tty ? modbus_new_rtu(d->tty, d->baud, d->parity, d->data_bits, d->stop_bits)
	                : modbus_new_tcp_pi(d->host, port);
	if (!v->ctx) {
		snprintf(err, errlen, "set up the connection: %s", strerror(errno));
		goto fail;
	}
	modbus_set_response_timeout(v->ctx, d->timeout_ms / 1000, (d->timeout_ms % 1000) * 1000);
	if (modbus_connect(v->ctx) < 0) {
		/* libmodbus waits for a TCP connection as long as for an answer,
		 * and then leaves errno at EINPROGRESS */
		if (d->host && (errno == EINPROGRESS || errno == ETIMEDOUT))
			snprintf(err, errlen, "connect to %s:%d: no TCP connection within %dms", d->host, d->port,
			         d->timeout_ms);
		else if (d->host)
			snprintf(err, errlen, "connect to %s:%d: %s", d->host, d->port, modbus_strerror(errno));
		else if (errno == EACCES) {     /* the group to join */
			char why[300];
			plx_denied(d->tty, why, sizeof why);
			snprintf(err, errlen, "open %s: %s", d->tty, why);
		} else
			snprintf(err, errlen, "open %s: %s", d->tty, modbus_strerror(errno));
		goto fail;
	}
	if (d->rs485 >= 0 && modbus_rtu_set_serial_mode(v->ctx, d->rs485 ? MODBUS_RTU_RS485
	                                                                 : MODBUS_RTU_RS232) < 0)
		plx_warn("%s: unable to set %s mode (the port may not support it): %s", d->name,
		         d->rs485 ? "RS-485" : "RS-232", modbus_strerror(errno));
	if (d->rts >= 0 && modbus_rtu_set_rts(v->ctx, d->rts) < 0)
		plx_warn("%s: unable to set RTS control: %s", d->name, modbus_strerror(errno));
	return 0;
fail:
	dev_close(v);
	return -1;
}

void
dev_close(struct dev *v)
{
	if (v->ctx) {
		modbus_close(v->ctx);
		modbus_free(v->ctx);
		v->ctx = NULL;
	}
	if (v->lockfd >= 0)
		close(v->lockfd);          /* releases the flock */
	v->lockfd = -1;
}

int
dev_read(struct dev *v, enum mb_func f, int unit_id, int addr, int count, uint16_t *out)
{
	uint8_t bits[MB_MAX_BITS];
	int rc, i;

	modbus_set_slave(v->ctx, unit_id);
	switch (f) {
	case MB_HOLDING: return modbus_read_registers(v->ctx, addr, count, out);
	case MB_INPUT: return modbus_read_input_registers(v->ctx, addr, count, out);
	case MB_COIL: rc = modbus_read_bits(v->ctx, addr, count, bits); break;
	default: rc = modbus_read_input_bits(v->ctx, addr, count, bits); break;
	}
	for (i = 0; i < rc; i++)
		out[i] = bits[i];
	return rc;
}

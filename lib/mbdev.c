/* A Modbus device's connection (modbus-read, modbus-write).  TCP: a
 * libmodbus TCP context; RTU: the serial port with its line settings and
 * RS-485 mode.
 *
 * A serial line is used only under an exclusive flock(2) on its lock file,
 * taken for a request (with its retries) or a run of writes and let go
 * after, so that processes sharing the line - a daemon, cron runs, a write
 * - take turns and never interleave frames on it.  The port may stay open
 * between turns: nothing reads it then.  Whoever takes the lock flushes
 * what the line holds first (a late answer to another process's request).
 * Called from modbus-read's threads (conn.c): what goes wrong is given back
 * as an errno and text; the two warnings about a port's mode are whole
 * lines on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "mbdev.h"
#include "log.h"

void
mb_dev_init(struct mb_dev *v)
{
	v->ctx = NULL;
	v->lockfd = -1;
	v->locked = 0;
}

/* The lock file of a serial device: the configured one, else
 * /run/lock/modbus-read.ttyUSB0.lock (or $TMPDIR, /tmp when /run/lock is
 * not writable): one name per device, whichever symlink
 * (/dev/serial/by-id/...) names it. */
static void
lock_path(const struct mb_device *d, char *path, size_t len)
{
	char *real = realpath(d->tty, NULL);
	const char *dir;

	if (d->lock)
		snprintf(path, len, "%s", d->lock);
	else {
		dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(path, len, "%s/modbus-read.%s.lock", dir, strrchr(real ? real : d->tty, '/') + 1);
	}
	free(real);
}

int
mb_dev_lock(struct mb_dev *v, const struct mb_device *d, int wait_ms, int (*stop)(void *), void *arg,
            char *err, size_t errlen)
{
	char path[512];
	int64_t end = plx_mono_ms() + wait_ms;
	int e;

	if (!d->tty || v->locked)
		return 0;
	lock_path(d, path, sizeof path);
	if (v->lockfd < 0 && (v->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) {
		e = errno;
		snprintf(err, errlen, "lock file %s: %s", path, strerror(e));
		return errno = e, -1;
	}
	while (flock(v->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			e = errno;
			snprintf(err, errlen, "lock %s: %s", path, strerror(e));
			return errno = e, -1;
		}
		if (stop && stop(arg)) {
			snprintf(err, errlen, "stopped while waiting for %s", path);
			return errno = ECANCELED, -1;
		}
		if (plx_mono_ms() >= end) {
			snprintf(err, errlen, "%s is locked by another process (waited %d ms)", path, wait_ms);
			return errno = EWOULDBLOCK, -1;
		}
		plx_sleep_ms(20);
	}
	v->locked = 1;
	if (v->ctx)
		modbus_flush(v->ctx);
	return 0;
}

void
mb_dev_unlock(struct mb_dev *v)
{
	if (v->locked)
		flock(v->lockfd, LOCK_UN);
	v->locked = 0;
}

int
mb_dev_open(struct mb_dev *v, const struct mb_device *d, char *err, size_t errlen)
{
	char port[16];
	int e;

	snprintf(port, sizeof port, "%d", d->port);
	/* _pi: a host name or an IPv6 address as well as an IPv4 one */
	v->ctx = d->tty ? modbus_new_rtu(d->tty, d->baud, d->parity, d->data_bits, d->stop_bits)
	                : modbus_new_tcp_pi(d->host, port);
	if (!v->ctx) {
		e = errno;
		snprintf(err, errlen, "set up the connection: %s", strerror(e));
		return errno = e, -1;
	}
	modbus_set_response_timeout(v->ctx, d->timeout_ms / 1000, (d->timeout_ms % 1000) * 1000);
	if (modbus_connect(v->ctx) < 0) {
		e = errno;
		/* libmodbus waits for a TCP connection as long as for an answer,
		 * and then leaves errno at EINPROGRESS */
		if (d->host && (e == EINPROGRESS || e == ETIMEDOUT))
			snprintf(err, errlen, "connect to %s:%d: no TCP connection within %dms", d->host, d->port,
			         d->timeout_ms);
		else if (d->host)
			snprintf(err, errlen, "connect to %s:%d: %s", d->host, d->port, modbus_strerror(e));
		else if (e == EACCES) {       /* the group to join */
			char why[300];
			plx_denied(d->tty, why, sizeof why);
			snprintf(err, errlen, "open %s: %s", d->tty, why);
		} else
			snprintf(err, errlen, "open %s: %s", d->tty, modbus_strerror(e));
		modbus_free(v->ctx);
		v->ctx = NULL;
		return errno = e, -1;
	}
	if (d->rs485 >= 0 && modbus_rtu_set_serial_mode(v->ctx, d->rs485 ? MODBUS_RTU_RS485
	                                                                 : MODBUS_RTU_RS232) < 0)
		plx_warn("%s: unable to set %s mode (the port may not support it): %s", d->name,
		         d->rs485 ? "RS-485" : "RS-232", modbus_strerror(errno));
	if (d->rts >= 0 && modbus_rtu_set_rts(v->ctx, d->rts) < 0)
		plx_warn("%s: unable to set RTS control: %s", d->name, modbus_strerror(errno));
	return 0;
}

void
mb_dev_close(struct mb_dev *v)
{
	if (v->ctx) {
		modbus_close(v->ctx);
		modbus_free(v->ctx);
		v->ctx = NULL;
	}
}

void
mb_dev_free(struct mb_dev *v)
{
	mb_dev_close(v);
	if (v->lockfd >= 0)
		close(v->lockfd);          /* releases the flock */
	v->lockfd = -1;
	v->locked = 0;
}

int
mb_dev_read(struct mb_dev *v, enum mb_func f, int unit_id, int addr, int count, uint16_t *out)
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

int
mb_dev_write(struct mb_dev *v, enum mb_func f, int unit_id, int addr, int count, const uint16_t *in,
             int multiple)
{
	uint8_t bits[MB_MAX_BITS];
	int i;

	modbus_set_slave(v->ctx, unit_id);
	if (!multiple && count != 1)
		return errno = EINVAL, -1;
	if (f == MB_HOLDING)
		return multiple ? modbus_write_registers(v->ctx, addr, count, in)
		                : modbus_write_register(v->ctx, addr, in[0]);
	if (f != MB_COIL || count > MB_MAX_BITS)
		return errno = EINVAL, -1;
	for (i = 0; i < count; i++)
		bits[i] = in[i] != 0;
	return multiple ? modbus_write_bits(v->ctx, addr, count, bits) : modbus_write_bit(v->ctx, addr, bits[0]);
}

int
mb_exception(int err)
{
	return err >= EMBXILFUN && err <= EMBXGTAR ? err - MODBUS_ENOBASE : 0;
}

const char *
mb_failure(int err, int timeout_ms, char *buf, size_t len)
{
	/* Modbus Application Protocol v1.1b3, section 7 (7 from earlier ones) */
	static const char *const name[] = {
		"", "illegal function", "illegal data address", "illegal data value",
		"server device failure", "acknowledge", "server device busy", "negative acknowledge",
		"memory parity error", "not defined", "gateway path unavailable",
		"gateway target device failed to respond",
	};
	int x = mb_exception(err);

	if (x)
		snprintf(buf, len, "exception %d (%s)", x, name[x]);
	else if (err == ETIMEDOUT)
		snprintf(buf, len, "no response within %dms", timeout_ms);
	else
		snprintf(buf, len, "%s", modbus_strerror(err));
	return buf;
}

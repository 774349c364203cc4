/* Opening a serial port: exclusive (TIOCEXCL keeps other opens out, flock
 * also keeps out root and readers that honour locks), raw 8N1-style framing
 * chosen by options, any speed termios knows by a Bxxx constant and others
 * through termios2.  Non-blocking: the loop polls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "io.h"
#include "serial.h"

static const struct { long baud; speed_t b; } speeds[] = {
	{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 }, { 150, B150 }, { 200, B200 },
	{ 300, B300 }, { 600, B600 }, { 1200, B1200 }, { 1800, B1800 }, { 2400, B2400 },
	{ 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
	{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
	{ 500000, B500000 }, { 576000, B576000 }, { 921600, B921600 }, { 1000000, B1000000 },
	{ 1152000, B1152000 }, { 1500000, B1500000 }, { 2000000, B2000000 },
	{ 2500000, B2500000 }, { 3000000, B3000000 }, { 3500000, B3500000 },
	{ 4000000, B4000000 },
};

static speed_t
speed_of(long baud)
{
	size_t i;

	for (i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
		if (speeds[i].baud == baud)
			return speeds[i].b;
	return 0;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

int
port_open(const struct opts *o, char *err, size_t errlen)
{
	struct termios t;
	speed_t sp = speed_of(o->baud);
	int fd;

	if ((fd = open(o->port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == EACCES)
			plx_denied(o->port, err, errlen);
		else
			snprintf(err, errlen, "%s", errno == EBUSY ? "in use by another process (TIOCEXCL)"
			         : strerror(errno));
		return -1;
	}
	if (!isatty(fd))
		FAIL("not a terminal (read a file with -r)");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		FAIL("%s", errno == EWOULDBLOCK ? "in use by another process (flock)" : strerror(errno));
	if (ioctl(fd, TIOCEXCL) < 0)
		FAIL("TIOCEXCL: %s", strerror(errno));
	if (tcgetattr(fd, &t) < 0)
		FAIL("tcgetattr: %s", strerror(errno));
	cfmakeraw(&t);
	t.c_iflag &= ~(IGNPAR | INPCK);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	t.c_cflag |= o->databits == 5 ? CS5 : o->databits == 6 ? CS6 : o->databits == 7 ? CS7 : CS8;
	if (o->parity != 'n')
		t.c_cflag |= PARENB | (o->parity == 'o' ? PARODD : 0), t.c_iflag |= INPCK;
	if (o->stopbits == 2)
		t.c_cflag |= CSTOPB;
	if (o->rtscts)
		t.c_cflag |= CRTSCTS;
	if (o->xonxoff)
		t.c_iflag |= IXON | IXOFF;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (sp && (cfsetispeed(&t, sp) < 0 || cfsetospeed(&t, sp) < 0))
		FAIL("speed %ld: %s", o->baud, strerror(errno));
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		FAIL("tcsetattr: %s", strerror(errno));
	if (!sp && baud_custom(fd, o->baud) < 0)
		FAIL("speed %ld (termios2): %s", o->baud, strerror(errno));
	return fd;
fail:
	close(fd);
	return -1;
}

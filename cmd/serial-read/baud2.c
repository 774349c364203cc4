/* Non-standard speeds (250000, 1000000, ...): Linux termios2 with BOTHER
 * takes the rate as a number.  <asm/termbits.h> clashes with glibc's
 * <termios.h>, hence a file of its own. */
#include <asm/termbits.h>
#include <sys/ioctl.h>

int baud_custom(int fd, long baud);

int
baud_custom(int fd, long baud)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) < 0)
		return -1;
	t.c_cflag &= ~(CBAUD | (CBAUD << IBSHIFT));
	t.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
	t.c_ispeed = t.c_ospeed = (speed_t)baud;
	return ioctl(fd, TCSETS2, &t);
}

/* Opening files no other user can have planted: see safefile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"

/* Anyone may write the directory of path (like /tmp). */
static int
open_dir(const char *path)
{
	char d[4096], *s;
	struct stat st;

	snprintf(d, sizeof d, "%s", path);
	if (!(s = strrchr(d, '/')))
		snprintf(d, sizeof d, ".");
	else if (s == d)
		d[1] = '\0';
	else
		*s = '\0';
	return stat(d, &st) == 0 && (st.st_mode & S_IWOTH);
}

static int
one(const char *name, int anyone, int *link, char *err, size_t errlen)
{
	struct stat st;
	uid_t me = geteuid();

	if (lstat(name, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode) && st.st_uid != me && (st.st_uid != 0 || anyone)) {
		snprintf(err, errlen, "%s is a symbolic link of another user's (uid %u): refused", name,
		         (unsigned)st.st_uid);
		return -1;
	}
	if (anyone && st.st_uid != me) {
		snprintf(err, errlen, "%s belongs to another user (uid %u), in a directory anyone may write: refused",
		         name, (unsigned)st.st_uid);
		return -1;
	}
	if (link)
		*link = S_ISLNK(st.st_mode);
	return 0;
}

int
plx_path_trusted(const char *path, const char *const *sfx, int *link, char *err, size_t errlen)
{
	char name[4096];
	int anyone = open_dir(path);

	if (link)
		*link = 0;
	if (one(path, anyone, link, err, errlen) < 0)
		return -1;
	for (; sfx && *sfx; sfx++) {
		snprintf(name, sizeof name, "%s%s", path, *sfx);
		if (one(name, anyone, NULL, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
plx_open_trusted(const char *path, int flags, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
	int fd, link;

	if (plx_path_trusted(path, NULL, &link, err, errlen) < 0) {
		errno = EPERM;
		return -1;
	}
	if ((fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) >= 0) {
		if (fchmod(fd, mode) < 0) {   /* exactly mode, whatever the umask */
			snprintf(err, errlen, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}
	if (errno == EEXIST)
		fd = open(path, flags | O_CLOEXEC | (link ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		snprintf(err, errlen, "%s", errno == ELOOP ? "a symbolic link put there meanwhile: refused" :
		         strerror(errno));
		return -1;
	}
	/* what was opened, not what was looked at */
	if (open_dir(path) && fstat(fd, &st) == 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s belongs to another user (uid %u), in a directory anyone may write: refused",
		         path, (unsigned)st.st_uid);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Files another user may have planted: with fs.protected_symlinks=0 (not
 * Debian's default, but seen), or in a directory anyone may write, a
 * symbolic link or a file put there by someone else would make a process
 * (root, often) write where that user chose.  Tools open their spool,
 * dead-letter and key files through these checks. */
#ifndef PLX_SAFEFILE_H
#define PLX_SAFEFILE_H
#include <stddef.h>
#include <sys/types.h>

/* 0 when path (and path+each suffix in sfx, a NULL-terminated list, may be
 * NULL) may be used: a symbolic link at the final component is owned by us
 * or by root; in a directory anyone may write, nothing there is a link or
 * a file of another user's.  -1 with the reason in err otherwise.  *link
 * (may be NULL): the final component is a (trusted) link, else the caller
 * opens with O_NOFOLLOW, so a link put there after the check fails. */
int plx_path_trusted(const char *path, const char *const *sfx, int *link, char *err, size_t errlen);
/* open(2) with the checks above: a file created is given exactly `mode`
 * whatever the umask.  The fd, or -1 with errno (EPERM: refused, why in
 * err; else err holds strerror). */
int plx_open_trusted(const char *path, int flags, mode_t mode, char *err, size_t errlen);

#endif

/* Opening a plugin file that only root or tsd's own user can have written:
 * a plugin is code tsd runs as root, so anyone who can replace it, or the
 * directory entry that names it, must be refused before dlopen. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/plugin_file.h"

int plugin_refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* `what` ("the file", "its directory /x") may be changed only by root and
 * the user tsd runs as. */
static int check_trusted(const char *shown, const char *what, const struct stat *st,
                         char *err, size_t errlen)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return plugin_refuse(err, errlen, "%s: refused: %s is owned by uid %u, neither root "
		              "nor the user tsd runs as (uid %u)", shown, what,
		              (unsigned)st->st_uid, (unsigned)me);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return plugin_refuse(err, errlen, "%s: refused: %s is writable by %s (mode %04o); "
		              "only root or tsd's user may be able to change a plugin "
		              "(chmod go-w)", shown, what,
		              (st->st_mode & S_IWOTH) ? "others" : "its group",
		              (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Every directory above `real_dir` (a resolved path): one writable by
 * others without the sticky bit lets anyone rename the directory below. */
static int check_above(const char *shown, const char *real_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(path, sizeof(path), "%s", real_dir);
	while ((slash = strrchr(path, '/')) != NULL) {
		slash[slash == path ? 1 : 0] = '\0';
		if (stat(path, &st) != 0)
			return plugin_refuse(err, errlen, "%s: %s: %s", shown, path, strerror(errno));
		if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
			return plugin_refuse(err, errlen, "%s: refused: %s above it is writable by "
			              "others without the sticky bit (mode %04o)", shown, path,
			              (unsigned)(st.st_mode & 07777));
		if (slash == path)
			break;
	}
	return 0;
}

static int open_dir(const char *dir, const char *shown, char *err, size_t errlen)
{
	char real[PATH_MAX], what[PATH_MAX + 32];
	struct stat st;
	int fd;

	if (realpath(dir, real) == NULL)
		return plugin_refuse(err, errlen, "%s: %s", shown,
		              errno == ENOENT ? "not found" : strerror(errno));
	fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return plugin_refuse(err, errlen, "%s: %s: %s", shown, real, strerror(errno));
	snprintf(what, sizeof(what), "its directory %s", real);
	if (fstat(fd, &st) != 0 || check_trusted(shown, what, &st, err, errlen) != 0 ||
	    check_above(shown, real, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_file(int dirfd, const char *name, const char *shown, char *err, size_t errlen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO in its place must not block the open. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return plugin_refuse(err, errlen, "%s: not found", shown);
		if (errno == ELOOP)
			return plugin_refuse(err, errlen, "%s: refused: a symbolic link (tsd loads the "
			              "file itself, never through a link)", shown);
		return plugin_refuse(err, errlen, "%s: %s", shown, strerror(errno));
	}
	if (fstat(fd, &st) != 0)
		plugin_refuse(err, errlen, "%s: %s", shown, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		plugin_refuse(err, errlen, "%s: not a regular file", shown);
	else if (check_trusted(shown, "the file", &st, err, errlen) == 0)
		return fd;
	close(fd);
	return -1;
}

int plugin_file_open(const char *dir, const char *name, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	int dirfd, fd;

	snprintf(shown, sizeof(shown), "%s/%s", dir, name);
	dirfd = open_dir(dir, shown, err, errlen);
	if (dirfd < 0)
		return -1;
	fd = open_file(dirfd, name, shown, err, errlen);
	close(dirfd);
	return fd;
}

void plugin_file_proc_path(int fd, char *out, size_t outlen)
{
	snprintf(out, outlen, "/proc/self/fd/%d", fd);
}

/* Opening a plugin file that only root or tsd's own user can have written. */
#ifndef TSD_COMMON_PLUGIN_FILE_H
#define TSD_COMMON_PLUGIN_FILE_H

#include <stddef.h>

/* Opens dir/name once (O_NOFOLLOW) and checks, on what was opened (fstat),
 * that it is a regular file and that neither it nor dir is owned by anyone
 * but root or the effective user, nor writable by group or others; and
 * that no directory above dir is writable by others without the sticky bit
 * (as sshd's StrictModes checks a path). Returns the descriptor to load
 * through /proc/self/fd, or -1 with "PATH: reason" in err, PATH being
 * dir/name as given. */
int plugin_file_open(const char *dir, const char *name, char *err, size_t errlen);

/* Why a plugin is refused, into err when there is room; always -1. The
 * loader's refusals use it too. */
int plugin_refuse(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "/proc/self/fd/N": the name that loads exactly the file checked. */
void plugin_file_proc_path(int fd, char *out, size_t outlen);

#endif

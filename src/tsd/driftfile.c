/* The drift file: one number, the frequency in ppm, replaced atomically so
 * a crash leaves either the old or the new value, never half of one. */
#include "tsd/driftfile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int driftfile_read(const char *path, double *ppm)
{
	char buf[64], *end;
	double v;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || !isfinite(v) ||
	    fabs(v) > DRIFTFILE_MAX_PPM)
		return -1;
	*ppm = v;
	return 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int driftfile_write(const char *path, double ppm)
{
	char tmp[4096], text[64];
	int fd, len, saved;

	len = snprintf(text, sizeof(text), "%.6f\n", ppm);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, text, (size_t)len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

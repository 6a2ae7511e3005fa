/* The origin and the shared memory the clock plugin of every process of one
 * tsd sees (include/tsd/plugin.h: TSD_ORIGIN_ENV, TSD_SHARED_FD_ENV). */
#include "tsd/clockshare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tsd/plugin.h"

/* Every process counts simulated time from one instant: the master's
 * start, unless the caller chose one. */
static void record_origin(void)
{
	struct timespec ts;
	char text[32];

	if (getenv(TSD_ORIGIN_ENV) != NULL || clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return;
	snprintf(text, sizeof(text), "%lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	setenv(TSD_ORIGIN_ENV, text, 0);
}

static int shared_fd = -1;

/* A fresh zero-filled file of TSD_SHARED_BYTES each time: a tsd never
 * shares it with another, even one that started this one. The descriptor
 * is inherited by fork and closed by any exec. */
static void make_shared(void)
{
	char text[16];
	int fd = memfd_create("tsd-clock", MFD_CLOEXEC);

	unsetenv(TSD_SHARED_FD_ENV);
	if (fd >= 0 && ftruncate(fd, TSD_SHARED_BYTES) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		log_warn("no shared clock memory (%s): a simulated clock's adjustments stay "
		         "in the process that made them", strerror(errno));
		return;
	}
	snprintf(text, sizeof(text), "%d", fd);
	setenv(TSD_SHARED_FD_ENV, text, 1);
	shared_fd = fd;
}

int clockshare_fd(void)
{
	return shared_fd;
}

void clockshare_setup(void)
{
	record_origin();
	make_shared();
}

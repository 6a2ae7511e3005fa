/* The relay's arrival stamps and exact releases (relay_clock.h). */

#include "relay_clock.h"

#include <string.h>
#include <time.h>

#include "common/monotonic.h"

void relay_clock_stamp(int fd)
{
	int one = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

static int64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t relay_clock_arrival(struct msghdr *msg)
{
	int64_t mono = (int64_t)monotonic_now_ns(), rt = realtime_ns();
	int64_t mono2 = (int64_t)monotonic_now_ns();

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		struct timespec t;
		int64_t stamp, ago;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
		    c->cmsg_len < CMSG_LEN(sizeof(t)))
			continue;
		memcpy(&t, CMSG_DATA(c), sizeof(t));
		stamp = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
		ago = rt - stamp;
		if (ago >= 0 && ago < 1000000000)
			return mono + (mono2 - mono) / 2 - ago;
	}
	return mono2;
}

void relay_clock_spin_until(int64_t when)
{
	while ((int64_t)monotonic_now_ns() < when)
		continue;
}

/* Raising the open files limit for server.max_connections, at start and
 * when a reload asks for more connections. */

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "tsd/fdlimit.h"

static void log_raised(rlim_t from, rlim_t to, int max_connections, enum fdlimit_when when)
{
	int priority = when == FDLIMIT_ON_RELOAD ? LOG_INFO : LOG_DEBUG;

	log_msg(priority, "open files limit raised from %llu to %llu for "
	        "server.max_connections = %d", (unsigned long long)from,
	        (unsigned long long)to, max_connections);
}

int fdlimit_raise(int max_connections, enum fdlimit_when when)
{
	rlim_t want = (rlim_t)max_connections + FDLIMIT_SPARE_FDS;
	struct rlimit rl;
	rlim_t before;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("cannot read the open files limit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur >= want)
		return 0;
	/* RLIM_INFINITY is the largest rlim_t: no special case needed. */
	before = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (rl.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("cannot raise the open files limit: %s", strerror(errno));
		rl.rlim_cur = before;
	}
	if (rl.rlim_cur > before)
		log_raised(before, rl.rlim_cur, max_connections, when);
	if (rl.rlim_cur < want) {
		log_warn("open files limit %llu is below server.max_connections + %d = %llu: "
		         "a worker will pause accepting when it runs out",
		         (unsigned long long)rl.rlim_cur, FDLIMIT_SPARE_FDS,
		         (unsigned long long)want);
		return -1;
	}
	return 0;
}

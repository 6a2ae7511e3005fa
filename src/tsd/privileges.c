/* Dropping root after the sockets are bound (server.user), and what else
 * keeps a compromised worker contained (doc/security.md, tsd(8)). */

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "tsd/privileges.h"

/* Highest capability number we try to drop; the kernel says EINVAL past
 * its own last one. */
#define CAP_NUMBER_MAX 63

void privileges_close_inherited(void)
{
	struct rlimit rl;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	long limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ?
	             (long)rl.rlim_cur : 1L << 20;

	if (d == NULL)
		return;
	/* Below the soft limit only: a tool that runs us (valgrind) keeps its
	 * own descriptors above it. */
	while ((e = readdir(d)) != NULL) {
		long fd = strtol(e->d_name, NULL, 10);

		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd > 2 && fd < limit &&
		    fd != dirfd(d))
			close((int)fd);
	}
	closedir(d);
}

void privileges_no_new(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		log_warn("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
}

/* Nothing tsd runs can gain a capability again, whatever it executes. */
static void drop_bounding_set(void)
{
	for (int cap = 0; cap <= CAP_NUMBER_MAX; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL)
			break;
}

int privileges_drop(const char *user)
{
	struct passwd *pw;

	if (user == NULL || user[0] == '\0')
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		log_err("server.user: no user \"%s\"", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid())
			return 0;
		log_err("server.user: cannot switch to \"%s\" without root", user);
		return -1;
	}
	drop_bounding_set();
	/* The master keeps root as its real and saved user: no process of
	 * server.user (a compromised worker) may signal it, and it can remove
	 * its pidfile at exit. Its children drop those too (privileges_final). */
	if (initgroups(user, pw->pw_gid) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(0, pw->pw_uid, 0) != 0) {
		log_err("server.user: cannot switch to \"%s\": %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

/* keep_caps: the permitted capabilities survive the change of user (the
 * effective ones never do; limit_caps sets them again). */
static int final_ids(int keep_caps)
{
	uid_t r, e, s;
	int rc = 0;

	if (getresuid(&r, &e, &s) != 0 || (r == e && s == e))
		return 0;
	if (keep_caps)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (setresuid(e, e, e) != 0) {
		log_err("cannot give up root for good: %s", strerror(errno));
		rc = -1;
	}
	if (keep_caps)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return rc;
}

/* CAP_SYS_TIME alone (only): what the steering sync process keeps. Else
 * everything but CAP_SYS_TIME: no other process of tsd may set the clock,
 * even when systemd gave tsd the capability (AmbientCapabilities), since
 * the ambient set loses what the permitted set loses. */
static int limit_caps(int only)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t time_bit = CAP_TO_MASK(CAP_SYS_TIME);

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	if (only) {
		time_bit &= d[CAP_TO_INDEX(CAP_SYS_TIME)].permitted;
		memset(d, 0, sizeof(d));
		d[CAP_TO_INDEX(CAP_SYS_TIME)].permitted = time_bit;
		d[CAP_TO_INDEX(CAP_SYS_TIME)].effective = time_bit;
	} else {
		for (int i = 0; i < 2; i++)
			d[i].inheritable = 0;
		d[CAP_TO_INDEX(CAP_SYS_TIME)].permitted &= ~time_bit;
		d[CAP_TO_INDEX(CAP_SYS_TIME)].effective &= ~time_bit;
	}
	if (syscall(SYS_capset, &h, d) != 0) {
		log_err("cannot limit capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int privileges_final(void)
{
	if (final_ids(0) != 0)
		return -1;
	return limit_caps(0);
}

int privileges_final_steering(void)
{
	if (final_ids(1) != 0)
		return -1;
	return limit_caps(1);
}

void privileges_drop_sys_time(void)
{
	limit_caps(0);
}

void privileges_regain_at_exit(void)
{
	uid_t r, e, s;

	/* Also what lets LeakSanitizer trace the master at exit: its real user
	 * must be its effective one. */
	if (getresuid(&r, &e, &s) == 0 && s == 0 && e != 0 && seteuid(0) != 0)
		log_err("cannot become root again to clean up: %s", strerror(errno));
}

/* Whether server.user can read the plugins (plugin_access.h). */
#include "tsd/plugin_access.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A plugin's file as the loader names it: plugin_dir/<kind>_<name>.so. */
static int plugin_file(const struct conf *cfg, const char *kind, const char *name,
                       char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s_%s.so", cfg->plugin_dir, kind, name);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* One warning when the user cannot access path with mode; 1 if warned. */
static int warn_unless(const char *user, const char *path, int mode, const char *what,
                       FILE *out)
{
	if (access(path, mode) == 0)
		return 0;
	fprintf(out, "warning: server.user \"%s\" cannot read %s %s (%s): every worker "
	        "would fail to load its plugins\n", user, what, path, strerror(errno));
	return 1;
}

/* In the child, as the user: the count of problems, at most 3. */
static int check_as_user(const struct conf *cfg, FILE *out)
{
	const char *user = cfg->server.user;
	char path[4096];
	int problems = warn_unless(user, cfg->plugin_dir, R_OK | X_OK, "plugin_dir", out);

	if (plugin_file(cfg, "clock", cfg->clock.name, path, sizeof(path)) == 0)
		problems += warn_unless(user, path, R_OK, "the clock plugin", out);
	if (plugin_file(cfg, "estimator", cfg->estimator.name, path, sizeof(path)) == 0)
		problems += warn_unless(user, path, R_OK, "the estimator plugin", out);
	return problems;
}

static int become(const struct passwd *pw)
{
	return initgroups(pw->pw_name, pw->pw_gid) == 0 && setgid(pw->pw_gid) == 0 &&
	       setuid(pw->pw_uid) == 0 ? 0 : -1;
}

int plugin_access_warn(const struct conf *cfg, FILE *out)
{
	const char *user = cfg->server.user;
	struct passwd *pw;
	int status;
	pid_t pid;

	if (user == NULL || user[0] == '\0' || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL)
		return 0;               /* the real start says so, with the reason */
	fflush(out);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		int problems = become(pw) == 0 ? check_as_user(cfg, out) : 0;

		fflush(out);
		_exit(problems);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

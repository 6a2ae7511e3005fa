/* tsd: the time server. Command line, configuration check, daemonizing;
 * the master (master.c) does the rest. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/conf.h"
#include "common/estimator.h"
#include "common/log.h"
#include "tsd/fdlimit.h"
#include "tsd/generation.h"
#include "tsd/master.h"
#include "tsd/plugin_access.h"
#include "tsd/privileges.h"
#include "tsd/proctitle.h"

#define EXIT_USAGE 2

struct options {
	char *config_path;              /* absolute; NULL: the default */
	char *pidfile;
	int check_config;
	int daemonize;
	int verbose;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tsd [-c FILE] [--check-config] [--daemon] [--pidfile FILE] [-v]\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default %s)\n"
	        "  -t, --check-config  check the configuration and plugins, then exit\n"
	        "  -d, --daemon        run in the background\n"
	        "  -p, --pidfile FILE  write the master's process ID to FILE\n"
	        "  -v, --verbose       log debugging messages\n"
	        "  -h, --help          show this help\n"
	        "  -V, --version       show the version\n",
	        conf_default_path());
}

/* Absolute paths: the daemon changes directory, and SIGHUP re-reads. */
static char *make_absolute(const char *path)
{
	char *out, cwd[PATH_MAX];
	size_t len;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	len = strlen(cwd) + strlen(path) + 2;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%s/%s", cwd, path);
	return out;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:tdp:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': free(o->config_path); o->config_path = make_absolute(optarg); break;
		case 't': o->check_config = 1; break;
		case 'd': o->daemonize = 1; break;
		case 'p': free(o->pidfile); o->pidfile = make_absolute(optarg); break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("tsd %s\n", PACKAGE_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static struct conf *load_configuration(const struct options *o)
{
	struct conf_errors errs = { 0 };
	struct conf *cfg = generation_load_config(o->config_path, &errs);
	size_t i;

	for (i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.messages[i]);
	conf_errors_free(&errs);
	return cfg;
}

/* Descriptors 0-2 must exist, or a socket could land on one of them. */
static void ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* Returns 0 in the daemon, 1 in the processes that must now exit (the
 * caller frees and returns 0), -1 on failure. */
static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid > 0 ? 1 : -1;
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid != 0)
		return pid > 0 ? 1 : -1;
	umask(022);
	if (chdir("/") != 0)
		return -1;
	/* stderr stays: with log = "stderr" it is where the messages go. */
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, 0);
	dup2(fd, 1);
	if (fd > 2)
		close(fd);
	return 0;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		log_err("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0) {
		log_err("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static const char *plugin_text(const struct loaded_plugin *p)
{
	return p->desc->description != NULL ? p->desc->description : "";
}

/* --check-config -v: which plugin files were checked, and what they are. */
static void describe_plugins(const struct conf *cfg)
{
	struct conf_errors errs = { 0 };
	struct clock_source cs;
	struct estimator est;

	printf("plugin_dir %s\n", cfg->plugin_dir);
	if (clock_source_open(&cs, cfg, &errs) == 0) {
		printf("clock %s: %s: %s\n", cfg->clock.name, cs.plugin.path,
		       plugin_text(&cs.plugin));
		clock_source_close(&cs);
	}
	if (estimator_open(&est, cfg, NULL, &errs) == 0) {
		printf("estimator %s: %s: %s\n", cfg->estimator.name, est.plugin.path,
		       plugin_text(&est.plugin));
		estimator_close(&est);
	}
	conf_errors_free(&errs);
}

/* --check-config: everything loaded and started; 0 after "configuration OK". */
static int check_only(const struct options *o, struct conf *cfg)
{
	if (o->verbose)
		describe_plugins(cfg);
	/* The plugins loaded as root here; the workers load them as
	 * server.user. */
	plugin_access_warn(cfg, stderr);
	printf("configuration OK\n");
	generation_free_config(cfg);
	return 0;
}

/* Into the background if asked, the pidfile, the open files limit, then the
 * master until it stops. The exit status. */
static int serve(const struct options *o, struct conf *cfg)
{
	int status;

	log_init("tsd", cfg->server.log_syslog ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR, o->verbose);
	if (o->daemonize) {
		status = daemonize();
		if (status < 0)
			log_err("cannot run in the background: %s", strerror(errno));
		if (status != 0) {
			generation_free_config(cfg);
			return status < 0 ? 1 : 0;
		}
	}
	if (o->pidfile != NULL && write_pidfile(o->pidfile) != 0) {
		generation_free_config(cfg);
		return 1;
	}
	/* A shell's soft limit (often 1024) would cap max_connections long
	 * before the configuration does: take what the hard limit allows, as a
	 * server started by hand should. A reload does the same (master.c). */
	fdlimit_raise(cfg->server.max_connections, FDLIMIT_AT_START);
	status = master_run(cfg, o->config_path);
	privileges_regain_at_exit();
	if (o->pidfile != NULL && unlink(o->pidfile) != 0)
		log_err("pidfile %s: %s", o->pidfile, strerror(errno));
	return status;
}

static int check_or_serve(const struct options *o)
{
	struct conf *cfg = load_configuration(o);

	if (cfg == NULL)
		return 1;
	return o->check_config ? check_only(o, cfg) : serve(o, cfg);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int status;

	/* Nothing the launcher left open reaches the workers. */
	privileges_close_inherited();
	ensure_std_fds();
	privileges_no_new();
	proctitle_init(argc, argv);
	log_init("tsd", LOG_TARGET_STDERR, 0);
	if (parse_options(argc, argv, &o) != 0)
		return EXIT_USAGE;
	status = check_or_serve(&o);
	free(o.config_path);
	free(o.pidfile);
	return status;
}

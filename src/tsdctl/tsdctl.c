/* tsdctl: ask a running tsd for its status, sources and statistics, or to
 * reload, over its control socket (doc/control.md). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/control_wire.h"

#define EXIT_FAILED 1                   /* tsd answered: it did not work */
#define EXIT_USAGE 2                    /* usage or configuration error */
#define EXIT_UNREACHABLE 3              /* no answer from tsd */
#define DEFAULT_TIMEOUT_S 60.0          /* a reload waits for the new workers */

struct options {
	const char *config_path;
	const char *socket_path;
	struct control_request req;
	double timeout_s;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tsdctl [-c FILE] [-s SOCKET] [--json] COMMAND\n"
	        "\n"
	        "Commands:\n"
	        "  status    version, uptime, workers, the clock served, totals\n"
	        "  sources   where the served time comes from\n"
	        "  stats     every counter (what SIGUSR2 logs, and the rate limiter)\n"
	        "  reload    re-read the configuration; returns once the new workers serve\n"
	        "\n"
	        "  -c, --config FILE   configuration file naming control.socket (default %s)\n"
	        "  -s, --socket PATH   the control socket itself (overrides the file)\n"
	        "  -j, --json          print JSON (status, sources, stats)\n"
	        "  -t, --timeout SEC   give up after SEC seconds (default %.0f)\n"
	        "  -h, --help          show this help\n"
	        "  -V, --version       show the version\n",
	        conf_default_path(), DEFAULT_TIMEOUT_S);
}

static int parse_timeout(const char *text, double *out)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end != '\0' || !(v > 0.0) || v > 86400.0)
		return -1;
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, cmd;

	while ((c = getopt_long(argc, argv, "c:s:jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 's': o->socket_path = optarg; break;
		case 'j': o->req.json = 1; break;
		case 't':
			if (parse_timeout(optarg, &o->timeout_s) != 0) {
				fprintf(stderr, "tsdctl: --timeout must be a number of seconds "
				        "from 0 to 86400 (got '%s')\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("tsdctl %s\n", PACKAGE_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "tsdctl: %s\n", optind >= argc ? "a command is required"
		                                               : "one command only");
		usage(stderr);
		return -1;
	}
	cmd = control_command_find(argv[optind]);
	if (cmd < 0) {
		fprintf(stderr, "tsdctl: unknown command '%s' (status, sources, stats, reload)\n",
		        argv[optind]);
		return -1;
	}
	o->req.command = (enum control_command)cmd;
	return 0;
}

/* A file tsd would refuse: find `control = { socket = "..." }` by a plain
 * text search, so that `tsdctl reload` can still ask tsd, which answers
 * with the file's errors and keeps serving. NULL when there is none. */
static char *socket_by_search(const char *path)
{
	static const char pattern[] =
		"(^|[;{[:space:]])control[[:space:]]*[=:][[:space:]]*\\{[^}]*"
		"socket[[:space:]]*[=:][[:space:]]*\"([^\"]*)\"";
	char text[64 * 1024], *out = NULL;
	regmatch_t m[3];
	regex_t re;
	size_t len;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	if (regcomp(&re, pattern, REG_EXTENDED) != 0)
		return NULL;
	if (regexec(&re, text, 3, m, 0) == 0)
		out = strndup(text + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so));
	regfree(&re);
	return out;
}

/* control.socket from the configuration file (the default one if absent). */
static char *socket_from_config(const char *path, enum control_command cmd)
{
	const char *file = path != NULL ? path : conf_default_path();
	struct conf_errors errs = { 0 };
	struct conf cfg;
	char *out;

	if (conf_load(&cfg, path, &errs) == 0) {
		out = strdup(cfg.ops.control_socket);
		conf_free(&cfg);
		return out;
	}
	out = socket_by_search(file);
	if (out == NULL && access(file, R_OK) == 0)
		out = strdup(TSD_CONTROL_SOCKET);
	if (out == NULL)
		conf_errors_print(&errs, stderr);
	else if (cmd != CONTROL_RELOAD)
		/* reload gets the errors from tsd itself, with its verdict. */
		fprintf(stderr, "tsdctl: warning: %s has errors (tsdctl reload shows them); "
		        "asking tsd at %s\n", file, out);
	conf_errors_free(&errs);
	return out;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for fd to be ready for `events` before the deadline: 0, or -1. */
static int wait_fd(int fd, short events, double deadline_s)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left = deadline_s - now_s();
	int rc;

	if (left <= 0)
		return -1;
	do
		rc = poll(&p, 1, (int)(left * 1000) + 1);
	while (rc < 0 && errno == EINTR);
	return rc > 0 ? 0 : -1;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tsdctl: control socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "tsdctl: cannot reach tsd at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct reply {
	struct control_header h;
	char *data;                     /* header and body */
	size_t len, header_len;
};

/* Read until the header's length of body has arrived (tsd then closes). */
static int read_reply(int fd, double deadline_s, struct reply *r)
{
	size_t cap = CONTROL_MAX_HEADER + CONTROL_MAX_BODY;
	int have_header = 0;
	ssize_t n;

	r->data = malloc(cap);
	if (r->data == NULL)
		return -1;
	for (;;) {
		if (have_header && r->len >= r->header_len + r->h.body_len)
			return 0;
		if (wait_fd(fd, POLLIN, deadline_s) != 0) {
			fprintf(stderr, "tsdctl: no complete reply from tsd in time\n");
			return -1;
		}
		n = recv(fd, r->data + r->len, cap - r->len, 0);
		if (n <= 0) {
			fprintf(stderr, "tsdctl: tsd closed the connection before the reply ended\n");
			return -1;
		}
		r->len += (size_t)n;
		if (!have_header) {
			int rc = control_parse_header(r->data, r->len, &r->h, &r->header_len);

			if (rc < 0) {
				fprintf(stderr, "tsdctl: not a tsd control reply\n");
				return -1;
			}
			have_header = rc == 0;
		}
	}
}

static int exchange(int fd, const struct options *o, struct reply *r)
{
	double deadline = now_s() + o->timeout_s;
	char line[CONTROL_MAX_REQUEST + 1];
	int n = control_format_request(line, sizeof(line), &o->req);

	if (n < 0 || send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		fprintf(stderr, "tsdctl: cannot send the request: %s\n", strerror(errno));
		return -1;
	}
	return read_reply(fd, deadline, r);
}

static int report(const struct reply *r)
{
	const char *body = r->data + r->header_len;
	FILE *out = r->h.code == CONTROL_OK ? stdout : stderr;

	if (r->h.version != CONTROL_VERSION)
		fprintf(stderr, "tsdctl: tsd speaks control protocol %d, this tsdctl %d\n",
		        r->h.version, CONTROL_VERSION);
	fwrite(body, 1, r->h.body_len, out);
	switch (r->h.code) {
	case CONTROL_OK: return 0;
	case CONTROL_FAILED: return EXIT_FAILED;
	case CONTROL_BAD_REQUEST: return EXIT_USAGE;
	case CONTROL_BUSY:
		fprintf(stderr, "tsdctl: tsd is busy with other control clients; try again\n");
		return EXIT_UNREACHABLE;
	default: return EXIT_UNREACHABLE;
	}
}

int main(int argc, char **argv)
{
	struct options o = { .timeout_s = DEFAULT_TIMEOUT_S };
	struct reply r = { 0 };
	char *path;
	int fd, status = EXIT_UNREACHABLE;

	if (parse_options(argc, argv, &o) != 0)
		return EXIT_USAGE;
	path = o.socket_path != NULL ? strdup(o.socket_path)
	                             : socket_from_config(o.config_path, o.req.command);
	if (path == NULL)
		return EXIT_USAGE;
	if (path[0] == '\0') {
		fprintf(stderr, "tsdctl: control.socket is \"\" in the configuration: "
		        "this tsd has no control socket\n");
		free(path);
		return EXIT_USAGE;
	}
	fd = connect_socket(path);
	if (fd >= 0 && exchange(fd, &o, &r) == 0)
		status = report(&r);
	if (fd >= 0)
		close(fd);
	free(r.data);
	free(path);
	return status;
}

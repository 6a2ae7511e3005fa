/* A kernel clock that chronyd keeps serves chronyd's hierarchy fields.
 *
 * Each process that serves (each worker) has its own client socket: a Unix
 * datagram socket bound in follow_chronyd_dir and connected to chronyd's
 * command socket, so the kernel delivers to it only what chronyd's socket
 * sends. Nothing here blocks: info() is on every reply's path, so it sends
 * a request (non-blocking) when one is due, looks for the answer
 * (MSG_DONTWAIT, at most once a millisecond) while one is out, and serves
 * the last report it has. The worker's loop calls info() at least once a
 * second, so the report stays fresh on an idle server too. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "chronyd_follow.h"
#include "chronyd_tracking.h"

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))
#define OWN_NAME_FMT "%s/chronyd-client.%ld.sock"
/* The longest own name after the directory: "/chronyd-client." + a pid
 * (at most 7 digits on Linux) + ".sock". */
#define OWN_NAME_EXTRA 28
#define RECV_EVERY_NS 1000000LL
#define READS_PER_LOOK 4

enum logged { LOGGED_NOTHING, LOGGED_SYNCED, LOGGED_UNSYNCED, LOGGED_STALE };

struct chronyd_follow {
	char server_path[SUN_PATH_MAX];
	char dir[SUN_PATH_MAX];
	/* Ours, bound while fd >= 0. Sized for the compiler: the setting's
	 * limit keeps it within SUN_PATH_MAX. */
	char own_path[SUN_PATH_MAX + OWN_NAME_EXTRA + 8];
	int fd;
	pid_t owner;                  /* the process that bound own_path */
	uint32_t sequence;
	int pending;                  /* a request is out */
	int64_t sent_ns, next_query_ns, last_look_ns;
	int have_report;
	int64_t report_ns;
	struct chronyd_tracking report;
	enum logged logged;
	uint32_t logged_ref_id;
	int logged_stratum;
	char last_problem[256];       /* said once until something changes */
};

static tsd_log_fn host_log;

void chronyd_follow_set_log(tsd_log_fn log)
{
	host_log = log;
}

int64_t chronyd_follow_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_ns(&ts);
}

/* ---- the settings ---- */

static int set_path(char *dst, size_t max_len, const struct tsd_setting *s, int index,
                    struct tsd_plugin_error *err)
{
	size_t len;

	if (s->type != TSD_SETTING_STRING || s->string_value == NULL)
		return tsd_plugin_fail(err, index, -EINVAL, "%s must be a string", s->name);
	len = strlen(s->string_value);
	if (s->string_value[0] != '/')
		return tsd_plugin_fail(err, index, -EINVAL, "%s must be an absolute path, not \"%s\"",
		                       s->name, s->string_value);
	if (len > max_len)
		return tsd_plugin_fail(err, index, -ENAMETOOLONG,
		                       "%s is %zu characters, at most %zu fit a socket address",
		                       s->name, len, max_len);
	memcpy(dst, s->string_value, len + 1);
	return 0;
}

static struct chronyd_follow *follow_new(void)
{
	struct chronyd_follow *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->fd = -1;
	snprintf(f->dir, sizeof(f->dir), "%s", CHRONYD_DEFAULT_DIR);
	f->sequence = (uint32_t)chronyd_follow_now_ns() ^ ((uint32_t)getpid() << 16);
	return f;
}

static int follow_setting(struct chronyd_follow *f, const struct tsd_setting *s, int index,
                          struct tsd_plugin_error *err)
{
	if (strcmp(s->name, "follow_chronyd") == 0)
		return set_path(f->server_path, SUN_PATH_MAX - 1, s, index, err);
	if (strcmp(s->name, "follow_chronyd_dir") == 0)
		return set_path(f->dir, SUN_PATH_MAX - 1 - OWN_NAME_EXTRA, s, index, err);
	return tsd_plugin_fail(err, index, -EINVAL,
	                       "unknown setting \"%s\" (known: stratum, refid, local_stratum, "
	                       "follow_chronyd, follow_chronyd_dir)", s->name);
}

static int follow_settings(struct clock_identity *id, const struct tsd_setting *settings,
                           size_t n, struct chronyd_follow *f, struct tsd_plugin_error *err)
{
	int dir_index = -1;

	for (size_t i = 0; i < n; i++) {
		int rc = clock_identity_setting(id, &settings[i], (int)i, err);

		if (rc > 0)
			rc = follow_setting(f, &settings[i], (int)i, err);
		if (rc < 0)
			return rc;
		if (strcmp(settings[i].name, "follow_chronyd_dir") == 0)
			dir_index = (int)i;
	}
	if (dir_index >= 0 && f->server_path[0] == '\0')
		return tsd_plugin_fail(err, dir_index, -EINVAL,
		                       "follow_chronyd_dir needs follow_chronyd (chronyd's socket)");
	return 0;
}

int chronyd_follow_settings(struct clock_identity *id, const struct tsd_setting *settings,
                            size_t n, struct chronyd_follow **out,
                            struct tsd_plugin_error *err)
{
	struct chronyd_follow *f = follow_new();
	int rc;

	*out = NULL;
	if (f == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	rc = follow_settings(id, settings, n, f, err);
	if (rc != 0 || f->server_path[0] == '\0') {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* ---- what is said ---- */

static void say(struct chronyd_follow *f, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct chronyd_follow *f, int priority, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	if (host_log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	host_log(priority, "chronyd at %s: %s", f->server_path, text);
}

/* A failed exchange, said once until it changes or an answer comes. */
static void problem(struct chronyd_follow *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct chronyd_follow *f, const char *fmt, ...)
{
	char text[sizeof(f->last_problem)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(text, f->last_problem) == 0)
		return;
	memcpy(f->last_problem, text, sizeof(text));
	say(f, LOG_WARNING, "%s", text);
}

static void note_report(struct chronyd_follow *f)
{
	const struct chronyd_tracking *t = &f->report;

	f->last_problem[0] = '\0';
	if (!chronyd_tracking_synced(t)) {
		if (f->logged != LOGGED_UNSYNCED)
			say(f, LOG_WARNING, "not synchronised (stratum %d, leap %d): serving "
			    "unsynchronised unless local_stratum is set", t->stratum, (int)t->leap);
		f->logged = LOGGED_UNSYNCED;
		return;
	}
	if (f->logged != LOGGED_SYNCED || f->logged_ref_id != t->ref_id ||
	    f->logged_stratum != t->stratum)
		say(f, LOG_INFO, "following: stratum %d, reference ID %08X, root delay %.6f s, "
		    "root dispersion %.6f s, leap %d", t->stratum, (unsigned)t->ref_id,
		    t->root_delay_s, t->root_dispersion_s, (int)t->leap);
	f->logged = LOGGED_SYNCED;
	f->logged_ref_id = t->ref_id;
	f->logged_stratum = t->stratum;
}

/* ---- the socket ---- */

static void close_socket(struct chronyd_follow *f)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	f->pending = 0;
	if (f->owner == getpid())
		unlink(f->own_path);
}

/* The settings keep both paths short enough (set_path). */
static void unix_address(struct sockaddr_un *sa, const char *path)
{
	size_t len = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len < sizeof(sa->sun_path) ? len : sizeof(sa->sun_path) - 1);
}

/* Bound in our directory, writable by chronyd's user (chronyd drops root),
 * and connected: only chronyd's socket can send to it. */
static int bind_and_connect(struct chronyd_follow *f, int fd)
{
	struct sockaddr_un own, server;

	unix_address(&server, f->server_path);
	unix_address(&own, f->own_path);
	unlink(f->own_path); /* left by a process that had our pid and crashed */
	if (bind(fd, (struct sockaddr *)&own, sizeof(own)) != 0) {
		problem(f, "cannot bind %s: %s", f->own_path, strerror(errno));
		return -1;
	}
	f->owner = getpid();
	if (chmod(f->own_path, 0666) != 0 ||
	    connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0) {
		problem(f, "cannot reach it: %s", strerror(errno));
		unlink(f->own_path);
		return -1;
	}
	return 0;
}

static int open_socket(struct chronyd_follow *f)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		problem(f, "socket: %s", strerror(errno));
		return -1;
	}
	snprintf(f->own_path, sizeof(f->own_path), OWN_NAME_FMT, f->dir, (long)getpid());
	if (bind_and_connect(f, fd) != 0) {
		close(fd);
		return -1;
	}
	f->fd = fd;
	return 0;
}

void chronyd_follow_free(struct chronyd_follow *f)
{
	if (f == NULL)
		return;
	close_socket(f);
	free(f);
}

/* ---- the exchange ---- */

static void send_query(struct chronyd_follow *f, int64_t now_ns)
{
	uint8_t req[CHRONYD_TRACKING_LEN];

	f->next_query_ns = now_ns + CHRONYD_QUERY_INTERVAL_NS;
	if (f->fd < 0 && open_socket(f) != 0)
		return;
	f->sequence++;
	chronyd_tracking_request(req, f->sequence);
	if (send(f->fd, req, sizeof(req), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		/* ECONNREFUSED: chronyd closed its socket (stopped or
		 * restarted); the next query connects again. */
		problem(f, "cannot send: %s", strerror(errno));
		close_socket(f);
		return;
	}
	f->pending = 1;
	f->sent_ns = now_ns;
	f->last_look_ns = 0;
}

/* One datagram: the answer, or something refused and said. */
static void take(struct chronyd_follow *f, const uint8_t *buf, size_t len)
{
	struct chronyd_tracking t;
	char why[160];

	if (chronyd_tracking_parse(buf, len, f->sequence, &t, why, sizeof(why)) != 0) {
		problem(f, "reply refused: %s", why);
		return;
	}
	f->report = t;
	/* chronyd answered between the request and now (an idle worker looks
	 * up to a second late): age the report from the request. */
	f->report_ns = f->sent_ns;
	f->have_report = 1;
	f->pending = 0;
	note_report(f);
}

static void look_for_answer(struct chronyd_follow *f, int64_t now_ns)
{
	/* One more byte than an answer: MSG_TRUNC reports a longer one's
	 * real length, and the parser refuses it by that. */
	uint8_t buf[CHRONYD_TRACKING_LEN + 1];

	if (now_ns - f->last_look_ns < RECV_EVERY_NS)
		return;
	f->last_look_ns = now_ns;
	for (int i = 0; i < READS_PER_LOOK && f->pending; i++) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n < 0) {
			problem(f, "cannot receive: %s", strerror(errno));
			close_socket(f);
			return;
		}
		take(f, buf, (size_t)n);
	}
	if (f->pending && now_ns - f->sent_ns >= CHRONYD_ANSWER_TIMEOUT_NS) {
		f->pending = 0;
		problem(f, "no answer within %.1f s", CHRONYD_ANSWER_TIMEOUT_NS / 1e9);
	}
}

static void advance(struct chronyd_follow *f, int64_t now_ns)
{
	if (f->pending)
		look_for_answer(f, now_ns);
	if (!f->pending && now_ns >= f->next_query_ns)
		send_query(f, now_ns);
}

/* ---- what is served ---- */

static int report_fresh(struct chronyd_follow *f, int64_t now_ns)
{
	if (!f->have_report || !chronyd_tracking_synced(&f->report))
		return 0;
	if (now_ns - f->report_ns <= CHRONYD_MAX_AGE_NS)
		return 1;
	if (f->logged == LOGGED_SYNCED)
		say(f, LOG_WARNING, "no report for %.0f s: serving unsynchronised unless "
		    "local_stratum is set", (now_ns - f->report_ns) / 1e9);
	f->logged = LOGGED_STALE;
	return 0;
}

static void serve_report(const struct chronyd_follow *f, const struct clock_identity *id,
                         int64_t now_ns, struct tsd_clock_info *out)
{
	const struct chronyd_tracking *t = &f->report;
	double age_s = (double)(now_ns - f->report_ns) / 1e9;

	memset(out, 0, sizeof(*out));
	out->leap = t->leap;
	out->stratum = t->stratum;
	out->precision_log2 = id->precision_log2;
	out->root_delay_s = t->root_delay_s;
	out->root_dispersion_s = t->root_dispersion_s + (age_s > 0 ? age_s : 0) *
	                         CHRONYD_DISPERSION_RATE;
	out->refid[0] = (char)(t->ref_id >> 24);
	out->refid[1] = (char)(t->ref_id >> 16);
	out->refid[2] = (char)(t->ref_id >> 8);
	out->refid[3] = (char)t->ref_id;
	out->reference_ns = t->ref_time_ns;
}

void chronyd_follow_info(struct chronyd_follow *f, const struct clock_identity *id,
                         int64_t now_ns, struct tsd_clock_info *out)
{
	static const struct kernel_state unsynced = { 0, TSD_LEAP_NONE, 0 };

	advance(f, now_ns);
	if (report_fresh(f, now_ns)) {
		serve_report(f, id, now_ns, out);
		return;
	}
	/* Served as the kernel clock is when nothing disciplines it. */
	clock_identity_kernel_info(id, &unsynced, out);
}

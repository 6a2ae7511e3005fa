/* "tsd: metrics": libmicrohttpd with its own polling thread, answering
 * GET /metrics with metrics_render(); the main thread waits for SIGTERM. */
#include "tsd/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#define METRICS_MAX_CLIENTS 16
#define METRICS_CLIENT_TIMEOUT_S 10
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "1.2.3.4:9975" or "[::1]:9975" (conf.c checked the form). */
static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(text, ':');
	char addr[64];
	size_t n = colon != NULL ? (size_t)(colon - text) : 0;
	int port = colon != NULL ? atoi(colon + 1) : 0;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	if (n >= 2 && text[0] == '[') {
		text++;
		n -= 2;
	}
	if (colon == NULL || n == 0 || n >= sizeof(addr) || port < 1 || port > 65535)
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	return -1;
}

int metrics_listen(const char *listen_text, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (parse_listen(listen_text, &ss, &len) != 0) {
		snprintf(err, errlen, "metrics.listen \"%s\": not an address:port", listen_text);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errlen, "metrics.listen \"%s\": %s", listen_text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static struct MHD_Response *text_response(const char *text)
{
	return MHD_create_response_from_buffer(strlen(text), (void *)text,
	                                       MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *r)
{
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_size, void **con_cls)
{
	const struct metrics_source *src = cls;
	struct MHD_Response *r;
	size_t len = 0;
	char *page;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text_response("GET only\n"));
	if (strcmp(url, "/metrics") != 0)
		return queue(conn, MHD_HTTP_NOT_FOUND, text_response("see /metrics\n"));
	page = metrics_render(src, &len);
	if (page == NULL)
		return queue(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text_response("busy, retry\n"));
	r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	return queue(conn, MHD_HTTP_OK, r);
}

int metrics_run(int fd, const struct metrics_source *src)
{
	struct MHD_Daemon *d;
	sigset_t set;
	int sig = 0;

	/* The master blocks these for its signalfd; wait for them here. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC,
	                     0, NULL, NULL,
	                     answer, (void *)src,
	                     MHD_OPTION_LISTEN_SOCKET, fd,
	                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CLIENTS,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CLIENT_TIMEOUT_S,
	                     MHD_OPTION_END);
	if (d == NULL) {
		log_err("metrics: libmicrohttpd did not start");
		return 1;
	}
	while (sigwait(&set, &sig) != 0)
		;
	/* The listening socket is the master's too: stopping must not shut it
	 * down (MHD would), or the next metrics process could not accept. */
	if (MHD_quiesce_daemon(d) < 0)
		_exit(0);
	MHD_stop_daemon(d);
	return 0;
}

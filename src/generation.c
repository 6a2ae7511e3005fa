/* Opening and closing the sockets and configuration of one generation. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "estimator.h"
#include "generation.h"
#include "udp.h"

#define MAX_WORKERS 128

static int check_plugins(const struct config *cfg, struct config_errors *errs)
{
	struct clock_source cs;
	struct estimator est;
	int rc = 0;

	if (clock_source_open(&cs, cfg, errs) == 0)
		clock_source_close(&cs);
	else
		rc = -1;
	if (estimator_open(&est, cfg, NULL, errs) == 0)
		estimator_close(&est);
	else
		rc = -1;
	return rc;
}

struct config *generation_load_config(const char *path, struct config_errors *errs)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL) {
		config_error(errs, path != NULL ? path : config_default_path(), 0, "out of memory");
		return NULL;
	}
	if (config_load(cfg, path, errs) != 0 || check_plugins(cfg, errs) != 0) {
		generation_free_config(cfg);
		return NULL;
	}
	return cfg;
}

void generation_free_config(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

static unsigned worker_count(const struct config *cfg)
{
	long n = cfg->server.workers;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

static int same_udp(const struct config *a, const struct config *b)
{
	size_t i;

	if (!a->server.udp.enable || a->server.udp.port != b->server.udp.port ||
	    a->server.n_listen != b->server.n_listen)
		return 0;
	for (i = 0; i < a->server.n_listen; i++)
		if (strcmp(a->server.listen[i], b->server.listen[i]) != 0)
			return 0;
	return 1;
}

static int open_udp(struct generation *g, const struct generation *prev, char *err, size_t errlen)
{
	int n;
	size_t i;

	if (!g->cfg->server.udp.enable)
		return 0;
	/* The same UDP sockets carry over a reload: no packet is refused. */
	if (prev != NULL && same_udp(prev->cfg, g->cfg) && prev->n_udp > 0) {
		for (i = 0; i < prev->n_udp; i++) {
			g->udp_fds[i] = fcntl(prev->udp_fds[i], F_DUPFD_CLOEXEC, 0);
			if (g->udp_fds[i] < 0)
				return -1;
			g->n_udp++;
		}
		return 0;
	}
	n = udp_bind(g->cfg, g->udp_fds, CONFIG_MAX_LISTEN, err, errlen);
	if (n < 0)
		return -1;
	g->n_udp = (size_t)n;
	return 0;
}

int generation_open(struct generation *g, struct config *cfg,
                    const struct generation *prev, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->id = prev != NULL ? prev->id + 1 : 1;
	g->n_workers = worker_count(cfg);
	snprintf(err, errlen, "cannot open sockets");
	if (listen_set_open(&g->listen, cfg, prev != NULL ? &prev->listen : NULL, err, errlen) != 0)
		goto fail;
	if (open_udp(g, prev, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	generation_close_sockets(g);
	g->cfg = NULL;
	return -1;
}

void generation_close_sockets(struct generation *g)
{
	size_t i;

	listen_set_close(&g->listen);
	for (i = 0; i < g->n_udp; i++)
		close(g->udp_fds[i]);
	g->n_udp = 0;
}

void generation_free(struct generation *g)
{
	generation_close_sockets(g);
	if (g->cfg != NULL) {
		generation_free_config(g->cfg);
		g->cfg = NULL;
	}
}

/* Opening and closing the sockets and configuration of one generation. */
#include "common/conf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/estimator.h"
#include "common/log.h"
#include "tsd/generation.h"
#include "tsd/nts_ke_server.h"
#include "tsd/portcheck.h"
#include "tsd/ratelimit.h"
#include "tsd/udp.h"
#include "tsd/udp_txstamp.h"


/* apply = "system" steers the clock through the plugin (plugin ABI 2). */
static int check_steering(const struct conf *cfg, const struct clock_source *cs,
                          struct conf_errors *errs)
{
	if (!cfg->sync.enabled || cfg->sync.apply != SYNC_APPLY_SYSTEM || clock_can_steer(cs))
		return 0;
	conf_error(errs, cfg->path, cfg->sync.apply_line,
	           "sync.apply = \"system\": clock plugin '%s' cannot steer its clock (it has "
	           "no adjust_frequency, adjust_read and adjust_status); use apply = \"serve\", "
	           "or a clock that can (realtime, sim)", cfg->clock.name);
	return -1;
}

static int check_plugins(const struct conf *cfg, struct conf_errors *errs)
{
	struct clock_source cs;
	struct estimator est;
	int rc = 0;

	if (clock_source_open(&cs, cfg, errs) == 0) {
		rc = check_steering(cfg, &cs, errs);
		clock_source_close(&cs);
	} else {
		rc = -1;
	}
	if (estimator_open(&est, cfg, NULL, errs) == 0)
		estimator_close(&est);
	else
		rc = -1;
	return rc;
}

struct conf *generation_load_config(const char *path, struct conf_errors *errs)
{
	struct conf *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL) {
		conf_error(errs, path != NULL ? path : conf_default_path(), 0, "out of memory");
		return NULL;
	}
	if (conf_load(cfg, path, errs) != 0 || check_plugins(cfg, errs) != 0) {
		generation_free_config(cfg);
		return NULL;
	}
	return cfg;
}

void generation_free_config(struct conf *cfg)
{
	conf_free(cfg);
	free(cfg);
}

static unsigned worker_count(const struct conf *cfg)
{
	long n = cfg->server.workers;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	/* One per CPU on a machine with more CPUs than the limit: the limit. */
	return n > CONF_MAX_WORKERS ? CONF_MAX_WORKERS : (unsigned)n;
}

static int same_udp(const struct conf *a, const struct conf *b)
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
	n = udp_bind_sockets(g->cfg, 0, g->udp_fds, CONF_MAX_LISTEN, err, errlen);
	if (n < 0)
		return -1;
	g->n_udp = (size_t)n;
	return 0;
}

/* A socket of a shared kind and one of a worker's own cannot take turns
 * on one address and port: neither could bind while the other is open. */
static int mode_change_ok(const struct generation *g, const struct generation *prev,
                          char *err, size_t errlen)
{
	if (prev == NULL || prev->reuseport == g->reuseport || prev->cfg->port != g->cfg->port)
		return 1;
	snprintf(err, errlen, "server.dispatch cannot change to or from \"reuseport\" "
	         "on a reload that keeps port %d; restart tsd", g->cfg->port);
	return 0;
}

static int dup_fds(const int *from, int *to, size_t n, size_t *n_out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		to[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 0);
		if (to[i] < 0)
			return -1;
		(*n_out)++;
	}
	return 0;
}

/* Worker k's UDP sockets pass to the new worker k when the port and the
 * addresses are the same. */
static int open_shard_udp(struct generation *g, const struct generation *p,
                          char *err, size_t errlen)
{
	int keep = p != NULL && same_udp(p->cfg, g->cfg);
	int n;
	unsigned k;

	if (!g->cfg->server.udp.enable)
		return 0;
	for (k = 0; k < g->n_workers; k++) {
		struct shard *sh = &g->shards[k];

		if (keep && k < p->n_workers && p->shards[k].n_udp > 0) {
			if (dup_fds(p->shards[k].udp_fds, sh->udp_fds, p->shards[k].n_udp,
			            &sh->n_udp) != 0)
				return -1;
			continue;
		}
		n = udp_bind_sockets(g->cfg, 1, sh->udp_fds, CONF_MAX_LISTEN, err, errlen);
		if (n < 0)
			return -1;
		sh->n_udp = (size_t)n;
	}
	/* Every time, not only for new sockets: the number of workers or the
	 * setting may be what the reload changed. */
	return generation_apply_balance(g, err, errlen);
}

int generation_apply_balance(const struct generation *g, char *err, size_t errlen)
{
	if (!g->reuseport || g->shards == NULL)
		return 0;
	/* One socket of each address's group carries the group's program. */
	for (size_t i = 0; i < g->shards[0].n_udp; i++)
		if (udp_set_balance(g->cfg, g->shards[0].udp_fds[i], g->n_workers, err, errlen) != 0)
			return -1;
	return 0;
}

/* One SO_REUSEPORT set per worker position, slot k's taken over from the
 * previous generation's slot k where the addresses are the same. */
static int open_shards(struct generation *g, const struct generation *prev,
                       char *err, size_t errlen)
{
	const struct generation *p = prev != NULL && prev->reuseport ? prev : NULL;
	unsigned k;

	g->shards = calloc(g->n_workers, sizeof(*g->shards));
	if (g->shards == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (k = 0; k < g->n_workers; k++) {
		const struct listen_set *old = p != NULL && k < p->n_workers ?
		                               &p->shards[k].listen : NULL;

		if (listen_set_open(&g->shards[k].listen, g->cfg, 1, old, err, errlen) != 0)
			return -1;
	}
	return open_shard_udp(g, p, err, errlen);
}

/* The certificate first: a reload with a bad one fails before binding. */
static int open_nts(struct generation *g, const struct generation *prev, char *err, size_t errlen)
{
	const struct conf_nts *nts = &g->cfg->server.nts;

	if (!nts->enable)
		return 0;
	g->nts_tls = nts_tls_load(nts, err, errlen);
	if (g->nts_tls == NULL)
		return -1;
	return listen_set_open_port(&g->nts_listen, g->cfg, nts->port, 0,
	                            prev != NULL ? &prev->nts_listen : NULL, err, errlen);
}

/* server.udp.hwtimestamp: the interfaces first, so that the sockets bound
 * ask for their stamps; then every UDP socket again, kept ones too (the
 * setting may be what a reload changed). Without the UDP server there is
 * nothing to stamp: said at every start and reload, not fatal. */
static void start_hwstamp(struct generation *g, const struct generation *prev)
{
	const struct conf_udp *u = &g->cfg->server.udp;

	if (u->enable)
		(void)hwstamp_setup(u, prev != NULL ? &prev->hw : NULL, &g->hw);
	else if (u->n_hwtimestamp > 0)
		log_warn("udp: server.udp.hwtimestamp is set but server.udp.enable is false: "
		         "nothing to stamp, the setting is ignored");
	udp_txstamp_hardware(hwstamp_socket_flags(&g->hw));
}

void generation_apply_hwstamp(const struct generation *g)
{
	udp_txstamp_hardware(hwstamp_socket_flags(&g->hw));
	for (size_t i = 0; i < g->n_udp; i++)
		udp_txstamp_enable(g->udp_fds[i]);
	for (unsigned k = 0; g->shards != NULL && k < g->n_workers; k++)
		for (size_t i = 0; i < g->shards[k].n_udp; i++)
			udp_txstamp_enable(g->shards[k].udp_fds[i]);
}

int generation_open(struct generation *g, struct conf *cfg,
                    const struct generation *prev, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->id = prev != NULL ? prev->id + 1 : 1;
	g->n_workers = worker_count(cfg);
	g->reuseport = cfg->server.dispatch == DISPATCH_REUSEPORT;
	snprintf(err, errlen, "cannot open sockets");
	if (!mode_change_ok(g, prev, err, errlen) ||
	    portcheck_free(cfg, prev != NULL ? prev->cfg : NULL, err, errlen) != 0 ||
	    open_nts(g, prev, err, errlen) != 0)
		goto fail;
	if (udp_table_new(cfg, &g->udp_table, err, errlen) != 0)
		goto fail;
	start_hwstamp(g, prev);
	if (g->reuseport) {
		if (open_shards(g, prev, err, errlen) != 0)
			goto fail;
		generation_apply_hwstamp(g);
		return 0;
	}
	if (listen_set_open(&g->listen, cfg, 0, prev != NULL ? &prev->listen : NULL, err, errlen) != 0)
		goto fail;
	if (open_udp(g, prev, err, errlen) != 0)
		goto fail;
	generation_apply_hwstamp(g);
	return 0;
fail:
	generation_close_sockets(g);
	hwstamp_close(&g->hw);
	nts_tls_free(g->nts_tls);
	g->nts_tls = NULL;
	ratelimit_free(g->udp_table);
	g->udp_table = NULL;
	g->cfg = NULL;
	return -1;
}

static void close_fds(int *fds, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		close(fds[i]);
	*n = 0;
}

void generation_close_sockets(struct generation *g)
{
	unsigned k;

	listen_set_close(&g->listen);
	listen_set_close(&g->nts_listen);
	close_fds(g->udp_fds, &g->n_udp);
	if (g->shards != NULL) {
		for (k = 0; k < g->n_workers; k++) {
			listen_set_close(&g->shards[k].listen);
			close_fds(g->shards[k].udp_fds, &g->shards[k].n_udp);
		}
		free(g->shards);
		g->shards = NULL;
	}
}

void generation_free(struct generation *g)
{
	generation_close_sockets(g);
	hwstamp_close(&g->hw);
	nts_tls_free(g->nts_tls);
	g->nts_tls = NULL;
	ratelimit_free(g->udp_table);
	g->udp_table = NULL;
	if (g->cfg != NULL) {
		generation_free_config(g->cfg);
		g->cfg = NULL;
	}
}

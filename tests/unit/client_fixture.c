/* What the client's unit tests share (client_fixture.h). */
#include "client_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

struct tsd_sample exchange_with(tsd_time_ns t1_ns, int64_t offset_ns, int64_t delay_ns)
{
	struct tsd_sample s = { 0 };

	s.t1_ns = t1_ns;
	s.t2_ns = t1_ns + offset_ns + delay_ns / 2;
	s.t3_ns = s.t2_ns;
	s.t4_ns = t1_ns + delay_ns;
	return s;
}

void measured(struct measurement *m, const char *host, int port,
              const struct tsd_sample *samples, size_t n)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->server.host, sizeof(m->server.host), "%s", host);
	m->server.port = port;
	m->status = MEASURE_OK;
	m->stratum = 1;
	memcpy(m->samples, samples, n * sizeof(*samples));
	m->n_samples = n;
}

void open_minfilter(struct estimator *est)
{
	const char *dir = getenv("PLUGIN_DIR");
	struct conf_errors errs = { 0 };
	struct conf cfg;

	assert_int_equal(conf_defaults(&cfg), 0);
	if (dir != NULL) {
		free(cfg.plugin_dir);
		cfg.plugin_dir = strdup(dir);
	}
	if (estimator_open(est, &cfg, "minfilter", &errs) != 0) {
		conf_errors_print(&errs, stderr);
		fail_msg("cannot open the minfilter estimator from %s", cfg.plugin_dir);
	}
	conf_errors_free(&errs);
	conf_free(&cfg);
}

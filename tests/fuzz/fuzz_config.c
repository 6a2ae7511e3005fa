/* libFuzzer target for the configuration loader: any text either loads or
 * is refused with errors that each name the file, and nothing leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
/* The configuration interface; the generated config.h above shadows it
 * from this directory, so it is named by its path. */
#include "common/conf.h"

#define FUZZ_FILE_NAME "fuzz.conf"

static void check_errors(const struct conf_errors *errs, int rc)
{
	size_t i;

	if (rc == 0)
		return;
	FUZZ_CHECK(rc == -1);
	FUZZ_CHECK(errs->count > 0);
	for (i = 0; i < errs->count; i++) {
		FUZZ_CHECK(errs->messages[i] != NULL);
		FUZZ_CHECK(strncmp(errs->messages[i], FUZZ_FILE_NAME ":",
		                   strlen(FUZZ_FILE_NAME ":")) == 0);
	}
}

/* What a loaded configuration promises the programs that read it. */
static void check_loaded(const struct conf *cfg)
{
	FUZZ_CHECK(cfg->port >= 1 && cfg->port <= 65535);
	FUZZ_CHECK(cfg->clock.name != NULL && cfg->estimator.name != NULL);
	FUZZ_CHECK(cfg->clock.n_settings <= CONF_MAX_SETTINGS);
	FUZZ_CHECK(cfg->estimator.n_settings <= CONF_MAX_SETTINGS);
	/* None is allowed: no TCP listener (UDP only, or a pure sync client). */
	FUZZ_CHECK(cfg->server.n_listen <= CONF_MAX_LISTEN);
	FUZZ_CHECK(cfg->server.udp.n_hwtimestamp <= CONF_MAX_HWTIMESTAMP);
	for (size_t i = 0; i < cfg->server.udp.n_hwtimestamp; i++)
		FUZZ_CHECK(cfg->server.udp.hwtimestamp[i] != NULL &&
		           strlen(cfg->server.udp.hwtimestamp[i]) <= 15);
	FUZZ_CHECK(cfg->client.n_servers <= CONF_MAX_SERVERS);
	FUZZ_CHECK(cfg->server.workers >= 0);
	FUZZ_CHECK(cfg->server.max_connections > 0);
	FUZZ_CHECK(cfg->server.request_timeout > 0 && cfg->server.idle_timeout > 0);
	FUZZ_CHECK(cfg->server.shutdown_timeout >= 0 && cfg->server.watchdog_timeout > 0);
	FUZZ_CHECK(cfg->client.samples > 0 && cfg->client.timeout > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf cfg;
	struct conf_errors errs = { NULL, 0 };
	char *text;
	int rc;

	/* The loader takes a C string, so the input ends at its first NUL. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&cfg, 0, sizeof(cfg));
	rc = conf_load_string(&cfg, text, FUZZ_FILE_NAME, &errs);
	check_errors(&errs, rc);
	if (rc == 0)
		check_loaded(&cfg);
	conf_free(&cfg);
	conf_errors_free(&errs);
	free(text);
	return 0;
}

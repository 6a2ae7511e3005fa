/* The configuration file: read it, parse it with libconfig, check it against
 * the schema (conf_schema.c) over the defaults. */
#include "config.h"

#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf_literals.h"
#include "common/conf_load.h"
#include "common/conf_plugin.h"
#include "common/conf_sync.h"
#include "common/conf_schema.h"

#define CONF_MAX_FILE_SIZE (1024 * 1024)

/* ---- defaults ---- */

const char *conf_default_path(void)
{
	return TSD_CONFIG_PATH;
}

int conf_defaults(struct conf *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = CONF_DEFAULT_PORT;
	cfg->plugin_dir = strdup(TSD_PLUGIN_DIR);
	cfg->clock.name = strdup("realtime");
	cfg->estimator.name = strdup("bounds");
	cfg->server.listen[0] = strdup("0.0.0.0");
	cfg->server.n_listen = 1;
	cfg->server.workers = 0;
	cfg->server.max_connections = 4096;
	cfg->server.request_timeout = 2.0;
	cfg->server.idle_timeout = 30.0;
	cfg->server.shutdown_timeout = 5.0;
	cfg->server.watchdog_timeout = 10.0;
	cfg->server.user = strdup("");
	cfg->server.dispatch = DISPATCH_REUSEPORT;
	cfg->server.log_syslog = 0;
	cfg->server.seccomp = 1;
	cfg->server.udp = (struct conf_udp){ .enable = 0, .port = 123,
		.ratelimit_interval = 0.125, .ratelimit_burst = 16, .ratelimit_leak = 4,
		.ratelimit_kod = 1, .ratelimit_table_size = 65536,
		.balance = UDP_BALANCE_CPU };
	cfg->server.nts = (struct conf_nts){ .enable = 0, .port = 4460, .rotate = 86400.0 };
	cfg->client.servers[0] = strdup("127.0.0.1");
	cfg->client.n_servers = 1;
	cfg->client.samples = 8;
	cfg->client.timeout = 2.0;
	cfg->client.interleaved = 1;
	cfg->client.max_step = 1000.0;
	cfg->sync.poll_min = 16.0;
	cfg->sync.poll_max = 1024.0;
	cfg->ops.control_socket = strdup(TSD_CONTROL_SOCKET);
	if (cfg->ops.control_socket == NULL ||
	    cfg->plugin_dir == NULL || cfg->clock.name == NULL ||
	    cfg->estimator.name == NULL || cfg->server.listen[0] == NULL ||
	    cfg->server.user == NULL || cfg->client.servers[0] == NULL) {
		conf_free(cfg);
		return -ENOMEM;
	}
	return 0;
}

void conf_free(struct conf *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->plugin_dir);
	conf_plugin_clear(&cfg->clock);
	conf_plugin_clear(&cfg->estimator);
	for (size_t i = 0; i < cfg->server.n_listen; i++)
		free(cfg->server.listen[i]);
	free(cfg->server.user);
	for (size_t i = 0; i < cfg->server.udp.n_hwtimestamp; i++)
		free(cfg->server.udp.hwtimestamp[i]);
	free(cfg->server.nts.certificate);
	free(cfg->server.nts.key);
	free(cfg->server.nts.key_file);
	free(cfg->client.nts_ca_file);
	for (size_t i = 0; i < cfg->client.n_servers; i++)
		free(cfg->client.servers[i]);
	conf_sync_clear(&cfg->sync);
	free(cfg->ops.control_socket);
	free(cfg->ops.metrics_listen);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- loading ---- */

/* The directory part of path, made absolute where possible, in a new
 * string. */
static char *file_directory(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	abs = realpath(dir, NULL);
	if (abs == NULL)
		return dir;
	free(dir);
	return abs;
}

static int resolve_plugin_dir(struct loadctx *c)
{
	struct conf *cfg = c->cfg;
	char *dir, *joined;

	if (cfg->plugin_dir[0] == '/')
		return 0;
	dir = file_directory(c->file);
	if (dir == NULL)
		goto oom;
	if (asprintf(&joined, "%s/%s", dir, cfg->plugin_dir) < 0) {
		free(dir);
		goto oom;
	}
	free(dir);
	free(cfg->plugin_dir);
	cfg->plugin_dir = joined;
	return 0;
oom:
	conf_fail(c, NULL, "out of memory");
	return -1;
}

/* Check the parsed tree into cfg (already holding the defaults). */
static int load_parsed(struct conf *cfg, config_t *lc, const char *file,
                       struct conf_errors *errs)
{
	struct loadctx c = { cfg, errs, file, 0 };

	conf_walk_schema(&c, config_root_setting(lc));
	if (c.failed == 0)
		resolve_plugin_dir(&c);
	if (c.failed == 0) {
		cfg->path = strdup(file);
		if (cfg->path == NULL)
			conf_fail(&c, NULL, "out of memory");
	}
	if (c.failed == 0)
		return 0;
	conf_free(cfg);
	return -1;
}

/* The first unquoted word after a "=" or ":" on line `line` of text. */
static int bare_value(const char *text, int line, char *word, size_t len)
{
	const char *p = text;

	for (int l = 1; l < line && p != NULL; l++) {
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	for (; p != NULL && *p != '\0' && *p != '\n'; p++) {
		size_t n = 0;

		if (*p != '=' && *p != ':')
			continue;
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n + 1 < len) {
			word[n] = p[n];
			n++;
		}
		word[n] = '\0';
		if (n > 0 && isalpha((unsigned char)word[0]))
			return 0;
		p--;
	}
	return -1;
}

/* libconfig says only "syntax error": say what it wanted where we can. */
static void syntax_error(const config_t *lc, const char *text, const char *file,
                         struct conf_errors *errs)
{
	static const char *const booleans[] = { "yes", "no", "on", "off", NULL };
	int line = config_error_line(lc);
	char word[32];

	if (bare_value(text, line, word, sizeof(word)) == 0) {
		for (int i = 0; booleans[i] != NULL; i++) {
			if (strcasecmp(word, booleans[i]) == 0) {
				conf_error(errs, file, line, "%s: '%s' is not a value libconfig "
				           "knows; a boolean is true or false", config_error_text(lc),
				           word);
				return;
			}
		}
		if (strcasecmp(word, "true") != 0 && strcasecmp(word, "false") != 0) {
			conf_error(errs, file, line, "%s: '%s' is not a value; a string needs "
			           "double quotes (\"%s\")", config_error_text(lc), word, word);
			return;
		}
	}
	conf_error(errs, file, line, "%s", config_error_text(lc));
}

/* Parse text (len bytes, NUL-terminated) and check it. */
static int load_text(struct conf *cfg, const char *text, size_t len,
                     const char *file, struct conf_errors *errs)
{
	config_t lc;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	/* A truncated number would be checked as some other number, and an
	 * @include would read another file: stop before parsing. */
	if (conf_check_literals(text, len, file, errs) > 0)
		return -1;
	if (conf_defaults(cfg) < 0) {
		conf_error(errs, file, 0, "out of memory");
		return -1;
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		syntax_error(&lc, text, file, errs);
		config_destroy(&lc);
		conf_free(cfg);
		return -1;
	}
	rc = load_parsed(cfg, &lc, file, errs);
	config_destroy(&lc);
	return rc;
}

/* The whole file as a string, or NULL with the reason in errs. */
/* Opened without blocking, then checked: a FIFO (or a device) at the path
 * would otherwise block the master in open until a writer came. */
static FILE *open_regular(const char *file, struct stat *st, struct conf_errors *errs)
{
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	FILE *fp;

	if (fd < 0) {
		conf_error(errs, file, 0, "cannot read the configuration: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		conf_error(errs, file, 0, "cannot read the configuration: not a regular file");
		close(fd);
		return NULL;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		conf_error(errs, file, 0, "cannot read the configuration: %s", strerror(errno));
		close(fd);
	}
	return fp;
}

static char *read_file(const char *file, size_t *len, struct conf_errors *errs)
{
	struct stat st;
	FILE *fp = open_regular(file, &st, errs);
	char *text = NULL;

	if (fp == NULL)
		return NULL;
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		conf_error(errs, file, 0, "the configuration is larger than %d bytes",
		             CONF_MAX_FILE_SIZE);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		conf_error(errs, file, 0, "out of memory");
		goto out;
	}
	*len = fread(text, 1, (size_t)st.st_size, fp);
	if (ferror(fp)) {
		conf_error(errs, file, 0, "cannot read the configuration: %s", strerror(errno));
		free(text);
		text = NULL;
		goto out;
	}
	text[*len] = '\0';
out:
	fclose(fp);
	return text;
}

int conf_load(struct conf *cfg, const char *path, struct conf_errors *errs)
{
	const char *file = path != NULL ? path : conf_default_path();
	struct stat st;
	size_t len = 0;
	char *text;
	int rc;

	if (path == NULL && stat(file, &st) != 0 && errno == ENOENT)
		return conf_defaults(cfg) < 0 ? -1 : 0;
	text = read_file(file, &len, errs);
	if (text == NULL) {
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	rc = load_text(cfg, text, len, file, errs);
	free(text);
	return rc;
}

int conf_load_string(struct conf *cfg, const char *text, const char *name,
                       struct conf_errors *errs)
{
	return load_text(cfg, text, strlen(text), name != NULL ? name : "(string)", errs);
}

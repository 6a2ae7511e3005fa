/* The configuration file: libconfig parse, schema walk, value checks, defaults. */
#include "common/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/conf_literals.h"
#include "common/conf_load.h"
#include "common/conf_plugin.h"

#define MAX_TIMEOUT_S 86400.0
#define MAX_RATELIMIT_INTERVAL_S 3600.0
#define CONF_MAX_FILE_SIZE (1024 * 1024)

enum field_kind { F_INT, F_SECONDS, F_BOOL, F_STRING, F_CHOICE, F_GROUP, F_CUSTOM };

typedef void (*custom_fn)(struct loadctx *c, const config_setting_t *s);

/* A known setting: how to check it and where in struct conf it goes. */
struct field {
	const char *name;
	enum field_kind kind;
	size_t offset;
	long long min, max;           /* F_INT range; F_SECONDS uses max */
	const char *const *choices;   /* F_CHOICE: stored as the index */
	const struct field *group;    /* F_GROUP: its own fields */
	custom_fn custom;             /* F_CUSTOM */
};

#define OFF(member) offsetof(struct conf, member)

/* ---- error list ---- */

void conf_error(struct conf_errors *errs, const char *file, int line,
                  const char *fmt, ...)
{
	char text[512], full[1024];
	char **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file, line, text);
	else if (file != NULL)
		snprintf(full, sizeof(full), "%s: %s", file, text);
	else
		snprintf(full, sizeof(full), "%s", text);

	if (errs == NULL)
		return;
	grown = realloc(errs->messages, (errs->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	errs->messages = grown;
	errs->messages[errs->count] = strdup(full);
	if (errs->messages[errs->count] != NULL)
		errs->count++;
}

void conf_errors_free(struct conf_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->count; i++)
		free(errs->messages[i]);
	free(errs->messages);
	errs->messages = NULL;
	errs->count = 0;
}

void conf_errors_print(const struct conf_errors *errs, FILE *out)
{
	for (size_t i = 0; i < errs->count; i++)
		fprintf(out, "%s\n", errs->messages[i]);
}

void conf_fail(struct loadctx *c, const config_setting_t *s, const char *fmt, ...)
{
	int line = s != NULL ? config_setting_source_line(s) : 0;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	conf_error(c->errs, c->file, line, "%s", text);
	c->failed++;
}

void conf_path_of(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	const char *name = config_setting_name(s);
	size_t used;

	buf[0] = '\0';
	if (parent == NULL)
		return;
	conf_path_of(parent, buf, len);
	used = strlen(buf);
	if (name == NULL)
		snprintf(buf + used, len - used, "[%d]", config_setting_index(s));
	else
		snprintf(buf + used, len - used, "%s%s", used > 0 ? "." : "", name);
}

const char *conf_type_text(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	default: return "nothing";
	}
}

static int is_integer(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* ---- scalar checks ---- */

static int get_int(struct loadctx *c, const config_setting_t *s,
                   long long min, long long max, int *out)
{
	char name[PATH_TEXT];
	long long v;

	conf_path_of(s, name, sizeof(name));
	if (!is_integer(s)) {
		conf_fail(c, s, "%s must be an integer (got %s)", name,
		            conf_type_text(config_setting_type(s)));
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		conf_fail(c, s, "%s must be an integer from %lld to %lld (got %lld)",
		            name, min, max, v);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* A duration: a finite number of seconds in (0, max_s]. */
static int get_seconds(struct loadctx *c, const config_setting_t *s,
                       double max_s, double *out)
{
	char name[PATH_TEXT];
	double v;

	conf_path_of(s, name, sizeof(name));
	if (is_integer(s))
		v = (double)config_setting_get_int64(s);
	else if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		conf_fail(c, s, "%s must be a number of seconds (got %s)", name,
		            conf_type_text(config_setting_type(s)));
		return -1;
	}
	if (!isfinite(v) || v <= 0) {
		conf_fail(c, s, "%s must be a number greater than 0 (got %g)", name, v);
		return -1;
	}
	if (v > max_s) {
		conf_fail(c, s, "%s must be at most %g seconds (got %g)", name,
		            max_s, v);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_bool(struct loadctx *c, const config_setting_t *s, int *out)
{
	char name[PATH_TEXT];

	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		conf_path_of(s, name, sizeof(name));
		conf_fail(c, s, "%s must be true or false (got %s)", name,
		            conf_type_text(config_setting_type(s)));
		return -1;
	}
	*out = config_setting_get_bool(s) ? 1 : 0;
	return 0;
}

const char *conf_text_of(struct loadctx *c, const config_setting_t *s)
{
	char name[PATH_TEXT];

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_path_of(s, name, sizeof(name));
		conf_fail(c, s, "%s must be a string (got %s)", name,
		            conf_type_text(config_setting_type(s)));
		return NULL;
	}
	return config_setting_get_string(s);
}

int conf_copy_text(struct loadctx *c, const config_setting_t *s,
                     char **slot, const char *text)
{
	char *copy = strdup(text);

	if (copy == NULL) {
		conf_fail(c, s, "out of memory");
		return -1;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

static int get_choice(struct loadctx *c, const config_setting_t *s,
                      const char *const *choices, int *out)
{
	char name[PATH_TEXT], list[PATH_TEXT] = "";
	const char *text = conf_text_of(c, s);

	if (text == NULL)
		return -1;
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(text, choices[i]) == 0) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		         "%s\"%s\"", i == 0 ? "" : choices[i + 1] ? ", " : " or ",
		         choices[i]);
	}
	conf_path_of(s, name, sizeof(name));
	conf_fail(c, s, "%s must be %s (got \"%s\")", name, list, text);
	return -1;
}

/* ---- groups ---- */

static void walk_group(struct loadctx *c, const config_setting_t *group,
                       const struct field *fields);

static const struct field *find_field(const struct field *fields, const char *name)
{
	for (; fields->name != NULL; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

static void apply_field(struct loadctx *c, const config_setting_t *s,
                        const struct field *f)
{
	char *base = (char *)c->cfg;
	const char *text;

	switch (f->kind) {
	case F_INT:
		get_int(c, s, f->min, f->max, (int *)(base + f->offset));
		break;
	case F_SECONDS:
		get_seconds(c, s, (double)f->max, (double *)(base + f->offset));
		break;
	case F_BOOL:
		get_bool(c, s, (int *)(base + f->offset));
		break;
	case F_STRING:
		text = conf_text_of(c, s);
		if (text != NULL)
			conf_copy_text(c, s, (char **)(base + f->offset), text);
		break;
	case F_CHOICE:
		get_choice(c, s, f->choices, (int *)(base + f->offset));
		break;
	case F_GROUP:
		walk_group(c, s, f->group);
		break;
	case F_CUSTOM:
		f->custom(c, s);
		break;
	}
}

static void walk_group(struct loadctx *c, const config_setting_t *group,
                       const struct field *fields)
{
	char where[PATH_TEXT];
	int n;

	conf_path_of(group, where, sizeof(where));
	if (!config_setting_is_group(group)) {
		conf_fail(c, group, "%s must be a group { ... } (got %s)", where,
		            conf_type_text(config_setting_type(group)));
		return;
	}
	n = config_setting_length(group);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const struct field *f = find_field(fields, config_setting_name(s));

		if (f == NULL)
			conf_fail(c, s, "unknown setting '%s' in %s",
			            config_setting_name(s),
			            where[0] != '\0' ? where : "top level");
		else
			apply_field(c, s, f);
	}
}

/* ---- lists of strings ---- */

typedef const char *(*check_fn)(const char *text);

/* string_list() collects either list in an array of the larger size. */
_Static_assert(CONF_MAX_LISTEN <= CONF_MAX_SERVERS, "list scratch too small");

/* NULL if text is an IPv4 or IPv6 literal, else what it should be. */
static const char *check_address(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1)
		return NULL;
	return "an IPv4 or IPv6 address";
}

static int port_text_ok(const char *text)
{
	char *end;
	long port;

	if (*text < '0' || *text > '9')
		return 0;
	errno = 0;
	port = strtol(text, &end, 10);
	return errno == 0 && *end == '\0' && port >= 1 && port <= 65535;
}

/* "host", "host:port", "[v6]:port" or a bare IPv6 literal. */
static const char *check_server(const char *text)
{
	const char *bad = "a host name or address with an optional :port (1..65535)";
	const char *colon = strchr(text, ':');
	const char *close;

	if (text[0] == '\0' || strpbrk(text, " \t\r\n/") != NULL)
		return bad;
	if (text[0] == '[') {
		close = strchr(text, ']');
		if (close == NULL || close == text + 1)
			return bad;
		if (close[1] == '\0')
			return NULL;
		return close[1] == ':' && port_text_ok(close + 2) ? NULL : bad;
	}
	if (colon == NULL)
		return NULL;
	if (strchr(colon + 1, ':') != NULL)
		return check_address(text) == NULL ? NULL : bad;
	return colon != text && port_text_ok(colon + 1) ? NULL : bad;
}

/* A list (or a single string) of at most max strings, each passing check;
 * replaces slots[] only when every entry is good. */
static void string_list(struct loadctx *c, const config_setting_t *s,
                        char **slots, size_t *count, size_t max, check_fn check)
{
	char where[PATH_TEXT];
	char *items[CONF_MAX_SERVERS] = { NULL };
	int scalar = config_setting_type(s) == CONFIG_TYPE_STRING;
	int n = scalar ? 1 : config_setting_length(s);
	int errors = c->failed;

	conf_path_of(s, where, sizeof(where));
	if (!scalar && !config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_fail(c, s, "%s must be a list of strings [ \"...\", ... ] "
		            "(got %s)", where, conf_type_text(config_setting_type(s)));
		return;
	}
	if (n == 0 || (size_t)n > max) {
		conf_fail(c, s, "%s must have from 1 to %zu entries (got %d)",
		            where, max, n);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = scalar ? s : config_setting_get_elem(s, (unsigned)i);
		const char *text = conf_text_of(c, e);
		const char *want = text != NULL ? check(text) : NULL;

		if (want != NULL)
			conf_fail(c, e, "%s[%d] must be %s (got \"%s\")",
			            where, i, want, text);
		else if (text != NULL)
			conf_copy_text(c, e, &items[i], text);
	}
	if (c->failed != errors) {
		for (int i = 0; i < n; i++)
			free(items[i]);
		return;
	}
	for (size_t i = 0; i < *count; i++)
		free(slots[i]);
	memcpy(slots, items, (size_t)n * sizeof(*slots));
	*count = (size_t)n;
}

static void listen_list(struct loadctx *c, const config_setting_t *s)
{
	struct conf_server *srv = &c->cfg->server;

	string_list(c, s, srv->listen, &srv->n_listen, CONF_MAX_LISTEN, check_address);
}

static void servers_list(struct loadctx *c, const config_setting_t *s)
{
	struct conf_client *cl = &c->cfg->client;

	string_list(c, s, cl->servers, &cl->n_servers, CONF_MAX_SERVERS, check_server);
}

static void plugin_dir_setting(struct loadctx *c, const config_setting_t *s)
{
	const char *text = conf_text_of(c, s);

	if (text == NULL)
		return;
	if (text[0] == '\0') {
		conf_fail(c, s, "plugin_dir must not be empty");
		return;
	}
	conf_copy_text(c, s, &c->cfg->plugin_dir, text);
}

/* ---- the schema ---- */

static const char *const dispatch_choices[] = { "accept", "handoff", "reuseport", NULL };
static const char *const log_choices[] = { "stderr", "syslog", NULL };
static const char *const balance_choices[] = { "cpu", "flow", NULL };

static const struct field ratelimit_fields[] = {
	{ "interval", F_SECONDS, OFF(server.udp.ratelimit_interval), 0,
	  (long long)MAX_RATELIMIT_INTERVAL_S, NULL, NULL, NULL },
	{ "burst", F_INT, OFF(server.udp.ratelimit_burst), 1, 65535, NULL, NULL, NULL },
	{ "leak", F_INT, OFF(server.udp.ratelimit_leak), 0, 65535, NULL, NULL, NULL },
	{ "kod", F_BOOL, OFF(server.udp.ratelimit_kod), 0, 0, NULL, NULL, NULL },
	{ "table_size", F_INT, OFF(server.udp.ratelimit_table_size), 1, 16777216,
	  NULL, NULL, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field udp_fields[] = {
	{ "enable", F_BOOL, OFF(server.udp.enable), 0, 0, NULL, NULL, NULL },
	{ "port", F_INT, OFF(server.udp.port), 1, 65535, NULL, NULL, NULL },
	{ "balance", F_CHOICE, OFF(server.udp.balance), 0, 0, balance_choices, NULL, NULL },
	{ "ratelimit", F_GROUP, 0, 0, 0, NULL, ratelimit_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field server_fields[] = {
	{ "listen", F_CUSTOM, 0, 0, 0, NULL, NULL, listen_list },
	{ "workers", F_INT, OFF(server.workers), 0, 1024, NULL, NULL, NULL },
	{ "dispatch", F_CHOICE, OFF(server.dispatch), 0, 0, dispatch_choices, NULL, NULL },
	{ "max_connections", F_INT, OFF(server.max_connections), 1, 1000000,
	  NULL, NULL, NULL },
	{ "request_timeout", F_SECONDS, OFF(server.request_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "idle_timeout", F_SECONDS, OFF(server.idle_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "shutdown_timeout", F_SECONDS, OFF(server.shutdown_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "watchdog_timeout", F_SECONDS, OFF(server.watchdog_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "user", F_STRING, OFF(server.user), 0, 0, NULL, NULL, NULL },
	{ "log", F_CHOICE, OFF(server.log_syslog), 0, 0, log_choices, NULL, NULL },
	{ "udp", F_GROUP, 0, 0, 0, NULL, udp_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field client_fields[] = {
	{ "servers", F_CUSTOM, 0, 0, 0, NULL, NULL, servers_list },
	{ "samples", F_INT, OFF(client.samples), 1, CONF_MAX_SAMPLES, NULL, NULL, NULL },
	{ "timeout", F_SECONDS, OFF(client.timeout), 0, (long long)MAX_TIMEOUT_S,
	  NULL, NULL, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field top_fields[] = {
	{ "port", F_INT, OFF(port), 1, 65535, NULL, NULL, NULL },
	{ "plugin_dir", F_CUSTOM, 0, 0, 0, NULL, NULL, plugin_dir_setting },
	{ "clock", F_CUSTOM, 0, 0, 0, NULL, NULL, conf_clock_section },
	{ "estimator", F_CUSTOM, 0, 0, 0, NULL, NULL, conf_estimator_section },
	{ "server", F_GROUP, 0, 0, 0, NULL, server_fields, NULL },
	{ "client", F_GROUP, 0, 0, 0, NULL, client_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

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
	cfg->estimator.name = strdup("minfilter");
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
	cfg->server.udp = (struct conf_udp){ .enable = 0, .port = 123,
		.ratelimit_interval = 0.125, .ratelimit_burst = 16, .ratelimit_leak = 4,
		.ratelimit_kod = 1, .ratelimit_table_size = 65536,
		.balance = UDP_BALANCE_CPU };
	cfg->client.servers[0] = strdup("127.0.0.1");
	cfg->client.n_servers = 1;
	cfg->client.samples = 8;
	cfg->client.timeout = 2.0;
	if (cfg->plugin_dir == NULL || cfg->clock.name == NULL ||
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
	for (size_t i = 0; i < cfg->client.n_servers; i++)
		free(cfg->client.servers[i]);
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

	walk_group(&c, config_root_setting(lc), top_fields);
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

static void syntax_error(const config_t *lc, const char *file,
                         struct conf_errors *errs)
{
	conf_error(errs, file, config_error_line(lc), "%s", config_error_text(lc));
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
		syntax_error(&lc, file, errs);
		config_destroy(&lc);
		conf_free(cfg);
		return -1;
	}
	rc = load_parsed(cfg, &lc, file, errs);
	config_destroy(&lc);
	return rc;
}

/* The whole file as a string, or NULL with the reason in errs. */
static char *read_file(const char *file, size_t *len, struct conf_errors *errs)
{
	FILE *fp = fopen(file, "r");
	struct stat st;
	char *text = NULL;

	if (fp == NULL) {
		conf_error(errs, file, 0, "cannot read the configuration: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		conf_error(errs, file, 0, "cannot read the configuration: not a regular file");
		goto out;
	}
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

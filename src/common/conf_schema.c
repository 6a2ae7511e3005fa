/* The settings tsd knows: each one's type, range and place in struct conf,
 * and the walk that checks a parsed file against them. */
#include "common/conf_schema.h"
#include "common/conf_sync.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "common/conf.h"
#include "common/conf_load.h"
#include "common/conf_plugin.h"

#define MAX_TIMEOUT_S 86400.0
/* client.max_step: up to about 31 years. */
#define MAX_STEP_S 1e9
#define MAX_RATELIMIT_INTERVAL_S 3600.0
#define MAX_NTS_ROTATE_S (30 * 86400.0)

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

/* ---- scalar checks ---- */

static int is_integer(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

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
int conf_get_seconds(struct loadctx *c, const config_setting_t *s,
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
		conf_get_seconds(c, s, (double)f->max, (double *)(base + f->offset));
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

static const struct field *schema_root(void);

/* Edit distance of two short names (insert, delete, replace, swap);
 * longer names are never typos of a known one. */
#define MAX_NAME 32

static size_t name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[MAX_NAME + 1][MAX_NAME + 1];

	if (la > MAX_NAME || lb > MAX_NAME)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The known setting of this group closest to name (a typo), or NULL. */
static const char *nearest_field(const struct field *fields, const char *name)
{
	size_t best = 3, limit = strlen(name) <= 4 ? 1 : 2;
	const char *found = NULL;

	for (; fields->name != NULL; fields++) {
		size_t dist = name_distance(name, fields->name);

		if (dist <= limit && dist < best) {
			best = dist;
			found = fields->name;
		}
	}
	return found;
}

/* Where in the schema (other than `skip`) a setting called name lives:
 * "server.udp" for "udp". 0 when found, with the group's path in out. */
static int find_home(const struct field *fields, const struct field *skip, const char *name,
                     const char *prefix, char *out, size_t len)
{
	char path[PATH_TEXT];

	for (; fields->name != NULL; fields++) {
		if (fields->kind != F_GROUP || fields->group == NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", fields->name);
		if (fields->group != skip && find_field(fields->group, name) != NULL) {
			snprintf(out, len, "%s", path);
			return 0;
		}
		if (find_home(fields->group, skip, name, path, out, len) == 0)
			return 0;
	}
	return -1;
}

/* An unknown setting, with the nearest known one or the group it belongs in. */
static void unknown_setting(struct loadctx *c, const config_setting_t *s,
                            const struct field *fields, const char *where)
{
	const char *name = config_setting_name(s);
	const char *near = nearest_field(fields, name);
	const char *in = where[0] != '\0' ? where : "top level";
	char home[PATH_TEXT];

	if (near != NULL)
		conf_fail(c, s, "unknown setting '%s' in %s (did you mean '%s'?)", name, in, near);
	else if (find_home(schema_root(), fields, name, "", home, sizeof(home)) == 0)
		conf_fail(c, s, "unknown setting '%s' in %s (it belongs in the group %s)",
		          name, in, home);
	else
		conf_fail(c, s, "unknown setting '%s' in %s", name, in);
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
			unknown_setting(c, s, fields, where);
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
const char *conf_check_server(const char *text)
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
                        char **slots, size_t *count, size_t min, size_t max,
                        check_fn check)
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
	if ((size_t)n < min || (size_t)n > max) {
		conf_fail(c, s, "%s must have from %zu to %zu entries (got %d)",
		            where, min, max, n);
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

	/* None: no TCP listener (a pure sync client, or UDP only). */
	string_list(c, s, srv->listen, &srv->n_listen, 0, CONF_MAX_LISTEN, check_address);
}

static void servers_list(struct loadctx *c, const config_setting_t *s)
{
	struct conf_client *cl = &c->cfg->client;

	string_list(c, s, cl->servers, &cl->n_servers, 1, CONF_MAX_SERVERS, conf_check_server);
}

/* The ports keep their lines: a port already in use is named by them. */
static void port_setting(struct loadctx *c, const config_setting_t *s)
{
	if (get_int(c, s, 1, 65535, &c->cfg->port) == 0)
		c->cfg->port_line = config_setting_source_line(s);
}

static void udp_port_setting(struct loadctx *c, const config_setting_t *s)
{
	struct conf_udp *udp = &c->cfg->server.udp;

	if (get_int(c, s, 1, 65535, &udp->port) == 0)
		udp->port_line = config_setting_source_line(s);
}

/* A network interface's name as the kernel allows it (dev_valid_name),
 * or "*" for all of them. */
static const char *check_interface(const char *text)
{
	const char *bad = "an interface name (1 to 15 characters, none of '/', ':' or "
	                  "white space) or \"*\"";

	if (text[0] == '\0' || strlen(text) > 15 || strcmp(text, ".") == 0 ||
	    strcmp(text, "..") == 0 || strpbrk(text, "/: \t\r\n\f\v") != NULL)
		return bad;
	return NULL;
}

/* "*" means every interface, so it stands alone. */
static void udp_hwtimestamp_list(struct loadctx *c, const config_setting_t *s)
{
	struct conf_udp *udp = &c->cfg->server.udp;
	int errors = c->failed;

	string_list(c, s, udp->hwtimestamp, &udp->n_hwtimestamp, 0, CONF_MAX_HWTIMESTAMP,
	            check_interface);
	if (c->failed != errors)
		return;
	for (size_t i = 0; i < udp->n_hwtimestamp && udp->n_hwtimestamp > 1; i++)
		if (strcmp(udp->hwtimestamp[i], "*") == 0) {
			conf_fail(c, s, "server.udp.hwtimestamp: \"*\" (every interface) must be "
			          "the only entry (got %zu entries)", udp->n_hwtimestamp);
			return;
		}
}

static void nts_port_setting(struct loadctx *c, const config_setting_t *s)
{
	struct conf_nts *nts = &c->cfg->server.nts;

	if (get_int(c, s, 1, 65535, &nts->port) == 0)
		nts->port_line = config_setting_source_line(s);
}

static void watchdog_setting(struct loadctx *c, const config_setting_t *s)
{
	double v;

	if (conf_get_seconds(c, s, MAX_TIMEOUT_S, &v) != 0)
		return;
	if (v * 1000.0 < CONF_MIN_WATCHDOG_MS) {
		conf_fail(c, s, "server.watchdog_timeout must be at least %g second, ten of "
		          "the master's %g s checks (got %g)", CONF_MIN_WATCHDOG_MS / 1000.0,
		          CONF_MASTER_TICK_MS / 1000.0, v);
		return;
	}
	c->cfg->server.watchdog_timeout = v;
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

/* server.nts.rotate: seconds, or 0 for never (a follower of key_file). */
static void nts_rotate_setting(struct loadctx *c, const config_setting_t *s)
{
	if ((is_integer(s) && config_setting_get_int64(s) == 0) ||
	    (config_setting_type(s) == CONFIG_TYPE_FLOAT && config_setting_get_float(s) == 0.0)) {
		c->cfg->server.nts.rotate = 0.0;
		return;
	}
	conf_get_seconds(c, s, MAX_NTS_ROTATE_S, &c->cfg->server.nts.rotate);
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
	{ "port", F_CUSTOM, 0, 0, 0, NULL, NULL, udp_port_setting },
	{ "balance", F_CHOICE, OFF(server.udp.balance), 0, 0, balance_choices, NULL, NULL },
	{ "hwtimestamp", F_CUSTOM, 0, 0, 0, NULL, NULL, udp_hwtimestamp_list },
	{ "ratelimit", F_GROUP, 0, 0, 0, NULL, ratelimit_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field nts_fields[] = {
	{ "enable", F_BOOL, OFF(server.nts.enable), 0, 0, NULL, NULL, NULL },
	{ "port", F_CUSTOM, 0, 0, 0, NULL, NULL, nts_port_setting },
	{ "certificate", F_STRING, OFF(server.nts.certificate), 0, 0, NULL, NULL, NULL },
	{ "key", F_STRING, OFF(server.nts.key), 0, 0, NULL, NULL, NULL },
	{ "rotate", F_CUSTOM, 0, 0, 0, NULL, NULL, nts_rotate_setting },
	{ "key_file", F_STRING, OFF(server.nts.key_file), 0, 0, NULL, NULL, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field client_nts_fields[] = {
	{ "ca_file", F_STRING, OFF(client.nts_ca_file), 0, 0, NULL, NULL, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field server_fields[] = {
	{ "listen", F_CUSTOM, 0, 0, 0, NULL, NULL, listen_list },
	{ "workers", F_INT, OFF(server.workers), 0, CONF_MAX_WORKERS, NULL, NULL, NULL },
	{ "dispatch", F_CHOICE, OFF(server.dispatch), 0, 0, dispatch_choices, NULL, NULL },
	{ "max_connections", F_INT, OFF(server.max_connections), 1, 1000000,
	  NULL, NULL, NULL },
	{ "request_timeout", F_SECONDS, OFF(server.request_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "idle_timeout", F_SECONDS, OFF(server.idle_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "shutdown_timeout", F_SECONDS, OFF(server.shutdown_timeout), 0,
	  (long long)MAX_TIMEOUT_S, NULL, NULL, NULL },
	{ "watchdog_timeout", F_CUSTOM, 0, 0, 0, NULL, NULL, watchdog_setting },
	{ "user", F_STRING, OFF(server.user), 0, 0, NULL, NULL, NULL },
	{ "log", F_CHOICE, OFF(server.log_syslog), 0, 0, log_choices, NULL, NULL },
	{ "seccomp", F_BOOL, OFF(server.seccomp), 0, 0, NULL, NULL, NULL },
	{ "udp", F_GROUP, 0, 0, 0, NULL, udp_fields, NULL },
	{ "nts", F_GROUP, 0, 0, 0, NULL, nts_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field client_fields[] = {
	{ "servers", F_CUSTOM, 0, 0, 0, NULL, NULL, servers_list },
	{ "samples", F_INT, OFF(client.samples), 1, CONF_MAX_SAMPLES, NULL, NULL, NULL },
	{ "timeout", F_SECONDS, OFF(client.timeout), 0, (long long)MAX_TIMEOUT_S,
	  NULL, NULL, NULL },
	{ "max_step", F_SECONDS, OFF(client.max_step), 0, (long long)MAX_STEP_S,
	  NULL, NULL, NULL },
	{ "interleaved", F_BOOL, OFF(client.interleaved), 0, 0, NULL, NULL, NULL },
	{ "nts", F_GROUP, 0, 0, 0, NULL, client_nts_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

/* "address:port" with a numeric address ("[v6]:port" for IPv6). */
static const char *check_listen_port(const char *text)
{
	const char *bad = "an address and port, \"127.0.0.1:9975\" or \"[::1]:9975\"";
	const char *colon = strrchr(text, ':');
	char addr[64];
	size_t len;

	if (colon == NULL || !port_text_ok(colon + 1))
		return bad;
	len = (size_t)(colon - text);
	if (text[0] == '[' && len >= 2 && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(addr))
		return bad;
	memcpy(addr, text, len);
	addr[len] = '\0';
	return check_address(addr) == NULL ? NULL : bad;
}

static void metrics_listen_setting(struct loadctx *c, const config_setting_t *s)
{
	const char *text = conf_text_of(c, s);
	const char *want = text != NULL ? check_listen_port(text) : NULL;

	if (want != NULL)
		conf_fail(c, s, "metrics.listen must be %s (got \"%s\")", want, text);
	else if (text != NULL)
		conf_copy_text(c, s, &c->cfg->ops.metrics_listen, text);
}

/* An absolute path that fits a Unix socket address, or "" for none. */
static void control_socket_setting(struct loadctx *c, const config_setting_t *s)
{
	const char *text = conf_text_of(c, s);

	if (text == NULL)
		return;
	if (text[0] != '\0' && (text[0] != '/' || strlen(text) >= CONF_MAX_SOCKET_PATH)) {
		conf_fail(c, s, "control.socket must be \"\" or an absolute path shorter than "
		          "%d bytes (got \"%s\")", CONF_MAX_SOCKET_PATH, text);
		return;
	}
	conf_copy_text(c, s, &c->cfg->ops.control_socket, text);
}

static const struct field control_fields[] = {
	{ "socket", F_CUSTOM, 0, 0, 0, NULL, NULL, control_socket_setting },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field metrics_fields[] = {
	{ "listen", F_CUSTOM, 0, 0, 0, NULL, NULL, metrics_listen_setting },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field top_fields[] = {
	{ "port", F_CUSTOM, 0, 0, 0, NULL, NULL, port_setting },
	{ "plugin_dir", F_CUSTOM, 0, 0, 0, NULL, NULL, plugin_dir_setting },
	{ "clock", F_CUSTOM, 0, 0, 0, NULL, NULL, conf_clock_section },
	{ "estimator", F_CUSTOM, 0, 0, 0, NULL, NULL, conf_estimator_section },
	{ "server", F_GROUP, 0, 0, 0, NULL, server_fields, NULL },
	{ "client", F_GROUP, 0, 0, 0, NULL, client_fields, NULL },
	{ "sync", F_CUSTOM, 0, 0, 0, NULL, NULL, conf_sync_section },
	{ "control", F_GROUP, 0, 0, 0, NULL, control_fields, NULL },
	{ "metrics", F_GROUP, 0, 0, 0, NULL, metrics_fields, NULL },
	{ NULL, F_INT, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field *schema_root(void)
{
	return top_fields;
}

static int empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* What only the settings together can say. An empty string is "not set". */
static void check_nts(struct loadctx *c)
{
	const struct conf_nts *nts = &c->cfg->server.nts;

	if (nts->enable && (empty(nts->certificate) || empty(nts->key)))
		conf_fail(c, NULL, "server.nts.enable needs server.nts.certificate and server.nts.key");
	if (nts->rotate != 0.0 && nts->rotate < 1.0)
		conf_fail(c, NULL, "server.nts.rotate must be 0 (never) or at least 1 second");
}

void conf_walk_schema(struct loadctx *c, const config_setting_t *root)
{
	walk_group(c, root, top_fields);
	if (c->failed == 0)
		check_nts(c);
}

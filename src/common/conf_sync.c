/* The sync group: sources, poll interval bounds, how the correction is
 * applied, and the drift file. The group replaces the defaults only when
 * every setting in it is good. */
#include "common/conf.h"

#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf_load.h"
#include "common/conf_sync.h"

/* The shortest poll tests use is a fraction of a second; NTP's longest is
 * 2^17 s (36 hours). */
#define POLL_MIN_S 0.1
#define POLL_MAX_S 131072.0

static const char *const protocol_names[] = { "udp", "tcp", "nts", "nts-tcp", NULL };
static const char *const apply_names[] = { "serve", "system", NULL };

void conf_sync_clear(struct conf_sync *sy)
{
	for (size_t i = 0; i < sy->n_sources; i++)
		free(sy->sources[i].address);
	free(sy->drift_file);
	memset(sy, 0, sizeof(*sy));
}

/* The index of text in names, or -1 after an error naming the choices. */
static int choice(struct loadctx *c, const config_setting_t *s, const char *const *names,
                  const char *expected)
{
	char where[PATH_TEXT];
	const char *text = conf_text_of(c, s);

	if (text == NULL)
		return -1;
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(text, names[i]) == 0)
			return i;
	conf_path_of(s, where, sizeof(where));
	conf_fail(c, s, "%s must be %s (got \"%s\")", where, expected, text);
	return -1;
}

static void unknown(struct loadctx *c, const config_setting_t *s, const char *known)
{
	char where[PATH_TEXT];

	conf_path_of(config_setting_parent(s), where, sizeof(where));
	conf_fail(c, s, "unknown setting '%s' in %s (known: %s)", config_setting_name(s),
	          where[0] != '\0' ? where : "sync", known);
}

static int is_group(struct loadctx *c, const config_setting_t *s)
{
	char where[PATH_TEXT];

	if (config_setting_is_group(s))
		return 1;
	conf_path_of(s, where, sizeof(where));
	conf_fail(c, s, "%s must be a group { ... } (got %s)", where,
	          conf_type_text(config_setting_type(s)));
	return 0;
}

static void source_address(struct loadctx *c, const config_setting_t *s,
                           struct conf_sync_source *src)
{
	char where[PATH_TEXT];
	const char *text = conf_text_of(c, s);
	const char *want = text != NULL ? conf_check_server(text) : NULL;

	if (want != NULL) {
		conf_path_of(s, where, sizeof(where));
		conf_fail(c, s, "%s must be %s (got \"%s\")", where, want, text);
	} else if (text != NULL) {
		conf_copy_text(c, s, &src->address, text);
	}
}

static void source_entry(struct loadctx *c, const config_setting_t *g,
                         struct conf_sync_source *src)
{
	char where[PATH_TEXT];
	int n, k;

	src->line = config_setting_source_line(g);
	if (!is_group(c, g))
		return;
	n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);

		if (strcmp(name, "address") == 0)
			source_address(c, s, src);
		else if (strcmp(name, "protocol") == 0) {
			k = choice(c, s, protocol_names, "\"udp\", \"tcp\", \"nts\" or \"nts-tcp\"");
			if (k >= 0)
				src->protocol = (enum sync_protocol)k;
		} else
			unknown(c, s, "address, protocol");
	}
	if (src->address == NULL && c->failed == 0) {
		conf_path_of(g, where, sizeof(where));
		conf_fail(c, g, "%s needs an address", where);
	}
}

static void sources_list(struct loadctx *c, const config_setting_t *s, struct conf_sync *sy)
{
	char where[PATH_TEXT];
	int n = config_setting_length(s);

	conf_path_of(s, where, sizeof(where));
	if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
		conf_fail(c, s, "%s must be a list of groups ( { address = \"...\"; }, ... ) "
		          "(got %s)", where, conf_type_text(config_setting_type(s)));
		return;
	}
	if (n < 1 || n > CONF_MAX_SYNC_SOURCES) {
		conf_fail(c, s, "%s must have from 1 to %d entries (got %d)", where,
		          CONF_MAX_SYNC_SOURCES, n);
		return;
	}
	for (int i = 0; i < n; i++)
		source_entry(c, config_setting_get_elem(s, (unsigned)i), &sy->sources[sy->n_sources++]);
}

static void poll_seconds(struct loadctx *c, const config_setting_t *s, double *out)
{
	char where[PATH_TEXT];
	double v;

	if (conf_get_seconds(c, s, POLL_MAX_S, &v) != 0)
		return;
	if (v < POLL_MIN_S) {
		conf_path_of(s, where, sizeof(where));
		conf_fail(c, s, "%s must be at least %g seconds (got %g)", where, POLL_MIN_S, v);
		return;
	}
	*out = v;
}

static void poll_group(struct loadctx *c, const config_setting_t *g, struct conf_sync *sy)
{
	char where[PATH_TEXT];
	int n;

	if (!is_group(c, g))
		return;
	n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);

		if (strcmp(config_setting_name(s), "min") == 0)
			poll_seconds(c, s, &sy->poll_min);
		else if (strcmp(config_setting_name(s), "max") == 0)
			poll_seconds(c, s, &sy->poll_max);
		else
			unknown(c, s, "min, max");
	}
	if (c->failed == 0 && sy->poll_min > sy->poll_max) {
		conf_path_of(g, where, sizeof(where));
		conf_fail(c, g, "%s: min (%g) must not be above max (%g)", where, sy->poll_min,
		          sy->poll_max);
	}
}

static void drift_file(struct loadctx *c, const config_setting_t *s, struct conf_sync *sy)
{
	const char *text = conf_text_of(c, s);

	if (text == NULL)
		return;
	if (text[0] != '/') {
		conf_fail(c, s, "sync.drift_file must be an absolute path (got \"%s\")", text);
		return;
	}
	conf_copy_text(c, s, &sy->drift_file, text);
}

static void sync_setting(struct loadctx *c, const config_setting_t *s, struct conf_sync *sy)
{
	const char *name = config_setting_name(s);
	int k;

	if (strcmp(name, "sources") == 0)
		sources_list(c, s, sy);
	else if (strcmp(name, "poll") == 0)
		poll_group(c, s, sy);
	else if (strcmp(name, "apply") == 0) {
		k = choice(c, s, apply_names, "\"serve\" or \"system\"");
		if (k >= 0)
			sy->apply = (enum sync_apply)k;
		sy->apply_line = config_setting_source_line(s);
	} else if (strcmp(name, "drift_file") == 0)
		drift_file(c, s, sy);
	else
		unknown(c, s, "sources, poll, apply, drift_file");
}

void conf_sync_section(struct loadctx *c, const config_setting_t *g)
{
	struct conf_sync sy = { .enabled = 1, .poll_min = c->cfg->sync.poll_min,
	                        .poll_max = c->cfg->sync.poll_max };
	int errors = c->failed;
	int n;

	sy.line = config_setting_source_line(g);
	if (!is_group(c, g))
		return;
	n = config_setting_length(g);
	for (int i = 0; i < n; i++)
		sync_setting(c, config_setting_get_elem(g, (unsigned)i), &sy);
	if (c->failed == errors && sy.n_sources == 0)
		conf_fail(c, g, "sync needs sources = ( { address = \"...\"; protocol = \"udp\"; } )");
	if (c->failed != errors) {
		conf_sync_clear(&sy);
		return;
	}
	conf_sync_clear(&c->cfg->sync);
	c->cfg->sync = sy;
}

static int text_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int conf_sync_equal(const struct conf_sync *a, const struct conf_sync *b)
{
	if (a->enabled != b->enabled || a->n_sources != b->n_sources ||
	    a->poll_min != b->poll_min || a->poll_max != b->poll_max ||
	    a->apply != b->apply || !text_equal(a->drift_file, b->drift_file))
		return 0;
	for (size_t i = 0; i < a->n_sources; i++)
		if (!text_equal(a->sources[i].address, b->sources[i].address) ||
		    a->sources[i].protocol != b->sources[i].protocol)
			return 0;
	return 1;
}

/* The clock and estimator sections: a plugin's name and its own settings. */
#include "common/conf.h"

#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf_load.h"
#include "common/conf_plugin.h"

#define MAX_PLUGIN_NAME 64

static int plain_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > MAX_PLUGIN_NAME)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

void conf_plugin_clear(struct conf_plugin *p)
{
	for (size_t i = 0; i < p->n_settings; i++) {
		free((char *)p->settings[i].name);
		free((char *)p->settings[i].string_value);
	}
	free(p->name);
	memset(p, 0, sizeof(*p));
}

/* A scalar's value as the plugin sees it; -1 only when out of memory. */
static int setting_value(const config_setting_t *s, struct tsd_setting *out)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		out->type = TSD_SETTING_INT;
		out->int_value = config_setting_get_int64(s);
		out->float_value = (double)out->int_value;
		return 0;
	case CONFIG_TYPE_FLOAT:
		out->type = TSD_SETTING_FLOAT;
		out->float_value = config_setting_get_float(s);
		return 0;
	case CONFIG_TYPE_BOOL:
		out->type = TSD_SETTING_BOOL;
		out->int_value = config_setting_get_bool(s) ? 1 : 0;
		return 0;
	default:
		out->type = TSD_SETTING_STRING;
		out->string_value = strdup(config_setting_get_string(s));
		return out->string_value != NULL ? 0 : -1;
	}
}

/* One scalar setting of a plugin section, handed to the plugin as it is. */
static int plugin_setting(struct loadctx *c, const config_setting_t *s,
                          struct conf_plugin *p)
{
	char where[PATH_TEXT];
	struct tsd_setting *out = &p->settings[p->n_settings];

	conf_path_of(s, where, sizeof(where));
	if (!config_setting_is_scalar(s)) {
		conf_fail(c, s, "%s must be a number, string or boolean "
		            "(plugin settings cannot be %s)", where,
		            config_setting_is_group(s) ? "groups" : "lists");
		return -1;
	}
	if (p->n_settings == CONF_MAX_SETTINGS) {
		conf_fail(c, s, "%s: too many plugin settings (at most %d)", where,
		            CONF_MAX_SETTINGS);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->line = config_setting_source_line(s);
	if (setting_value(s, out) == 0)
		out->name = strdup(config_setting_name(s));
	if (out->name == NULL) {
		free((char *)out->string_value);
		out->string_value = NULL;
		conf_fail(c, s, "out of memory");
		return -1;
	}
	p->n_settings++;
	return 0;
}

static int plugin_name(struct loadctx *c, const config_setting_t *s,
                       struct conf_plugin *p)
{
	char where[PATH_TEXT];
	const char *text = conf_text_of(c, s);

	if (text == NULL)
		return -1;
	if (!plain_name(text)) {
		conf_path_of(s, where, sizeof(where));
		conf_fail(c, s, "%s must be a plain name of a-z, 0-9 and _, at most %d "
		            "characters (got \"%s\")", where, MAX_PLUGIN_NAME, text);
		return -1;
	}
	return conf_copy_text(c, s, &p->name, text);
}

/* Every setting of the section into p: `plugin` is the name, the rest
 * goes to the plugin. */
static void plugin_fields(struct loadctx *c, const config_setting_t *group,
                          struct conf_plugin *p)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);

		if (strcmp(config_setting_name(s), "plugin") == 0)
			plugin_name(c, s, p);
		else
			plugin_setting(c, s, p);
	}
}

static void plugin_section(struct loadctx *c, const config_setting_t *group,
                           struct conf_plugin *target)
{
	struct conf_plugin p;
	char where[PATH_TEXT];
	int errors = c->failed;

	memset(&p, 0, sizeof(p));
	conf_path_of(group, where, sizeof(where));
	if (!config_setting_is_group(group)) {
		conf_fail(c, group, "%s must be a group { plugin = \"...\"; ... } "
		            "(got %s)", where,
		            conf_type_text(config_setting_type(group)));
		return;
	}
	p.line = config_setting_source_line(group);
	plugin_fields(c, group, &p);
	if (p.name == NULL && c->failed == errors)
		conf_fail(c, group, "%s.plugin is required (the name of the %s plugin)",
		            where, where);
	if (c->failed != errors) {
		conf_plugin_clear(&p);
		return;
	}
	conf_plugin_clear(target);
	*target = p;
}

void conf_clock_section(struct loadctx *c, const config_setting_t *s)
{
	plugin_section(c, s, &c->cfg->clock);
}

void conf_estimator_section(struct loadctx *c, const config_setting_t *s)
{
	plugin_section(c, s, &c->cfg->estimator);
}

static int setting_equal(const struct tsd_setting *a, const struct tsd_setting *b)
{
	if (strcmp(a->name, b->name) != 0 || a->type != b->type)
		return 0;
	if (a->type == TSD_SETTING_STRING)
		return strcmp(a->string_value, b->string_value) == 0;
	if (a->type == TSD_SETTING_FLOAT)
		return a->float_value == b->float_value;
	return a->int_value == b->int_value;
}

int conf_clock_equal(const struct conf_plugin *a, const struct conf_plugin *b)
{
	if (strcmp(a->name, b->name) != 0 || a->n_settings != b->n_settings)
		return 0;
	for (size_t i = 0; i < a->n_settings; i++)
		if (!setting_equal(&a->settings[i], &b->settings[i]))
			return 0;
	return 1;
}

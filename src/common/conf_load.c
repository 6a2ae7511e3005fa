/* One configuration load in progress: its error count, and the messages and
 * string reads every part of the schema shares. */
#include "common/conf_load.h"

#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf_errors.h"

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

/* The clock and estimator sections of the configuration. */
#ifndef TSD_COMMON_CONF_PLUGIN_H
#define TSD_COMMON_CONF_PLUGIN_H

#include "common/conf_load.h"

/* clock = { plugin = "sim"; offset = 5.0; }: the whole section replaces
 * the default choice, and only when every setting in it is good. */
void conf_clock_section(struct loadctx *c, const config_setting_t *s);
void conf_estimator_section(struct loadctx *c, const config_setting_t *s);

/* Free what p holds and zero it. */
void conf_plugin_clear(struct conf_plugin *p);

#endif

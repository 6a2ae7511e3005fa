/* The clock and estimator sections of the configuration. */
#ifndef TSD_CONFIG_PLUGIN_H
#define TSD_CONFIG_PLUGIN_H

#include "config_load.h"

/* clock = { plugin = "sim"; offset = 5.0; }: the whole section replaces
 * the default choice, and only when every setting in it is good. */
void config_clock_section(struct loadctx *c, const config_setting_t *s);
void config_estimator_section(struct loadctx *c, const config_setting_t *s);

/* Free what p holds and zero it. */
void config_plugin_clear(struct config_plugin *p);

#endif

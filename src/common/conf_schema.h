/* The settings tsd knows and the walk that checks a parsed file against them. */
#ifndef TSD_COMMON_CONF_SCHEMA_H
#define TSD_COMMON_CONF_SCHEMA_H

#include <libconfig.h>
#include "common/conf_load.h"

/* Check every setting under root into c->cfg (which holds the defaults);
 * each problem goes to c's error list. */
void conf_walk_schema(struct loadctx *c, const config_setting_t *root);

#endif

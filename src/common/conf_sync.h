/* The sync group: the upstream sources tsd follows and how it applies what
 * it learns. */
#ifndef TSD_COMMON_CONF_SYNC_H
#define TSD_COMMON_CONF_SYNC_H

#include "common/conf_load.h"

/* sync = { sources = ( { address = "..."; protocol = "udp"; } ); ... } */
void conf_sync_section(struct loadctx *c, const config_setting_t *s);

/* Free what sy holds and zero it. */
void conf_sync_clear(struct conf_sync *sy);

#endif

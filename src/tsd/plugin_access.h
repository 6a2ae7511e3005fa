/* Whether server.user can read the plugins: a warning for --check-config,
 * since a worker that runs as that user and cannot open its plugin fails,
 * and so does every worker after it. */
#ifndef TSD_PLUGIN_ACCESS_H
#define TSD_PLUGIN_ACCESS_H

#include <stdio.h>
#include "common/conf.h"

/* When server.user is set and this process is root: check, in a child that
 * takes the user's identity (groups, gid, uid), that plugin_dir can be
 * searched and read and that the clock's and the estimator's plugin files
 * can be read. One "warning: ..." line on out per problem; returns how many
 * (0 also when there is nothing to check). */
int plugin_access_warn(const struct conf *cfg, FILE *out);

#endif

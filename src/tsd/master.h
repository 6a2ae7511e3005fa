/* The master process: binds, forks and supervises the workers, reloads on
 * SIGHUP, stops on SIGTERM. It never serves a request itself. */
#ifndef TSD_MASTER_H
#define TSD_MASTER_H

#include "common/conf.h"

/* Run the daemon on cfg (taken over and freed here); config_path (may be
 * NULL for the default) is what SIGHUP re-reads. Returns the exit status. */
int master_run(struct conf *cfg, const char *config_path);

#endif

/* The master process: binds, forks and supervises the workers, reloads on
 * SIGHUP, stops on SIGTERM. It never serves a request itself. */
#ifndef TSD_MASTER_H
#define TSD_MASTER_H

#include "config.h"

/* Open the clock and estimator plugins of cfg once and close them again:
 * the check --check-config and every reload make. 0 or -1 with errors. */
int master_check_plugins(const struct config *cfg, struct config_errors *errs);

/* Run the daemon on cfg (taken over and freed here); config_path (may be
 * NULL for the default) is what SIGHUP re-reads. Returns the exit status. */
int master_run(struct config *cfg, const char *config_path);

#endif

/* A running offset estimator: a loaded estimator plugin plus its instance,
 * with every estimate it returns checked. */
#ifndef TSD_ESTIMATOR_H
#define TSD_ESTIMATOR_H

#include "common/conf.h"
#include "common/loader.h"

struct estimator {
	struct loaded_plugin plugin;
	void *state;
	const struct tsd_estimator_ops *ops;
};

/* Load estimator `name` (NULL: cfg->estimator.name) with the settings of
 * cfg->estimator when the names match, else with no settings. */
int estimator_open(struct estimator *est, const struct conf *cfg,
                   const char *name, struct conf_errors *errs);
void estimator_close(struct estimator *est);

void estimator_reset(struct estimator *est);
int estimator_add(struct estimator *est, const struct tsd_sample *s);
/* -ERANGE when the plugin returns NaN, infinity or a negative bound. */
int estimator_estimate(struct estimator *est, struct tsd_estimate *out);

#endif

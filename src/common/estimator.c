/* A running offset estimator: the loaded estimator plugin and its instance.
 * Samples going in and estimates coming out are checked here. */
#include "common/conf.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "common/estimator.h"

int estimator_open(struct estimator *est, const struct conf *cfg,
                   const char *name, struct conf_errors *errs)
{
	const struct conf_plugin *section = &cfg->estimator;

	memset(est, 0, sizeof(*est));
	/* tsclient -e NAME: the file's settings belong to the file's choice. */
	if (name != NULL && (section->name == NULL || strcmp(name, section->name) != 0))
		section = NULL;
	if (name == NULL)
		name = cfg->estimator.name;
	if (loader_start(&est->plugin, &est->state, cfg, section, TSD_PLUGIN_ESTIMATOR,
	                 name, errs) < 0)
		return -1;
	est->ops = est->plugin.desc->estimator;
	return 0;
}

void estimator_close(struct estimator *est)
{
	if (est == NULL || est->plugin.desc == NULL)
		return;
	loader_stop(&est->plugin, est->state);
	memset(est, 0, sizeof(*est));
}

void estimator_reset(struct estimator *est)
{
	est->ops->reset(est->state);
}

int estimator_add(struct estimator *est, const struct tsd_sample *s)
{
	int rc;

	if (!isfinite(s->server_error_s) || s->server_error_s < 0)
		return -EINVAL;
	rc = est->ops->add_sample(est->state, s);
	if (rc == 0)
		return 0;
	return rc < 0 ? rc : -EIO;
}

static int finite_bound(double v)
{
	return isfinite(v) && v >= 0;
}

int estimator_estimate(struct estimator *est, struct tsd_estimate *out)
{
	struct tsd_estimate e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = est->ops->estimate(est->state, &e);
	if (rc != 0)
		return rc < 0 ? rc : -EIO;
	if (!isfinite(e.offset_s) || !isfinite(e.delay_s))
		return -ERANGE;
	if (!finite_bound(e.error_s) || !finite_bound(e.jitter_s))
		return -ERANGE;
	if (e.has_freq && !isfinite(e.freq_ppm))
		return -ERANGE;
	if (e.samples_used < 0)
		return -ERANGE;
	*out = e;
	return 0;
}

/* Small plugins for the loader tests, one per build: a valid minimal clock
 * (now and info only), or one defect chosen with -D. */

#include <errno.h>

#include "tsd/plugin.h"

#ifndef PLUGIN_NAME
#error PLUGIN_NAME must name the plugin
#endif

/* Unused only in the build without an init function. */
static __attribute__((unused)) int
test_init(void **state, const struct tsd_setting *settings, size_t n_settings,
          struct tsd_plugin_error *err)
{
	*state = NULL;
	if (n_settings > 0)
		return tsd_plugin_fail(err, 0, -EINVAL, "unknown setting '%s'",
		                       settings[0].name);
	return 0;
}

static void test_fini(void *state)
{
	(void)state;
}

static __attribute__((unused)) int test_now(void *state, struct tsd_clock_reading *out)
{
	(void)state;
	out->time_ns = 1800000000LL * 1000000000LL;
	out->error_s = 0.001;
	return 0;
}

static int test_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	out->leap = TSD_LEAP_NONE;
	out->stratum = 2;
	out->precision_log2 = -20;
	out->root_delay_s = 0;
	out->root_dispersion_s = 0.001;
	return 0;
}

static void test_reset(void *state)
{
	(void)state;
}

static int test_add(void *state, const struct tsd_sample *s)
{
	(void)state;
	(void)s;
	return 0;
}

static const struct tsd_clock_ops clock_ops = {
#ifdef BAD_NO_NOW
	.now = NULL,
#else
	.now = test_now,
#endif
	.info = test_info,
};

/* No estimate function: the one defect of estimator_noestimate. */
static const struct tsd_estimator_ops estimator_ops = {
	.reset = test_reset,
	.add_sample = test_add,
	.estimate = NULL,
};

#ifdef BAD_SYMBOL
#define DESCRIPTOR tsd_plugin_descriptor
#else
#define DESCRIPTOR tsd_plugin
#endif

#if defined(BAD_KIND) || defined(BAD_NO_ESTIMATE)
#define KIND TSD_PLUGIN_ESTIMATOR
#else
#define KIND TSD_PLUGIN_CLOCK
#endif

const struct tsd_plugin DESCRIPTOR = {
#ifdef BAD_ABI
	.abi_version = 7,
#else
	.abi_version = TSD_PLUGIN_ABI_VERSION,
#endif
#ifdef BAD_SIZE
	.size = 16,
#else
	.size = sizeof(struct tsd_plugin),
#endif
	.kind = KIND,
	.name = PLUGIN_NAME,
	.description = "a plugin for the loader tests",
#ifdef BAD_NO_INIT
	.init = NULL,
#else
	.init = test_init,
#endif
	.fini = test_fini,
	.clock = &clock_ops,
	.estimator = &estimator_ops,
};

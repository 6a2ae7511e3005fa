/* Test plugins the loader must refuse, one per build: BAD_ABI (a future ABI
 * version), BAD_NOSYM (no tsd_plugin symbol), BAD_KIND (an estimator in a
 * clock_*.so file). Each would work if it were loaded, so a refusal can only
 * come from the loader's checks. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "tsd/plugin.h"

static int bad_now(void *state, struct tsd_clock_reading *out)
{
	struct timespec ts;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	out->time_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	out->error_s = 1e-6;
	return 0;
}

static int bad_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	*out = (struct tsd_clock_info){ TSD_LEAP_NONE, 1, -20, 0.0, 1e-6, "TEST" };
	return 0;
}

static int bad_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	(void)settings;
	if (n_settings > 0)
		return tsd_plugin_fail(err, 0, -EINVAL, "no settings");
	*state = NULL;
	return 0;
}

static void bad_fini(void *state)
{
	(void)state;
}

static const struct tsd_clock_ops bad_ops = { .now = bad_now, .info = bad_info };

#if defined(BAD_ABI)
#define BAD_SYMBOL tsd_plugin
#define BAD_ABI_VERSION (TSD_PLUGIN_ABI_VERSION + 98u)
#define BAD_PLUGIN_KIND TSD_PLUGIN_CLOCK
#define BAD_NAME "badabi"
#elif defined(BAD_NOSYM)
#define BAD_SYMBOL tsd_plugin_v2
#define BAD_ABI_VERSION TSD_PLUGIN_ABI_VERSION
#define BAD_PLUGIN_KIND TSD_PLUGIN_CLOCK
#define BAD_NAME "nosym"
#elif defined(BAD_KIND)
#define BAD_SYMBOL tsd_plugin
#define BAD_ABI_VERSION TSD_PLUGIN_ABI_VERSION
#define BAD_PLUGIN_KIND TSD_PLUGIN_ESTIMATOR
#define BAD_NAME "wrongkind"
#else
#error "define BAD_ABI, BAD_NOSYM or BAD_KIND"
#endif

extern const struct tsd_plugin BAD_SYMBOL;
const struct tsd_plugin BAD_SYMBOL = {
	.abi_version = BAD_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = BAD_PLUGIN_KIND,
	.name = BAD_NAME,
	.description = "a plugin the loader must refuse",
	.init = bad_init,
	.fini = bad_fini,
	.clock = &bad_ops,
	.estimator = NULL,
};

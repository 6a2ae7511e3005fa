/* Test support: open a built plugin straight from $PLUGIN_DIR with dlopen,
 * so the plugin tests need nothing from the loader. */
#ifndef TSD_TEST_PLUGIN_DL_H
#define TSD_TEST_PLUGIN_DL_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "tsd/plugin.h"

#define FLOAT_SETTING(n, v) { .name = (n), .type = TSD_SETTING_FLOAT, .float_value = (v) }
#define INT_SETTING(n, v) \
	{ .name = (n), .type = TSD_SETTING_INT, .int_value = (v), .float_value = (double)(v) }
#define STRING_SETTING(n, v) { .name = (n), .type = TSD_SETTING_STRING, .string_value = (v) }

struct dl_plugin {
	void *handle;
	const struct tsd_plugin *desc;
};

/* Opens "<PLUGIN_DIR>/<file>"; fails the test run if it cannot. */
static inline int dl_plugin_open(struct dl_plugin *p, const char *file)
{
	const char *dir = getenv("PLUGIN_DIR");
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "../../plugins/.libs", file);
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (p->handle == NULL) {
		fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
		return -1;
	}
	p->desc = dlsym(p->handle, TSD_PLUGIN_SYMBOL);
	if (p->desc == NULL || p->desc->abi_version != TSD_PLUGIN_ABI_VERSION ||
	    p->desc->init == NULL) {
		fprintf(stderr, "%s: no usable %s\n", path, TSD_PLUGIN_SYMBOL);
		dlclose(p->handle);
		return -1;
	}
	return 0;
}

static inline void dl_plugin_close(struct dl_plugin *p)
{
	if (p->handle != NULL)
		dlclose(p->handle);
	p->handle = NULL;
}

#endif

#include "tsd/plugin.h"
const struct tsd_plugin tsd_plugin = { TSD_PLUGIN_ABI_VERSION, sizeof(struct tsd_plugin), 0, "placeholder", 0, 0, 0, 0, 0 };

/* Plugin loader: find <kind>_<name>.so in plugin_dir, dlopen, check the ABI. */
#ifndef TSD_LOADER_H
#define TSD_LOADER_H

#include <stddef.h>
#include "tsd/plugin.h"

struct loaded_plugin {
	void *handle;                   /* from dlopen */
	const struct tsd_plugin *desc;  /* checked descriptor */
	char *path;
	/* The file's descriptor, loaded as /proc/self/fd/N and kept open while
	 * handle is: the dynamic linker knows a library by that name, so no
	 * other plugin may get the same number meanwhile. Valid with handle. */
	int fd;
};

/* The file name prefix for a kind: "clock" or "estimator". */
const char *loader_kind_name(enum tsd_plugin_kind kind);

/* Load and check a plugin. On failure returns -1 and writes one sentence
 * naming the file and the reason into err (for example
 * "/usr/lib/tsd/clock_x.so: ABI version 7, expected 1 to 2"). */
int loader_open(struct loaded_plugin *out, const char *plugin_dir,
                enum tsd_plugin_kind kind, const char *name,
                char *err, size_t errlen);

/* The same checks on a descriptor already in memory (used by loader_open
 * and by the tests). */
int loader_check_descriptor(const struct tsd_plugin *desc, const char *path,
                            enum tsd_plugin_kind kind, const char *name,
                            char *err, size_t errlen);

/* A checked clock descriptor's functions as this host's struct: an ABI 1
 * plugin's struct is shorter, and the functions it cannot have are NULL. */
void loader_clock_ops(const struct tsd_plugin *desc, struct tsd_clock_ops *out);

void loader_close(struct loaded_plugin *p);

/* The process is about to exit: a plugin closed from now on closes its
 * descriptor without asking the dynamic linker whether the library is
 * still loaded (which opens the file again: a sandboxed worker or sync
 * process may not, and its descriptor numbers are never reused anyway). */
void loader_exiting(void);

/* The end of a loader_start: free the instance (desc->fini) and unload. */
void loader_stop(struct loaded_plugin *p, void *state);

/* Load plugin `name` of `kind` from cfg->plugin_dir and create its instance
 * with the settings of `section` (NULL: none). Errors are appended as
 * "FILE:LINE: <kind> plugin '<name>': ...", the line being the setting the
 * plugin refused, or the section's. On success the caller owns *state and
 * frees it with p->desc->fini before loader_close. */
struct conf;
struct conf_plugin;
struct conf_errors;
int loader_start(struct loaded_plugin *p, void **state, const struct conf *cfg,
                 const struct conf_plugin *section, enum tsd_plugin_kind kind,
                 const char *name, struct conf_errors *errs);

#endif

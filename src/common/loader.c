/* Plugin loader: find <kind>_<name>.so in plugin_dir, dlopen it and check
 * its descriptor completely before anything in it is called. */
#include "common/conf.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/loader.h"
#include "common/log.h"
#include "common/plugin_file.h"

#define MAX_NAME 64

/* ABI 1 descriptors end with the estimator pointer; later fields are
 * optional and read only when `size` covers them. */
#define MIN_DESCRIPTOR_SIZE \
	(offsetof(struct tsd_plugin, estimator) + sizeof(((struct tsd_plugin *)0)->estimator))

/* A field appended after ABI 1's last: present only when size covers it. */
#define HAS_FIELD(desc, field) \
	((desc)->size >= offsetof(struct tsd_plugin, field) + sizeof((desc)->field))

/* The plugin's run-time messages go where the host's go. */
static void give_log(const struct tsd_plugin *desc)
{
	if (HAS_FIELD(desc, set_log) && desc->set_log != NULL)
		desc->set_log(log_msg);
}

const char *loader_kind_name(enum tsd_plugin_kind kind)
{
	switch (kind) {
	case TSD_PLUGIN_CLOCK: return "clock";
	case TSD_PLUGIN_ESTIMATOR: return "estimator";
	}
	return NULL;
}

static const char *kind_article(uint32_t kind)
{
	return kind == TSD_PLUGIN_ESTIMATOR ? "an" : "a";
}

static int valid_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= MAX_NAME &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* An ABI 1 clock's functions end at slew: the steering ones are not there. */
#define ABI1_CLOCK_OPS_SIZE \
	(offsetof(struct tsd_clock_ops, slew) + sizeof(((struct tsd_clock_ops *)0)->slew))

void loader_clock_ops(const struct tsd_plugin *desc, struct tsd_clock_ops *out)
{
	memset(out, 0, sizeof(*out));
	if (desc->clock == NULL)
		return;
	memcpy(out, desc->clock, desc->abi_version >= 2 ? sizeof(*out) : ABI1_CLOCK_OPS_SIZE);
}

/* Steering comes as a set (plugin.h): with any of it, all of it and step. */
static int check_steering(const struct tsd_clock_ops *ops, const char *path,
                          char *err, size_t errlen)
{
	static const char *const names[] = { "step", "adjust_frequency", "adjust_read",
	                                     "adjust_status" };
	int present[4] = { ops->step != NULL, ops->adjust_frequency != NULL,
	                   ops->adjust_read != NULL, ops->adjust_status != NULL };

	if (!present[1] && !present[2] && !present[3])
		return 0;
	for (int i = 0; i < 4; i++)
		if (!present[i])
			return plugin_refuse(err, errlen, "%s: clock.%s is missing: a clock that "
			                     "steers needs step, adjust_frequency, adjust_read "
			                     "and adjust_status", path, names[i]);
	return 0;
}

static int check_clock_ops(const struct tsd_plugin *desc, const char *path,
                           char *err, size_t errlen)
{
	struct tsd_clock_ops copy;
	const struct tsd_clock_ops *ops = &copy;

	loader_clock_ops(desc, &copy);
	if (desc->clock == NULL)
		return plugin_refuse(err, errlen, "%s: clock plugin has no clock functions", path);
	if (ops->now == NULL)
		return plugin_refuse(err, errlen, "%s: required function clock.now is missing", path);
	if (ops->info == NULL)
		return plugin_refuse(err, errlen, "%s: required function clock.info is missing", path);
	return check_steering(ops, path, err, errlen);
}

static int check_estimator_ops(const struct tsd_plugin *desc, const char *path,
                               char *err, size_t errlen)
{
	const struct tsd_estimator_ops *ops = desc->estimator;

	if (ops == NULL)
		return plugin_refuse(err, errlen, "%s: estimator plugin has no estimator functions", path);
	if (ops->reset == NULL)
		return plugin_refuse(err, errlen, "%s: required function estimator.reset is missing", path);
	if (ops->add_sample == NULL)
		return plugin_refuse(err, errlen, "%s: required function estimator.add_sample is missing", path);
	if (ops->estimate == NULL)
		return plugin_refuse(err, errlen, "%s: required function estimator.estimate is missing", path);
	return 0;
}

int loader_check_descriptor(const struct tsd_plugin *desc, const char *path,
                            enum tsd_plugin_kind kind, const char *name,
                            char *err, size_t errlen)
{
	const char *found_kind;

	if (desc == NULL)
		return plugin_refuse(err, errlen, "%s: '%s' is NULL", path, TSD_PLUGIN_SYMBOL);
	/* abi_version and size are the two fields every version has. */
	if (desc->abi_version < TSD_PLUGIN_ABI_OLDEST ||
	    desc->abi_version > TSD_PLUGIN_ABI_VERSION)
		return plugin_refuse(err, errlen, "%s: ABI version %u, expected %u to %u", path,
		              desc->abi_version, TSD_PLUGIN_ABI_OLDEST, TSD_PLUGIN_ABI_VERSION);
	if (desc->size < MIN_DESCRIPTOR_SIZE)
		return plugin_refuse(err, errlen, "%s: descriptor size %u too small, expected at least %zu",
		              path, desc->size, MIN_DESCRIPTOR_SIZE);
	found_kind = loader_kind_name((enum tsd_plugin_kind)desc->kind);
	if (found_kind == NULL)
		return plugin_refuse(err, errlen, "%s: unknown plugin kind %u, expected %s", path,
		              desc->kind, loader_kind_name(kind));
	if (desc->kind != (uint32_t)kind)
		return plugin_refuse(err, errlen, "%s: is %s %s plugin, expected %s", path,
		              kind_article(desc->kind), found_kind, loader_kind_name(kind));
	if (desc->name == NULL)
		return plugin_refuse(err, errlen, "%s: descriptor has no name, expected '%s'", path, name);
	if (strcmp(desc->name, name) != 0)
		return plugin_refuse(err, errlen, "%s: descriptor is named '%.64s', expected '%s'",
		              path, desc->name, name);
	if (desc->init == NULL)
		return plugin_refuse(err, errlen, "%s: required function init is missing", path);
	if (desc->fini == NULL)
		return plugin_refuse(err, errlen, "%s: required function fini is missing", path);
	if (kind == TSD_PLUGIN_CLOCK)
		return check_clock_ops(desc, path, err, errlen);
	return check_estimator_ops(desc, path, err, errlen);
}

/* The file is opened and checked once (plugin_file.c) and that very file
 * is loaded: nothing can be swapped in between the check and dlopen. */
static int open_checked(struct loaded_plugin *out, enum tsd_plugin_kind kind,
                        const char *name, const char *dir, const char *file,
                        char *err, size_t errlen)
{
	char proc_path[64];
	const char *why;
	int fd = plugin_file_open(dir, file, err, errlen);

	if (fd < 0)
		return -1;
	plugin_file_proc_path(fd, proc_path, sizeof(proc_path));
	out->handle = dlopen(proc_path, RTLD_NOW | RTLD_LOCAL);
	if (out->handle != NULL)
		out->fd = fd;
	else
		close(fd);
	if (out->handle == NULL) {
		why = dlerror();
		return plugin_refuse(err, errlen, "%s: cannot load: %s", out->path,
		              why != NULL ? why : "unknown error");
	}
	dlerror();
	out->desc = dlsym(out->handle, TSD_PLUGIN_SYMBOL);
	if (out->desc == NULL)
		return plugin_refuse(err, errlen, "%s: no '%s' symbol (not a tsd plugin)",
		              out->path, TSD_PLUGIN_SYMBOL);
	return loader_check_descriptor(out->desc, out->path, kind, name, err, errlen);
}

/* The plugin file does not exist, though its directory does. */
static int missing_file(const char *path)
{
	struct stat st;

	return lstat(path, &st) != 0 && errno == ENOENT;
}

static int is_plugin_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 3 && strcmp(d->d_name + len - 3, ".so") == 0;
}

/* The name of <kind>_<name>.so in `file`, or NULL when it is not one. */
static const char *plugin_name_of(char *file, const char *kind_name)
{
	size_t klen = strlen(kind_name), len = strlen(file);

	if (strncmp(file, kind_name, klen) != 0 || file[klen] != '_')
		return NULL;
	file[len - 3] = '\0';
	return valid_name(file + klen + 1) ? file + klen + 1 : NULL;
}

/* Append to err the plugins of this kind that plugin_dir does hold: a
 * wrong name is then one glance from the right one. */
static void list_existing(const char *plugin_dir, const char *kind_name, char *err, size_t errlen)
{
	struct dirent **files = NULL;
	char names[512] = "";
	size_t used = 0, found = 0, len;
	int n;

	if (err == NULL || errlen == 0)
		return;
	len = strlen(err);
	n = scandir(plugin_dir, &files, is_plugin_file, alphasort);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *name = plugin_name_of(files[i]->d_name, kind_name);

		if (name != NULL && used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
			                         found++ == 0 ? "" : ", ", name);
		free(files[i]);
	}
	free(files);
	if (len + 1 >= errlen)
		return;
	if (found == 0)
		snprintf(err + len, errlen - len, "; %s holds no %s plugins", plugin_dir, kind_name);
	else
		snprintf(err + len, errlen - len, "; the %s %s there: %s", kind_name,
		         found == 1 ? "plugin" : "plugins", names);
}

int loader_open(struct loaded_plugin *out, const char *plugin_dir,
                enum tsd_plugin_kind kind, const char *name,
                char *err, size_t errlen)
{
	const char *kind_name = loader_kind_name(kind);

	memset(out, 0, sizeof(*out));
	if (kind_name == NULL)
		return plugin_refuse(err, errlen, "unknown plugin kind %d", (int)kind);
	if (plugin_dir == NULL || plugin_dir[0] == '\0')
		plugin_dir = ".";
	if (name == NULL || !valid_name(name)) {
		plugin_refuse(err, errlen, "invalid %s plugin name '%s' (a-z, 0-9 and _ only)",
		              kind_name, name != NULL ? name : "");
		list_existing(plugin_dir, kind_name, err, errlen);
		return -1;
	}
	if (asprintf(&out->path, "%s/%s_%s.so", plugin_dir, kind_name, name) < 0) {
		out->path = NULL;
		return plugin_refuse(err, errlen, "%s plugin '%s': out of memory", kind_name, name);
	}
	if (open_checked(out, kind, name, plugin_dir, out->path + strlen(plugin_dir) + 1,
	                 err, errlen) == 0)
		return 0;
	if (missing_file(out->path))
		list_existing(plugin_dir, kind_name, err, errlen);
	loader_close(out);
	return -1;
}

static int process_exiting;

void loader_exiting(void)
{
	process_exiting = 1;
}

/* The descriptor's number may name a library again only once the dynamic
 * linker has forgotten the one loaded by that name: a library that stays
 * mapped after dlclose keeps its descriptor open for good. */
static void release_fd(int fd)
{
	char proc_path[64];
	void *still;

	if (process_exiting) {
		close(fd);
		return;
	}
	plugin_file_proc_path(fd, proc_path, sizeof(proc_path));
	still = dlopen(proc_path, RTLD_LAZY | RTLD_NOLOAD);
	if (still != NULL) {
		dlclose(still);
		return;
	}
	close(fd);
}

void loader_close(struct loaded_plugin *p)
{
	if (p == NULL)
		return;
	if (p->handle != NULL) {
		dlclose(p->handle);
		release_fd(p->fd);
	}
	free(p->path);
	memset(p, 0, sizeof(*p));
}

void loader_stop(struct loaded_plugin *p, void *state)
{
	p->desc->fini(state);
	loader_close(p);
}

/* The line a plugin's complaint points at: the refused setting if it named
 * one, else the section. */
static int error_line(const struct conf_plugin *section, int index)
{
	if (index >= 0 && (size_t)index < section->n_settings &&
	    section->settings[index].line > 0)
		return section->settings[index].line;
	return section->line;
}

int loader_start(struct loaded_plugin *p, void **state, const struct conf *cfg,
                 const struct conf_plugin *section, enum tsd_plugin_kind kind,
                 const char *name, struct conf_errors *errs)
{
	static const struct conf_plugin no_settings;
	const char *file = section != NULL ? cfg->path : NULL;
	struct tsd_plugin_error perr;
	char why[512];
	int rc;

	if (section == NULL)
		section = &no_settings;
	*state = NULL;
	if (loader_open(p, cfg->plugin_dir, kind, name, why, sizeof(why)) < 0) {
		conf_error(errs, file, section->line, "%s plugin '%s': %s",
		             loader_kind_name(kind), name != NULL ? name : "", why);
		return -1;
	}
	give_log(p->desc);
	memset(&perr, 0, sizeof(perr));
	perr.setting_index = -1;
	rc = p->desc->init(state, section->settings, section->n_settings, &perr);
	if (rc == 0)
		return 0;
	perr.message[sizeof(perr.message) - 1] = '\0';
	conf_error(errs, file, error_line(section, perr.setting_index),
	             "%s plugin '%s': %s", loader_kind_name(kind), name,
	             perr.message[0] != '\0' ? perr.message
	                                     : strerror(rc < 0 ? -rc : EINVAL));
	*state = NULL;
	loader_close(p);
	return -1;
}

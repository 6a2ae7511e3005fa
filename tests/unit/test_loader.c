/* Unit tests for the plugin loader (src/common/loader.c, plugin_file.c): a
 * good plugin loads, and every broken or untrusted one is refused with its
 * own message naming the file. */

#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/loader.h"

/* ---- fault injection ---- */

void *__real_dlopen(const char *file, int flags);
void *__wrap_dlopen(const char *file, int flags);
int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);

static int dlopen_calls;
static int dlopen_fails;   /* fail without setting dlerror() */
static char dlopen_file[64];
static int openat_errno;   /* nonzero: opening the plugin file fails with it */
static int fake_file_uid;  /* nonzero: regular files seem owned by this uid */

void *__wrap_dlopen(const char *file, int flags)
{
	/* loader_close asks whether a library is still known: not a load. */
	if (flags & RTLD_NOLOAD)
		return __real_dlopen(file, flags);
	dlopen_calls++;
	snprintf(dlopen_file, sizeof(dlopen_file), "%s", file != NULL ? file : "");
	if (dlopen_fails)
		return NULL;
	return __real_dlopen(file, flags);
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	if (openat_errno != 0) {
		errno = openat_errno;
		return -1;
	}
	return __real_openat(dirfd, path, flags, 0);
}

int __wrap_fstat(int fd, struct stat *st)
{
	int rc = __real_fstat(fd, st);

	if (rc == 0 && fake_file_uid != 0 && S_ISREG(st->st_mode))
		st->st_uid = (uid_t)fake_file_uid;
	return rc;
}

/* ---- helpers ---- */

static char err[512];
static char tmpdir[64];

static const char *plugin_dir(void)
{
	const char *dir = getenv("TEST_PLUGIN_DIR");

	return dir != NULL ? dir : ".libs";
}

static int setup(void **state)
{
	(void)state;
	dlopen_calls = 0;
	dlopen_fails = 0;
	openat_errno = 0;
	fake_file_uid = 0;
	memset(err, 0, sizeof(err));
	return 0;
}

/* Load a plugin that must be refused with "<its path>: <why>", or with a
 * message that starts so when `whole` is 0. */
static void expect_refusal_as(const char *dir, enum tsd_plugin_kind kind,
                              const char *name, const char *why, int whole)
{
	struct loaded_plugin p;
	char want[1024];

	snprintf(want, sizeof(want), "%s/%s_%s.so: %s", dir, loader_kind_name(kind), name, why);
	assert_int_equal(loader_open(&p, dir, kind, name, err, sizeof(err)), -1);
	if (whole)
		assert_string_equal(err, want);
	else
		assert_memory_equal(err, want, strlen(want) + 1 > sizeof(err) ? sizeof(err)
		                                                               : strlen(want));
	/* Nothing is left open or allocated. */
	assert_null(p.handle);
	assert_null(p.path);
	assert_null(p.desc);
}

static void expect_refusal(const char *dir, enum tsd_plugin_kind kind,
                           const char *name, const char *why)
{
	expect_refusal_as(dir, kind, name, why, 1);
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tsd-test-loader-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return setup(state);
}

static int remove_tmpdir(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/clock_garbage.so", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/clock_dir.so", tmpdir);
	rmdir(path);
	return rmdir(tmpdir);
}

/* ---- tests ---- */

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(loader_kind_name(TSD_PLUGIN_CLOCK), "clock");
	assert_string_equal(loader_kind_name(TSD_PLUGIN_ESTIMATOR), "estimator");
	assert_null(loader_kind_name((enum tsd_plugin_kind)9));
}

static void test_good_plugin_loads(void **state)
{
	struct loaded_plugin p;
	char want[1024];

	(void)state;
	assert_int_equal(loader_open(&p, plugin_dir(), TSD_PLUGIN_CLOCK, "minimal",
	                             err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/clock_minimal.so", plugin_dir());
	assert_string_equal(p.path, want);
	assert_non_null(p.handle);
	assert_non_null(p.desc);
	assert_string_equal(p.desc->name, "minimal");
	assert_non_null(p.desc->clock->now);
	assert_int_equal(dlopen_calls, 1);
	loader_close(&p);
	assert_null(p.handle);
	assert_null(p.path);
	loader_close(&p);  /* twice is harmless */
}

static void test_invalid_names(void **state)
{
	static const char *const names[] = {
		"../minimal", "", "Minimal", "a/b", "a.b", "a-b",
		"a123456789b123456789c123456789d123456789e123456789f123456789g1234",
	};
	struct loaded_plugin p;
	char want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "invalid clock plugin name '%s' (a-z, 0-9 and _ only)"
		         "; the clock plugins there: ", names[i]);
		assert_int_equal(loader_open(&p, plugin_dir(), TSD_PLUGIN_CLOCK, names[i],
		                             err, sizeof(err)), -1);
		assert_memory_equal(err, want, strlen(want));
	}
	assert_int_equal(loader_open(&p, plugin_dir(), TSD_PLUGIN_CLOCK, NULL,
	                             err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid clock plugin name '' (a-z, 0-9 and _ only); "));
	assert_int_equal(dlopen_calls, 0);
}

/* A missing plugin is refused with the names of those of its kind that the
 * directory holds, sorted: files named <kind>_<name>.so with a valid name. */
static const char *const listed_files[] = {
	"clock_b.so", "clock_a_1.so", "clock_Bad.so", "clock_.so", "clock_c.so.1",
	"estimator_x.so", "clockwork.so", "notes.txt",
};

static int make_listed_dir(void **state)
{
	char path[128];
	FILE *f;

	if (make_tmpdir(state) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(listed_files) / sizeof(listed_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, listed_files[i]);
		f = fopen(path, "w");
		if (f == NULL || fclose(f) != 0)
			return -1;
	}
	return 0;
}

static int remove_listed_dir(void **state)
{
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(listed_files) / sizeof(listed_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, listed_files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static void test_not_found_lists_existing(void **state)
{
	char want[128];

	(void)state;
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "nosuch",
	               "not found; the clock plugins there: a_1, b");
	expect_refusal(tmpdir, TSD_PLUGIN_ESTIMATOR, "nosuch",
	               "not found; the estimator plugin there: x");
	/* A file that is there but refused is not a question of its name. */
	expect_refusal_as(tmpdir, TSD_PLUGIN_CLOCK, "b", "cannot load: ", 0);
	assert_null(strstr(err, "plugins there"));
	assert_int_equal(remove_listed_dir(state), 0);
	assert_int_equal(make_tmpdir(state), 0);
	snprintf(want, sizeof(want), "not found; %s holds no clock plugins", tmpdir);
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "nosuch", want);
}

static void test_not_found(void **state)
{
	(void)state;
	expect_refusal_as(plugin_dir(), TSD_PLUGIN_CLOCK, "nosuch",
	                  "not found; the clock plugins there: badabi, fake, minimal, ", 0);
	/* A clock is not found under the estimator prefix either. */
	expect_refusal_as(plugin_dir(), TSD_PLUGIN_ESTIMATOR, "minimal",
	                  "not found; the estimator plugins there: ", 0);
	assert_int_equal(dlopen_calls, 0);
}

static void test_not_a_regular_file(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/clock_dir.so", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "dir", "not a regular file");
	assert_int_equal(dlopen_calls, 0);
}

static void test_dlopen_failure_names_dlerror(void **state)
{
	struct loaded_plugin p;
	char path[128], prefix[256];
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/clock_garbage.so", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not a shared object\n", fp);
	fclose(fp);
	assert_int_equal(loader_open(&p, tmpdir, TSD_PLUGIN_CLOCK, "garbage",
	                             err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s: cannot load: ", path);
	assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
	/* dlerror()'s own words follow (e.g. "invalid ELF header"). */
	assert_true(strlen(err) > strlen(prefix) + 5);
	assert_null(strstr(err, "unknown error"));
	assert_int_equal(dlopen_calls, 1);
	assert_null(p.path);
}

static void test_no_descriptor_symbol(void **state)
{
	(void)state;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "nosym",
	               "no 'tsd_plugin' symbol (not a tsd plugin)");
}

static void test_wrong_abi_version(void **state)
{
	(void)state;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "badabi", "ABI version 7, expected 1 to 2");
}

static void test_descriptor_too_small(void **state)
{
	char why[128];

	(void)state;
	snprintf(why, sizeof(why), "descriptor size 16 too small, expected at least %zu",
	         offsetof(struct tsd_plugin, estimator) + sizeof(void *));
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "small", why);
}

static void test_wrong_kind(void **state)
{
	(void)state;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "wrongkind",
	               "is an estimator plugin, expected clock");
}

static void test_name_mismatch(void **state)
{
	(void)state;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "misnamed",
	               "descriptor is named 'other', expected 'misnamed'");
}

static void test_missing_functions(void **state)
{
	(void)state;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "noinit",
	               "required function init is missing");
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "nonow",
	               "required function clock.now is missing");
	expect_refusal(plugin_dir(), TSD_PLUGIN_ESTIMATOR, "noestimate",
	               "required function estimator.estimate is missing");
}

static int dummy_init(void **state, const struct tsd_setting *s, size_t n,
                      struct tsd_plugin_error *e)
{
	(void)s;
	(void)n;
	(void)e;
	*state = NULL;
	return 0;
}

static void dummy_fini(void *state)
{
	(void)state;
}

static void dummy_reset(void *state)
{
	(void)state;
}

static int dummy_add(void *state, const struct tsd_sample *s)
{
	(void)state;
	(void)s;
	return 0;
}

/* The same checks on descriptors built here, field by field. */
static void test_check_descriptor_in_memory(void **state)
{
	struct tsd_estimator_ops ops = { dummy_reset, dummy_add, NULL };
	struct tsd_plugin d = {
		TSD_PLUGIN_ABI_VERSION, sizeof(struct tsd_plugin), TSD_PLUGIN_ESTIMATOR,
		"e", "", dummy_init, dummy_fini, NULL, &ops, NULL,
	};

	(void)state;
	assert_int_equal(loader_check_descriptor(NULL, "x.so", TSD_PLUGIN_CLOCK, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: 'tsd_plugin' is NULL");
	assert_int_equal(loader_check_descriptor(&d, "x.so", TSD_PLUGIN_ESTIMATOR, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: required function estimator.estimate is missing");

	d.estimator = NULL;
	assert_int_equal(loader_check_descriptor(&d, "x.so", TSD_PLUGIN_ESTIMATOR, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: estimator plugin has no estimator functions");

	d.kind = 9;
	assert_int_equal(loader_check_descriptor(&d, "x.so", TSD_PLUGIN_CLOCK, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: unknown plugin kind 9, expected clock");

	d.kind = TSD_PLUGIN_CLOCK;
	d.name = NULL;
	assert_int_equal(loader_check_descriptor(&d, "x.so", TSD_PLUGIN_CLOCK, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: descriptor has no name, expected 'e'");

	d.name = "e";
	d.fini = NULL;
	assert_int_equal(loader_check_descriptor(&d, "x.so", TSD_PLUGIN_CLOCK, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: required function fini is missing");

	d.fini = dummy_fini;
	assert_int_equal(loader_check_descriptor(&d, "x.so", TSD_PLUGIN_CLOCK, "e",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "x.so: clock plugin has no clock functions");
}

static int dummy_now(void *state, struct tsd_clock_reading *out)
{
	(void)state;
	(void)out;
	return 0;
}

static int dummy_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	(void)out;
	return 0;
}

/* A descriptor from a newer header, with fields appended, is accepted. */
static void test_larger_descriptor_accepted(void **state)
{
	struct tsd_clock_ops ops = { .now = dummy_now };
	struct tsd_plugin d = {
		TSD_PLUGIN_ABI_VERSION, sizeof(struct tsd_plugin) + 64, TSD_PLUGIN_CLOCK,
		"c", "", dummy_init, dummy_fini, &ops, NULL, NULL,
	};

	(void)state;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "c.so: required function clock.info is missing");
	ops.info = dummy_info;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), 0);
}

static int dummy_step(void *state, double offset_s)
{
	(void)state;
	(void)offset_s;
	return 0;
}

/* An ABI 1 clock still loads, and the host reads nothing past its slew:
 * what follows its functions in memory is never taken for steering. */
static void test_abi1_clock_loads_without_steering(void **state)
{
	struct {
		struct { void *fn[5]; } abi1;     /* now, info, from_realtime, step, slew */
		void *after[3];
	} mem = { { { (void *)dummy_now, (void *)dummy_info, NULL, NULL, NULL } },
	          { (void *)1, (void *)1, (void *)1 } };
	struct tsd_plugin d = {
		1, sizeof(struct tsd_plugin), TSD_PLUGIN_CLOCK, "c", "", dummy_init,
		dummy_fini, (const struct tsd_clock_ops *)(void *)&mem, NULL, NULL,
	};
	struct tsd_clock_ops ops;

	(void)state;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), 0);
	loader_clock_ops(&d, &ops);
	assert_ptr_equal(ops.now, dummy_now);
	assert_null(ops.step);
	assert_null(ops.adjust_frequency);
	assert_null(ops.adjust_read);
	assert_null(ops.adjust_status);
	d.abi_version = 0;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "c.so: ABI version 0, expected 1 to 2");
}

/* Steering comes as a set: one function alone is refused, naming the missing one. */
static void test_partial_steering_refused(void **state)
{
	struct tsd_clock_ops ops = { .now = dummy_now, .info = dummy_info,
	                             .adjust_frequency = (int (*)(void *, double))dummy_step };
	struct tsd_plugin d = {
		TSD_PLUGIN_ABI_VERSION, sizeof(struct tsd_plugin), TSD_PLUGIN_CLOCK,
		"c", "", dummy_init, dummy_fini, &ops, NULL, NULL,
	};

	(void)state;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "c.so: clock.step is missing: a clock that steers needs "
	                         "step, adjust_frequency, adjust_read and adjust_status");
	ops.step = dummy_step;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), -1);
	assert_string_equal(err, "c.so: clock.adjust_read is missing: a clock that steers "
	                         "needs step, adjust_frequency, adjust_read and adjust_status");
	/* step alone (ABI 1's optional step) is no steering. */
	ops.adjust_frequency = NULL;
	assert_int_equal(loader_check_descriptor(&d, "c.so", TSD_PLUGIN_CLOCK, "c",
	                                         err, sizeof(err)), 0);
}

/* dlopen failing with nothing in dlerror() still gives a sentence. */
static void test_dlopen_fault_without_dlerror(void **state)
{
	char why[64];

	(void)state;
	dlopen_fails = 1;
	snprintf(why, sizeof(why), "cannot load: unknown error");
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "minimal", why);
	assert_int_equal(dlopen_calls, 1);
}

/* Opening failing for another reason than "not there" says which. */
static void test_open_fault(void **state)
{
	(void)state;
	openat_errno = EACCES;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "minimal", strerror(EACCES));
	openat_errno = ENOENT;
	expect_refusal(plugin_dir(), TSD_PLUGIN_CLOCK, "minimal", "not found");
	assert_int_equal(dlopen_calls, 0);
}

/* The file that was checked is the file loaded: through its descriptor. */
static void test_loads_the_checked_descriptor(void **state)
{
	struct loaded_plugin p;

	(void)state;
	assert_int_equal(loader_open(&p, plugin_dir(), TSD_PLUGIN_CLOCK, "minimal",
	                             err, sizeof(err)), 0);
	assert_true(strncmp(dlopen_file, "/proc/self/fd/", 14) == 0);
	loader_close(&p);
}

/* clock_minimal.so copied into dir with `mode`. */
static void copy_minimal(const char *dir, mode_t mode)
{
	char from[512], to[512], buf[8192];
	FILE *in, *out;
	size_t n;

	snprintf(from, sizeof(from), "%s/clock_minimal.so", plugin_dir());
	snprintf(to, sizeof(to), "%s/clock_minimal.so", dir);
	in = fopen(from, "rb");
	out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(to, mode), 0);
}

static int remove_copy(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/clock_minimal.so", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/clock_link.so", tmpdir);
	unlink(path);
	chmod(tmpdir, 0700);
	return remove_tmpdir(state);
}

static void test_writable_file_refused(void **state)
{
	struct loaded_plugin p;
	char why[256];

	(void)state;
	copy_minimal(tmpdir, 0755);
	assert_int_equal(loader_open(&p, tmpdir, TSD_PLUGIN_CLOCK, "minimal", err, sizeof(err)), 0);
	loader_close(&p);
	copy_minimal(tmpdir, 0775);
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "minimal",
	               "refused: the file is writable by its group (mode 0775); only root "
	               "or tsd's user may be able to change a plugin (chmod go-w)");
	copy_minimal(tmpdir, 0757);
	snprintf(why, sizeof(why), "refused: the file is writable by others (mode 0757); "
	         "only root or tsd's user may be able to change a plugin (chmod go-w)");
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "minimal", why);
	assert_int_equal(dlopen_calls, 1);
}

static void test_writable_directory_refused(void **state)
{
	char why[256];

	(void)state;
	copy_minimal(tmpdir, 0755);
	assert_int_equal(chmod(tmpdir, 0777), 0);
	snprintf(why, sizeof(why), "refused: its directory %s is writable by others "
	         "(mode 0777); only root or tsd's user may be able to change a plugin "
	         "(chmod go-w)", tmpdir);
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "minimal", why);
	assert_int_equal(dlopen_calls, 0);
}

static void test_foreign_owner_refused(void **state)
{
	char why[256];

	(void)state;
	copy_minimal(tmpdir, 0755);
	fake_file_uid = 4242;
	snprintf(why, sizeof(why), "refused: the file is owned by uid 4242, neither root "
	         "nor the user tsd runs as (uid %u)", (unsigned)geteuid());
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "minimal", why);
	assert_int_equal(dlopen_calls, 0);
}

static void test_symlink_refused(void **state)
{
	char target[512], link[128];

	(void)state;
	snprintf(target, sizeof(target), "%s/clock_minimal.so", plugin_dir());
	snprintf(link, sizeof(link), "%s/clock_link.so", tmpdir);
	assert_int_equal(symlink(target, link), 0);
	expect_refusal(tmpdir, TSD_PLUGIN_CLOCK, "link", "refused: a symbolic link (tsd loads "
	               "the file itself, never through a link)");
	assert_int_equal(dlopen_calls, 0);
}

static void test_long_error_is_truncated(void **state)
{
	struct loaded_plugin p;
	char small[16];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_int_equal(loader_open(&p, plugin_dir(), TSD_PLUGIN_CLOCK, "nosuch",
	                             small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* No buffer at all is allowed too. */
	assert_int_equal(loader_open(&p, plugin_dir(), TSD_PLUGIN_CLOCK, "nosuch", NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_kind_names, setup),
		cmocka_unit_test_setup(test_good_plugin_loads, setup),
		cmocka_unit_test_setup(test_invalid_names, setup),
		cmocka_unit_test_setup(test_not_found, setup),
		cmocka_unit_test_setup_teardown(test_not_found_lists_existing, make_listed_dir,
		                                remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_not_a_regular_file, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_dlopen_failure_names_dlerror, make_tmpdir,
		                                remove_tmpdir),
		cmocka_unit_test_setup(test_no_descriptor_symbol, setup),
		cmocka_unit_test_setup(test_wrong_abi_version, setup),
		cmocka_unit_test(test_abi1_clock_loads_without_steering),
		cmocka_unit_test(test_partial_steering_refused),
		cmocka_unit_test_setup(test_descriptor_too_small, setup),
		cmocka_unit_test_setup(test_wrong_kind, setup),
		cmocka_unit_test_setup(test_name_mismatch, setup),
		cmocka_unit_test_setup(test_missing_functions, setup),
		cmocka_unit_test_setup(test_check_descriptor_in_memory, setup),
		cmocka_unit_test_setup(test_larger_descriptor_accepted, setup),
		cmocka_unit_test_setup(test_dlopen_fault_without_dlerror, setup),
		cmocka_unit_test_setup(test_open_fault, setup),
		cmocka_unit_test_setup(test_loads_the_checked_descriptor, setup),
		cmocka_unit_test_setup_teardown(test_writable_file_refused, make_tmpdir, remove_copy),
		cmocka_unit_test_setup_teardown(test_writable_directory_refused, make_tmpdir,
		                                remove_copy),
		cmocka_unit_test_setup_teardown(test_foreign_owner_refused, make_tmpdir, remove_copy),
		cmocka_unit_test_setup_teardown(test_symlink_refused, make_tmpdir, remove_copy),
		cmocka_unit_test_setup(test_long_error_is_truncated, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

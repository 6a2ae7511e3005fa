/* Unit tests for reading the configuration file (src/common/conf.c) and the
 * pass over its text before parsing (conf_literals.c): unreadable files,
 * NUL bytes, size, @include, integers too large, a plugin_dir relative to
 * the file, and the error list's format (conf_errors.c). */
#include "common/conf.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_fixture.h"

/* @include is refused: it would read a file other than the one named. */
static void test_include_refused(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "port = 1;\n@include \"/etc/passwd\"\n",
	            "t.conf:2: @include is not supported");
	/* An @ inside a string or a comment is just a character. */
	assert_int_equal(load(f, "# @include \"x\"\nserver = { user = \"@x\"; };\n"), 0);
	assert_string_equal(f->cfg.server.user, "@x");
}

static void test_unreadable_files(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/tsd-test-config-XXXXXX";
	char want[256];

	assert_int_equal(conf_load(&f->cfg, "/nonexistent/tsd.conf", &f->errs), -1);
	assert_int_equal(f->errs.count, 1);
	assert_string_equal(f->errs.messages[0],
	                    "/nonexistent/tsd.conf: cannot read the configuration: "
	                    "No such file or directory");
	assert_null(f->cfg.plugin_dir);

	assert_non_null(mkdtemp(dir));
	conf_errors_free(&f->errs);
	assert_int_equal(conf_load(&f->cfg, dir, &f->errs), -1);
	snprintf(want, sizeof(want), "%s: cannot read the configuration: not a regular file", dir);
	assert_int_equal(f->errs.count, 1);
	assert_string_equal(f->errs.messages[0], want);
	rmdir(dir);
}

/* libconfig 1.5 keeps the low 32 bits of a larger integer written without
 * L: 4294979228 would be read as 11932. Such a literal is an error. */
static void test_large_integer_needs_suffix(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "# 99999999999 in a comment is fine\nport = 4294979228;",
	            "t.conf:2: port: integer 4294979228 does not fit in 32 bits "
	            "(write 4294979228L for a 64-bit value)");
	expect_only(f, "clock = { plugin = \"sim\";\n seed = 0x100000000; };",
	            "t.conf:2: seed: integer 0x100000000 does not fit in 32 bits "
	            "(write 0x100000000L for a 64-bit value)");
	expect_only(f, "server = { listen = [ \"::1\" ]; };\nx = [ 1, 5000000000 ];",
	            "t.conf:2: integer 5000000000 does not fit in 32 bits "
	            "(write 5000000000L for a 64-bit value)");
	/* Strings, comments, names with digits, floats and L literals pass. */
	assert_int_equal(load(f, "/* 88888888888\n */ clock = { plugin = \"s1\";\n"
	                         " a9999999999 = \"77777777777\"; b = 4294979228L;\n"
	                         " c = 12345678901.5; d = 1e12; e = 0xffffffff; g = -2147483648; };\n"
	                         "port = 11932; // 66666666666\n"), 0);
	assert_int_equal(f->cfg.clock.n_settings, 6);
	assert_int_equal(f->cfg.clock.settings[1].int_value, 4294979228LL);
	assert_int_equal(f->cfg.clock.settings[5].int_value, -2147483648LL);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

/* A NUL byte would end libconfig's reading early, hiding what follows. */
static void test_nul_byte_and_huge_file(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "port = 1;\n\0bogus = 2;\n";
	char path[] = "/tmp/tsd-test-config-XXXXXX";
	char want[128], *big;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	write_file(path, text, sizeof(text) - 1);
	assert_int_equal(conf_load(&f->cfg, path, &f->errs), -1);
	snprintf(want, sizeof(want), "%s:2: the file contains a NUL byte", path);
	expect_error(f, want);

	big = malloc(1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, '\n', 1024 * 1024 + 1);
	write_file(path, big, 1024 * 1024 + 1);
	free(big);
	conf_errors_free(&f->errs);
	assert_int_equal(conf_load(&f->cfg, path, &f->errs), -1);
	snprintf(want, sizeof(want), "%s: the configuration is larger than 1048576 bytes", path);
	expect_error(f, want);
	unlink(path);
}

static void test_conf_error_format(void **state)
{
	struct conf_errors errs = { NULL, 0 };

	(void)state;
	conf_error(&errs, "a.conf", 7, "x %d", 1);
	conf_error(&errs, "a.conf", 0, "no line");
	conf_error(&errs, NULL, 0, "bare");
	conf_error(NULL, "a.conf", 1, "ignored without a list");
	assert_int_equal(errs.count, 3);
	assert_string_equal(errs.messages[0], "a.conf:7: x 1");
	assert_string_equal(errs.messages[1], "a.conf: no line");
	assert_string_equal(errs.messages[2], "bare");
	conf_errors_free(&errs);
	assert_int_equal(errs.count, 0);
	assert_null(errs.messages);
}

/* A relative plugin_dir is relative to the file's directory, made absolute
 * so that a later chdir does not change it. */
static void test_relative_plugin_dir(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/tsd-test-config-XXXXXX";
	char path[PATH_MAX], want[PATH_MAX + 32], *real;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tsd.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("plugin_dir = \"lib/plugins\";\n", fp);
	fclose(fp);
	assert_int_equal(conf_load(&f->cfg, path, &f->errs), 0);
	real = realpath(dir, NULL);
	assert_non_null(real);
	snprintf(want, sizeof(want), "%s/lib/plugins", real);
	assert_string_equal(f->cfg.plugin_dir, want);
	free(real);
	unlink(path);
	rmdir(dir);

	/* An absolute one is kept as it is. */
	assert_int_equal(load(f, "plugin_dir = \"/usr/lib/tsd\";"), 0);
	assert_string_equal(f->cfg.plugin_dir, "/usr/lib/tsd");
}

/* server.udp.hwtimestamp: interface names or "*" alone, errors at their
 * line; no entry at all (the default) is software timestamps only. */
static void test_hwtimestamp_checks(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->cfg.server.udp.n_hwtimestamp, 0);
	assert_int_equal(load(f, "server = { udp = {\n hwtimestamp = [ \"eth0\", \"enp1s0f1\" ]; }; };"), 0);
	assert_int_equal(f->cfg.server.udp.n_hwtimestamp, 2);
	assert_string_equal(f->cfg.server.udp.hwtimestamp[1], "enp1s0f1");
	assert_int_equal(load(f, "server = { udp = { hwtimestamp = \"*\"; }; };"), 0);
	assert_int_equal(f->cfg.server.udp.n_hwtimestamp, 1);
	assert_string_equal(f->cfg.server.udp.hwtimestamp[0], "*");
	expect_only(f, "server = { udp = {\n hwtimestamp = [ \"*\", \"eth0\" ]; }; };",
	            "t.conf:2: server.udp.hwtimestamp: \"*\" (every interface) must be the "
	            "only entry (got 2 entries)");
	expect_only(f, "server = { udp = { hwtimestamp = [ \"eth0\", \"averyveryverylong0\" ]; }; };",
	            "t.conf:1: server.udp.hwtimestamp[1] must be an interface name (1 to 15 "
	            "characters, none of '/', ':' or white space) or \"*\" (got \"averyveryverylong0\")");
	expect_only(f, "server = { udp = { hwtimestamp = [ \"eth0:1\" ]; }; };",
	            "t.conf:1: server.udp.hwtimestamp[0] must be an interface name (1 to 15 "
	            "characters, none of '/', ':' or white space) or \"*\" (got \"eth0:1\")");
	expect_only(f, "server = { udp = { hwtimestamp = [ \"\" ]; }; };",
	            "t.conf:1: server.udp.hwtimestamp[0] must be an interface name (1 to 15 "
	            "characters, none of '/', ':' or white space) or \"*\" (got \"\")");
	expect_only(f, "server = { udp = { hwtimestamp = true; }; };",
	            "t.conf:1: server.udp.hwtimestamp must be a list of strings [ \"...\", ... ] "
	            "(got a boolean)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_include_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_plugin_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_integer_needs_suffix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte_and_huge_file, setup, teardown),
		cmocka_unit_test(test_conf_error_format),
		cmocka_unit_test_setup_teardown(test_hwtimestamp_checks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

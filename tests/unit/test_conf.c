/* Unit tests for the configuration file (src/common/conf.c, conf_schema.c,
 * conf_plugin.c): defaults, every
 * setting, and each kind of error with its exact file and line. */
#include "config.h"

#include "common/conf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
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

#include "conf_fixture.h"

/* ---- fault injection: strdup fails on its nth call when armed ---- */

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);

static int strdup_fail_at;  /* 0: never fail */
static int strdup_calls;

char *__wrap_strdup(const char *s)
{
	if (strdup_fail_at > 0 && ++strdup_calls == strdup_fail_at) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

static const char *srcdir(void)
{
	const char *dir = getenv("SRCDIR");

	return dir != NULL ? dir : ".";
}

/* Every field of a and b that the sample file and the defaults share. */
static void assert_same_settings(const struct conf *a, const struct conf *b)
{
	assert_int_equal(a->port, b->port);
	assert_string_equal(a->clock.name, b->clock.name);
	assert_string_equal(a->estimator.name, b->estimator.name);
	assert_int_equal(a->server.n_listen, b->server.n_listen);
	for (size_t i = 0; i < a->server.n_listen; i++)
		assert_string_equal(a->server.listen[i], b->server.listen[i]);
	assert_int_equal(a->server.workers, b->server.workers);
	assert_int_equal(a->server.max_connections, b->server.max_connections);
	assert_true(a->server.request_timeout == b->server.request_timeout);
	assert_true(a->server.idle_timeout == b->server.idle_timeout);
	assert_true(a->server.shutdown_timeout == b->server.shutdown_timeout);
	assert_true(a->server.watchdog_timeout == b->server.watchdog_timeout);
	assert_string_equal(a->server.user, b->server.user);
	assert_int_equal(a->server.dispatch, b->server.dispatch);
	assert_int_equal(a->server.log_syslog, b->server.log_syslog);
	{
		/* Where the port was set differs: the file sets it. */
		struct conf_udp ua = a->server.udp, ub = b->server.udp;

		ua.port_line = ub.port_line = 0;
		assert_memory_equal(&ua, &ub, sizeof(ua));
	}
	assert_int_equal(a->client.n_servers, b->client.n_servers);
	for (size_t i = 0; i < a->client.n_servers; i++)
		assert_string_equal(a->client.servers[i], b->client.servers[i]);
	assert_int_equal(a->client.samples, b->client.samples);
	assert_true(a->client.timeout == b->client.timeout);
	assert_true(a->client.max_step == b->client.max_step);
	assert_int_equal(a->server.nts.enable, b->server.nts.enable);
	assert_int_equal(a->server.nts.port, b->server.nts.port);
	assert_true(a->server.nts.rotate == b->server.nts.rotate);
}

/* ---- defaults and good files ---- */

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	struct conf *c = &f->cfg;

	assert_int_equal(conf_defaults(c), 0);
	assert_null(c->path);
	assert_int_equal(c->port, 11932);
	assert_string_equal(c->plugin_dir, TSD_PLUGIN_DIR);
	assert_string_equal(c->clock.name, "realtime");
	assert_int_equal(c->clock.n_settings, 0);
	assert_string_equal(c->estimator.name, "bounds");
	assert_int_equal(c->server.n_listen, 1);
	assert_string_equal(c->server.listen[0], "0.0.0.0");
	assert_int_equal(c->server.workers, 0);
	assert_int_equal(c->server.max_connections, 4096);
	assert_true(c->server.request_timeout == 2.0);
	assert_true(c->server.idle_timeout == 30.0);
	assert_true(c->server.shutdown_timeout == 5.0);
	assert_true(c->server.watchdog_timeout == 10.0);
	assert_string_equal(c->server.user, "");
	assert_int_equal(c->server.dispatch, DISPATCH_REUSEPORT);
	assert_int_equal(c->server.log_syslog, 0);
	assert_int_equal(c->server.udp.enable, 0);
	assert_int_equal(c->server.udp.port, 123);
	assert_true(c->server.udp.ratelimit_interval == 0.125);
	assert_int_equal(c->server.udp.ratelimit_burst, 16);
	assert_int_equal(c->server.udp.ratelimit_leak, 4);
	assert_int_equal(c->server.udp.ratelimit_kod, 1);
	assert_int_equal(c->server.udp.ratelimit_table_size, 65536);
	assert_int_equal(c->server.udp.balance, UDP_BALANCE_CPU);
	assert_int_equal(c->client.n_servers, 1);
	assert_string_equal(c->client.servers[0], "127.0.0.1");
	assert_int_equal(c->client.samples, 8);
	assert_true(c->client.timeout == 2.0);
	assert_true(c->client.max_step == 1000.0);
}

static void test_empty_file_gives_defaults(void **state)
{
	struct fixture *f = *state;
	struct conf defaults;

	assert_int_equal(load(f, "# nothing but a comment\n"), 0);
	assert_int_equal(f->errs.count, 0);
	assert_string_equal(f->cfg.path, "t.conf");
	assert_int_equal(conf_defaults(&defaults), 0);
	assert_same_settings(&f->cfg, &defaults);
	assert_string_equal(f->cfg.plugin_dir, TSD_PLUGIN_DIR);
	conf_free(&defaults);
}

static void test_missing_default_file_is_silent(void **state)
{
	struct fixture *f = *state;

	if (access(conf_default_path(), F_OK) == 0)
		skip();  /* an installed tsd.conf exists on this machine */
	assert_int_equal(conf_load(&f->cfg, NULL, &f->errs), 0);
	assert_int_equal(f->errs.count, 0);
	assert_null(f->cfg.path);
	assert_int_equal(f->cfg.port, 11932);
	assert_string_equal(f->cfg.clock.name, "realtime");
}

/* The line of the first line of text that contains needle. */
static int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	int line = 1;

	assert_non_null(at);
	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	return line;
}

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text = calloc(1, 1 << 16);

	assert_non_null(fp);
	assert_non_null(text);
	assert_true(fread(text, 1, (1 << 16) - 1, fp) > 0);
	fclose(fp);
	return text;
}

/* etc/tsd.conf is the sample: every setting in it is accepted, and each
 * shows its default. */
static void test_sample_file_loads_clean(void **state)
{
	struct fixture *f = *state;
	struct conf defaults;
	char path[PATH_MAX], *text;

	snprintf(path, sizeof(path), "%s/../../etc/tsd.conf", srcdir());
	text = read_file(path);
	assert_int_equal(conf_load(&f->cfg, path, &f->errs), 0);
	conf_errors_print(&f->errs, stderr);
	assert_int_equal(f->errs.count, 0);
	assert_string_equal(f->cfg.path, path);
	assert_int_equal(conf_defaults(&defaults), 0);
	assert_same_settings(&f->cfg, &defaults);
	conf_free(&defaults);
	/* plugin_dir = "../plugins/.libs" is relative to etc/. */
	assert_true(f->cfg.plugin_dir[0] == '/');
	assert_non_null(strstr(f->cfg.plugin_dir, "/etc/../plugins/.libs"));
	assert_int_equal(f->cfg.estimator.n_settings, 1);
	assert_string_equal(f->cfg.estimator.settings[0].name, "window");
	assert_int_equal(f->cfg.estimator.settings[0].int_value, 16);
	assert_int_equal(f->cfg.estimator.settings[0].line, line_of(text, "window = 16"));
	assert_int_equal(f->cfg.clock.line, line_of(text, "clock = {"));
	free(text);
}

static const char every_setting[] =
	"port = 4123;\n"
	"plugin_dir = \"/opt/tsd/plugins\";\n"
	"clock = { plugin = \"sim\"; offset = 5.0; drift_ppm = -3; seed = 42L;\n"
	"          label = \"x\"; verbose = true; };\n"
	"estimator = { plugin = \"median\"; window = 16; };\n"
	"server = {\n"
	"  listen = [ \"127.0.0.1\", \"::1\", \"0.0.0.0\" ];\n"
	"  workers = 3;\n"
	"  dispatch = \"handoff\";\n"
	"  max_connections = 100;\n"
	"  request_timeout = 1;\n"
	"  idle_timeout = 4.5;\n"
	"  shutdown_timeout = 86400;\n"
	"  watchdog_timeout = 1.5;\n"
	"  user = \"nobody\";\n"
	"  log = \"syslog\";\n"
	"  udp = { enable = true; port = 1123; balance = \"flow\";\n"
	"    ratelimit = { interval = 2; burst = 3; leak = 0; kod = false; table_size = 1024; };\n"
	"  };\n"
	"};\n"
	"client = { servers = [ \"a.example:1\", \"[::1]:65535\", \"::1\", \"10.0.0.1\" ];\n"
	"  samples = 1024; timeout = 0.25; max_step = 1e9; };\n"
	"sync = { sources = ( { address = \"10.0.0.1\"; protocol = \"udp\"; },\n"
	"                     { address = \"time2.example:11932\"; protocol = \"tcp\"; } );\n"
	"  poll = { min = 0.5; max = 64; }; apply = \"system\"; drift_file = \"/var/lib/tsd/drift\"; };\n";

static void test_every_setting(void **state)
{
	struct fixture *f = *state;
	const struct conf *c = &f->cfg;
	const struct tsd_setting *s = c->clock.settings;

	assert_int_equal(load(f, every_setting), 0);
	assert_int_equal(f->errs.count, 0);
	assert_int_equal(c->port, 4123);
	assert_string_equal(c->plugin_dir, "/opt/tsd/plugins");
	assert_string_equal(c->estimator.name, "median");
	assert_int_equal(c->server.n_listen, 3);
	assert_string_equal(c->server.listen[1], "::1");
	assert_int_equal(c->server.workers, 3);
	assert_int_equal(c->server.dispatch, DISPATCH_HANDOFF);
	assert_int_equal(c->server.max_connections, 100);
	assert_true(c->server.request_timeout == 1.0);
	assert_true(c->server.idle_timeout == 4.5);
	assert_true(c->server.shutdown_timeout == 86400.0);
	assert_true(c->server.watchdog_timeout == 1.5);
	assert_string_equal(c->server.user, "nobody");
	assert_int_equal(c->server.log_syslog, 1);
	assert_int_equal(c->server.udp.enable, 1);
	assert_int_equal(c->server.udp.port, 1123);
	assert_true(c->server.udp.ratelimit_interval == 2.0);
	assert_int_equal(c->server.udp.ratelimit_burst, 3);
	assert_int_equal(c->server.udp.ratelimit_leak, 0);
	assert_int_equal(c->server.udp.ratelimit_kod, 0);
	assert_int_equal(c->server.udp.ratelimit_table_size, 1024);
	assert_int_equal(c->server.udp.balance, UDP_BALANCE_FLOW);
	assert_int_equal(c->client.n_servers, 4);
	assert_string_equal(c->client.servers[1], "[::1]:65535");
	assert_int_equal(c->client.samples, 1024);
	assert_true(c->client.timeout == 0.25);
	assert_true(c->client.max_step == 1e9);

	/* The clock section: everything but `plugin`, in order, with lines. */
	assert_string_equal(c->clock.name, "sim");
	assert_int_equal(c->clock.line, 3);
	assert_int_equal(c->clock.n_settings, 5);
	assert_string_equal(s[0].name, "offset");
	assert_int_equal(s[0].type, TSD_SETTING_FLOAT);
	assert_true(s[0].float_value == 5.0);
	assert_int_equal(s[1].type, TSD_SETTING_INT);
	assert_int_equal(s[1].int_value, -3);
	assert_true(s[1].float_value == -3.0);
	assert_int_equal(s[2].type, TSD_SETTING_INT);
	assert_int_equal(s[2].int_value, 42);
	assert_int_equal(s[3].type, TSD_SETTING_STRING);
	assert_string_equal(s[3].string_value, "x");
	assert_int_equal(s[3].line, 4);
	assert_int_equal(s[4].type, TSD_SETTING_BOOL);
	assert_int_equal(s[4].int_value, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s[i].line, 3);
}

/* ---- errors, each with its file and line ---- */

static void test_misspelled_setting_line_3(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "# a comment\n\nprot = 11932;\n",
	            "t.conf:3: unknown setting 'prot' in top level (did you mean 'port'?)");
}

static void test_unknown_setting_in_every_group(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f,
		"server = {\n"
		"  workrs = 2;\n"
		"  udp = {\n"
		"    enabel = true;\n"
		"    ratelimit = {\n"
		"      brust = 3;\n"
		"    };\n"
		"  };\n"
		"};\n"
		"client = { sample = 3; };\n"), -1);
	expect_error(f, "t.conf:2: unknown setting 'workrs' in server (did you mean 'workers'?)");
	expect_error(f, "t.conf:4: unknown setting 'enabel' in server.udp (did you mean 'enable'?)");
	expect_error(f, "t.conf:6: unknown setting 'brust' in server.udp.ratelimit "
	             "(did you mean 'burst'?)");
	expect_error(f, "t.conf:10: unknown setting 'sample' in client (did you mean 'samples'?)");
	assert_int_equal(f->errs.count, 4);
}

/* A setting in the wrong group is sent to its group; a word libconfig
 * cannot read gets what it expected. */
static void test_errors_say_what_was_meant(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "udp = { enable = true; };",
	            "t.conf:1: unknown setting 'udp' in top level (it belongs in the group server)");
	expect_only(f, "server = { ratelimit = { burst = 3; }; };",
	            "t.conf:1: unknown setting 'ratelimit' in server "
	            "(it belongs in the group server.udp)");
	expect_only(f, "server = { frobnicate = 1; };",
	            "t.conf:1: unknown setting 'frobnicate' in server");
	expect_only(f, "port = 1;\nserver = { udp = { enable = yes; }; };",
	            "t.conf:2: syntax error: 'yes' is not a value libconfig knows; "
	            "a boolean is true or false");
	expect_only(f, "server = { log = syslog; };",
	            "t.conf:1: syntax error: 'syslog' is not a value; a string needs "
	            "double quotes (\"syslog\")");
}

static void test_all_errors_are_collected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f,
		"port = 0;\n"
		"server = { request_timeout = -1; };\n"
		"client = { samples = 2000; timeout = \"2\"; };\n"
		"bogus = 1;\n"), -1);
	expect_error(f, "t.conf:1: port must be an integer from 1 to 65535 (got 0)");
	expect_error(f, "t.conf:2: server.request_timeout must be a number greater than 0 (got -1)");
	expect_error(f, "t.conf:3: client.samples must be an integer from 1 to 1024 (got 2000)");
	expect_error(f, "t.conf:3: client.timeout must be a number of seconds (got a string)");
	expect_error(f, "t.conf:4: unknown setting 'bogus' in top level");
	assert_int_equal(f->errs.count, 5);
	/* A failed load leaves nothing behind. */
	assert_null(f->cfg.plugin_dir);
	assert_null(f->cfg.clock.name);
	assert_int_equal(f->cfg.server.n_listen, 0);
}

static void test_syntax_error_has_line(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "port = 1;\n\nserver = { workers = ; };\n"), -1);
	assert_int_equal(f->errs.count, 1);
	assert_true(strncmp(f->errs.messages[0], "t.conf:3: ", 10) == 0);
	assert_non_null(strstr(f->errs.messages[0], "syntax error"));
}

static void test_port_checks(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "port = 65536;", "t.conf:1: port must be an integer from 1 to 65535 (got 65536)");
	expect_only(f, "port = -5;", "t.conf:1: port must be an integer from 1 to 65535 (got -5)");
	expect_only(f, "port = 99999999999L;",
	            "t.conf:1: port must be an integer from 1 to 65535 (got 99999999999)");
	expect_only(f, "port = 11932.0;", "t.conf:1: port must be an integer (got a number)");
	expect_only(f, "port = \"11932\";", "t.conf:1: port must be an integer (got a string)");
	assert_int_equal(load(f, "port = 1;"), 0);
	assert_int_equal(load(f, "port = 65535;"), 0);
	assert_int_equal(f->cfg.port, 65535);
}

static void test_timeout_checks(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "client = { max_step = 0; };",
	            "t.conf:1: client.max_step must be a number greater than 0 (got 0)");
	expect_only(f, "client = { max_step = 2e9; };",
	            "t.conf:1: client.max_step must be at most 1e+09 seconds (got 2e+09)");

	expect_only(f, "server = { idle_timeout = 0; };",
	            "t.conf:1: server.idle_timeout must be a number greater than 0 (got 0)");
	expect_only(f, "server = {\n shutdown_timeout = 86400.5; };",
	            "t.conf:2: server.shutdown_timeout must be at most 86400 seconds (got 86400.5)");
	expect_only(f, "server = { watchdog_timeout = 1e999; };",
	            "t.conf:1: server.watchdog_timeout must be a number greater than 0 (got inf)");
	expect_only(f, "client = { timeout = -1e999; };",
	            "t.conf:1: client.timeout must be a number greater than 0 (got -inf)");
	expect_only(f, "server = { request_timeout = [ 1 ]; };",
	            "t.conf:1: server.request_timeout must be a number of seconds (got an array)");
	/* An integer where a number is expected is fine. */
	assert_int_equal(load(f, "server = { request_timeout = 3; };"), 0);
	assert_true(f->cfg.server.request_timeout == 3.0);
}

/* server.nts and client.nts: names, defaults, and what needs what. */
static void test_nts_settings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->cfg.server.nts.enable, 0);
	assert_int_equal(f->cfg.server.nts.port, 4460);
	assert_true(f->cfg.server.nts.rotate == 86400.0);
	assert_null(f->cfg.server.nts.certificate);
	assert_null(f->cfg.server.nts.key_file);
	assert_null(f->cfg.client.nts_ca_file);
	assert_int_equal(load(f, "server = { nts = { enable = true; port = 14460;\n"
	                         " certificate = \"/c.pem\"; key = \"/k.pem\"; rotate = 0;\n"
	                         " key_file = \"/var/lib/tsd/keys\"; }; };\n"
	                         "client = { nts = { ca_file = \"/ca.pem\"; }; };"), 0);
	assert_int_equal(f->cfg.server.nts.enable, 1);
	assert_int_equal(f->cfg.server.nts.port, 14460);
	assert_string_equal(f->cfg.server.nts.certificate, "/c.pem");
	assert_string_equal(f->cfg.server.nts.key, "/k.pem");
	assert_true(f->cfg.server.nts.rotate == 0.0);
	assert_string_equal(f->cfg.server.nts.key_file, "/var/lib/tsd/keys");
	assert_string_equal(f->cfg.client.nts_ca_file, "/ca.pem");
	expect_only(f, "server = { nts = { enable = true; certificate = \"/c.pem\"; }; };",
	            "t.conf: server.nts.enable needs server.nts.certificate and server.nts.key");
	expect_only(f, "server = { nts = { rotate = 0.5; }; };",
	            "t.conf: server.nts.rotate must be 0 (never) or at least 1 second");
	expect_only(f, "server = { nts = { port = 0; }; };",
	            "t.conf:1: server.nts.port must be an integer from 1 to 65535 (got 0)");
	expect_only(f, "client = { nts = { cafile = \"x\"; }; };",
	            "t.conf:1: unknown setting 'cafile' in client.nts (did you mean 'ca_file'?)");
}

/* The master looks at the workers' heartbeats every 0.1 s and an idle
 * worker beats every watchdog_timeout / 4: a timeout below 1 s killed
 * healthy workers (0.001: 4 kills in 3 s on an idle server). */
static void test_watchdog_floor(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "server = { watchdog_timeout = 0.001; };",
	            "t.conf:1: server.watchdog_timeout must be at least 1 second, ten of the "
	            "master's 0.1 s checks (got 0.001)");
	expect_only(f, "server = {\n watchdog_timeout = 0.999; };",
	            "t.conf:2: server.watchdog_timeout must be at least 1 second, ten of the "
	            "master's 0.1 s checks (got 0.999)");
	assert_int_equal(load(f, "server = { watchdog_timeout = 1; };"), 0);
	assert_true(f->cfg.server.watchdog_timeout == 1.0);
}

static void test_integer_ranges(void **state)
{
	struct fixture *f = *state;

	/* One limit: the master starts every worker the setting allows. */
	expect_only(f, "server = { workers = 129; };",
	            "t.conf:1: server.workers must be an integer from 0 to 128 (got 129)");
	expect_only(f, "server = { max_connections = 0; };",
	            "t.conf:1: server.max_connections must be an integer from 1 to 1000000 (got 0)");
	expect_only(f, "client = { samples = 1025; };",
	            "t.conf:1: client.samples must be an integer from 1 to 1024 (got 1025)");
	expect_only(f, "server = { udp = { port = 0; }; };",
	            "t.conf:1: server.udp.port must be an integer from 1 to 65535 (got 0)");
	expect_only(f, "server = { udp = { ratelimit = { burst = 0; }; }; };",
	            "t.conf:1: server.udp.ratelimit.burst must be an integer from 1 to 65535 (got 0)");
	expect_only(f, "server = { udp = { ratelimit = { table_size = 0; }; }; };",
	            "t.conf:1: server.udp.ratelimit.table_size must be an integer from 1 to 16777216 (got 0)");
	expect_only(f, "server = { udp = { ratelimit = { interval = 0; }; }; };",
	            "t.conf:1: server.udp.ratelimit.interval must be a number greater than 0 (got 0)");
	assert_int_equal(load(f, "server = { workers = 128; max_connections = 1000000; };"), 0);
}

static void test_bool_and_choice_checks(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "server = { udp = { enable = 1; }; };",
	            "t.conf:1: server.udp.enable must be true or false (got an integer)");
	expect_only(f, "server = { dispatch = \"fork\"; };",
	            "t.conf:1: server.dispatch must be \"accept\", \"handoff\" or \"reuseport\" (got \"fork\")");
	expect_only(f, "server = { udp = { balance = \"round-robin\"; }; };",
	            "t.conf:1: server.udp.balance must be \"cpu\" or \"flow\" (got \"round-robin\")");
	expect_only(f, "server = { log = \"file\"; };",
	            "t.conf:1: server.log must be \"stderr\" or \"syslog\" (got \"file\")");
	expect_only(f, "server = { user = 0; };", "t.conf:1: server.user must be a string (got an integer)");
	expect_only(f, "server = 1;", "t.conf:1: server must be a group { ... } (got an integer)");
}

static void test_listen_checks(void **state)
{
	struct fixture *f = *state;
	char text[1024] = "server = { listen = [";

	expect_only(f, "server = { listen = [ \"127.0.0.1\", \"localhost\" ]; };",
	            "t.conf:1: server.listen[1] must be an IPv4 or IPv6 address (got \"localhost\")");
	/* No listener at all: a pure sync client (or UDP only). */
	assert_int_equal(load(f, "server = { listen = [ ]; };"), 0);
	assert_int_equal(f->cfg.server.n_listen, 0);
	expect_only(f, "server = {\n listen = ( 5 ); };",
	            "t.conf:2: server.listen[0] must be a string (got an integer)");
	expect_only(f, "server = { listen = [ \"1.2.3.4/24\" ]; };",
	            "t.conf:1: server.listen[0] must be an IPv4 or IPv6 address (got \"1.2.3.4/24\")");
	for (int i = 0; i < 17; i++)
		strcat(text, i == 0 ? " \"::1\"" : ", \"::1\"");
	strcat(text, " ]; };");
	expect_only(f, text, "t.conf:1: server.listen must have from 0 to 16 entries (got 17)");
	/* One address may be given as a plain string. */
	assert_int_equal(load(f, "server = { listen = \"::\"; };"), 0);
	assert_int_equal(f->cfg.server.n_listen, 1);
	assert_string_equal(f->cfg.server.listen[0], "::");
}

static void test_client_server_checks(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"", "host:", "host:0", "host:65536", ":123", "[::1", "[]:1", "[::1]:x",
		"a b", "host:12x", "1:2:zz",
	};
	char text[256], want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "client = { servers = [ \"%s\" ]; };", bad[i]);
		snprintf(want, sizeof(want), "t.conf:1: client.servers[0] must be a host name "
		         "or address with an optional :port (1..65535) (got \"%s\")", bad[i]);
		expect_only(f, text, want);
	}
	assert_int_equal(load(f, "client = { servers = [ \"h\", \"h:1\", \"[fe80::1]\", "
	                         "\"[::1]:123\", \"2001:db8::1\", \"10.1.2.3:11932\" ]; };"), 0);
	assert_int_equal(f->cfg.client.n_servers, 6);
}

static void test_sync_group(void **state)
{
	struct fixture *f = *state;
	const struct conf_sync *sy = &f->cfg.sync;

	assert_int_equal(load(f, every_setting), 0);
	assert_int_equal(sy->enabled, 1);
	assert_int_equal(sy->n_sources, 2);
	assert_string_equal(sy->sources[0].address, "10.0.0.1");
	assert_int_equal(sy->sources[0].protocol, SYNC_PROTO_UDP);
	assert_string_equal(sy->sources[1].address, "time2.example:11932");
	assert_int_equal(sy->sources[1].protocol, SYNC_PROTO_TCP);
	assert_true(sy->poll_min == 0.5 && sy->poll_max == 64);
	assert_int_equal(sy->apply, SYNC_APPLY_SYSTEM);
	assert_string_equal(sy->drift_file, "/var/lib/tsd/drift");
	/* Without the group: no sync, the defaults for poll. */
	assert_int_equal(load(f, ""), 0);
	assert_int_equal(sy->enabled, 0);
	assert_true(sy->poll_min == 16 && sy->poll_max == 1024);
	assert_int_equal(load(f, "sync = { sources = ( { address = \"::1\"; } ); };"), 0);
	assert_int_equal(sy->sources[0].protocol, SYNC_PROTO_UDP);
	assert_int_equal(sy->apply, SYNC_APPLY_SERVE);
	assert_null(sy->drift_file);
}

static void test_sync_group_errors(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "sync = { };", "t.conf:1: sync needs sources = ( { address = \"...\"; protocol = \"udp\"; } )");
	expect_only(f, "sync = { sources = ( { address = \"a b\"; } ); };",
	            "t.conf:1: sync.sources[0].address must be a host name or address with an "
	            "optional :port (1..65535) (got \"a b\")");
	expect_only(f, "sync = { sources = ( { address = \"h\"; protocol = \"ntp\"; } ); };",
	            "t.conf:1: sync.sources[0].protocol must be \"udp\", \"tcp\", \"nts\" or \"nts-tcp\" (got \"ntp\")");
	assert_int_equal(load(f, "sync = { sources = ( { address = \"h\"; protocol = \"nts\"; } ); };"), 0);
	assert_int_equal(f->cfg.sync.sources[0].protocol, SYNC_PROTO_NTS);
	assert_int_equal(load(f, "sync = { sources = ( { address = \"h\"; protocol = \"nts-tcp\"; } ); };"), 0);
	assert_int_equal(f->cfg.sync.sources[0].protocol, SYNC_PROTO_NTS_TCP);
	expect_only(f, "sync = { sources = ( { protocol = \"tcp\"; } ); };", "t.conf:1: sync.sources[0] needs an address");
	expect_only(f, "sync = { sources = ( { address = \"h\"; } );\n poll = { min = 8; max = 4; }; };",
	            "t.conf:2: sync.poll: min (8) must not be above max (4)");
	expect_only(f, "sync = { sources = ( { address = \"h\"; } ); poll = { min = 0.01; }; };",
	            "t.conf:1: sync.poll.min must be at least 0.1 seconds (got 0.01)");
	expect_only(f, "sync = { sources = ( { address = \"h\"; } ); apply = \"kernel\"; };",
	            "t.conf:1: sync.apply must be \"serve\" or \"system\" (got \"kernel\")");
	expect_only(f, "sync = { sources = ( { address = \"h\"; } ); drift_file = \"d\"; };",
	            "t.conf:1: sync.drift_file must be an absolute path (got \"d\")");
	expect_only(f, "sync = { sources = ( { address = \"h\"; } ); polls = 1; };",
	            "t.conf:1: unknown setting 'polls' in sync (known: sources, poll, apply, drift_file)");
}

static void test_plugin_section_errors(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "clock = {\n offset = 5.0;\n};",
	            "t.conf:1: clock.plugin is required (the name of the clock plugin)");
	expect_only(f, "estimator = { plugin = \"../evil\"; };",
	            "t.conf:1: estimator.plugin must be a plain name of a-z, 0-9 and _, "
	            "at most 64 characters (got \"../evil\")");
	expect_only(f, "estimator = { plugin = \"Median\"; };",
	            "t.conf:1: estimator.plugin must be a plain name of a-z, 0-9 and _, "
	            "at most 64 characters (got \"Median\")");
	expect_only(f, "clock = { plugin = 3; };", "t.conf:1: clock.plugin must be a string (got an integer)");
	expect_only(f, "clock = { plugin = \"sim\";\n steps = [ 1.0, 2.0 ]; };",
	            "t.conf:2: clock.steps must be a number, string or boolean "
	            "(plugin settings cannot be lists)");
	expect_only(f, "clock = { plugin = \"sim\"; inner = { a = 1; }; };",
	            "t.conf:1: clock.inner must be a number, string or boolean "
	            "(plugin settings cannot be groups)");
	expect_only(f, "clock = \"sim\";",
	            "t.conf:1: clock must be a group { plugin = \"...\"; ... } (got a string)");
}

static void test_too_many_plugin_settings(void **state)
{
	struct fixture *f = *state;
	char text[2048] = "clock = { plugin = \"x\";";
	char want[128];

	for (int i = 0; i <= CONF_MAX_SETTINGS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " s%d = %d;", i, i);
	strcat(text, " };");
	snprintf(want, sizeof(want), "t.conf:1: clock.s%d: too many plugin settings (at most %d)",
	         CONF_MAX_SETTINGS, CONF_MAX_SETTINGS);
	expect_only(f, text, want);
}

static void test_plugin_dir_checks(void **state)
{
	struct fixture *f = *state;

	expect_only(f, "plugin_dir = \"\";", "t.conf:1: plugin_dir must not be empty");
	expect_only(f, "plugin_dir = 1;", "t.conf:1: plugin_dir must be a string (got an integer)");
}

/* Each allocation that can fail in turn: the load reports "out of memory",
 * returns -1 and leaves nothing allocated (the leak checkers see to that). */
static void test_out_of_memory_everywhere(void **state)
{
	struct fixture *f = *state;
	int failures = 0;

	for (int n = 1; n < 200; n++) {
		int rc;

		strdup_calls = 0;
		strdup_fail_at = n;
		rc = load(f, every_setting);
		strdup_fail_at = 0;
		if (strdup_calls < n) {
			assert_int_equal(rc, 0);  /* ran out of strdup calls to fail */
			break;
		}
		assert_int_equal(rc, -1);
		assert_int_equal(f->errs.count, 1);
		assert_non_null(strstr(f->errs.messages[0], "out of memory"));
		assert_null(f->cfg.plugin_dir);
		assert_null(f->cfg.clock.name);
		failures++;
	}
	/* defaults, the plugin names, settings, strings and the lists */
	assert_true(failures > 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file_gives_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_default_file_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_file_loads_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_say_what_was_meant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misspelled_setting_line_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_setting_in_every_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_errors_are_collected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_has_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integer_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bool_and_choice_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_server_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_group_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plugin_section_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_plugin_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plugin_dir_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nts_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory_everywhere, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

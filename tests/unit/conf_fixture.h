/* What the configuration tests share: a configuration and its error list,
 * loaded from a string as "t.conf", and checks on the messages. */
#ifndef TSD_TESTS_CONF_FIXTURE_H
#define TSD_TESTS_CONF_FIXTURE_H

#include "common/conf.h"

struct fixture {
	struct conf cfg;
	struct conf_errors errs;
};

int setup(void **state);
int teardown(void **state);
/* Load text over a fresh configuration; conf_load_string's result. */
int load(struct fixture *f, const char *text);
/* Fails the test, listing what was reported, unless `want` is one of the
 * messages exactly. */
void expect_error(const struct fixture *f, const char *want);
/* The text must fail with exactly this one message. */
void expect_only(struct fixture *f, const char *text, const char *want);

#endif

/* What the configuration tests share (conf_fixture.h). */
#include "conf_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	*state = f;
	return 0;
}

int teardown(void **state)
{
	struct fixture *f = *state;

	conf_free(&f->cfg);
	conf_errors_free(&f->errs);
	free(f);
	return 0;
}

int load(struct fixture *f, const char *text)
{
	conf_free(&f->cfg);
	conf_errors_free(&f->errs);
	return conf_load_string(&f->cfg, text, "t.conf", &f->errs);
}

void expect_error(const struct fixture *f, const char *want)
{
	for (size_t i = 0; i < f->errs.count; i++)
		if (strcmp(f->errs.messages[i], want) == 0)
			return;
	for (size_t i = 0; i < f->errs.count; i++)
		print_message("  reported: %s\n", f->errs.messages[i]);
	fail_msg("missing error: %s", want);
}

void expect_only(struct fixture *f, const char *text, const char *want)
{
	assert_int_equal(load(f, text), -1);
	expect_error(f, want);
	assert_int_equal(f->errs.count, 1);
}

/* The list of configuration errors, shared by every part that checks the
 * configuration and by the programs that print it. */
#ifndef TSD_COMMON_CONF_ERRORS_H
#define TSD_COMMON_CONF_ERRORS_H

#include <stddef.h>
#include <stdio.h>

/* Where the error messages go: each is "FILE:LINE: message". */
struct conf_errors {
	char **messages;
	size_t count;
};

/* Append one "FILE:LINE: message" (line 0 leaves out the line). */
void conf_error(struct conf_errors *errs, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Print each message on its own line. */
void conf_errors_print(const struct conf_errors *errs, FILE *out);

void conf_errors_free(struct conf_errors *errs);

#endif

/* The list of configuration errors: each "FILE:LINE: message", in order. */
#include "common/conf_errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conf_error(struct conf_errors *errs, const char *file, int line,
                  const char *fmt, ...)
{
	char text[512], full[1024];
	char **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file, line, text);
	else if (file != NULL)
		snprintf(full, sizeof(full), "%s: %s", file, text);
	else
		snprintf(full, sizeof(full), "%s", text);

	if (errs == NULL)
		return;
	grown = realloc(errs->messages, (errs->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	errs->messages = grown;
	errs->messages[errs->count] = strdup(full);
	if (errs->messages[errs->count] != NULL)
		errs->count++;
}

void conf_errors_free(struct conf_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->count; i++)
		free(errs->messages[i]);
	free(errs->messages);
	errs->messages = NULL;
	errs->count = 0;
}

void conf_errors_print(const struct conf_errors *errs, FILE *out)
{
	for (size_t i = 0; i < errs->count; i++)
		fprintf(out, "%s\n", errs->messages[i]);
}

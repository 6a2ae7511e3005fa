/* A pass over the configuration text for what libconfig 1.5 accepts
 * silently: integers too large for 32 bits written without the L suffix
 * (it truncates them), NUL bytes (it stops reading at the first), and
 * @include (it would read another file, found relative to the working
 * directory). */
#ifndef TSD_COMMON_CONF_LITERALS_H
#define TSD_COMMON_CONF_LITERALS_H

#include <stddef.h>
#include "common/conf_errors.h"

/* Appends one "FILE:LINE: ..." error per problem; returns how many. */
int conf_check_literals(const char *text, size_t len, const char *file,
                          struct conf_errors *errs);

#endif

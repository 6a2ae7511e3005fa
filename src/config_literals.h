/* A pass over the configuration text for what libconfig 1.5 accepts
 * silently: integers too large for 32 bits written without the L suffix
 * (it truncates them), NUL bytes (it stops reading at the first), and
 * @include (it would read another file, found relative to the working
 * directory). */
#ifndef TSD_CONFIG_LITERALS_H
#define TSD_CONFIG_LITERALS_H

#include <stddef.h>
#include "config.h"

/* Appends one "FILE:LINE: ..." error per problem; returns how many. */
int config_check_literals(const char *text, size_t len, const char *file,
                          struct config_errors *errs);

#endif

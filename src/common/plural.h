/* Counted nouns in messages: "1 sample", "2 samples", never "1 samples". */
#ifndef TSD_COMMON_PLURAL_H
#define TSD_COMMON_PLURAL_H

#include <stddef.h>

/* `one` when n is 1, else `many`: printf("%zu %s", n, plural(n, "reply", "replies")). */
static inline const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

#endif

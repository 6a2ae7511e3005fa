/* What the fuzz targets share: a check that libFuzzer records as a crash. */
#ifndef TSD_FUZZ_H
#define TSD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* assert() would vanish under NDEBUG; these checks must always run. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

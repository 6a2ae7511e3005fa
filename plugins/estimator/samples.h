/* Shared by the estimator plugins: the sample check, the on-wire offset and
 * delay, the ring of the last `window` samples and the `window` setting. */
#ifndef TSD_PLUGIN_ESTIMATOR_SAMPLES_H
#define TSD_PLUGIN_ESTIMATOR_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "tsd/plugin.h"

/* Linked into each plugin; hidden so that each .so still exports only
 * tsd_plugin and never binds these names to another object's. */
#define SAMPLES_API __attribute__((visibility("hidden")))

#define SAMPLES_MAX_WINDOW 1024
/* The precision assumed of the four readings together: a nanosecond clock
 * read at each end, and a kernel stamp against a user-space one. */
#define SAMPLES_PRECISION_NS 1000

/* The last `window` samples. Slots 0..count-1 always hold samples, so a
 * computation that does not care about age can walk them in slot order. */
struct sample_ring {
	size_t window;
	size_t count;            /* samples held, at most window */
	size_t next;             /* slot the next sample goes to */
	struct tsd_sample *slots;
};

/* 1 if an exchange could have produced the sample, 0 if it is refused: among
 * others a delay below -(2 server_error + SAMPLES_PRECISION_NS). */
SAMPLES_API int sample_ok(const struct tsd_sample *s);

/* The RFC 5905 on-wire offset, server minus client. */
SAMPLES_API double sample_offset_s(const struct tsd_sample *s);
/* The on-wire round-trip delay, its absolute value. */
SAMPLES_API double sample_delay_s(const struct tsd_sample *s);

/* 0, or -ENOMEM. */
SAMPLES_API int sample_ring_init(struct sample_ring *r, size_t window);
SAMPLES_API void sample_ring_fini(struct sample_ring *r);
SAMPLES_API void sample_ring_reset(struct sample_ring *r);
/* 0, or -EINVAL for a sample sample_ok refuses (the ring is unchanged). */
SAMPLES_API int sample_ring_add(struct sample_ring *r, const struct tsd_sample *s);
/* age 0 is the newest sample; age must be below count. */
SAMPLES_API const struct tsd_sample *sample_ring_at_age(const struct sample_ring *r,
                                                        size_t age);

/* Reads the one setting the estimators know, `window`, from 1 to
 * SAMPLES_MAX_WINDOW; *window keeps its default when it is not set. */
SAMPLES_API int samples_parse_window(const struct tsd_setting *settings, size_t n,
                                     size_t *window, struct tsd_plugin_error *err);

#endif

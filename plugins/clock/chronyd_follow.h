/* A kernel clock that chronyd keeps serves chronyd's hierarchy fields
 * (stratum, reference ID, root delay and dispersion, leap): the settings
 * follow_chronyd and follow_chronyd_dir, the client of chronyd's command
 * socket, and the cached report with its age. Never blocks: see
 * chronyd_follow.c. */
#ifndef TSD_PLUGIN_CLOCK_CHRONYD_FOLLOW_H
#define TSD_PLUGIN_CLOCK_CHRONYD_FOLLOW_H

#include <stddef.h>

#include "tsd/plugin.h"
#include "kernel.h"

/* chronyd is asked this often at most, gets this long to answer, and its
 * last report is served this long (its root dispersion growing at
 * CHRONYD_DISPERSION_RATE) before tsd serves unsynchronised. */
#define CHRONYD_QUERY_INTERVAL_NS (2 * NS_PER_S)
#define CHRONYD_ANSWER_TIMEOUT_NS (1 * NS_PER_S)
#define CHRONYD_MAX_AGE_NS (10 * NS_PER_S)
#define CHRONYD_DISPERSION_RATE 15e-6 /* s/s: RFC 5905's PHI */
#define CHRONYD_DEFAULT_DIR "/run/tsd"

struct chronyd_follow;

/* The settings of a kernel clock that can follow chronyd: stratum, refid,
 * local_stratum, follow_chronyd (the path of chronyd's command socket)
 * and follow_chronyd_dir (where each process binds its own socket). *out
 * is NULL unless follow_chronyd is set. Returns 0 or a negative errno
 * with err filled. */
KERNEL_API int chronyd_follow_settings(struct clock_identity *id,
                                       const struct tsd_setting *settings, size_t n,
                                       struct chronyd_follow **out,
                                       struct tsd_plugin_error *err);
/* Close the socket, remove its file, free. NULL is fine. */
KERNEL_API void chronyd_follow_free(struct chronyd_follow *f);
/* The host's logger for what chronyd answers (NULL: say nothing). */
KERNEL_API void chronyd_follow_set_log(tsd_log_fn log);

/* What to serve at monotonic time now_ns: chronyd's last report, aged,
 * while it is fresh and says synchronised; otherwise what a kernel clock
 * serves unsynchronised (leap 3 and stratum 16 unless local_stratum).
 * Moves the exchange with chronyd on first, without blocking: a request
 * when one is due, a look for its answer while one is out. */
KERNEL_API void chronyd_follow_info(struct chronyd_follow *f, const struct clock_identity *id,
                                    int64_t now_ns, struct tsd_clock_info *out);

/* The monotonic clock in nanoseconds, the time base of the above. */
KERNEL_API int64_t chronyd_follow_now_ns(void);

#endif

/* The realtime clock plugin compiled into test_clock_adjust, so that its
 * calls to the kernel go to the test's wrappers (-Wl,--wrap), never to the
 * real clock_adjtime, adjtimex or adjtime. */
#include "realtime.c"

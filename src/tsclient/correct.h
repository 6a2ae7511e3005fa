/* Correcting the local clock by the combined offset, with the sanity checks
 * an operator expects of a one-shot tool (ntpdate's): a limit on the size of
 * the correction, and a warning when another program disciplines the kernel
 * clock. */
#ifndef TSD_CORRECT_H
#define TSD_CORRECT_H

#include <stddef.h>

#include "common/clock.h"
#include "query/outcome.h"

/* Apply o->sel.offset_s as o->corr.mode asks. Unless `force`, an offset
 * larger than max_step_s is refused. 0, or -1 with o->corr.error set and a
 * line on stderr. */
int correct_clock(struct outcome *o, struct clock_source *cs, const char *clock_name,
                  double max_step_s, int force);

/* 1 when the kernel clock is disciplined by a program (the kernel calls it
 * synchronised, or its PLL or FLL is on), with `why` saying what it saw; 0
 * when it is not or cannot be read. A read-only adjtimex (modes 0): it
 * never changes the clock. */
int correct_kernel_disciplined(char *why, size_t len);

/* 1 when the clock plugin of that name corrects the kernel's clock. */
int correct_touches_kernel(const char *clock_name);

#endif

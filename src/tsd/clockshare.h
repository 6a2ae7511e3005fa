/* What the master gives the clock plugin in every process of one tsd: one
 * origin for simulated time (TSD_ORIGIN_ENV) and one shared memory file
 * (TSD_SHARED_FD_ENV), both before it starts any other process. */
#ifndef TSD_CLOCKSHARE_H
#define TSD_CLOCKSHARE_H

/* Sets the environment variables. The memory file is made once and kept
 * open for the master's life: it is what a simulated clock's kernel state
 * lives in. Failing to make it is logged; clocks then keep private state. */
void clockshare_setup(void);
/* The shared memory file's descriptor, or -1: a child that closes what it
 * inherited keeps this one. */
int clockshare_fd(void);

#endif

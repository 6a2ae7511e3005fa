/* The drift file: the learned frequency (ppm) kept across restarts, written
 * atomically (a temporary file, fsync, rename), like chronyd's driftfile. */
#ifndef TSD_DRIFTFILE_H
#define TSD_DRIFTFILE_H

/* 0 and *ppm, or -1 (no file, unreadable, or not a number within
 * +-DRIFTFILE_MAX_PPM). */
int driftfile_read(const char *path, double *ppm);
/* 0, or -1 with errno. */
int driftfile_write(const char *path, double ppm);

#define DRIFTFILE_MAX_PPM 100000.0

#endif

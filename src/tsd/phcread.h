/* Reading a network card's clock (PHC, /dev/ptpN) against the system's
 * real-time clock, by the best method its driver offers: a cross-timestamp
 * taken by the hardware (PTP_SYS_OFFSET_PRECISE), else readings bracketed
 * by the system clock as close to the PHC read as the driver can take
 * them (PTP_SYS_OFFSET_EXTENDED), else the same bracketed by the ioctl's
 * own system readings (PTP_SYS_OFFSET). The arithmetic is in phcfit.c. */
#ifndef TSD_PHCREAD_H
#define TSD_PHCREAD_H

#include "tsd/phcfit.h"

/* Readings per request (the narrowest window is kept). */
#define PHCREAD_READINGS 5

enum phcread_method {
	PHCREAD_PRECISE,                /* the first tried */
	PHCREAD_EXTENDED,
	PHCREAD_BASIC,
};

/* Readings of the PHC at fd by *method, into r (room for PHCREAD_READINGS).
 * A driver that lacks the method (EOPNOTSUPP, ENOTTY, EINVAL) moves
 * *method down to the next one for good, which is tried at once. Returns
 * the number of readings (1 for a cross-timestamp), or -1 with errno when
 * none could be taken (a busy device keeps its method: EBUSY, EAGAIN). */
int phcread(int fd, enum phcread_method *method, struct phc_reading *r);

/* A method's name for the log: its request, "PTP_SYS_OFFSET_EXTENDED"... */
const char *phcread_name(enum phcread_method method);

#endif

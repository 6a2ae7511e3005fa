/* The relay's clock: when a packet really arrived (the kernel's receive
 * stamp, not when the relay got round to reading it) and releasing it at
 * its instant exactly (sleep until shortly before, then spin), so that
 * both directions add the same overhead: the base delay and the jitter,
 * plus the few microseconds of one send, whatever the wake-up latency. */
#ifndef RELAY_CLOCK_H
#define RELAY_CLOCK_H

#include <stdint.h>
#include <sys/socket.h>

/* Sleeps end this long before a release instant; the rest is spun. */
#define RELAY_SPIN_NS 300000

/* Ask for receive stamps on fd (SO_TIMESTAMPNS); without them arrivals are
 * read from the clock after the read. */
void relay_clock_stamp(int fd);

/* The arrival of the message just read, on CLOCK_MONOTONIC: its kernel
 * stamp (CLOCK_REALTIME, converted), or now when it has none or the
 * stamp is not in the last second. */
int64_t relay_clock_arrival(struct msghdr *msg);

/* Return at `when` (CLOCK_MONOTONIC), not later than the kernel lets us:
 * spinning, for releases that are at most RELAY_SPIN_NS away. */
void relay_clock_spin_until(int64_t when);

#endif

/* The reference ID a node serves for the source it follows (RFC 5905
 * section 7.3): the source's IPv4 address, or the first four bytes of the
 * MD5 digest of its IPv6 address. */
#ifndef TSD_REFID_H
#define TSD_REFID_H

#include <stdint.h>
#include <sys/socket.h>

/* 0, or -1 for an address that is neither IPv4 nor IPv6. */
int refid_of_address(const struct sockaddr_storage *addr, uint8_t out[4]);

#endif

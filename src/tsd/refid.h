/* The reference ID a node serves for the source it follows (RFC 5905
 * section 7.3): the source's IPv4 address, or the first four bytes of the
 * MD5 digest of its IPv6 address. And the set of reference IDs that mean
 * "this server": a source serving one of them follows us (a loop). */
#ifndef TSD_REFID_H
#define TSD_REFID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define REFID_MAX_OWN 128

struct refid_set {
	uint8_t id[REFID_MAX_OWN][4];
	size_t n;
};

/* 0, or -1 for an address that is neither IPv4 nor IPv6. */
int refid_of_address(const struct sockaddr_storage *addr, uint8_t out[4]);

/* The reference IDs of this server's addresses: each numeric address it
 * listens on (`listen`, as server.listen has them) and every address of
 * its interfaces but the loopback ones (getifaddrs). Wildcards add
 * nothing themselves. Past
 * REFID_MAX_OWN the rest are left out. */
void refid_own_set(struct refid_set *set, char *const *listen, size_t n_listen);
/* Add one address's reference ID (no duplicates). */
void refid_set_add(struct refid_set *set, const struct sockaddr_storage *addr);
int refid_set_has(const struct refid_set *set, const uint8_t refid[4]);

#endif

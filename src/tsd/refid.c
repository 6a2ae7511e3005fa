/* Reference IDs from source addresses (RFC 5905 section 7.3), and the
 * set of this server's own, for the loop test. */
#include "tsd/refid.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <nettle/md5.h>
#include <string.h>

int refid_of_address(const struct sockaddr_storage *addr, uint8_t out[4])
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
	uint8_t digest[MD5_DIGEST_SIZE];
	struct md5_ctx ctx;

	if (addr->ss_family == AF_INET) {
		memcpy(out, &in4->sin_addr, 4);
		return 0;
	}
	if (addr->ss_family != AF_INET6)
		return -1;
	/* An IPv4-mapped IPv6 address is that IPv4 source. */
	if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		memcpy(out, in6->sin6_addr.s6_addr + 12, 4);
		return 0;
	}
	md5_init(&ctx);
	md5_update(&ctx, sizeof(in6->sin6_addr), in6->sin6_addr.s6_addr);
	md5_digest(&ctx, sizeof(digest), digest);
	memcpy(out, digest, 4);
	return 0;
}

void refid_set_add(struct refid_set *set, const struct sockaddr_storage *addr)
{
	uint8_t id[4];

	if (refid_of_address(addr, id) != 0 || refid_set_has(set, id) ||
	    set->n >= REFID_MAX_OWN)
		return;
	memcpy(set->id[set->n++], id, 4);
}

int refid_set_has(const struct refid_set *set, const uint8_t refid[4])
{
	for (size_t i = 0; i < set->n; i++)
		if (memcmp(set->id[i], refid, 4) == 0)
			return 1;
	return 0;
}

static void add_text(struct refid_set *set, const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
			return;
		ss.ss_family = AF_INET;
	} else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			return;
		ss.ss_family = AF_INET6;
	} else {
		return;
	}
	refid_set_add(set, &ss);
}

void refid_own_set(struct refid_set *set, char *const *listen, size_t n_listen)
{
	struct ifaddrs *list = NULL;

	set->n = 0;
	for (size_t i = 0; i < n_listen; i++)
		add_text(set, listen[i]);
	if (getifaddrs(&list) != 0)
		return;
	for (struct ifaddrs *a = list; a != NULL; a = a->ifa_next) {
		struct sockaddr_storage ss;

		/* Every host has the loopback addresses: a remote source
		 * serving 127.0.0.1 follows its own host, not us. The
		 * exchange's local address still catches a loop over lo. */
		if (a->ifa_addr == NULL || (a->ifa_flags & IFF_LOOPBACK) ||
		    (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, a->ifa_addr, a->ifa_addr->sa_family == AF_INET
		       ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		refid_set_add(set, &ss);
	}
	freeifaddrs(list);
}

/* Reference IDs from source addresses (RFC 5905 section 7.3). */
#include "tsd/refid.h"

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

/* libFuzzer target for the NTS-KE record parser: never reads past the
 * input, a parsed message's fields are within their limits, and a message
 * written back from what was parsed parses to the same fields. */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "common/nts_ke.h"

static void check_limits(const struct nts_ke_msg *m, size_t used, size_t size)
{
	FUZZ_CHECK(used >= 4 && used <= size && used <= NTS_KE_MESSAGE_MAX);
	FUZZ_CHECK(m->n_cookies >= 0 && m->n_cookies <= NTS_KE_MAX_COOKIES);
	FUZZ_CHECK(m->n_protocols <= NTS_KE_MAX_OFFERS && m->n_aeads <= NTS_KE_MAX_OFFERS);
	FUZZ_CHECK(strlen(m->server) <= NTS_KE_SERVER_NAME_MAX);
	FUZZ_CHECK(m->port >= -1 && m->port <= 0xffff);
}

static void put_list(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
                     const uint16_t *ids, int n)
{
	uint8_t body[2 * NTS_KE_MAX_OFFERS];
	int i;

	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		body[2 * i] = (uint8_t)(ids[i] >> 8);
		body[2 * i + 1] = (uint8_t)ids[i];
	}
	FUZZ_CHECK(nts_ke_put(buf, cap, pos, 1, type, body, (size_t)n * 2) == 0);
}

static void check_rewrite(const struct nts_ke_msg *m)
{
	static uint8_t buf[NTS_KE_MESSAGE_MAX * 2];
	struct nts_ke_msg back;
	size_t pos = 0, used;
	int i;

	put_list(buf, sizeof(buf), &pos, NTS_KE_NEXT_PROTOCOL, m->protocols, m->n_protocols);
	put_list(buf, sizeof(buf), &pos, NTS_KE_AEAD, m->aeads, m->n_aeads);
	if (m->port >= 0)
		FUZZ_CHECK(nts_ke_put_u16(buf, sizeof(buf), &pos, 1, NTS_KE_PORT_REC, (uint16_t)m->port) == 0);
	if (m->tcp_port > 0)
		FUZZ_CHECK(nts_ke_put_u16(buf, sizeof(buf), &pos, 0, NTS_KE_TSD_TCP,
		                          (uint16_t)m->tcp_port) == 0);
	else if (m->tcp_port == 0)
		FUZZ_CHECK(nts_ke_put(buf, sizeof(buf), &pos, 0, NTS_KE_TSD_TCP, NULL, 0) == 0);
	for (i = 0; i < m->n_cookies; i++)
		FUZZ_CHECK(nts_ke_put(buf, sizeof(buf), &pos, 0, NTS_KE_COOKIE, m->cookies[i],
		                      m->cookie_len[i]) == 0);
	FUZZ_CHECK(nts_ke_put(buf, sizeof(buf), &pos, 1, NTS_KE_END, NULL, 0) == 0);
	if (pos > NTS_KE_MESSAGE_MAX)
		return;
	FUZZ_CHECK(nts_ke_parse(buf, pos, &back, &used) == NTS_KE_OK && used == pos);
	FUZZ_CHECK(back.n_protocols == m->n_protocols && back.n_aeads == m->n_aeads);
	FUZZ_CHECK(back.port == m->port && back.n_cookies == m->n_cookies);
	FUZZ_CHECK(back.tcp_port == m->tcp_port);
	for (i = 0; i < m->n_cookies; i++)
		FUZZ_CHECK(memcmp(back.cookies[i], m->cookies[i], m->cookie_len[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nts_ke_msg m;
	enum nts_ke_status st;
	size_t used = 0;

	st = nts_ke_parse(data, size, &m, &used);
	FUZZ_CHECK(st == NTS_KE_OK || st == NTS_KE_INCOMPLETE || st == NTS_KE_BAD ||
	           st == NTS_KE_UNKNOWN_CRITICAL);
	if (st == NTS_KE_INCOMPLETE)
		FUZZ_CHECK(size < NTS_KE_MESSAGE_MAX);
	if (st != NTS_KE_OK)
		return 0;
	check_limits(&m, used, size);
	check_rewrite(&m);
	return 0;
}

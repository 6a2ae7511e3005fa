/* One upstream source: a poll (several exchanges through the query
 * library), the estimator's reduction to one point, reachability, KoD RATE
 * back-off and the loop test. */
#include "tsd/sync_source.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/monotonic.h"
#include "common/nts_ke.h"
#include "query/nts_client.h"
#include "tsd/refid.h"

/* UDP sources default to NTP's port (server.udp.port's default). */
#define NTP_PORT 123

int sync_source_init(struct sync_source *src, const struct conf_sync_source *cfg,
                     int tcp_port, double poll_s)
{
	static const char *const names[] = { "udp", "tcp", "nts", "nts-tcp" };
	int nts = cfg->protocol == SYNC_PROTO_NTS || cfg->protocol == SYNC_PROTO_NTS_TCP;
	int port = cfg->protocol == SYNC_PROTO_TCP ? tcp_port : nts ? NTS_KE_PORT : NTP_PORT;

	memset(src, 0, sizeof(*src));
	if (measure_parse_spec(cfg->address, port, &src->spec) != 0)
		return -1;
	src->protocol = nts ? SYNC_PROTO_NTS : cfg->protocol;
	src->nts_tcp = cfg->protocol == SYNC_PROTO_NTS_TCP;
	src->poll_s = poll_s;
	snprintf(src->name, sizeof(src->name), "%s (%s)", cfg->address, names[cfg->protocol]);
	return 0;
}

static enum measure_proto proto_of(enum sync_protocol p)
{
	return p == SYNC_PROTO_TCP ? PROTO_NATIVE : PROTO_UDP;
}

static int same_address(const struct sockaddr_storage *a, const uint8_t refid[4])
{
	uint8_t ours[4];

	return refid_of_address(a, ours) == 0 && memcmp(ours, refid, 4) == 0;
}

/* RFC 5905: a source above stratum 1 whose reference ID is our own address
 * is synchronised to us: the address it sees us at, or any other of ours. */
static int is_loop(const struct sync_source *src, const struct measurement *m)
{
	return m->stratum > 1 && (same_address(&m->local_addr, m->refid) ||
	                          (src->own != NULL && refid_set_has(src->own, m->refid)));
}

static void set_state(struct sync_source *src, enum sync_source_state state, const char *why)
{
	if (state != src->state && state != SOURCE_OK)
		log_info("sync: source %s not usable: %s", src->name, why);
	else if (state != src->state)
		log_info("sync: source %s answers (stratum %d)", src->name, src->stratum);
	src->state = state;
}

static void kod_rate(struct sync_source *src, double poll_max_s)
{
	double was = src->poll_s;

	src->poll_s = src->poll_s * 2 > poll_max_s * 4 ? poll_max_s * 4 : src->poll_s * 2;
	log_info("sync: source %s sent a KoD RATE; its poll goes from %g s to %g s",
	         src->name, was, src->poll_s);
}

/* 0: a new point; 1: the delay test dropped it; -1: the estimator refused. */
static int estimate(struct sync_source *src, const struct measurement *m, struct estimator *est)
{
	struct tsd_estimate e;
	double excess;

	estimator_reset(est);
	for (size_t i = 0; i < m->n_samples; i++)
		(void)estimator_add(est, &m->samples[i]);
	if (estimator_estimate(est, &e) != 0)
		return -1;
	if (!delay_filter_check(&src->delays, e.delay_s, &excess)) {
		src->dropped++;
		log_debug("sync: %s: delay %.1f us is %.1f us above the recent minimum; "
		          "point %+.6f s dropped", src->name, e.delay_s * 1e6, excess * 1e6,
		          e.offset_s);
		return 1;
	}
	/* Half the excess may sit on one leg: an error the poll alone cannot see. */
	e.error_s += excess / 2;
	src->point_raw_ns = m->samples[m->n_samples - 1].t4_ns;
	src->point_mono_ns = monotonic_now_ns();
	src->offset_s = e.offset_s;
	src->delay_s = e.delay_s;
	src->error_s = e.error_s > 1e-9 ? e.error_s : 1e-9;
	src->jitter_s = e.jitter_s;
	return 0;
}

static void take_fields(struct sync_source *src, const struct measurement *m)
{
	src->stratum = m->stratum;
	src->leap = m->leap;
	src->root_delay_s = m->root_delay_s;
	src->root_dispersion_s = m->root_dispersion_s;
	if (refid_of_address(&m->peer_addr, src->refid_served) != 0)
		memset(src->refid_served, 0, 4);
}

/* NTS: the session's cookies, a key exchange only when they ran out or a
 * NAK came (logged with the count, which tests read), then authenticated
 * NTP only. */
static void poll_nts(struct sync_source *src, struct clock_source *cs, double timeout_s,
                     struct measurement *m)
{
	struct nts_options opt = { .ca_file = src->nts_ca_file, .tcp = src->nts_tcp };
	uint64_t before = src->nts.key_exchanges, naks = src->nts.naks;

	measure_server_nts(&src->spec, &opt, &src->nts, SYNC_EXCHANGES, timeout_s, cs, m);
	if (src->nts.key_exchanges != before)
		log_info("sync: source %s: NTS key exchange %llu%s (%d cookies)", src->name,
		         (unsigned long long)src->nts.key_exchanges,
		         src->nts.naks != naks ? " after an NTS NAK" : "", src->nts.client.n_cookies);
}

void sync_source_poll(struct sync_source *src, struct clock_source *cs, struct estimator *est,
                      double timeout_s, double poll_max_s, struct measurement *m)
{
	if (src->protocol == SYNC_PROTO_NTS)
		poll_nts(src, cs, timeout_s, m);
	else
		measure_server(&src->spec, proto_of(src->protocol), SYNC_EXCHANGES, timeout_s, cs, m);
	src->reach = (src->reach << 1) & 0xff;
	if (m->kod[0] != '\0' && strcmp(m->kod, "RATE") == 0)
		kod_rate(src, poll_max_s);
	if (m->status != MEASURE_OK) {
		set_state(src, m->status == MEASURE_UNSYNCED ? SOURCE_UNSYNCED :
		               m->status == MEASURE_BAD_REPLY ? SOURCE_BAD : SOURCE_UNREACHABLE,
		          m->why[0] ? m->why : "no answer");
		return;
	}
	src->reach |= 1;
	memcpy(src->refid, m->refid, 4);
	src->stratum = m->stratum;
	if (is_loop(src, m)) {
		set_state(src, SOURCE_LOOP, "its reference ID is our own address (a loop)");
		return;
	}
	take_fields(src, m);
	if (estimate(src, m, est) < 0) {
		set_state(src, SOURCE_BAD, "the estimator refused its samples");
		return;
	}
	set_state(src, SOURCE_OK, "");
}

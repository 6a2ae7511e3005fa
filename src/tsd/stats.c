/* Statistics on request: the workers' shared counters summed, with the
 * counts of exited workers kept, logged in a form a script can parse. */

#include <stdio.h>
#include <sys/mman.h>

#include "common/log.h"
#include "tsd/stats.h"

/* Every counter that only grows; not pid, generation, heartbeat, or the
 * open connections, which describe one live worker. */
static void add_counters(struct worker_counters *sum, const struct worker_counters *c)
{
	sum->accepted += c->accepted;
	sum->native_requests += c->native_requests;
	sum->text_requests += c->text_requests;
	sum->refused_overload += c->refused_overload;
	sum->closed_request_timeout += c->closed_request_timeout;
	sum->closed_idle_timeout += c->closed_idle_timeout;
	sum->closed_bad_request += c->closed_bad_request;
	sum->closed_error += c->closed_error;
	sum->clock_errors += c->clock_errors;
	sum->accept_emfile += c->accept_emfile;
	sum->udp_served += c->udp_served;
	sum->udp_dropped += c->udp_dropped;
	sum->udp_limited += c->udp_limited;
	sum->udp_kod += c->udp_kod;
	sum->udp_stamps_hardware += c->udp_stamps_hardware;
	sum->udp_stamps_fallback += c->udp_stamps_fallback;
	sum->udp_stamps_software += c->udp_stamps_software;
	sum->nts_ke_served += c->nts_ke_served;
	sum->nts_ke_refused += c->nts_ke_refused;
	sum->nts_ke_tls_failed += c->nts_ke_tls_failed;
	sum->nts_ke_bad_request += c->nts_ke_bad_request;
	sum->nts_ke_timeout += c->nts_ke_timeout;
	sum->nts_ke_closed += c->nts_ke_closed;
	sum->nts_udp_served += c->nts_udp_served;
	sum->nts_tcp_served += c->nts_tcp_served;
	sum->nts_udp_nak += c->nts_udp_nak;
	sum->nts_udp_bad += c->nts_udp_bad;
	sum->nts_udp_auth_failed += c->nts_udp_auth_failed;
	sum->proc_time_sum_ns += c->proc_time_sum_ns;
	for (unsigned i = 0; i < COUNTERS_HIST_BUCKETS; i++)
		sum->proc_time_hist[i] += c->proc_time_hist[i];
}

struct stats *stats_create(void)
{
	void *p = mmap(NULL, sizeof(struct stats), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void stats_destroy(struct stats *st)
{
	if (st != NULL)
		munmap(st, sizeof(*st));
}

void stats_write_begin(struct stats *st)
{
	__atomic_store_n(&st->seq, st->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void stats_write_end(struct stats *st)
{
	__atomic_store_n(&st->seq, st->seq + 1, __ATOMIC_RELEASE);
}

void stats_retire(struct stats *st, struct worker_counters *c)
{
	stats_write_begin(st);
	add_counters(&st->retired, c);
	st->workers_retired++;
	c->pid = 0;
	stats_write_end(st);
}

int stats_snapshot(const struct stats *st, const struct worker_counters *slots,
                   unsigned n_slots, struct stats *copy, struct worker_counters *total,
                   unsigned *live)
{
	uint32_t before;

	for (int tries = 0; tries < 1000; tries++) {
		before = __atomic_load_n(&st->seq, __ATOMIC_ACQUIRE);
		if (before & 1u)
			continue;
		*copy = *st;
		stats_total(copy, slots, n_slots, total, live);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&st->seq, __ATOMIC_RELAXED) == before)
			return 0;
	}
	return -1;
}

void stats_total(const struct stats *st, const struct worker_counters *slots,
                 unsigned n_slots, struct worker_counters *total, unsigned *live)
{
	*total = st->retired;
	total->active_connections = 0;
	*live = 0;
	for (unsigned i = 0; i < n_slots; i++) {
		/* A worker writes its own slot without locks: a value read
		 * while it changes is off by the change, never torn (aligned
		 * 64-bit words). */
		if (slots[i].pid == 0)
			continue;
		add_counters(total, &slots[i]);
		total->active_connections += slots[i].active_connections;
		(*live)++;
	}
}

/* A quantile of the processing times (T3 - T2): "<= N ns", the upper
 * edge of its power-of-two bucket, or "none" before the first reply. */
static const char *quantile_text(const struct worker_counters *c, double q,
                                 char *buf, size_t len)
{
	uint64_t ns = counters_hist_quantile(c->proc_time_hist, q);

	if (ns == 0)
		return "none";
	if (ns == UINT64_MAX)   /* the last bucket has no upper edge */
		snprintf(buf, len, ">= %llu ns",
		         (unsigned long long)1 << (COUNTERS_HIST_BUCKETS - 1));
	else
		snprintf(buf, len, "<= %llu ns", (unsigned long long)ns);
	return buf;
}

void stats_log(const struct stats *st, const struct worker_counters *slots, unsigned n_slots)
{
	struct worker_counters t;
	char p50[32], p99[32];
	unsigned live;

	stats_total(st, slots, n_slots, &t, &live);
	log_info("statistics: workers running %u, exited %u; connections open %llu; "
	         "clock errors %llu; processing time p50 %s, p99 %s",
	         live, st->workers_retired, (unsigned long long)t.active_connections,
	         (unsigned long long)t.clock_errors, quantile_text(&t, 0.5, p50, sizeof(p50)),
	         quantile_text(&t, 0.99, p99, sizeof(p99)));
	log_info("statistics: tcp accepted %llu, native %llu, text %llu, refused %llu, "
	         "closed request_timeout %llu, idle_timeout %llu, bad_request %llu, error %llu, "
	         "emfile pauses %llu",
	         (unsigned long long)t.accepted, (unsigned long long)t.native_requests,
	         (unsigned long long)t.text_requests, (unsigned long long)t.refused_overload,
	         (unsigned long long)t.closed_request_timeout,
	         (unsigned long long)t.closed_idle_timeout,
	         (unsigned long long)t.closed_bad_request, (unsigned long long)t.closed_error,
	         (unsigned long long)t.accept_emfile);
	log_info("statistics: udp served %llu, dropped %llu, rate limited %llu, kod %llu",
	         (unsigned long long)t.udp_served, (unsigned long long)t.udp_dropped,
	         (unsigned long long)t.udp_limited, (unsigned long long)t.udp_kod);
	log_info("statistics: nts-ke served %llu, refused %llu, tls_failed %llu, "
	         "bad_request %llu, timeout %llu, closed %llu",
	         (unsigned long long)t.nts_ke_served, (unsigned long long)t.nts_ke_refused,
	         (unsigned long long)t.nts_ke_tls_failed, (unsigned long long)t.nts_ke_bad_request,
	         (unsigned long long)t.nts_ke_timeout, (unsigned long long)t.nts_ke_closed);
	/* Before the nts-udp line, which tests wait for. NAKs and refusals
	 * below count both transports. */
	log_info("statistics: nts-tcp served %llu", (unsigned long long)t.nts_tcp_served);
	log_info("statistics: nts-udp served %llu, nak %llu, bad %llu, auth_failed %llu",
	         (unsigned long long)t.nts_udp_served, (unsigned long long)t.nts_udp_nak,
	         (unsigned long long)t.nts_udp_bad, (unsigned long long)t.nts_udp_auth_failed);
}

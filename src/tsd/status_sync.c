/* The sync engine in tsdctl status and sources: the sync process's state
 * (read through its seqlock and checked, sync_state.c), whether that
 * process runs, and the correction the workers serve. */
#include "tsd/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tsd/sync_state.h"

struct sync_look {
	struct correction_params corr;
	int have_corr;
	struct sync_state st;
	enum sync_state_read_result read;
	int live;                       /* st is the running sync process's, fresh */
	enum sync_overall overall;
	const char *process;            /* what the sync process is doing */
};

static const char *process_text(const struct status_view *v, const struct sync_look *l)
{
	if (v->sync_given_up)
		return "not running: it cannot run with this configuration (see the log)";
	if (v->sync_pid <= 0)
		return "not running: it exited and is being restarted";
	if (l->live)
		return "running";
	if (l->read == SYNC_STATE_TORN)
		return "running, but its state could not be read consistently";
	if (l->read == SYNC_STATE_INVALID)
		return "running, but its state failed the checks (damaged)";
	if (l->read == SYNC_STATE_NEVER || l->st.writer_pid != v->sync_pid)
		return "starting: no state published yet";
	return "not answering: its state is stale";
}

static void look(const struct status_view *v, struct sync_look *l)
{
	memset(l, 0, sizeof(*l));
	l->have_corr = correction_read(v->correction, &l->corr) == 0;
	l->read = sync_state_read(v->sync_state, &l->st);
	l->live = l->read == SYNC_STATE_OK && v->sync_pid > 0 &&
	          l->st.writer_pid == v->sync_pid && sync_state_live(&l->st, v->now_mono_ns);
	l->overall = sync_state_overall(l->have_corr ? &l->corr : NULL,
	                                l->live ? &l->st : NULL, v->now_mono_ns);
	l->process = process_text(v, l);
}

/* Above stratum 1 a reference ID is an address (IPv4, or the start of an
 * IPv6 address's MD5): dotted, as ntpq and chronyc show it. */
static void refid_text(const char refid[4], int stratum, char *buf, size_t len)
{
	const unsigned char *r = (const unsigned char *)refid;

	if (stratum >= 2 && stratum <= 15)
		snprintf(buf, len, "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
	else
		status_refid_text(refid, buf, len);
}

static double age_s(int64_t now_ns, int64_t then_ns)
{
	return then_ns > 0 && now_ns >= then_ns ? (double)(now_ns - then_ns) / 1e9 : NAN;
}

/* The correction in force: served minus raw now (monotonic time stands in
 * for the raw clock since the update; the difference is a rate error
 * times a rate error), the frequency and the slew still to come. */
static void write_correction(const struct status_view *v, const struct sync_look *l,
                             struct ctl_out *o)
{
	const struct correction_params *p = &l->corr;
	int64_t since = v->now_mono_ns - p->ref_mono_ns;
	int64_t raw = p->ref_raw_ns + (since > 0 ? since : 0);

	ctl_out_object(o, "correction");
	ctl_out_num(o, "offset_s", (double)correction_offset_ns(p, raw) / 1e9);
	ctl_out_num(o, "frequency_ppm", p->freq * 1e6);
	ctl_out_num(o, "slew_remaining_s", p->slew_s - correction_slew_done_s(p, raw));
	ctl_out_num(o, "age_s", age_s(v->now_mono_ns, p->ref_mono_ns));
	ctl_out_end(o);
}

/* The hierarchy fields served now (RFC 5905), from the correction. */
static void write_served(const struct status_view *v, const struct sync_look *l,
                         struct ctl_out *o)
{
	struct tsd_clock_info info;
	char refid[20];

	memset(&info, 0, sizeof(info));
	correction_fill_info(&l->corr, v->now_mono_ns, &info);
	refid_text(info.refid, info.stratum, refid, sizeof(refid));
	ctl_out_object(o, "system");
	ctl_out_int(o, "stratum", info.stratum);
	ctl_out_str(o, "refid", refid);
	ctl_out_str(o, "leap", status_leap_name(info.leap));
	ctl_out_num(o, "root_delay_s", info.root_delay_s);
	ctl_out_num(o, "root_dispersion_s", info.root_dispersion_s);
	ctl_out_end(o);
}

static void write_source(const struct status_view *v, const struct sync_state_source *s,
                         struct ctl_out *o)
{
	char reach[8], refid[20];

	snprintf(reach, sizeof(reach), "%o", s->reach);
	refid_text(s->refid, s->stratum, refid, sizeof(refid));
	ctl_out_object(o, NULL);
	ctl_out_str(o, "address", s->address);
	ctl_out_str(o, "protocol", sync_protocol_name(s->protocol));
	ctl_out_str(o, "state", sync_role_name(s->role));
	ctl_out_bool(o, "selected", s->role == SYNC_ROLE_SELECTED);
	ctl_out_str(o, "reach", reach);
	ctl_out_num(o, "poll_s", s->poll_s);
	ctl_out_uint(o, "polls", s->polls);
	ctl_out_uint(o, "replies", s->replies);
	if (s->stratum > 0) {
		ctl_out_int(o, "stratum", s->stratum);
		ctl_out_str(o, "refid", refid);
		ctl_out_str(o, "leap", status_leap_name(s->leap));
	} else {
		ctl_out_null(o, "stratum");
		ctl_out_null(o, "refid");
		ctl_out_null(o, "leap");
	}
	ctl_out_num(o, "offset_s", s->have_point ? s->served_offset_s : NAN);
	ctl_out_num(o, "raw_offset_s", s->have_point ? s->offset_s : NAN);
	ctl_out_num(o, "delay_s", s->have_point ? s->delay_s : NAN);
	ctl_out_num(o, "jitter_s", s->have_point ? s->jitter_s : NAN);
	ctl_out_num(o, "error_s", s->have_point ? s->error_s : NAN);
	ctl_out_num(o, "root_delay_s", s->have_point ? s->root_delay_s : NAN);
	ctl_out_num(o, "root_dispersion_s", s->have_point ? s->root_dispersion_s : NAN);
	ctl_out_num(o, "last_sample_age_s",
	            s->have_point ? age_s(v->now_mono_ns, s->point_mono_ns) : NAN);
	ctl_out_end(o);
}

static void write_source_list(const struct status_view *v, const struct sync_look *l,
                              struct ctl_out *o)
{
	ctl_out_array(o, "sources");
	for (uint32_t i = 0; l->read == SYNC_STATE_OK && i < l->st.n_sources; i++)
		write_source(v, &l->st.src[i], o);
	ctl_out_end(o);
}

/* What every view of the sync engine starts with. */
static void write_head(const struct status_view *v, const struct sync_look *l,
                       struct ctl_out *o)
{
	ctl_out_bool(o, "enabled", 1);
	ctl_out_str(o, "state", sync_overall_name(l->overall));
	ctl_out_str(o, "process", l->process);
	if (v->sync_pid > 0)
		ctl_out_int(o, "pid", v->sync_pid);
	else
		ctl_out_null(o, "pid");
	ctl_out_num(o, "state_age_s", l->read == SYNC_STATE_OK ?
	            age_s(v->now_mono_ns, l->st.written_mono_ns) : NAN);
	ctl_out_num(o, "since_update_s", l->have_corr && l->corr.synced ?
	            age_s(v->now_mono_ns, l->corr.ref_mono_ns) : NAN);
	ctl_out_uint(o, "updates", l->have_corr ? l->corr.updates : 0);
}

void status_sync_write(const struct status_view *v, struct ctl_out *o)
{
	struct sync_look l;
	int have;

	ctl_out_object(o, "sync");
	if (!v->cfg->sync.enabled) {
		ctl_out_bool(o, "enabled", 0);
		ctl_out_end(o);
		return;
	}
	look(v, &l);
	write_head(v, &l, o);
	have = l.read == SYNC_STATE_OK;
	ctl_out_num(o, "frequency_ppm", have ? l.st.freq * 1e6 : NAN);
	ctl_out_num(o, "last_offset_s", have ? l.st.last_offset_s : NAN);
	ctl_out_num(o, "residual_rms_s", have ? l.st.rms_s : NAN);
	ctl_out_num(o, "poll_s", have ? l.st.poll_s : NAN);
	ctl_out_uint(o, "points", have ? l.st.n_points : 0);
	if (l.have_corr) {
		write_correction(v, &l, o);
		write_served(v, &l, o);
	}
	write_source_list(v, &l, o);
	ctl_out_end(o);
}

/* ---- tsdctl sources, as a table ---- */

/* A time with its unit (ns, us, ms, s), signed when asked; "-" when unknown. */
static void short_time(double s, int sign, char *buf, size_t len)
{
	static const struct { double scale; const char *unit; } units[] = {
		{ 1e9, "ns" }, { 1e6, "us" }, { 1e3, "ms" }, { 1, "s" },
	};
	double a = fabs(s);
	size_t u = 0;

	if (!isfinite(s)) {
		snprintf(buf, len, "-");
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && a * units[u].scale >= 9999.5)
		u++;
	snprintf(buf, len, sign ? "%+.0f%s" : "%.0f%s", s * units[u].scale, units[u].unit);
}

/* chronyc's column of symbols: * selected, + combined, x falseticker,
 * L loop, ! unsynchronized, ~ too old, ? anything else unused. */
static char role_symbol(int role)
{
	switch (role) {
	case SYNC_ROLE_SELECTED: return '*';
	case SYNC_ROLE_CANDIDATE: return '+';
	case SYNC_ROLE_FALSETICKER: return 'x';
	case SYNC_ROLE_LOOP: return 'L';
	case SYNC_ROLE_UNSYNCHRONIZED: return '!';
	case SYNC_ROLE_STALE: return '~';
	default: return '?';
	}
}

static void table_row(const struct status_view *v, const struct sync_state_source *s,
                      struct ctl_out *o)
{
	char line[512], refid[20] = "-", off[16], raw[16], delay[16], jit[16], rx[16], poll[16];
	double seen = s->have_point ? age_s(v->now_mono_ns, s->point_mono_ns) : NAN;

	if (s->stratum > 0)
		refid_text(s->refid, s->stratum, refid, sizeof(refid));
	short_time(s->have_point ? s->served_offset_s : NAN, 1, off, sizeof(off));
	short_time(s->have_point ? s->offset_s : NAN, 1, raw, sizeof(raw));
	short_time(s->have_point ? s->delay_s : NAN, 0, delay, sizeof(delay));
	short_time(s->have_point ? s->jitter_s : NAN, 0, jit, sizeof(jit));
	snprintf(rx, sizeof(rx), isfinite(seen) ? "%.0fs" : "-", seen);
	snprintf(poll, sizeof(poll), "%gs", s->poll_s);
	snprintf(line, sizeof(line), "%c %-28.28s %-4s %3d %-10s %6s %5o %6s %9s %9s %8s %8s  %s",
	         role_symbol(s->role), s->address, sync_protocol_name(s->protocol), s->stratum,
	         refid, poll, s->reach, rx, off, raw, delay, jit, sync_role_name(s->role));
	ctl_out_text_line(o, line);
}

static void sources_table(const struct status_view *v, const struct sync_look *l,
                          struct ctl_out *o)
{
	char line[512], freq[32] = "", since[48] = "";

	if (l->read == SYNC_STATE_OK)
		snprintf(freq, sizeof(freq), "; frequency %+.3f ppm", l->st.freq * 1e6);
	if (l->have_corr && l->corr.synced)
		snprintf(since, sizeof(since), "; last update %.1f s ago",
		         age_s(v->now_mono_ns, l->corr.ref_mono_ns));
	snprintf(line, sizeof(line), "sync: %s; sync process %s%s%s%s",
	         sync_overall_name(l->overall), l->process, freq, since,
	         l->read == SYNC_STATE_OK && !l->live ? "; the table is its last state" : "");
	ctl_out_text_line(o, line);
	if (l->read != SYNC_STATE_OK)
		return;
	ctl_out_text_line(o, "S Address                      Prot Str Refid        Poll Reach LastRx"
	                     "    Offset       Raw    Delay   Jitter  State");
	for (uint32_t i = 0; i < l->st.n_sources; i++)
		table_row(v, &l->st.src[i], o);
}

void status_sync_sources(const struct status_view *v, struct ctl_out *o)
{
	struct sync_look l;

	look(v, &l);
	if (!o->json) {
		sources_table(v, &l, o);
		return;
	}
	ctl_out_bool(o, "sync_engine", 1);
	write_head(v, &l, o);
	write_source_list(v, &l, o);
}

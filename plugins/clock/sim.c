/* Clock plugin "sim": a simulated clock for tests and demonstrations. Real
 * time plus a configured offset, drift, jitter and one scheduled step; its
 * step, slew and steering change only the simulation, never the machine's
 * clock. What they change is kept as a kernel keeps it for the real clock:
 * in the host's shared memory (TSD_SHARED_FD_ENV), so the sync process's
 * adjustments are what every worker serves. */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "tsd/plugin.h"
#include "kernel.h"
#include "sim_wander.h"

/* adjtime's rate: a slew never moves the clock faster than this. */
#define SLEW_RATE 500e-6
/* The frequency adjustments it takes, as the kernel's (+-500 ppm). */
#define MAX_FREQ_PPM 500.0
/* Offsets beyond this many seconds (about three years) are refused, so the
 * sums below stay far from int64 nanoseconds' limits. */
#define MAX_OFFSET_S 1e8

/* Every numeric setting, as a double; the integer ones are checked whole. */
struct sim_config {
	double offset_s;
	double drift_ppm;
	double wander;
	double jitter_s;
	double seed;
	double step_at_s;
	double step_by_s;
	double stratum;
	double leap;
	double error_s;
};

/* What the simulated kernel keeps: every change made through the plugin. */
struct sim_adjust {
	double stepped_s;        /* sum of step() calls */
	double slewed_s;         /* slews already folded in */
	int64_t slew_start_ns;   /* real time the slew in progress began */
	double slew_total_s;     /* the slew in progress */
	int64_t freq_ref_ns;     /* real time the frequency was last set */
	double freq_phase_s;     /* what the frequencies added before freq_ref_ns */
	double freq_ppm;         /* the frequency adjustment in force */
	int synced;              /* adjust_status, read back by adjust_read */
	int leap;
	double error_s, max_error_s;
};

/* One writer (the sync process), readers in every process: two copies, as
 * src/common/correction.c keeps the served correction, so a reader never
 * waits and a writer killed half-way leaves one copy whole. Zero-filled is
 * the state of a clock nothing has changed. */
struct sim_kernel {
	uint32_t seq;            /* even: copy 0 is whole; odd: copy 1 */
	uint32_t pad;
	struct sim_adjust copy[2];
};

_Static_assert(sizeof(struct sim_kernel) <= TSD_SHARED_BYTES, "the host shares TSD_SHARED_BYTES");

struct sim {
	struct sim_config cfg;
	struct sim_kernel *kernel; /* shared, or private */
	int kernel_shared;
	int gaussian;            /* jitter shape: gaussian (default) or uniform */
	int has_step_at;
	int has_step_by;
	int has_error;
	int precision_log2;
	int64_t start_ns;        /* the host's origin (or init): drift and step_at count from it */
	uint64_t rng;
	struct wander wander;    /* the frequency's random walk, a function of seed and time */
};

/* ---- a small seeded PRNG (splitmix64): reproducible, no libm ---- */

static uint64_t next_random(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform01(struct sim *s)
{
	return (double)(next_random(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Jitter never exceeds `jitter`, so the error bound (1 us + jitter by
 * default) is a true bound. Uniform: flat on [-jitter, +jitter]. Gaussian:
 * sigma = jitter / 3, cut at 3 sigma; the twelve-uniform sum is close to
 * normal and needs no libm. */
static double jitter_s(struct sim *s)
{
	double z;

	if (s->cfg.jitter_s == 0)
		return 0;
	if (!s->gaussian)
		return (2 * uniform01(s) - 1) * s->cfg.jitter_s;
	do {
		z = -6;
		for (int k = 0; k < 12; k++)
			z += uniform01(s);
	} while (z < -3 || z > 3);
	return z / 3 * s->cfg.jitter_s;
}

/* ---- the simulated kernel ---- */

static void kernel_read_adjust(const struct sim *s, struct sim_adjust *out)
{
	const struct sim_kernel *k = s->kernel;

	for (int i = 0; i < 64; i++) {
		uint32_t before = __atomic_load_n(&k->seq, __ATOMIC_ACQUIRE);

		memcpy(out, &k->copy[before & 1], sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&k->seq, __ATOMIC_RELAXED) == before)
			return;
	}
}

static void set_seq(struct sim_kernel *k, uint32_t seq)
{
	__atomic_store_n(&k->seq, seq, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void kernel_write_adjust(struct sim *s, const struct sim_adjust *a)
{
	struct sim_kernel *k = s->kernel;
	uint32_t seq = __atomic_load_n(&k->seq, __ATOMIC_RELAXED);

	if ((seq & 1) == 0)
		set_seq(k, ++seq);
	memcpy(&k->copy[0], a, sizeof(*a));
	set_seq(k, ++seq);
	memcpy(&k->copy[1], a, sizeof(*a));
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* ---- the simulated time scale ---- */

/* The phase the frequency adjustments add by real_ns. They act on the
 * simulated oscillator, which runs drift_ppm off real time, as the kernel's
 * act on the hardware's. */
static double freq_phase_s(const struct sim *s, const struct sim_adjust *a, int64_t real_ns)
{
	double since_s = (double)(real_ns - a->freq_ref_ns) / NS_PER_S;

	if (a->freq_ppm == 0)
		return a->freq_phase_s;
	return a->freq_phase_s + a->freq_ppm * 1e-6 * since_s * (1 + s->cfg.drift_ppm * 1e-6);
}

static double slew_done_s(const struct sim_adjust *a, int64_t real_ns)
{
	double moved_s, total = a->slew_total_s;

	if (real_ns <= a->slew_start_ns || total == 0)
		return 0;
	moved_s = SLEW_RATE * (double)(real_ns - a->slew_start_ns) / NS_PER_S;
	if (total > 0)
		return moved_s < total ? moved_s : total;
	return -moved_s > total ? -moved_s : total;
}

/* Simulated minus real time at a real instant, without jitter. */
static double sim_offset_s(struct sim *s, int64_t real_ns)
{
	double elapsed_s = (double)(real_ns - s->start_ns) / NS_PER_S;
	double offset = s->cfg.offset_s + s->cfg.drift_ppm * 1e-6 * elapsed_s, walked;
	struct sim_adjust a;

	wander_at(&s->wander, elapsed_s, &walked, NULL);
	offset += walked;

	if (s->has_step_at && elapsed_s >= s->cfg.step_at_s)
		offset += s->cfg.step_by_s;
	kernel_read_adjust(s, &a);
	return offset + a.stepped_s + a.slewed_s + slew_done_s(&a, real_ns) +
	       freq_phase_s(s, &a, real_ns);
}

static int64_t seconds_to_ns(double seconds)
{
	double ns = seconds * 1e9;

	return (int64_t)(ns >= 0 ? ns + 0.5 : ns - 0.5);
}

static int read_real_ns(int64_t *out)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	*out = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
	return 0;
}

static int sim_now(void *state, struct tsd_clock_reading *out)
{
	struct sim *s = state;
	int64_t real_ns = 0;
	int rc = read_real_ns(&real_ns);

	if (rc != 0)
		return rc;
	out->time_ns = real_ns + seconds_to_ns(sim_offset_s(s, real_ns) + jitter_s(s));
	out->error_s = s->cfg.error_s;
	return 0;
}

static int sim_from_realtime(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out)
{
	struct sim *s = state;

	/* 1970..2116: the elapsed time and the sum below cannot overflow. */
	if (realtime_ns < 0 || realtime_ns > INT64_C(1) << 62)
		return -ERANGE;
	*out = realtime_ns + seconds_to_ns(sim_offset_s(s, realtime_ns));
	return 0;
}

static int sim_info(void *state, struct tsd_clock_info *out)
{
	const struct sim *s = state;

	memset(out, 0, sizeof(*out));
	out->leap = (enum tsd_leap)s->cfg.leap;
	out->stratum = (int)s->cfg.stratum;
	out->precision_log2 = s->precision_log2;
	out->root_delay_s = 0;
	out->root_dispersion_s = s->cfg.error_s;
	memcpy(out->refid, "SIM", 4);
	return 0;
}

static int sim_step(void *state, double offset_s)
{
	struct sim *s = state;
	struct sim_adjust a;
	double total;

	kernel_read_adjust(s, &a);
	total = a.stepped_s + offset_s;
	if (!(total > -MAX_OFFSET_S && total < MAX_OFFSET_S))
		return -ERANGE;
	a.stepped_s = total;
	kernel_write_adjust(s, &a);
	return 0;
}

/* Like adjtime: a new slew replaces what is left of the previous one. */
static int sim_slew(void *state, double offset_s)
{
	struct sim *s = state;
	struct sim_adjust a;
	int64_t real_ns = 0;
	int rc;

	if (!(offset_s > -2000.0 && offset_s < 2000.0))
		return -ERANGE;
	rc = read_real_ns(&real_ns);
	if (rc != 0)
		return rc;
	kernel_read_adjust(s, &a);
	a.slewed_s += slew_done_s(&a, real_ns);
	a.slew_start_ns = real_ns;
	a.slew_total_s = offset_s;
	kernel_write_adjust(s, &a);
	return 0;
}

/* As ADJ_FREQUENCY: from now on, clamped to what the kernel takes. */
static int sim_adjust_frequency(void *state, double freq_ppm)
{
	struct sim *s = state;
	struct sim_adjust a;
	int64_t real_ns = 0;
	int rc = read_real_ns(&real_ns);

	if (rc != 0)
		return rc;
	if (freq_ppm != freq_ppm)
		return -EINVAL;
	kernel_read_adjust(s, &a);
	a.freq_phase_s = freq_phase_s(s, &a, real_ns);
	a.freq_ref_ns = real_ns;
	a.freq_ppm = freq_ppm > MAX_FREQ_PPM ? MAX_FREQ_PPM
	           : freq_ppm < -MAX_FREQ_PPM ? -MAX_FREQ_PPM : freq_ppm;
	kernel_write_adjust(s, &a);
	return 0;
}

static int sim_adjust_read(void *state, struct tsd_clock_adjustment *out)
{
	struct sim *s = state;
	struct sim_adjust a;

	kernel_read_adjust(s, &a);
	out->freq_ppm = a.freq_ppm;
	out->max_freq_ppm = MAX_FREQ_PPM;
	out->synced = a.synced;
	out->leap = (enum tsd_leap)a.leap;
	out->error_s = a.error_s;
	out->max_error_s = a.max_error_s;
	return 0;
}

static int sim_adjust_status(void *state, const struct tsd_clock_status *status)
{
	struct sim *s = state;
	struct sim_adjust a;

	kernel_read_adjust(s, &a);
	a.synced = status->synced;
	a.leap = (int)status->leap;
	a.error_s = status->error_s;
	a.max_error_s = status->max_error_s;
	kernel_write_adjust(s, &a);
	return 0;
}

/* ---- settings ---- */

struct numeric_setting {
	const char *name;
	size_t field;            /* offsetof(struct sim_config, ...) */
	double min, max;
	int integer;
};

static const struct numeric_setting numeric_settings[] = {
	{ "offset", offsetof(struct sim_config, offset_s), -MAX_OFFSET_S, MAX_OFFSET_S, 0 },
	{ "drift_ppm", offsetof(struct sim_config, drift_ppm), -10000, 10000, 0 },
	{ "wander", offsetof(struct sim_config, wander), 0, 1e-4, 0 },
	{ "jitter", offsetof(struct sim_config, jitter_s), 0, 10, 0 },
	{ "seed", offsetof(struct sim_config, seed), 0, 9007199254740992.0, 1 },
	{ "step_at", offsetof(struct sim_config, step_at_s), 0, MAX_OFFSET_S, 0 },
	{ "step_by", offsetof(struct sim_config, step_by_s), -MAX_OFFSET_S, MAX_OFFSET_S, 0 },
	{ "stratum", offsetof(struct sim_config, stratum), 1, 16, 1 },
	{ "leap", offsetof(struct sim_config, leap), 0, 3, 1 },
	{ "error", offsetof(struct sim_config, error_s), 0, 1000, 0 },
};
#define N_NUMERIC (sizeof(numeric_settings) / sizeof(numeric_settings[0]))

static int set_numeric(struct sim *s, const struct numeric_setting *ns,
                       const struct tsd_setting *set, int i,
                       struct tsd_plugin_error *err)
{
	double v;

	if (ns->integer && set->type != TSD_SETTING_INT)
		return tsd_plugin_fail(err, i, -EINVAL, "%s must be an integer", ns->name);
	if (tsd_setting_number(set, &v) != 0 || !(v >= ns->min && v <= ns->max))
		return tsd_plugin_fail(err, i, -EINVAL, "%s must be a number from %g to %g",
		                       ns->name, ns->min, ns->max);
	*(double *)((char *)&s->cfg + ns->field) = v;
	if (strcmp(ns->name, "step_at") == 0)
		s->has_step_at = 1;
	else if (strcmp(ns->name, "step_by") == 0)
		s->has_step_by = 1;
	else if (strcmp(ns->name, "error") == 0)
		s->has_error = 1;
	return 0;
}

static int set_distribution(struct sim *s, const struct tsd_setting *set, int i,
                            struct tsd_plugin_error *err)
{
	const char *v = set->type == TSD_SETTING_STRING ? set->string_value : NULL;

	if (v != NULL && strcmp(v, "gaussian") == 0)
		s->gaussian = 1;
	else if (v != NULL && strcmp(v, "uniform") == 0)
		s->gaussian = 0;
	else
		return tsd_plugin_fail(err, i, -EINVAL,
		                       "jitter_distribution must be \"gaussian\" or \"uniform\"");
	return 0;
}

static int apply_setting(struct sim *s, const struct tsd_setting *set, int i,
                         struct tsd_plugin_error *err)
{
	if (strcmp(set->name, "jitter_distribution") == 0)
		return set_distribution(s, set, i, err);
	for (size_t k = 0; k < N_NUMERIC; k++)
		if (strcmp(set->name, numeric_settings[k].name) == 0)
			return set_numeric(s, &numeric_settings[k], set, i, err);
	return tsd_plugin_fail(err, i, -EINVAL,
	                       "unknown setting \"%s\" (known: offset, drift_ppm, wander, jitter, "
	                       "jitter_distribution, seed, step_at, step_by, stratum, leap, error)",
	                       set->name);
}

static int apply_settings(struct sim *s, const struct tsd_setting *settings,
                          size_t n, struct tsd_plugin_error *err)
{
	int step_by_index = -1;

	for (size_t i = 0; i < n; i++) {
		int rc = apply_setting(s, &settings[i], (int)i, err);

		if (rc != 0)
			return rc;
		if (strcmp(settings[i].name, "step_by") == 0)
			step_by_index = (int)i;
	}
	if (s->has_step_by && !s->has_step_at)
		return tsd_plugin_fail(err, step_by_index, -EINVAL,
		                       "step_by needs step_at (seconds after start)");
	if (!s->has_error)
		s->cfg.error_s = 1e-6 + s->cfg.jitter_s;
	return 0;
}

/* The host's origin when it gives one, so every process of a tsd reads
 * the same simulated time; else now. */
static int origin_ns(int64_t *out)
{
	const char *text = getenv(TSD_ORIGIN_ENV);
	char *end = NULL;
	long long v;

	if (text != NULL && *text != '\0') {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0) {
			*out = v;
			return 0;
		}
	}
	return read_real_ns(out);
}

/* The host's shared memory when it gives one (a tsd), else private
 * memory (tsclient): the same layout either way. */
static int open_kernel(struct sim *s)
{
	const char *text = getenv(TSD_SHARED_FD_ENV);
	struct stat st;
	char *end = NULL;
	long fd;
	void *p;

	if (text != NULL && *text != '\0') {
		errno = 0;
		fd = strtol(text, &end, 10);
		if (errno == 0 && *end == '\0' && fd > 2 && fd < 1 << 20 &&
		    fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size == (off_t)TSD_SHARED_BYTES) {
			p = mmap(NULL, TSD_SHARED_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
			         (int)fd, 0);
			if (p != MAP_FAILED) {
				s->kernel = p;
				s->kernel_shared = 1;
				return 0;
			}
		}
	}
	s->kernel = calloc(1, sizeof(*s->kernel));
	return s->kernel != NULL ? 0 : -ENOMEM;
}

static void close_kernel(struct sim *s)
{
	if (s->kernel_shared)
		munmap(s->kernel, TSD_SHARED_BYTES);
	else
		free(s->kernel);
}

static int sim_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	struct sim *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	s->gaussian = 1;
	s->cfg.seed = 1;
	s->cfg.stratum = 1;
	rc = apply_settings(s, settings, n_settings, err);
	if (rc == 0 && origin_ns(&s->start_ns) != 0)
		rc = tsd_plugin_fail(err, -1, -errno, "cannot read CLOCK_REALTIME");
	if (rc == 0 && open_kernel(s) != 0)
		rc = tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->rng = (uint64_t)s->cfg.seed;
	wander_init(&s->wander, s->cfg.wander, (uint64_t)s->cfg.seed);
	s->precision_log2 = clock_precision_log2(clock_resolution_s(CLOCK_REALTIME));
	*state = s;
	return 0;
}

static void sim_fini(void *state)
{
	close_kernel(state);
	free(state);
}

static const struct tsd_clock_ops sim_ops = {
	.now = sim_now,
	.info = sim_info,
	.from_realtime = sim_from_realtime,
	.step = sim_step,
	.slew = sim_slew,
	.adjust_frequency = sim_adjust_frequency,
	.adjust_read = sim_adjust_read,
	.adjust_status = sim_adjust_status,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "sim",
	.description = "a simulated clock (offset, drift_ppm, wander, bounded jitter, a scheduled step); "
	               "step, slew and steering change only the simulation",
	.init = sim_init,
	.fini = sim_fini,
	.clock = &sim_ops,
	.estimator = NULL,
};

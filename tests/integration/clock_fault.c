/* Test clock plugin "fault": the system clock, made to crash every worker
 * at its start, to hang in now(), or to make in now() a system call no
 * worker makes (unlink), for the supervision and seccomp tests. (Readings
 * out of range come from tests/unit's clock_fake.) Never for production.
 *
 * tsd's master opens the plugin once to check it, and each worker opens it
 * again at its start: init in a process whose parent is a tsd process is a
 * worker starting. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tsd/plugin.h"
#include "common/monotonic.h"

#define NS_PER_S 1000000000LL

enum fault {
	FAULT_NONE,
	FAULT_ABORT_AT_START,   /* every worker aborts in init */
	FAULT_HANG_IN_NOW,      /* now() never returns */
	FAULT_UNLINK_IN_NOW,    /* each now() unlinks once_file first */
};

static const char *const fault_names[] = { "none", "abort_at_start", "hang_in_now",
                                              "unlink_in_now" };

struct fault_clock {
	enum fault fault;
	char once_file[256];  /* if set, the fault fires once: where this unlinks
	                       * (unlink_in_now: what each now() unlinks) */
	char start_log[256];  /* if set, each worker start appends "pid monotonic_ns" */
};

/* True when the fault should fire now: always, or once across processes. */
static int fires(const struct fault_clock *fc, enum fault which)
{
	if (fc->fault != which)
		return 0;
	return fc->once_file[0] == '\0' || unlink(fc->once_file) == 0;
}

/* Whether this process is a tsd worker: its parent is a tsd process. */
static int in_worker(void)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "tsd", 3) == 0;
}

static void log_start(const struct fault_clock *fc)
{
	char line[64];
	int fd, len;

	if (fc->start_log[0] == '\0')
		return;
	fd = open(fc->start_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "%ld %lld\n", (long)getpid(), (long long)monotonic_now_ns());
	if (write(fd, line, (size_t)len) != len)
		(void)0; /* the test counts lines; a short write shows up there */
	close(fd);
}

static int fc_now(void *state, struct tsd_clock_reading *out)
{
	struct fault_clock *fc = state;
	struct timespec ts;

	if (fires(fc, FAULT_HANG_IN_NOW))
		for (;;)
			sleep(1);
	/* What a plugin taken over might try; the seccomp filter forbids it. */
	if (fc->fault == FAULT_UNLINK_IN_NOW)
		(void)unlink(fc->once_file);
	clock_gettime(CLOCK_REALTIME, &ts);
	out->time_ns = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
	out->error_s = 1e-6;
	return 0;
}

static int fc_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	out->leap = TSD_LEAP_NONE;
	out->stratum = 1;
	out->precision_log2 = -20;
	out->root_dispersion_s = 1e-6;
	memcpy(out->refid, "TEST", 4);
	return 0;
}

static int set_string(char *dst, size_t dstlen, const struct tsd_setting *s, int i,
                      struct tsd_plugin_error *err)
{
	if (s->type != TSD_SETTING_STRING || strlen(s->string_value) >= dstlen)
		return tsd_plugin_fail(err, i, -EINVAL, "%s must be a short string", s->name);
	strcpy(dst, s->string_value);
	return 0;
}

static int set_fault(struct fault_clock *fc, const struct tsd_setting *s, int i,
                     struct tsd_plugin_error *err)
{
	size_t k;

	if (s->type != TSD_SETTING_STRING)
		return tsd_plugin_fail(err, i, -EINVAL, "fault must be a string");
	for (k = 0; k < sizeof(fault_names) / sizeof(fault_names[0]); k++) {
		if (strcmp(s->string_value, fault_names[k]) == 0) {
			fc->fault = (enum fault)k;
			return 0;
		}
	}
	return tsd_plugin_fail(err, i, -EINVAL, "unknown fault \"%s\"", s->string_value);
}

static int apply_setting(struct fault_clock *fc, const struct tsd_setting *s, int i,
                         struct tsd_plugin_error *err)
{
	if (strcmp(s->name, "fault") == 0)
		return set_fault(fc, s, i, err);
	if (strcmp(s->name, "once_file") == 0)
		return set_string(fc->once_file, sizeof(fc->once_file), s, i, err);
	if (strcmp(s->name, "start_log") == 0)
		return set_string(fc->start_log, sizeof(fc->start_log), s, i, err);
	return tsd_plugin_fail(err, i, -EINVAL,
	                       "unknown setting \"%s\" (known: fault, once_file, start_log)",
	                       s->name);
}

static int fc_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	struct fault_clock *fc = calloc(1, sizeof(*fc));
	size_t i;
	int rc;

	if (fc == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	for (i = 0; i < n_settings; i++) {
		rc = apply_setting(fc, &settings[i], (int)i, err);
		if (rc != 0) {
			free(fc);
			return rc;
		}
	}
	if (in_worker()) {
		log_start(fc);
		if (fires(fc, FAULT_ABORT_AT_START))
			abort();
	}
	*state = fc;
	return 0;
}

static void fc_fini(void *state)
{
	free(state);
}

static const struct tsd_clock_ops fault_ops = {
	.now = fc_now,
	.info = fc_info,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "fault",
	.description = "the system clock with one injected fault, for tests",
	.init = fc_init,
	.fini = fc_fini,
	.clock = &fault_ops,
	.estimator = NULL,
};

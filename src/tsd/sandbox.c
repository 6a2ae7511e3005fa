/* The system call filter (seccomp, through libseccomp) of the workers, the
 * sync process and the metrics process. Each list is what that process
 * calls once it serves; doc/security.md gives the same lists with the
 * reason for each call, and the two change together. */
#include "config.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "common/conf.h"
#include "common/log.h"
#include "tsd/sandbox.h"

#define END_OF_LIST NULL

/* Every process: memory, time, its own signals, logging to stderr, exit. */
static const char *const common_calls[] = {
	"read", "write", "writev", "close", "fstat", "newfstatat", "lseek",
	"mmap", "munmap", "mremap", "mprotect", "brk", "madvise",
	"clock_gettime", "gettimeofday", "time", "clock_getres",
	"clock_nanosleep", "nanosleep",
	"getpid", "getppid", "gettid", "futex",
	"rt_sigreturn", "rt_sigprocmask",
	"restart_syscall", "exit", "exit_group",
	END_OF_LIST
};

/* A worker: its event loop, TCP, UDP and NTS-KE clients, kernel stamps
 * (the error queue is read with recvmsg), descriptors handed over by the
 * master, the clock plugins (adjtimex and clock_adjtime are read-only
 * there; ioctl reads a PHC) and GnuTLS's random numbers. */
static const char *const worker_calls[] = {
	"epoll_wait", "epoll_pwait", "epoll_ctl",
	"accept", "accept4", "shutdown",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg",
	"setsockopt", "getsockopt", "getsockname", "getpeername",
	"fcntl", "ioctl", "getrandom",
	"adjtimex", "clock_adjtime",
	END_OF_LIST
};

/* The sync process: it asks upstream servers (a child per server, over
 * UDP, TCP or NTS with the system's trust store), writes the drift file
 * atomically, and reads the clock plugin. */
static const char *const sync_calls[] = {
	"socket", "connect", "bind", "poll", "ppoll", "select", "pselect6",
	"recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown",
	"setsockopt", "getsockopt", "getsockname", "getpeername",
	"fcntl", "ioctl", "getrandom", "pipe", "pipe2",
	"clone", "clone3", "fork", "vfork", "wait4", "kill", "set_robust_list",
	"rseq", "rt_sigaction", "openat", "open", "stat", "lstat", "access",
	"faccessat", "faccessat2", "getdents64", "fsync", "rename", "renameat",
	"unlink", "uname", "sysinfo",
	/* apply = "system" steers the clock through the plugin. */
	"adjtimex", "clock_adjtime", "clock_settime", "settimeofday",
	END_OF_LIST
};

/* The metrics process: libmicrohttpd's thread, with epoll and an eventfd
 * to wake it. */
static const char *const metrics_calls[] = {
	"epoll_create1", "epoll_wait", "epoll_pwait", "epoll_ctl",
	"accept", "accept4", "shutdown",
	"recvfrom", "sendto", "sendmsg", "setsockopt", "getsockopt",
	"getsockname", "getpeername", "fcntl", "eventfd2",
	"clone", "clone3", "set_robust_list", "rseq", "rt_sigtimedwait", "rt_sigaction",
	END_OF_LIST
};

/* With log = "syslog": reconnecting to /dev/log after SIGUSR1 or a
 * restarted syslogd (socket is allowed only for AF_UNIX below). */
static const char *const syslog_calls[] = {
	"connect", END_OF_LIST
};

/* A worker whose clock follows chronyd (the realtime and tai clocks'
 * follow_chronyd): its socket is made and bound before the filter; under
 * it the worker connects again after chronyd restarted, and removes the
 * socket's file at the end. */
static const char *const local_client_calls[] = {
	"connect", "unlink", END_OF_LIST
};

/* Only in builds for the sanitizers: their runtimes report an error by
 * reading /proc/self/maps, starting a symbolizer and signalling
 * themselves. Never in a production build. */
static const char *const instrumented_calls[] = {
	"rt_sigaction", "sigaltstack", "tgkill", "tkill", "kill",
	"open", "openat", "readlink", "readlinkat", "stat", "lstat", "access",
	"pipe", "pipe2", "dup", "dup2", "dup3", "clone", "clone3", "fork",
	"vfork", "execve", "wait4", "sched_yield", "prctl", "prlimit64",
	"getrlimit", "getrusage", "pread64", "uname", "sysinfo", "getdents64",
	"sched_getaffinity",
	END_OF_LIST
};

static const char *role_name = "worker";

unsigned sandbox_needs(const struct conf *cfg)
{
	unsigned needs = cfg->server.log_syslog ? SANDBOX_SYSLOG : 0;

	for (size_t i = 0; i < cfg->clock.n_settings; i++)
		if (strcmp(cfg->clock.settings[i].name, "follow_chronyd") == 0)
			needs |= SANDBOX_LOCAL_CLIENT;
	return needs;
}

const char *sandbox_role_name(enum sandbox_role role)
{
	switch (role) {
	case SANDBOX_SYNC:
		return "sync";
	case SANDBOX_METRICS:
		return "metrics";
	case SANDBOX_WORKER:
		break;
	}
	return "worker";
}

static size_t append_text(char *line, size_t at, size_t cap, const char *text)
{
	while (*text != '\0' && at < cap)
		line[at++] = *text++;
	return at;
}

static size_t append_number(char *line, size_t at, size_t cap, int n)
{
	char digits[16];
	size_t k = 0;
	unsigned v = n < 0 ? 0u - (unsigned)n : (unsigned)n;

	if (n < 0 && at < cap)
		line[at++] = '-';
	do {
		digits[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && k < sizeof(digits));
	while (k > 0 && at < cap)
		line[at++] = digits[--k];
	return at;
}

/* SIGSYS from the filter: one line (async-signal-safe: write only), then
 * the same call again. SIGSYS is blocked in its own handler, so the
 * kernel answers that second call by killing the process with SIGSYS,
 * which the master reports and answers with a new process. */
static void on_forbidden_call(int sig, siginfo_t *si, void *context)
{
	char line[200];
	size_t n = 0;

	(void)sig;
	(void)context;
	n = append_text(line, n, sizeof(line), "tsd: ");
	n = append_text(line, n, sizeof(line), role_name);
	n = append_text(line, n, sizeof(line), ": system call ");
	n = append_number(line, n, sizeof(line), si->si_syscall);
	n = append_text(line, n, sizeof(line),
	                " is not allowed by its seccomp filter (server.seccomp); killed\n");
	if (write(STDERR_FILENO, line, n) < 0)
		(void)0; /* nowhere else to say it */
	syscall(si->si_syscall, 0, 0, 0, 0, 0, 0);
	_exit(128 + SIGSYS);
}

static int allow_list(scmp_filter_ctx ctx, const char *const *names)
{
	for (; *names != NULL; names++) {
		int nr = seccomp_syscall_resolve_name(*names);
		int rc;

		if (nr == __NR_SCMP_ERROR) {
			log_err("seccomp: no system call \"%s\" on this architecture", *names);
			return -1;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc != 0) {
			log_err("seccomp: allowing %s: %s", *names, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static const char *const *role_calls(enum sandbox_role role)
{
	switch (role) {
	case SANDBOX_SYNC:
		return sync_calls;
	case SANDBOX_METRICS:
		return metrics_calls;
	case SANDBOX_WORKER:
		break;
	}
	return worker_calls;
}

static int sanitized(void)
{
#if defined(TSD_SANITIZED)
	return 1;
#else
	return 0;
#endif
}

/* valgrind does not implement seccomp() (it stops with "unhandled syscall
 * 317"), and a filter would apply to valgrind's own calls too. */
static int under_valgrind(void)
{
#if defined(HAVE_VALGRIND_VALGRIND_H)
	return RUNNING_ON_VALGRIND != 0;
#else
	return 0;
#endif
}

/* `nr` only when its argument number `arg` (0 the first) is `value`. */
static int allow_if_arg(scmp_filter_ctx ctx, int nr, const char *name, unsigned arg,
                        scmp_datum_t value)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_CMP(arg, SCMP_CMP_EQ, value, 0));

	if (rc != 0)
		log_err("seccomp: allowing %s: %s", name, strerror(-rc));
	return rc == 0 ? 0 : -1;
}

/* The metrics process: libmicrohttpd names its thread, and whether the
 * sync process that wrote the sync state still lives is asked with signal
 * 0, which sends nothing. */
static int allow_metrics_extras(scmp_filter_ctx ctx)
{
	if (allow_if_arg(ctx, SCMP_SYS(prctl), "prctl", 0, PR_SET_NAME) != 0)
		return -1;
	return allow_if_arg(ctx, SCMP_SYS(kill), "kill", 1, 0);
}

static int add_rules(scmp_filter_ctx ctx, enum sandbox_role role, unsigned needs)
{
	if (allow_list(ctx, common_calls) != 0 || allow_list(ctx, role_calls(role)) != 0)
		return -1;
	if (sanitized() && allow_list(ctx, instrumented_calls) != 0)
		return -1;
	if (role == SANDBOX_METRICS && allow_metrics_extras(ctx) != 0)
		return -1;
	if ((needs & SANDBOX_LOCAL_CLIENT) && role == SANDBOX_WORKER &&
	    allow_list(ctx, local_client_calls) != 0)
		return -1;
	if (!(needs & SANDBOX_SYSLOG) || role == SANDBOX_SYNC)
		return 0;
	if (allow_list(ctx, syslog_calls) != 0)
		return -1;
	return allow_if_arg(ctx, SCMP_SYS(socket), "socket", 0, AF_UNIX);
}

/* The lists name x86_64's calls and were checked there; elsewhere a call
 * we make may have another name, and a filter that silently let through
 * or killed the wrong ones is worse than none. */
static int architecture_ok(void)
{
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		return 1;
	log_err("seccomp: the system call filter is written for x86_64 only; "
	        "set server.seccomp = false to run without it on this machine");
	return 0;
}

static int trap_forbidden_calls(void)
{
	struct sigaction sa;
	sigset_t sys;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_forbidden_call;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) != 0 || sigprocmask(SIG_UNBLOCK, &sys, NULL) != 0) {
		log_err("seccomp: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_enter(enum sandbox_role role, unsigned needs)
{
	scmp_filter_ctx ctx;
	int rc;

	role_name = sandbox_role_name(role);
	if (under_valgrind()) {
		log_info("seccomp: no %s filter under valgrind, which cannot run one", role_name);
		return 0;
	}
	if (!architecture_ok() || trap_forbidden_calls() != 0)
		return -1;
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (ctx == NULL) {
		log_err("seccomp: cannot make a filter");
		return -1;
	}
	/* Every thread of the process (libmicrohttpd's in metrics). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0 && add_rules(ctx, role, needs) != 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		log_err("seccomp: cannot install the %s filter: %s", role_name, strerror(-rc));
		return -1;
	}
	return 0;
}

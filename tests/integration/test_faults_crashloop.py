"""A clock plugin that crashes every worker at its start: the master
throttles the respawns (no more than 10 worker starts in the first second,
then backing off), survives, and serves again with every worker once a
reload brings a clock that works."""

import os
import signal
import time

import hostile
import tsdtest

# More than the 2 that workers = 0 gives on the CI machine, so that a
# throttle that restarts every worker at once would show; the restarts must
# not grow with the count (TSD_CRASHLOOP_WORKERS tries others).
WORKERS = int(os.environ.get("TSD_CRASHLOOP_WORKERS", "4"))
OBSERVE_S = 4.0
# Starts closer than this are one burst: the generation's first starts, and
# perhaps one crash replaced at once. The shortest back-off is 0.1 s.
BURST_S = 0.09
# A crash loop restarts at most one worker at once, then one probe after
# 0.1, 0.3 and 0.7 s: 4 restarts in the first second for any worker count.
# Beyond 6 workers the generation's own first starts come near the limit of
# 10 by themselves, and only the restarts are the throttle's.
FIRST_S_LIMIT = max(10, WORKERS + 4)
CONF = """plugin_dir = "%(plugins)s";
clock = { plugin = "fault"; fault = "%(fault)s"; start_log = "%(log)s"; };
server = { listen = [ "127.0.0.1" ]; workers = %(workers)d; };
"""


def starts(path):
    """CLOCK_MONOTONIC seconds of every worker start the plugin saw."""
    try:
        with open(path) as f:
            return sorted(int(line.split()[1]) / 1e9 for line in f if line.strip())
    except FileNotFoundError:
        return []


def wait_starts(path, before, n, timeout_s=5.0):
    """Wait until n starts beyond a count seen before have been logged."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(starts(path)) >= before + n:
            return True
        time.sleep(0.05)
    return False


def check_throttle(times):
    first = times[0]
    in_first_s = sum(1 for t in times if t - first < 1.0)
    gaps = [b - a for a, b in zip(times, times[1:])]
    print("worker starts in %.0f s: %d; in the first second: %d" % (
        OBSERVE_S, len(times), in_first_s))
    print("gaps between starts (s): " + " ".join("%.3f" % g for g in gaps))
    assert len(times) > WORKERS, "the crashed workers were never restarted"
    assert in_first_s <= FIRST_S_LIMIT, "%d worker starts in the first second" % in_first_s
    # Backing off: fewer starts after the first second than in it, and the
    # pauses between bursts of starts never shrink (doubling, or capped).
    later = len(times) - in_first_s
    assert later < in_first_s, "no back-off: %d starts after the first second" % later
    pauses = [g for g in gaps if g > BURST_S]
    for before, after in zip(pauses, pauses[1:]):
        assert after >= before * 0.9 - BURST_S, "the pauses shrink: %r" % pauses
    assert pauses and pauses[-1] >= 0.5, "the pauses stay short: %r" % pauses


def test():
    tsd = tsdtest.Tsd(start=False, name="crashloop")
    params = {"plugins": hostile.plugin_dir_with(tsd.dir, "clock_fault.so"),
              "log": os.path.join(tsd.dir, "starts"), "workers": WORKERS}
    tsd.write_conf(CONF % dict(params, fault="abort_at_start"))
    with tsd.start(wait_s=0):
        time.sleep(OBSERVE_S)
        assert tsd.proc.poll() is None, "the master died: " + tsd.log()
        times = starts(params["log"])
        assert times, "no worker start logged: " + tsd.log()
        check_throttle(times)
        # A good clock by reload: the master serves again, with every worker.
        tsd.write_conf(CONF % dict(params, fault="none"))
        before = len(starts(params["log"]))
        tsd.signal(signal.SIGHUP)
        assert tsd.wait_ready(5), "no answer after reloading a working clock: " + tsd.log()
        assert wait_starts(params["log"], before, WORKERS), \
            "not every worker of the good clock started: " + tsd.log()
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)

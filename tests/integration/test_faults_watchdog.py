"""A worker stuck inside a plugin (a clock whose now() never returns) is
killed by the master after server.watchdog_timeout and replaced; the other
worker and the replacement keep serving."""

import os
import time

import hostile
import tsdtest

# Under valgrind a healthy worker can miss a 1 s watchdog on a busy machine.
WATCHDOG_S = 1.0 * tsdtest.slow_factor()
# seccomp off: the test clock arms its hang by unlinking a file in now(),
# which the workers' filter forbids (test_daemon_seccomp.py).
CONF = """plugin_dir = "%(plugins)s";
clock = { plugin = "fault"; fault = "hang_in_now"; once_file = "%(once)s"; };
server = { listen = [ "127.0.0.1" ]; workers = 2; watchdog_timeout = %(watchdog).1f;
  request_timeout = 0.5; seccomp = false; };
"""


def stuck_request(port):
    """A request that lands on the worker that will hang: the seconds until
    the connection dies with it, or None."""
    with hostile.connect(port, timeout=WATCHDOG_S * 4) as s:
        s.sendall(tsdtest.native_request())
        got, closed_s = hostile.read_until_closed(s, WATCHDOG_S * 4)
    assert got == b"", "a reply came from the clock that hangs"
    return closed_s


def test():
    tsd = tsdtest.Tsd(start=False, name="watchdog")
    once = os.path.join(tsd.dir, "hang-once")
    tsd.write_conf(CONF % {"plugins": hostile.plugin_dir_with(tsd.dir, "clock_fault.so"),
                           "once": once, "watchdog": WATCHDOG_S})
    with tsd.start():
        workers = tsd.wait_workers(2)
        # Arm the fault only now: the next now() call hangs, once.
        open(once, "w").close()
        killed_s = stuck_request(tsd.port)
        print("stuck worker's connection closed after %r s (watchdog_timeout %.1f s)" % (
            killed_s, WATCHDOG_S))
        assert not os.path.exists(once), "the fault never fired"
        assert killed_s is not None, "the stuck worker was never killed"
        # The master checks every 100 ms against the worker's last heartbeat.
        assert WATCHDOG_S * 0.9 <= killed_s <= WATCHDOG_S * 1.1 + 0.3 * tsdtest.slow_factor(), \
            "killed after %.3f s" % killed_s
        # The killed worker is listed until the master has reaped it.
        tsdtest.wait_for(lambda: len(set(tsd.workers()) - set(workers)) == 1,
                         2 * tsdtest.slow_factor())
        now = tsd.wait_workers(2, 2)
        assert len(set(now) - set(workers)) == 1, \
            "expected one replacement: %r -> %r" % (workers, now)
        print("workers %r -> %r" % (workers, now))
        worst = hostile.exchange_latency(tsd.port, count=20)
        assert worst < hostile.PROMPT_S * tsdtest.slow_factor(), \
            "slow after the replacement: %.3f s" % worst
        assert "kill" in tsd.log(), "the log does not say why the worker was killed"
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)

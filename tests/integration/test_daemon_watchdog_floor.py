"""server.watchdog_timeout has a floor the master's 0.1 s checks can honour:
0.001 (which killed healthy workers, 4 in 3 s on an idle server) is refused
with FILE:LINE, and an idle server at the floor, 1 s, kills no worker."""

import time

import tsdtest

IDLE_S = 3.0


def conf(watchdog_s):
    return ('server = { listen = [ "127.0.0.1" ]; workers = 2; watchdog_timeout = %g; };\n'
            % watchdog_s)


def refused():
    tsd = tsdtest.Tsd(conf(0.001), start=False, name="watchdog-floor")
    try:
        rc, out, err = tsdtest.run_tsd(["-c", tsd.conf_path, "--check-config"])
    finally:
        tsd.cleanup()
    assert rc == 1, "exit %d: %s%s" % (rc, out, err)
    assert "tsd.conf:3: server.watchdog_timeout must be at least 1 second" in err, err
    print("refused: " + err.strip())


def idle_at_floor():
    with tsdtest.Tsd(conf(1.0), name="watchdog-floor") as tsd:
        workers = tsd.wait_workers(2)
        time.sleep(IDLE_S)
        tsdtest.native_exchange(tsd.port)
        assert sorted(tsd.workers()) == sorted(workers), (workers, tsd.workers(), tsd.log())
        assert "killing it" not in tsd.log(), tsd.log()
    print("idle %.0f s with watchdog_timeout = 1: no worker killed" % IDLE_S)


def test():
    refused()
    if not tsdtest.valgrind():   # valgrind's pace can miss a 1 s watchdog (test_faults_watchdog)
        idle_at_floor()


if __name__ == "__main__":
    tsdtest.main(test)

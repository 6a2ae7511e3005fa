"""The open files limit follows server.max_connections on reload too: tsd
started under a soft limit of 200 (hard 2000) raises it to max_connections
+ 64 at start; a SIGHUP to a larger max_connections raises it again before
the new workers are forked, so they inherit it (read from
/proc/PID/limits), and the log says so; a reload asking for more than the
hard limit takes the hard limit and logs a warning; a reload to fewer
connections never lowers it."""
import resource
import signal

import tsdtest
import procfs

SOFT = 200
HARD = 2000
SPARE_FDS = 64
CONF = ('server = { listen = [ "127.0.0.1" ]; workers = 2; shutdown_timeout = 1.0;\n'
        '  max_connections = %d; };\n')


def limit_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, HARD))


def reload_to(tsd, max_connections, old_workers):
    """Reload with a new max_connections; the PIDs of the new workers."""
    tsd.write_conf(CONF % max_connections)
    tsd.signal(signal.SIGHUP)
    new = tsdtest.wait_for(lambda: (lambda w: w if len(w) == 2 and not set(w) & set(old_workers)
                                    else None)(tsd.workers()), 5)
    assert new, (old_workers, tsd.workers(), tsd.log())
    return new


def check_limits(tsd, workers, soft, what):
    got = {pid: procfs.nofile_limits(pid) for pid in [tsd.pid] + workers}
    print("%s: soft limits %s (want %d)" % (what, sorted(set(s for s, _ in got.values())), soft))
    assert all(limits == (soft, HARD) for limits in got.values()), (what, soft, got, tsd.log())


def test():
    if tsdtest.valgrind():
        raise tsdtest.SkipTest("valgrind keeps its own open files limit for the program")
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < HARD:
        raise tsdtest.SkipTest("the hard open files limit is below %d" % HARD)
    with tsdtest.Tsd(CONF % 100, preexec_fn=limit_descriptors, name="reload-nofile") as tsd:
        workers = tsd.wait_workers(2)
        # 100 + 64 fits in 200: nothing to raise.
        check_limits(tsd, workers, SOFT, "start, max_connections 100")
        assert "open files limit" not in tsd.log(), tsd.log()

        workers = reload_to(tsd, 1000, workers)
        check_limits(tsd, workers, 1000 + SPARE_FDS, "reload to 1000")
        assert "open files limit raised from 200 to 1064" in tsd.log(), tsd.log()
        assert "is below" not in tsd.log(), tsd.log()
        assert tsdtest.native_exchange(tsd.port)

        # More than the hard limit allows: take all of it and warn.
        workers = reload_to(tsd, 5000, workers)
        check_limits(tsd, workers, HARD, "reload to 5000")
        assert "open files limit raised from 1064 to 2000" in tsd.log(), tsd.log()
        assert ("open files limit 2000 is below server.max_connections + 64 = 5064"
                in tsd.log()), tsd.log()

        # Fewer connections: the limit stays where it is.
        workers = reload_to(tsd, 100, workers)
        check_limits(tsd, workers, HARD, "reload to 100")
        assert tsdtest.native_exchange(tsd.port)

    # At start, too: raised as far as the hard limit, with a warning.
    with tsdtest.Tsd(CONF % 3000, preexec_fn=limit_descriptors, name="start-nofile") as tsd:
        check_limits(tsd, tsd.wait_workers(2), HARD, "start, max_connections 3000")
        assert "open files limit 2000 is below" in tsd.log(), tsd.log()


tsdtest.main(test)

"""sync.apply = "system": the sync process steers the clock itself through
the clock plugin's steering functions (plugin ABI 2), and the workers serve
the clock as it is. Always against the sim clock (or the refusing test
clock): tsdtest refuses any other clock with apply = "system".

- A follows nothing (sim at +0.25 s); B's sim clock starts 0.3 s slow and
  100 ppm fast and follows A with apply = "system": B is stepped once, then
  slewed, and serves A's time within 1 ms at stratum 2. B's workers add no
  correction of their own, so this is the sim clock itself, shared by every
  process of B, that the sync process moved. The frequency set is the
  -100 ppm the drift file keeps.
- A clock without steering (tai) is refused with FILE:LINE at
  --check-config.
- A clock that refuses (EPERM, as realtime without CAP_SYS_TIME): one clear
  log line, the sync process is not restarted, the workers serve leap 3.
- As root with server.user: the sync process keeps CAP_SYS_TIME and nothing
  else; the workers have no capability.
- A SIGHUP from apply = "serve" to "system": stepped once (the clock had
  only been served corrected), and the served time stays within 5 ms."""

import os
import shutil
import signal
import tempfile
import time

import hostile
import procfs
import synctest
import tsdtest

BOUND_S = 0.001
HOLD_S = 0.005
CAP_SYS_TIME = 25


def follow():
    with synctest.upstream() as up:
        drift = os.path.join(up.tsd.dir, "drift-system")
        with synctest.follower([synctest.source(up)],
                               extra='apply = "system"; drift_file = "%s";' % drift) as fol:
            first = synctest.wait_synced(fol, up, BOUND_S)
            worst = synctest.hold_within(fol, up, HOLD_S, 6.0)
            log = fol.log()
            assert "steering the clock" in log, log
            assert synctest.log_count(fol, "stepped the clock by") == 1, log
            assert "stepped the served time" not in log, log
            assert tsdtest.wait_for(lambda: os.path.exists(drift), 10.0), log
            ppm = synctest.read_drift_ppm(drift)
            assert abs(ppm + 100) < 5, ppm
            print("apply = system: synchronised (error %+.1f us), worst %.1f us over 6 s, "
                  "frequency %+.3f ppm" % (first * 1e6, worst * 1e6, ppm))


def reload_into_system():
    """From serving a correction to steering the clock, by SIGHUP: the clock
    was never steered, so it is stepped once; what is served stays within
    HOLD_S across the change."""
    with synctest.upstream() as up:
        with synctest.follower([synctest.source(up)], extra='apply = "serve";') as fol:
            synctest.wait_synced(fol, up, BOUND_S)
            with open(fol.tsd.conf_path) as f:
                text = f.read().replace('apply = "serve";', 'apply = "system";')
            tsdtest.refuse_real_clock_steering(text)
            with open(fol.tsd.conf_path, "w") as f:
                f.write(text)
            os.kill(fol.tsd.pid, signal.SIGHUP)
            assert tsdtest.wait_for(lambda: "steering the clock" in fol.log(), 10.0), fol.log()
            worst = synctest.hold_within(fol, up, HOLD_S, 6.0)
            assert synctest.log_count(fol, "stepped the clock by") == 1, fol.log()
            print("serve -> system by SIGHUP: stepped once, worst %.1f us over 6 s"
                  % (worst * 1e6))


def check_config_refuses_tai():
    """Only checked, never run (tsdtest would refuse to start it)."""
    d = tempfile.mkdtemp(prefix="tsd-tai-")
    path = os.path.join(d, "tsd.conf")
    try:
        with open(path, "w") as f:
            f.write('plugin_dir = "%s";\nclock = { plugin = "tai"; };\n'
                    'sync = { sources = ( { address = "127.0.0.1"; } );\n'
                    '         apply = "system"; };\n' % os.environ["PLUGIN_DIR"])
        rc, out, err = tsdtest.run_tsd(["-c", path, "--check-config"])
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert rc != 0, (rc, out, err)
    want = '%s:4: sync.apply = "system": clock plugin \'tai\' cannot steer' % path
    assert want in err, err
    print("tai with apply = system: %s" % err.strip().splitlines()[0])


def refused():
    d = tempfile.mkdtemp(prefix="tsd-denied-")
    try:
        refused_in(hostile.plugin_dir_with(d, "clock_denied.so"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def refused_in(plugins):
    with synctest.upstream() as up:
        conf = 'clock = { plugin = "denied"; };\nplugin_dir = "%s";\n%s\n' % (
            plugins, synctest.sync_group([synctest.source(up)], 'apply = "system";'))
        with tsdtest.Tsd(conf, name="denied") as t:
            assert tsdtest.wait_for(lambda: "not restarted" in t.log(), 10.0), t.log()
            time.sleep(1.0)
            log = t.log()
            assert log.count("may not adjust the clock") == 1, log
            assert "CAP_SYS_TIME" in log, log
            assert synctest.sync_pid(t) is None, log
            reply = tsdtest.native_exchange(t.port)
            assert reply["stratum"] == 16, reply
            print("refused: %s" % [l for l in log.splitlines() if "may not adjust" in l][0])


def cap_sets(pid):
    caps = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("CapPrm", "CapEff", "CapAmb")):
                name, value = line.split(":")
                caps[name] = int(value, 16)
    return caps


def capabilities():
    if os.geteuid() != 0:
        print("capabilities: skipped (needs root)")
        return
    plugins = tsdtest.plugins_readable_by_all()
    try:
        with synctest.upstream() as up:
            conf = ('plugin_dir = "%s";\nserver = { user = "nobody"; workers = 2; };\n'
                    '%s\n%s\n' % (plugins, synctest.FOLLOWER_CLOCK,
                                  synctest.sync_group([synctest.source(up)],
                                                      'apply = "system";')))
            with tsdtest.Tsd(conf, name="caps") as t:
                assert tsdtest.wait_for(lambda: "synchronised to" in t.log(), 20.0), t.log()
                sync = synctest.sync_pid(t)
                workers = [p for p in procfs.children(t.pid)
                           if "worker" in procfs.cmdline(p)]
                assert sync is not None and len(workers) == 2, (sync, workers)
                caps = cap_sets(sync)
                assert caps["CapPrm"] == 1 << CAP_SYS_TIME, caps
                assert caps["CapEff"] == 1 << CAP_SYS_TIME, caps
                for pid in workers:
                    w = cap_sets(pid)
                    assert w["CapPrm"] == 0 and w["CapEff"] == 0, (pid, w)
                print("sync process: CapPrm %x CapEff %x; workers: none" %
                      (caps["CapPrm"], caps["CapEff"]))
    finally:
        shutil.rmtree(plugins, ignore_errors=True)


def test():
    check_config_refuses_tai()
    refused()
    capabilities()
    follow()
    reload_into_system()


if __name__ == "__main__":
    tsdtest.main(test)

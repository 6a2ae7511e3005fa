"""Plugins the loader must refuse (wrong ABI, no tsd_plugin symbol, wrong
kind, an estimator missing a function): at start tsd exits 1 naming the file
and the reason; on reload it logs the same, keeps its workers and serves. A
plugin that does not exist is refused with the list of those that do, by
tsd, tsd --check-config and tsclient."""

import os
import re
import signal
import subprocess

import hostile
import tsdtest

# Built by tests/unit for the loader's unit tests.
BAD = [
    ("clock", "badabi", r"clock_badabi\.so: ABI version \d+, expected 1 to 2"),
    ("clock", "nosym", r"clock_nosym\.so: no 'tsd_plugin' symbol"),
    ("clock", "wrongkind", r"clock_wrongkind\.so: is an estimator plugin, expected clock"),
    ("estimator", "noestimate", r"estimator_noestimate\.so: required function estimator\.estimate is missing"),
]
GOOD = {"clock": "realtime", "estimator": "minfilter"}
CONF = """plugin_dir = "%(plugins)s";
clock = { plugin = "%(clock)s"; };
estimator = { plugin = "%(estimator)s"; };
server = { listen = [ "127.0.0.1" ]; workers = 2; };
"""


def conf_with(plugins, kind, name):
    return CONF % dict(GOOD, plugins=plugins, **{kind: name})


def refused_at_start(tmp, plugins, kind, name, reason):
    path = os.path.join(tmp, "start-%s.conf" % name)
    with open(path, "w") as f:
        f.write("port = %d;\n" % tsdtest.free_port() + conf_with(plugins, kind, name))
    status, out, err = tsdtest.run_tsd(["-c", path], timeout_s=10)
    said = (out + err).strip()
    print("start with %s %s: exit %d: %s" % (kind, name, status, said))
    assert status == 1, "exit %d, want 1" % status
    assert re.search(reason, said), "the reason is missing: want /%s/" % reason
    assert path in said, "the configuration file is not named"


def refused_on_reload(tsd, plugins, workers, kind, name, reason):
    before = len(tsd.log())
    tsd.write_conf(conf_with(plugins, kind, name))
    tsd.signal(signal.SIGHUP)
    logged = tsdtest.wait_for(lambda: re.search(reason, tsd.log()[before:]), 5)
    assert logged, "reload with %s %s: no error logged:\n%s" % (kind, name, tsd.log()[before:])
    assert tsd.workers() == workers, "the workers changed on a refused reload"
    tsdtest.native_exchange(tsd.port)
    print("reload with %s %s refused, workers kept: %s" % (kind, name, logged.group(0)))


def existing(plugins, kind):
    """The names of plugin_dir's plugins of this kind, as the loader lists them."""
    names = [f[len(kind) + 1:-3] for f in os.listdir(plugins)
             if f.startswith(kind + "_") and f.endswith(".so")]
    return ", ".join(sorted(names))


def unknown_lists_existing(tmp, plugins):
    path = os.path.join(tmp, "unknown.conf")
    with open(path, "w") as f:
        f.write("port = %d;\n" % tsdtest.free_port() + conf_with(plugins, "clock", "gps"))
    clocks = existing(plugins, "clock")
    assert "realtime" in clocks and "sim" in clocks, clocks
    want = "%s:3: clock plugin 'gps': %s/clock_gps.so: not found; the clock plugins there: %s" % (
        path, plugins, clocks)
    for args in (["-c", path], ["-c", path, "--check-config"]):
        status, out, err = tsdtest.run_tsd(args, timeout_s=10)
        print("tsd %s: exit %d: %s" % (" ".join(args[2:]), status, err.strip()))
        assert status == 1 and want in err.splitlines(), (status, err)
    run = subprocess.run([os.environ["TSCLIENT"], "-c", path, "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=10)
    assert run.returncode == 2 and want in run.stderr.splitlines(), run.stderr
    with open(path, "w") as f:
        f.write(conf_with(plugins, "clock", "realtime"))
    run = subprocess.run([os.environ["TSCLIENT"], "-c", path, "-e", "kalman", "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=10)
    print("tsclient -e kalman: exit %d: %s" % (run.returncode, run.stderr.strip()))
    assert run.returncode == 2 and run.stderr.rstrip().endswith(
        "estimator_kalman.so: not found; the estimator plugins there: %s"
        % existing(plugins, "estimator")), run.stderr
    # A directory without any plugin of the kind says so.
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty, mode=0o755, exist_ok=True)
    with open(path, "w") as f:
        f.write(conf_with(empty, "clock", "realtime"))
    status, out, err = tsdtest.run_tsd(["-c", path, "--check-config"], timeout_s=10)
    assert status == 1 and "%s holds no clock plugins" % empty in err, err


def test():
    tsd = tsdtest.Tsd(start=False, name="bad-plugins")
    plugins = hostile.plugin_dir_with(tsd.dir, *["%s_%s.so" % (k, n) for k, n, _ in BAD])
    unknown_lists_existing(tsd.dir, plugins)
    for kind, name, reason in BAD:
        refused_at_start(tsd.dir, plugins, kind, name, reason)
    tsd.write_conf(conf_with(plugins, "clock", "realtime"))
    with tsd.start():
        workers = tsd.wait_workers(2)
        for kind, name, reason in BAD:
            refused_on_reload(tsd, plugins, workers, kind, name, reason)
        # A good file again reloads for real: the refusals were not a
        # reload that never happens.
        tsd.write_conf(conf_with(plugins, "clock", "realtime"))
        tsd.signal(signal.SIGHUP)
        renewed = tsdtest.wait_for(
            lambda: set(tsd.workers()).isdisjoint(workers) and len(tsd.workers()) == 2, 5)
        assert renewed, "a good reload did not replace the workers"
        tsdtest.native_exchange(tsd.port)
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)

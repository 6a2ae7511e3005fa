"""Plugins the loader must refuse (wrong ABI, no tsd_plugin symbol, wrong
kind, an estimator missing a function): at start tsd exits 1 naming the file
and the reason; on reload it logs the same, keeps its workers and serves."""

import os
import re
import signal

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


def test():
    tsd = tsdtest.Tsd(start=False, name="bad-plugins")
    plugins = hostile.plugin_dir_with(tsd.dir, *["%s_%s.so" % (k, n) for k, n, _ in BAD])
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

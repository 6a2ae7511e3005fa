"""A clock that returns NaN, infinity or nonsense is never served: tsd sends
no reply on either protocol and its workers live on. An estimator that does
the same never reaches tsclient's output: it reports no estimate, exit 1.
The faulty plugins are tests/unit's clock_fake and estimator_fake."""

import os
import re
import subprocess

import hostile
import tsdtest

# Faults of now() or of info() (leap, stratum, precision, root delay and
# dispersion): nothing may be served, on either protocol; the text reply
# carries no info, but a clock that reports nonsense is not trusted at all.
NOW_FAULTS = ["fail", "positive", "nan_error", "inf_error", "neg_error", "before_1970",
              "after_2262"]
INFO_FAULTS = ["leap", "stratum", "precision", "nan_root", "neg_root", "inf_root"]
ESTIMATOR_FAULTS = ["nan_offset", "inf_offset", "nan_delay", "neg_error", "neg_jitter",
                    "nan_freq", "positive"]
CONF = """plugin_dir = "%(plugins)s";
clock = { plugin = "fake"; fault = "%(fault)s"; };
server = { listen = [ "127.0.0.1" ]; workers = 1; request_timeout = 0.5; };
"""
NUMBERS = re.compile(r"\b(nan|inf)\b", re.I)


def replies(port):
    """The bytes tsd sends back to one native and one text request."""
    with hostile.connect(port) as s:
        s.sendall(tsdtest.native_request())
        native, _ = hostile.read_until_closed(s, 0.5)  # a native connection stays open
    with hostile.connect(port) as s:
        s.sendall(b"hello\n")
        text, closed_s = hostile.read_until_closed(s, 2)
    assert closed_s is not None, "text connection left open"
    return native, text


def check_clock(plugins, fault):
    conf = CONF % {"plugins": plugins, "fault": fault}
    with tsdtest.Tsd(conf, wait_s=0, name="clock-" + fault) as tsd:
        workers = tsd.wait_workers(1)
        native, text = replies(tsd.port)
        if fault == "none":
            assert len(native) == 48 and text.endswith(b"\n"), (native, text)
        else:
            assert native == b"", "clock fault %s was served: %r" % (fault, native)
            assert text == b"", "clock fault %s was served: %r" % (fault, text)
        assert tsd.workers() == workers, "the worker died on clock fault " + fault
        assert tsd.stop() == 0, "tsd did not exit 0"


def check_estimator(plugins, port, fault):
    conf = os.path.join(plugins, "..", "client-%s.conf" % fault)
    with open(conf, "w") as f:
        f.write('plugin_dir = "%s";\nestimator = { plugin = "fake"; fault = "%s"; };\n'
                'client = { samples = 2; timeout = 1.0; };\n' % (plugins, fault))
    for args in ([], ["-v"], ["--json"]):
        run = subprocess.run([os.environ["TSCLIENT"], "-c", conf] + args +
                             ["127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=10, text=True)
        if fault == "none":
            assert run.returncode == 0, run.stderr
            continue
        assert run.returncode == 1, "estimator fault %s: exit %d" % (fault, run.returncode)
        assert "REMOTE_TIME" not in run.stdout and not NUMBERS.search(run.stdout), \
            "estimator fault %s reached the output:\n%s" % (fault, run.stdout)


def test():
    tmp = tsdtest.Tsd(start=False, name="clock-faults")
    plugins = hostile.plugin_dir_with(tmp.dir, "clock_fake.so", "estimator_fake.so")
    for fault in ["none"] + NOW_FAULTS + INFO_FAULTS:
        check_clock(plugins, fault)
    print("clock faults never served: " + " ".join(NOW_FAULTS + INFO_FAULTS))
    tmp.write_conf('server = { listen = [ "127.0.0.1" ]; workers = 1; };')
    with tmp.start() as tsd:
        for fault in ["none"] + ESTIMATOR_FAULTS:
            check_estimator(plugins, tsd.port, fault)
        assert tsd.stop() == 0, "tsd did not exit 0"
    print("estimator faults never printed: " + " ".join(ESTIMATOR_FAULTS))


if __name__ == "__main__":
    tsdtest.main(test)

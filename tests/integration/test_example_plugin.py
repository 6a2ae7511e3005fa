"""The out-of-tree example plugin (doc/examples) builds with its own Makefile
against the plugin header alone, is checked and served by the built tsd, and
tsclient measures the offset it adds. (make installcheck does the same
against an installed tree.)"""

import os
import shutil
import subprocess
import sys
import tempfile

import tsdtest

OFFSET_S = 1.5


def build_example(work):
    """Copy doc/examples into work and build it; the .so path."""
    top_srcdir = os.path.normpath(os.path.join(os.environ["TEST_SRCDIR"], "..", ".."))
    src = os.path.join(top_srcdir, "doc", "examples")
    dst = os.path.join(work, "example")
    shutil.copytree(src, dst)
    p = subprocess.run(["make", "-C", dst, "CC=" + os.environ.get("CC", "cc"),
                        "CFLAGS=-O2 -Wall -Wextra -Werror",
                        "TSD_CFLAGS=-I" + os.path.join(top_srcdir, "include")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "the example does not build:\n" + p.stdout + p.stderr
    return os.path.join(dst, "clock_example.so")


def plugin_dir(work, example_so):
    """The built plugins and the example side by side."""
    d = os.path.join(work, "plugins")
    os.mkdir(d)
    built = os.environ["PLUGIN_DIR"]
    for name in os.listdir(built):
        if name.endswith(".so"):
            shutil.copy(os.path.join(built, name), d)
    shutil.copy(example_so, d)
    return d


def check_config(conf_path):
    p = subprocess.run([os.environ["TSD"], "--check-config", "-c", conf_path],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_refused_setting(work, plugins):
    path = os.path.join(work, "typo.conf")
    with open(path, "w") as f:
        f.write('plugin_dir = "%s";\n' % plugins)
        f.write('clock = {\n  plugin = "example";\n  ofset = 1.0;\n};\n')
    rc, out = check_config(path)
    assert rc == 1, "exit %d on an unknown example setting:\n%s" % (rc, out)
    assert "typo.conf:4:" in out and "ofset" in out, out


def test_served_offset(work, plugins):
    conf = ('plugin_dir = "%s";\n' % plugins +
            'clock = { plugin = "example"; offset = %r; stratum = 2; };\n' % OFFSET_S +
            'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n')
    with tsdtest.Tsd(conf) as tsd:
        rc, out = check_config(tsd.conf_path)
        assert rc == 0 and "configuration OK" in out, out
        reply = tsdtest.native_exchange(tsd.port)
        assert reply["stratum"] == 2 and reply["refid"] == b"XMPL", reply
        served_s = (reply["t2_ns"] - reply["t1_ns"]) / 1e9
        assert abs(served_s - OFFSET_S) < 0.05, "served offset %.3f s" % served_s
        client = os.path.join(work, "client.conf")
        with open(client, "w") as f:
            f.write('port = %d;\nplugin_dir = "%s";\n' % (tsd.port, os.environ["PLUGIN_DIR"]))
        p = subprocess.run([os.environ["TSCLIENT"], "-c", client, "-n", "4"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
        lines = dict(line.split() for line in p.stdout.splitlines())
        diff_ms = int(lines["REMOTE_TIME"]) - int(lines["LOCAL_TIME"])
        assert abs(diff_ms - OFFSET_S * 1000) <= 5, "tsclient measured %d ms" % diff_ms


def main():
    if shutil.which("make") is None or shutil.which(os.environ.get("CC", "cc")) is None:
        print("SKIP: make or a C compiler is missing")
        return 77
    work = tempfile.mkdtemp(prefix="tsd-example-")
    try:
        plugins = plugin_dir(work, build_example(work))
        test_refused_setting(work, plugins)
        test_served_offset(work, plugins)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS: the example plugin builds, is checked, served and measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The command line: --check-config says "configuration OK" (exit 0, with -v
naming each plugin file and its description) or
names FILE:LINE of a misspelled setting (exit 1) and a broken plugin choice;
as root it warns when server.user cannot read the plugins; usage errors
exit 2; --help and --version."""
import os
import shutil
import tempfile

import tsdtest

GOOD = 'port = 12345;\nplugin_dir = "%s";\nserver = { workers = 2; };\n'
MISSPELLED = 'port = 12345;\nplugin_dir = "%s";\nservr = { workers = 2; };\n'
NO_PLUGIN = 'port = 12345;\nplugin_dir = "%s";\nclock = { plugin = "nosuch"; };\n'


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text % os.environ["PLUGIN_DIR"])
    return path


def test():
    with tempfile.TemporaryDirectory(prefix="tsd-cli-") as d:
        good = write(d, "good.conf", GOOD)
        rc, out, err = tsdtest.run_tsd(["-c", good, "--check-config"])
        assert rc == 0 and out.strip() == "configuration OK", (rc, out, err)
        rc, out, err = tsdtest.run_tsd(["-c", good, "--check-config", "-v"])
        lines = out.splitlines()
        assert rc == 0 and lines[-1] == "configuration OK", (rc, out, err)
        assert any(l.startswith("clock realtime: ") and "clock_realtime.so: " in l
                   for l in lines), out
        assert any(l.startswith("estimator bounds: ") and
                   "estimator_bounds.so: the offset bracketed" in l for l in lines), out

        bad = write(d, "bad.conf", MISSPELLED)
        rc, out, err = tsdtest.run_tsd(["--check-config", "-c", bad])
        assert rc == 1, (rc, out, err)
        assert bad + ":3:" in err, err
        assert "configuration OK" not in out

        missing = write(d, "noplugin.conf", NO_PLUGIN)
        rc, out, err = tsdtest.run_tsd(["--check-config", "-c", missing])
        assert rc == 1 and "nosuch" in err and missing + ":3" in err, (rc, err)

        # A start with the bad file fails the same way, before binding.
        rc, out, err = tsdtest.run_tsd(["-c", bad])
        assert rc == 1 and bad + ":3:" in err, (rc, err)

        for args in (["--no-such-option"], ["-c"], ["extra-argument"]):
            rc, out, err = tsdtest.run_tsd(args)
            assert rc == 2 and "Usage" in err, (args, rc, err)
        rc, out, err = tsdtest.run_tsd(["--help"])
        assert rc == 0 and "--check-config" in out
        rc, out, err = tsdtest.run_tsd(["--version"])
        assert rc == 0 and out.startswith("tsd "), out
    unreadable_plugins_warned()


def warnings_for(plugins, d):
    """--check-config's warnings for server.user = "nobody" and these plugins."""
    conf = os.path.join(d, "user.conf")
    with open(conf, "w") as f:
        f.write('plugin_dir = "%s";\nserver = { user = "nobody"; };\n' % plugins)
    rc, out, err = tsdtest.run_tsd(["--check-config", "-c", conf])
    assert rc == 0 and out.strip() == "configuration OK", (rc, out, err)
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def unreadable_plugins_warned():
    """Root checks the plugins as server.user would load them: a plugin_dir
    closed to nobody, and then one plugin file, each get a warning; a copy
    open to all gets none."""
    if os.geteuid() != 0:
        print("server.user plugin check: skipped, it needs root to act as nobody")
        return
    plugins = tsdtest.plugins_readable_by_all()
    try:
        with tempfile.TemporaryDirectory(prefix="tsd-cli-") as d:
            assert warnings_for(plugins, d) == []
            os.chmod(plugins, 0o700)
            got = warnings_for(plugins, d)
            assert len(got) == 3 and "cannot read plugin_dir " + plugins in got[0], got
            os.chmod(plugins, 0o755)
            os.chmod(os.path.join(plugins, "clock_realtime.so"), 0o600)
            got = warnings_for(plugins, d)
            assert got == ['warning: server.user "nobody" cannot read the clock plugin '
                           '%s/clock_realtime.so (Permission denied): every worker would '
                           'fail to load its plugins' % plugins], got
            print("server.user plugin check: %s" % got[0])
    finally:
        shutil.rmtree(plugins, ignore_errors=True)


tsdtest.main(test)

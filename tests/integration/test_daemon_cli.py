"""The command line: --check-config says "configuration OK" (exit 0, with -v
naming each plugin file and its description) or
names FILE:LINE of a misspelled setting (exit 1) and a broken plugin choice;
usage errors exit 2; --help and --version."""
import os
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


tsdtest.main(test)

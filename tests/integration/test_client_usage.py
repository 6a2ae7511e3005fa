"""Usage and configuration errors exit 2 with a message a person can act on;
--help and --version exit 0."""

import os
import subprocess

import clienttest as ct
import tsdtest

USAGE = [
    ["--bogus"],
    ["-n", "0"],
    ["-n", "many"],
    ["--step", "--slew"],
    ["--text", "--udp"],
    ["127.0.0.1:99999"],
    ["[::1"],
]


def main():
    for args in USAGE:
        rc, out, err = ct.run(args)
        assert rc == 2 and out == "" and err.startswith("tsclient: "), (args, rc, err)
    rc, out, err = ct.run(["--help"])
    assert rc == 0 and "--step" in out and "Exit status" in out, out
    # As tsd -V: the program's name and the version, for both spellings.
    tsd_v = subprocess.run([os.environ["TSD"], "-V"], capture_output=True, text=True).stdout
    assert tsd_v.startswith("tsd "), tsd_v
    for opt in ("--version", "-V"):
        rc, out, err = ct.run([opt])
        assert rc == 0 and out == "tsclient " + tsd_v[len("tsd "):], (opt, out, tsd_v)

    with ct.tempdir() as d:
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write('plugin_dir = "%s";\n\nclient = { samples = "eight"; };\n'
                    % os.environ["PLUGIN_DIR"])
        rc, out, err = ct.run(["-c", bad, "127.0.0.1:1"])
        print("bad configuration:", err.strip())
        assert rc == 2 and err.startswith(bad + ":3: ") and "samples" in err, (rc, err)

        typo = os.path.join(d, "typo.conf")
        with open(typo, "w") as f:
            f.write('plugin_dir = "%s";\nclient = { sampels = 8; };\n' % os.environ["PLUGIN_DIR"])
        rc, out, err = ct.run(["-c", typo, "127.0.0.1:1"])
        assert rc == 2 and err.startswith(typo + ":2: "), (rc, err)

        rc, out, err = ct.run(["-c", os.path.join(d, "missing.conf"), "127.0.0.1:1"])
        assert rc == 2 and "missing.conf" in err, (rc, err)


if __name__ == "__main__":
    tsdtest.main(main)

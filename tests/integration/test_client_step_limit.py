"""--step and --slew have a sanity limit (issue 17, item 12): a correction
larger than client.max_step (default 1000 s, ntpdate's) is refused with
exit 1 unless --force is given; a larger client.max_step lets it through.
Before the limit, tsclient stepped by any offset (up to +-1e9 s). Only sim
clocks are corrected here, never this machine's."""

import os

import clienttest as ct
import tsdtest

AHEAD_S = 1500.0
SIM = '{ plugin = "sim"; offset = 0.0; }'


def conf_with_limit(directory, max_step):
    path = os.path.join(directory, "limit-%g.conf" % max_step)
    with open(path, "w") as f:
        f.write('plugin_dir = "%s";\nclock = %s;\n' % (os.environ["PLUGIN_DIR"], SIM))
        f.write('client = { samples = 4; max_step = %r; };\n' % max_step)
    return path


def correction(conf, port, *flags):
    rc, j, err = ct.run_json(["-c", conf] + list(flags) + [ct.addr(port)])
    return rc, j["correction"], err


def main():
    with ct.tempdir() as d, ct.server(AHEAD_S) as srv:
        conf = ct.client_conf(d, clock=SIM)
        for verb in ("step", "slew"):
            rc, c, err = correction(conf, srv.port, "--" + verb)
            print("--%s by %+.1f s: exit %d, %s" % (verb, c["offset_s"], rc, err.strip()))
            assert rc == 1 and c["mode"] == verb and not c["applied"], (rc, c)
            assert abs(c["offset_s"] - AHEAD_S) < 0.01, c
            assert "larger than client.max_step (1000 s)" in c["error"], c
            assert err.startswith("tsclient: will not %s the clock: the offset +1" % verb), err

        rc, c, err = correction(conf, srv.port, "--step", "--force")
        print("--step --force: exit %d, readings jumped by %+.3f s" % (rc, c["observed_s"]))
        assert rc == 0 and c["applied"] and abs(c["observed_s"] - AHEAD_S) < 0.01, (rc, c, err)

        wide = conf_with_limit(d, 2000.0)
        rc, c, err = correction(wide, srv.port, "--step")
        assert rc == 0 and c["applied"], (rc, c, err)

        narrow = conf_with_limit(d, 0.5)
        with ct.server(0.75) as near:
            rc, c, err = correction(narrow, near.port, "--slew")
            assert rc == 1 and "client.max_step (0.5 s)" in c["error"], (rc, c)

        rc, out, err = ct.run(["-c", conf, "--force", ct.addr(srv.port)])
        assert rc == 2 and "--force goes with --step or --slew" in err, (rc, err)


if __name__ == "__main__":
    tsdtest.main(main)

"""--step and --slew through a sim client clock (never the real one): the
correction is applied and the clock's readings move by the offset. A clock
that refuses (the test plugin "denied", as realtime without CAP_SYS_TIME)
gets the plain message and exit status 1."""

import clienttest as ct
import tsdtest
import hostile

OFFSET_S = 0.25
SIM = '{ plugin = "sim"; offset = 0.0; }'


def main():
    with ct.tempdir() as d, ct.server(OFFSET_S) as srv:
        conf = ct.client_conf(d, clock=SIM)
        with open(conf) as f:
            assert '"sim"' in f.read()
        rc, out, err = ct.run(["-c", conf, "--step", "-v", ct.addr(srv.port)])
        assert rc == 0, err
        line = [l for l in out.splitlines() if l.startswith("step: applied")]
        assert line, out
        print(line[0])
        applied, jumped = [float(w) for w in line[0].replace("(", " ").replace(")", " ").split()
                           if w.startswith(("+", "-"))]
        assert abs(applied - OFFSET_S) < 0.002 and abs(jumped - applied) < 0.002, line
        ct.remote_local_rtt("\n".join(out.splitlines()[-3:]) + "\n")

        rc, j, err = ct.run_json(["-c", conf, "--step", ct.addr(srv.port)])
        c = j["correction"]
        assert rc == 0 and c["mode"] == "step" and c["applied"], j
        assert abs(c["observed_s"] - OFFSET_S) < 0.002, c

        rc, j, err = ct.run_json(["-c", conf, "--slew", ct.addr(srv.port)])
        c = j["correction"]
        assert rc == 0 and c["mode"] == "slew" and c["applied"], j
        assert abs(c["offset_s"] - OFFSET_S) < 0.002, c

        denied = ct.client_conf(d, clock='{ plugin = "denied"; }',
                                plugin_dir=hostile.plugin_dir_with(d, "clock_denied.so"))
        for verb in ("step", "slew"):
            rc, out, err = ct.run(["-c", denied, "--" + verb, ct.addr(srv.port)])
            assert rc == 1, (verb, rc, err)
            assert err == ("tsclient: cannot %s the clock: Operation not permitted "
                           "(needs CAP_SYS_TIME, run as root)\n" % verb), err
            print(err.strip())


if __name__ == "__main__":
    tsdtest.main(main)

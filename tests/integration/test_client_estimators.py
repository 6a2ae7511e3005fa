"""Every estimator plugin runs through -e against a tsd at +0.25 s and gives
the offset within 2 ms and within its own bound; an unknown one is a
configuration error (exit 2)."""

import clienttest as ct
import tsdtest

OFFSET_S = 0.25
ESTIMATORS = ("ntp", "minfilter", "median", "regression", "bounds")


def main():
    with ct.tempdir() as d, ct.server(OFFSET_S) as srv:
        conf = ct.client_conf(d)
        for name in ESTIMATORS:
            rc, j, err = ct.run_json(["-c", conf, "-e", name, "-n", "16", ct.addr(srv.port)])
            assert rc == 0, "%s: exit %d %s" % (name, rc, err)
            assert j["estimator"] == name, j["estimator"]
            miss = abs(j["offset_s"] - OFFSET_S)
            used = j["servers"][0]["samples_used"]
            print("%-10s offset error %7.1f us, bound %7.1f us, %d samples used" % (
                name, miss * 1e6, j["error_s"] * 1e6, used))
            assert miss < 0.002 and miss <= j["error_s"], (name, j)
            assert 1 <= used <= 16, used
        rc, out, err = ct.run(["-c", conf, "-e", "nosuch", ct.addr(srv.port)])
        assert rc == 2 and out == "" and "estimator_nosuch.so" in err, (rc, err)


if __name__ == "__main__":
    tsdtest.main(main)

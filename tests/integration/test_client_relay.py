"""Through the relay, 5 ms up and 15 ms down with 2 ms of jitter each way:
the delay shows, the asymmetry moves the offset by about -5 ms, and for
every estimator the true offset stays within the reported error bound."""

import clienttest as ct
import tsdtest

OFFSET_S = 0.25
UP_MS, DOWN_MS, JITTER_MS = 5, 15, 2


def main():
    worst = 0.0
    with ct.tempdir() as d, ct.server(OFFSET_S) as srv, \
            ct.Relay(srv.port, UP_MS, DOWN_MS, JITTER_MS, JITTER_MS, seed=7) as relay:
        conf = ct.client_conf(d)
        for name in ("minfilter", "ntp", "median", "regression", "bounds"):
            rc, j, err = ct.run_json(["-c", conf, "-e", name, "-n", "8", ct.addr(relay.port)])
            assert rc == 0, "%s: exit %d %s" % (name, rc, err)
            miss = j["offset_s"] - OFFSET_S
            print("%-10s delay %6.2f ms, offset error %+6.2f ms, bound %6.2f ms" % (
                name, j["delay_s"] * 1e3, miss * 1e3, j["error_s"] * 1e3))
            assert abs(miss) <= j["error_s"], "%s: |%.6f| > bound %.6f" % (
                name, miss, j["error_s"])
            assert j["delay_s"] >= (UP_MS + DOWN_MS) * 1e-3, j["delay_s"]
            worst = max(worst, abs(miss) / j["error_s"])
        # The asymmetry shows in the offset: half of 5 - 15 ms, give or take jitter.
        rc, j, err = ct.run_json(["-c", conf, ct.addr(relay.port)])
        assert rc == 0 and -0.008 < j["offset_s"] - OFFSET_S < -0.002, j["offset_s"]
        rc, out, err = ct.run(["-c", conf, "--text", "-n", "3", ct.addr(relay.port)])
        assert rc == 0, err
        remote, local, rtt = ct.remote_local_rtt(out)
        assert rtt >= UP_MS + DOWN_MS - 1, out
    print("largest |error| / bound: %.2f" % worst)


if __name__ == "__main__":
    tsdtest.main(main)

"""tsclient against one tsd whose sim clock is +0.25 s: the report's three
lines give the offset within 2 ms, -v shows every sample, --json holds the
fields scripts read, and the offset lies within its error bound."""

import re

import clienttest as ct
import tsdtest

OFFSET_S = 0.25
# "#  T1 T2 T3 T4 (UTC, to the microsecond)  offset  delay", each with its unit
SAMPLE_ROW = re.compile(r"^\s+\d+(\s+\d\d:\d\d:\d\d\.\d{6}){4}\s+([-+]\d+\.\d+ (us|ms|s))"
                        r"\s+-?\d+\.\d+ (us|ms|s)$")


def main():
    with ct.tempdir() as d, ct.server(OFFSET_S) as srv:
        conf = ct.client_conf(d)
        rc, out, err = ct.run(["-c", conf, ct.addr(srv.port)])
        assert rc == 0, "exit %d: %s" % (rc, err)
        remote, local, rtt = ct.remote_local_rtt(out)
        print("output: remote - local = %d ms, rtt %d ms" % (remote - local, rtt))
        assert abs((remote - local) - OFFSET_S * 1e3) <= 2, out
        assert 0 <= rtt <= 5, out

        rc, out, err = ct.run(["-c", conf, "-v", "-n", "5", ct.addr(srv.port)])
        assert rc == 0, err
        rows = [l for l in out.splitlines() if SAMPLE_ROW.match(l)]
        assert len(rows) == 5, "expected 5 sample rows:\n" + out
        # A quarter second reads in milliseconds, not as 250000.0 us.
        assert all(re.match(r"^\+2(49|50)\.\d{3} ms$", SAMPLE_ROW.match(l).group(2))
                   for l in rows), out
        assert "5 samples, " in out and "(5 samples used)" in out, out
        assert "error bound" in out and "selected" in out, out
        ct.remote_local_rtt("\n".join(out.splitlines()[-3:]) + "\n")

        rc, j, err = ct.run_json(["-c", conf, ct.addr(srv.port)])
        assert rc == 0 and j["synced"], err
        for key in ("remote_time_ms", "local_time_ms", "rtt_ms", "offset_s", "delay_s",
                    "error_s", "servers"):
            assert key in j, key
        s = j["servers"][0]
        assert (s["host"], s["port"], s["status"]) == ("127.0.0.1", srv.port, "selected"), s
        miss = abs(j["offset_s"] - OFFSET_S)
        print("json: offset %.9f s, error %.1f us, bound %.1f us, delay %.1f us, "
              "kernel stamps T1 %d/%d T4 %d/%d" % (
                  j["offset_s"], miss * 1e6, j["error_s"] * 1e6, j["delay_s"] * 1e6,
                  s["kernel_t1"], s["samples"], s["kernel_t4"], s["samples"]))
        assert miss <= j["error_s"], "offset %.9f is off by more than its bound %.9f" % (
            j["offset_s"], j["error_s"])
        assert j["remote_time_ms"] - j["local_time_ms"] in (249, 250, 251), j


if __name__ == "__main__":
    tsdtest.main(main)

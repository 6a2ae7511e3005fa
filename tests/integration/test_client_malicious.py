"""One lying server of three (issue 17, item 1). Two honest tsd with
`clock = { plugin = "sim"; error = 0.010; }` (the truth is 0, each within
about 10 ms) and a fake NTP-over-TCP server. Before the fix the fake decided
the combined offset and claimed a bound of a few microseconds:

- T2 = now + 9.9 ms - 0.25 s, T3 = now + 9.9 ms + 0.25 s, root dispersion 0
  (T3 - T2 longer than the round trip): +9898.8 us, bound 3.0 us. Such a
  sample contradicts itself and is refused now.
- a liar that is consistent, T2 = T3 = now + 9.9 ms: it may pull the offset
  within the honest servers' common part, but the bound covers the truth.
- honest at 0 and +5 ms, the liar at +12 ms: +11996 us before, outside the
  honest intersection [-5011, +10010] us; inside it now.

For every estimator (bounds too) the truth (0) lies within the reported bound, and the
offset within the honest servers' common part."""

import clienttest as ct
import fakeserver
import tsdtest

ESTIMATORS = ["ntp", "minfilter", "median", "regression", "bounds"]


def honest(offset_s):
    return tsdtest.Tsd('clock = { plugin = "sim"; offset = %r; error = 0.010; };\n'
                       'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n' % offset_s)


def check(conf, ports, fake_port, honest_s, what):
    """Every estimator: rc 0, the truth within the bound, the offset within
    [lo, hi] = the honest servers' common part (their 10 ms plus the delay)."""
    lo, hi = max(honest_s) - 0.0101, min(honest_s) + 0.0101
    for name in ESTIMATORS:
        rc, j, err = ct.run_json(["-c", conf, "-e", name, "-n", "4"] +
                                 [ct.addr(p) for p in ports + [fake_port]])
        assert rc == 0, (what, name, err)
        fake = [s for s in j["servers"] if s["port"] == fake_port][0]
        print("%-28s %-10s offset %+9.1f us, bound %8.1f us, fake %s" % (
            what, name, j["offset_s"] * 1e6, j["error_s"] * 1e6, fake["status"]))
        assert abs(j["offset_s"]) <= j["error_s"], "%s %s: truth 0 outside %r" % (what, name, j)
        assert lo <= j["offset_s"] <= hi, "%s %s: offset outside [%g, %g]: %r" % (
            what, name, lo, hi, j)


def main():
    with ct.tempdir() as d, honest(0.0) as a, honest(0.0) as b, honest(0.005) as c:
        conf = ct.client_conf(d)
        ahead = 9_900_000

        def stretched(now):
            return now + ahead - 250_000_000, now + ahead + 250_000_000, 0.0
        with fakeserver.Native(stretched) as fake:
            check(conf, [a.port, b.port], fake.port, [0.0, 0.0], "T3 - T2 = 0.5 s")
            rc, j, err = ct.run_json(["-c", conf, "-e", "ntp", ct.addr(fake.port)])
            assert rc == 1 and "refused" in j["servers"][0]["reason"], (rc, j)

        with fakeserver.Native(lambda now: (now + ahead, now + ahead, 0.0)) as fake:
            check(conf, [a.port, b.port], fake.port, [0.0, 0.0], "consistent at +9.9 ms")

        with fakeserver.Native(lambda now: (now + 12_000_000, now + 12_000_000, 0.0)) as fake:
            check(conf, [a.port, c.port], fake.port, [0.0, 0.005], "0, +5 ms, liar +12 ms")


if __name__ == "__main__":
    tsdtest.main(main)

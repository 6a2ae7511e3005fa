"""tsclient --json against tsd servers with known sim clocks: every field,
the servers' leap indicator and reference ID, and servers that cannot be used
named on stderr (exit 0, or 3 with --strict) while the others give a result,
the same in the default, -v and --json formats."""

import re

import clienttest as ct
import tsdtest

OFFSET_S = 0.25
SAMPLES = 4
TOP_KEYS = {"synced", "estimator", "remote_time_ms", "local_time_ms", "rtt_ms", "offset_s",
            "delay_s", "error_s", "jitter_s", "survivors", "correction", "servers"}
ESTIMATE_KEYS = {"offset_s", "delay_s", "error_s", "jitter_s", "distance_s", "samples_used"}
COUNT_KEYS = {"samples", "bad_replies", "refused", "kernel_t1", "kernel_t4", "interleaved_t3"}
HEADER_KEYS = {"leap", "stratum", "refid", "refid_hex", "root_delay_s", "root_dispersion_s"}
SERVER_KEYS = ({"host", "port", "status", "authenticated", "exchanges_ns"} | ESTIMATE_KEYS |
               COUNT_KEYS)


def check_selected(s, port, leap, stratum, refid):
    assert set(s) == SERVER_KEYS | HEADER_KEYS, sorted(set(s) ^ (SERVER_KEYS | HEADER_KEYS))
    assert (s["port"], s["status"], s["authenticated"]) == (port, "selected", False), s
    assert (s["leap"], s["stratum"], s["refid"], s["refid_hex"]) == (
        leap, stratum, refid, "53494D00"), s
    assert s["samples"] == SAMPLES == len(s["exchanges_ns"]), s
    assert s["bad_replies"] == 0 and s["refused"] == 0, s
    # Interleaved mode takes one exchange more than it keeps.
    assert 0 <= s["kernel_t1"] <= SAMPLES + 1 and 0 <= s["kernel_t4"] <= SAMPLES + 1, s
    assert 0 <= s["interleaved_t3"] <= SAMPLES, s
    assert 1 <= s["samples_used"] <= SAMPLES, s
    assert abs(s["offset_s"] - OFFSET_S) <= s["error_s"], s
    assert s["distance_s"] >= max(s["error_s"], 10e-6) and 0 <= s["delay_s"] < 0.01, s
    assert s["jitter_s"] >= 0 and 0 <= s["root_dispersion_s"] < 0.001, s
    assert s["root_delay_s"] == 0, s
    for t1, t2, t3, t4 in s["exchanges_ns"]:
        assert t1 <= t4 and t2 <= t3, (t1, t2, t3, t4)
        delay_ns = (t4 - t1) - (t3 - t2)
        offset_ns = ((t2 - t1) + (t3 - t4)) / 2
        assert abs(offset_ns - OFFSET_S * 1e9) <= delay_ns / 2 + 2000, (offset_ns, delay_ns)


def check_unused(s, port, status):
    assert (s["port"], s["status"]) == (port, status), s
    assert all(s[k] is None for k in ESTIMATE_KEYS), s
    assert s["samples"] == 0 and s["exchanges_ns"] == [] and s["reason"], s


def unused_lines(err, ports):
    """The stderr lines that name the unused servers, in order."""
    lines = err.splitlines()
    assert len(lines) == len(ports), "expected one line per unused server:\n" + err
    for line, (port, status) in zip(lines, ports):
        assert re.match(r"^tsclient: 127\.0\.0\.1 port %d: %s: \S" % (port, status), line), line
    return lines


def sim(stratum, leap):
    """A tsd whose sim clock serves this stratum and leap indicator."""
    return tsdtest.Tsd('clock = { plugin = "sim"; offset = %r; stratum = %d; leap = %d; };\n'
                       'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n'
                       % (OFFSET_S, stratum, leap))


def main():
    dead = ct.closed_port()
    with ct.tempdir() as d, ct.server(OFFSET_S) as one, sim(3, 1) as three, \
            sim(16, 3) as unsynced:
        conf = ct.client_conf(d)
        servers = [ct.addr(p) for p in (one.port, three.port, unsynced.port, dead)]
        unused = [(unsynced.port, "unsynchronized"), (dead, "unreachable")]

        rc, j, err = ct.run_json(["-c", conf, "-n", str(SAMPLES)] + servers)
        print("json: exit %d, offset %.9f s, bound %.1f us; stderr:\n%s" % (
            rc, j["offset_s"], j["error_s"] * 1e6, err))
        assert rc == 0 and j["synced"] and set(j) == TOP_KEYS, (rc, sorted(j))
        json_lines = unused_lines(err, unused)
        assert j["survivors"] == 2 and j["correction"] is None, j
        assert j["estimator"] == "bounds" and abs(j["offset_s"] - OFFSET_S) <= j["error_s"], j
        assert j["remote_time_ms"] - j["local_time_ms"] in (249, 250, 251), j
        assert abs(j["rtt_ms"] - j["delay_s"] * 1e3) < 0.0005 and j["jitter_s"] >= 0, j
        s = j["servers"]
        check_selected(s[0], one.port, 0, 1, "SIM")
        # Above stratum 1 the reference ID is an address: the same bytes in dots.
        check_selected(s[1], three.port, 1, 3, "83.73.77.0")
        check_unused(s[2], unsynced.port, "unsynchronized")
        assert (s[2]["leap"], s[2]["stratum"], s[2]["refid"]) == (3, 16, "SIM"), s[2]
        check_unused(s[3], dead, "unreachable")
        assert "leap" not in s[3] and "Connection refused" in s[3]["reason"], s[3]

        # The default format and -v name the same servers on stderr.
        rc, out, err = ct.run(["-c", conf, "-n", str(SAMPLES)] + servers)
        assert rc == 0 and unused_lines(err, unused) == json_lines, (rc, err)
        ct.remote_local_rtt(out)
        rc, out, err = ct.run(["-c", conf, "-v", "-n", str(SAMPLES)] + servers)
        assert rc == 0 and unused_lines(err, unused) == json_lines, (rc, err)
        assert "stratum 3, leap 1, reference ID 53494D00 (83.73.77.0)" in out, out

        # --strict: a monitor's exit status for "a result, but not from all".
        rc, j, err = ct.run_json(["--strict", "-c", conf, "-n", "2"] + servers)
        assert rc == 3 and j["synced"] and len(err.splitlines()) == 2, (rc, err)
        rc, out, err = ct.run(["--strict", "-c", conf, "-n", "2", servers[0]])
        assert rc == 0 and err == "", (rc, err)
        ct.remote_local_rtt(out)

        # Nothing usable: exit 1, whatever --strict says, null results.
        rc, j, err = ct.run_json(["--strict", "-c", conf, "-n", "2", servers[2], servers[3]])
        assert rc == 1 and not j["synced"] and set(j) == TOP_KEYS, (rc, j)
        assert all(j[k] is None for k in TOP_KEYS - {"synced", "estimator", "survivors",
                                                     "correction", "servers"}), j
        assert "local_stratum" in err, err


if __name__ == "__main__":
    tsdtest.main(main)

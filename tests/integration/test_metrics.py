"""Prometheus metrics (metrics.listen): the page parses with
python3-prometheus-client's parser, the counters add up to exactly the
exchanges made (TCP, text, UDP) across a killed worker and a reload, the
histogram counts every reply, a reload switching the clock plugin shows in
tsd_clock_info, and the process "tsd: metrics" is restarted if it dies."""

import os
import signal
import socket
import sys
import urllib.error
import urllib.request

import tsdtest

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # A python3 of its own (pyenv, venv) does not see Debian's packages;
    # the parser is pure Python, so take Debian's python3-prometheus-client.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        print("SKIP: python3-prometheus-client is not installed")
        sys.exit(77)

CONF = """clock = { plugin = "%s"; };
server = { listen = [ "127.0.0.1" ]; workers = 2;
  udp = { enable = true; port = %d; ratelimit = { burst = 1000; interval = 0.001; }; }; };
metrics = { listen = "127.0.0.1:%d"; };
"""


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def exchanges(samples):
    return {p: int(value(samples, "tsd_exchanges_total", protocol=p))
            for p in ("tcp", "text", "udp", "nts")}


def udp_exchange(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(tsdtest.native_request(), ("127.0.0.1", port))
        assert len(s.recv(100)) == 48


def settled(port, want):
    got = tsdtest.wait_for(lambda: (lambda s: s if exchanges(s) == want else None)(scrape(port)),
                           5 * tsdtest.slow_factor(), 0.05)
    assert got, "metrics never reached %r: %r" % (want, exchanges(scrape(port)))
    return got


def main():
    udp_port, mport = tsdtest.free_port(), tsdtest.free_port()
    with tsdtest.Tsd(CONF % ("realtime", udp_port, mport), name="metrics") as tsd:
        base = exchanges(scrape(mport))     # the harness's start-up exchange
        sent = dict(base)
        for _ in range(9):
            tsdtest.native_exchange(tsd.port)
        for _ in range(4):
            tsdtest.text_exchange(tsd.port)
        for _ in range(6):
            udp_exchange(udp_port)
        sent["tcp"] += 9
        sent["text"] += 4
        sent["udp"] += 6
        assert sent["nts"] == 0
        s = settled(mport, sent)
        total = sum(sent.values())
        assert value(s, "tsd_processing_seconds_count") == total, s
        assert value(s, "tsd_processing_seconds_bucket", le="+Inf") == total
        assert value(s, "tsd_workers") == 2
        assert 1 <= value(s, "tsd_stratum") <= 16
        assert value(s, "tsd_root_dispersion_seconds") >= 0
        assert value(s, "tsd_clock_info", plugin="realtime", refid="LOCL") == 1, s
        # tsd.workers() would count "tsd: metrics" too: ask the master.
        pids = [w["pid"] for w in tsd.ctl_json("status")["workers"]]
        assert len(pids) == 2, pids
        for pid in pids:
            assert (("tsd_connections", (("worker", str(pid)),))) in s, (pid, s.keys())

        # A killed worker keeps its counts; a reload to sim keeps them too.
        os.kill(pids[0], signal.SIGKILL)
        assert tsdtest.wait_for(lambda: sum(w["restarts"] for w in
                                            tsd.ctl_json("status")["workers"]) == 1,
                                5 * tsdtest.slow_factor())
        tsd.write_conf(CONF % ("sim", udp_port, mport))
        rc, out, err = tsd.ctl("reload")
        assert rc == 0, (rc, out, err)
        for _ in range(5):
            tsdtest.native_exchange(tsd.port)
        sent["tcp"] += 5
        s = tsdtest.wait_for(lambda: (lambda s: s if exchanges(s) == sent and
                                      ("tsd_clock_info", (("plugin", "sim"), ("refid", "SIM")))
                                      in s else None)(scrape(mport)),
                             10 * tsdtest.slow_factor(), 0.1)
        assert s, exchanges(scrape(mport))
        assert value(s, "tsd_worker_restarts_total") == 1, s
        assert value(s, "tsd_reloads_total", result="ok") == 1

        # Only /metrics; the metrics process is restarted when it dies.
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/other" % mport, timeout=10)
            raise AssertionError("/other answered")
        except urllib.error.HTTPError as e:
            assert e.code == 404, e
        metrics_pid = [p for p in tsdtest.children(tsd.pid)
                       if tsdtest.cmdline(p).startswith("tsd: metrics")]
        assert len(metrics_pid) == 1, [tsdtest.cmdline(p) for p in tsdtest.children(tsd.pid)]
        os.kill(metrics_pid[0], signal.SIGKILL)
        assert tsdtest.wait_for(lambda: (lambda s: exchanges(s) == sent)(scrape_or_none(mport)),
                                10 * tsdtest.slow_factor(), 0.2), tsd.log()
    print("ok")


def scrape_or_none(port):
    try:
        return scrape(port)
    except (OSError, urllib.error.URLError):
        return {("tsd_exchanges_total", (("protocol", "x"),)): 0}


if __name__ == "__main__":
    main()

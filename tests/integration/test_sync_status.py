"""The sync engine as operators see it: tsdctl status and sources (text and
JSON) and the tsd_sync_* metrics, parsed with python3-prometheus-client,
against what the test set up: an upstream sim clock at +0.25 s followed by
a tsd whose own clock is -0.3 s off and 100 ppm fast. Before the first
update the state is "unsynchronized"; a stopped sync process is reported as
not answering, the served time as "holdover", and no per-source metrics;
without the sync group after a reload, there is no sync engine to show."""

import os
import re
import signal
import time

import procfs
import synctest
import tsdtest
from test_metrics import scrape, value

RAW_OFFSET_S = synctest.UPSTREAM_OFFSET_S + 0.3   # upstream minus the follower's clock
DRIFT_PPM = -100.0                                 # what the follower must learn


def metrics_conf(port):
    return synctest.FOLLOWER_CLOCK + '\nmetrics = { listen = "127.0.0.1:%d"; };' % port


def only(items, **want):
    got = [i for i in items if all(i[k] == v for k, v in want.items())]
    assert len(got) == 1, (want, items)
    return got[0]


def check_unreachable():
    """Nothing answers: unsynchronized, the source unreachable, no update."""
    dead = '{ address = "127.0.0.1:%d"; protocol = "udp"; }' % tsdtest.free_port()
    mport = tsdtest.free_port()
    with synctest.follower([dead], clock=metrics_conf(mport)) as fol:
        def polled():
            src = fol.tsd.ctl_json("sources")["sources"]
            return src if src and src[0]["polls"] >= 2 else None
        src = tsdtest.wait_for(polled, 10 * tsdtest.slow_factor(), 0.1)
        assert src, fol.tsd.ctl_json("sources")
        assert src[0]["state"] == "unreachable" and src[0]["reach"] == "0", src
        assert src[0]["offset_s"] is None and src[0]["replies"] == 0, src
        st = fol.tsd.ctl_json("status")["sync"]
        assert st["state"] == "unsynchronized" and st["process"] == "running", st
        assert st["since_update_s"] is None and st["updates"] == 0, st
        assert st["system"]["stratum"] == 16 and st["system"]["leap"] == "unsynchronized", st
        m = scrape(mport)
        assert value(m, "tsd_sync_synchronized") == 0
        assert value(m, "tsd_sync_state", state="unsynchronized") == 1
        assert value(m, "tsd_sync_source_reachable", source=src[0]["address"],
                     protocol="udp") == 0
        assert ("tsd_sync_source_offset_seconds",
                (("protocol", "udp"), ("source", src[0]["address"]))) not in m
        rc, out, _ = fol.tsd.ctl("sources")
        assert rc == 0 and "sync: unsynchronized" in out and "unreachable" in out, out


def check_following(up, fol, mport):
    synctest.wait_synced(fol, up)
    # The frequency is learned over a few updates; wait for it to settle.
    tsdtest.wait_for(lambda: abs(fol.tsd.ctl_json("status")["sync"]["frequency_ppm"]
                                 - DRIFT_PPM) < 5, 30 * tsdtest.slow_factor(), 0.5)
    st = fol.tsd.ctl_json("status")
    sy = st["sync"]
    assert sy["state"] == "synchronized" and sy["process"] == "running", sy
    # (By the process list, not its title: valgrind keeps its own.)
    assert sy["pid"] in procfs.children(fol.tsd.pid), sy
    assert abs(sy["frequency_ppm"] - DRIFT_PPM) < 5, sy
    assert sy["updates"] >= 1 and 0 <= sy["since_update_s"] < 10, sy
    assert abs(sy["correction"]["offset_s"] - RAW_OFFSET_S) < 0.002, sy
    assert sy["system"] == dict(sy["system"], stratum=2, refid="127.0.0.1", leap="none"), sy
    assert st["clock"]["stratum"] == 2, st["clock"]
    address = "127.0.0.1:%d" % up.udp_port
    src = only(sy["sources"], address=address)
    assert src["state"] == "selected" and src["selected"] and src["protocol"] == "udp", src
    assert src["stratum"] == 1 and src["refid"] == "SIM" and int(src["reach"], 8) & 1, src
    assert abs(src["raw_offset_s"] - RAW_OFFSET_S) < 0.002, src
    assert abs(src["offset_s"]) < 0.002 and 0 < src["delay_s"] < 0.01, src
    assert src["polls"] >= src["replies"] >= 2, src
    listed = only(fol.tsd.ctl_json("sources")["sources"], address=address)
    assert listed["state"] == "selected" and listed["stratum"] == 1, listed

    m = scrape(mport)
    labels = dict(source=address, protocol="udp")
    assert value(m, "tsd_sync_running") == 1
    assert value(m, "tsd_sync_synchronized") == 1
    assert value(m, "tsd_sync_state", state="synchronized") == 1
    assert value(m, "tsd_sync_state", state="holdover") == 0
    assert abs(value(m, "tsd_sync_frequency_ratio") - DRIFT_PPM * 1e-6) < 5e-6
    assert abs(value(m, "tsd_sync_correction_seconds") - RAW_OFFSET_S) < 0.002
    assert abs(value(m, "tsd_sync_offset_seconds")) < 0.002
    assert value(m, "tsd_sync_updates_total") >= sy["updates"]
    assert abs(value(m, "tsd_sync_source_clock_offset_seconds", **labels) - RAW_OFFSET_S) < 0.002
    assert abs(value(m, "tsd_sync_source_offset_seconds", **labels)) < 0.002
    assert 0 < value(m, "tsd_sync_source_delay_seconds", **labels) < 0.01
    assert value(m, "tsd_sync_source_reachable", **labels) == 1
    assert value(m, "tsd_sync_source_selected", **labels) == 1
    assert value(m, "tsd_sync_source_stratum", **labels) == 1
    assert value(m, "tsd_sync_source_state", state="selected", **labels) == 1
    assert value(m, "tsd_sync_polls_total", **labels) >= src["polls"]
    assert value(m, "tsd_stratum") == 2

    rc, out, _ = fol.tsd.ctl("sources")
    assert rc == 0, out
    row = [l for l in out.splitlines() if address in l]
    assert len(row) == 1 and row[0].startswith("* ") and "selected" in row[0], out
    assert " udp    1 SIM " in row[0], out


def check_stopped(fol, mport):
    """A stopped sync process: its state goes stale, the workers hold over."""
    pid = fol.tsd.ctl_json("status")["sync"]["pid"]
    assert pid in procfs.children(fol.tsd.pid), pid
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(16)
        sy = fol.tsd.ctl_json("status")["sync"]
        assert sy["process"].startswith("not answering"), sy
        assert sy["state"] == "holdover", sy
        assert sy["state_age_s"] > 15, sy
        m = scrape(mport)
        assert value(m, "tsd_sync_running") == 0
        assert value(m, "tsd_sync_state", state="holdover") == 1
        assert not any(k[0].startswith("tsd_sync_source_") for k in m), m.keys()
        rc, out, _ = fol.tsd.ctl("sources")
        assert "sync: holdover" in out and "its last state" in out, out
    finally:
        os.kill(pid, signal.SIGCONT)
    assert tsdtest.wait_for(lambda: fol.tsd.ctl_json("status")["sync"]["state"]
                            == "synchronized", 20 * tsdtest.slow_factor(), 0.2)


def check_sync_removed(fol, mport):
    """A reload without the sync group: the sync process exits cleanly,
    status says the engine is off, and the metrics have no tsd_sync_*."""
    with open(fol.tsd.conf_path) as f:
        text = f.read()
    text = re.sub(r"^port = \d+;\n", "", text, flags=re.M)
    text = re.sub(r"^sync = .*$", "", text, flags=re.M)
    fol.tsd.write_conf(text)
    rc, out, err = fol.tsd.ctl("reload")
    assert rc == 0, (out, err)
    assert tsdtest.wait_for(lambda: fol.tsd.ctl_json("status")["sync"] == {"enabled": False},
                            10 * tsdtest.slow_factor(), 0.1), fol.tsd.ctl_json("status")
    assert fol.tsd.ctl_json("sources")["sync_engine"] is False
    assert tsdtest.wait_for(lambda: not any(k[0].startswith("tsd_sync_")
                                            for k in scrape(mport)),
                            10 * tsdtest.slow_factor(), 0.2), scrape(mport).keys()


def main():
    check_unreachable()
    mport = tsdtest.free_port()
    with synctest.upstream() as up:
        with synctest.follower([synctest.source(up)], clock=metrics_conf(mport)) as fol:
            check_following(up, fol, mport)
            check_stopped(fol, mport)
            check_sync_removed(fol, mport)
    print("ok")


if __name__ == "__main__":
    main()

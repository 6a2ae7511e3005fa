"""The report's client (tests/original/TSClient.py, run as it is) gets a sane
answer from tsd, and a native exchange has sane T2 and T3."""
import os
import re
import subprocess
import sys
import time

import tsdtest

CONF = 'server = { listen = [ "127.0.0.1", "::1" ]; workers = 2; };'


def original_client(port, host="127.0.0.1"):
    script = os.path.join(os.environ["TEST_SRCDIR"], "..", "original", "TSClient.py")
    p = subprocess.run([sys.executable, script, host, str(port)], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r"REMOTE_TIME (\d+)\nLOCAL_TIME (\d+)\nRTT_ESTIMATE (-?\d+)\n", p.stdout)
    assert m, "TSClient printed:\n" + p.stdout
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def check_original_client(port, host):
    remote_ms, local_ms, rtt_ms = original_client(port, host)
    now_ms = time.time_ns() // 1000000
    assert abs(remote_ms - now_ms) < 1000, (remote_ms, now_ms)
    assert abs(local_ms - now_ms) < 1000, (local_ms, now_ms)
    assert 0 <= rtt_ms < 200, rtt_ms


def check_native(port, host):
    r = tsdtest.native_exchange(port, host)
    assert r["version"] == 4 and r["stratum"] in range(1, 16), r
    # One machine, one clock: T1 <= T2 <= T3 <= T4, within microseconds' slack.
    assert r["t1_ns"] - 1000 <= r["t2_ns"] <= r["t3_ns"] <= r["t4_ns"] + 1000, r
    assert r["t3_ns"] - r["t2_ns"] < 50000000, r


def test():
    with tsdtest.Tsd(CONF, name="original-client") as tsd:
        for host in ("127.0.0.1", "::1"):
            check_original_client(tsd.port, host)
            check_native(tsd.port, host)
        # Several native exchanges on one connection, then the text protocol.
        import socket
        with socket.create_connection(("127.0.0.1", tsd.port), 5) as s:
            for _ in range(20):
                tsdtest.native_exchange(tsd.port, sock=s)
        t2, t3 = tsdtest.text_exchange(tsd.port)
        assert t2 <= t3 and abs(t3 - time.time_ns() // 1000000) < 1000


tsdtest.main(test)

"""Interleaved mode over the native TCP protocol: tsclient names the last
reply in each request, tsd answers with the time that reply really left,
and every sample's T3 becomes the kernel's transmit stamp (n samples take
n + 1 exchanges). A server that ignores the request's origin and receive
fields (an older tsd) keeps answering in basic mode, and tsclient uses its
replies as before."""

import socket
import struct
import threading
import time

import clienttest as ct
import ntpcodec as nc
import ports
import tsdtest

OFFSET_S = 0.25
SAMPLES = 8


def basic_server(listener, stop):
    """An older server: a basic reply to each 48-byte request, whatever its
    origin and receive fields say."""
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(2.0)
            try:
                while True:
                    data = b""
                    while len(data) < 48:
                        more = conn.recv(48 - len(data))
                        if not more:
                            raise EOFError
                        data += more
                    req = nc.parse(data)
                    now = nc.ns_to_ntp(int((time.time() + OFFSET_S) * 1e9))
                    conn.sendall(struct.pack(nc.NTP_FORMAT, (4 << 3) | 4, 2, 0, -20, 0, 0,
                                             b"OLD\0", now, req["transmit"], now, now + 1))
            except (EOFError, OSError):
                pass


def check_tsd(conf):
    with ct.server(OFFSET_S) as srv:
        rc, j, err = ct.run_json(["-c", conf, "-n", str(SAMPLES), ct.addr(srv.port)])
        assert rc == 0, err
        s = j["servers"][0]
        print("tsd: %d samples, %d with the true T3, offset error %.2f us, bound %.1f us" % (
            s["samples"], s["interleaved_t3"], (j["offset_s"] - OFFSET_S) * 1e6,
            j["error_s"] * 1e6))
        assert s["samples"] == SAMPLES and s["interleaved_t3"] == SAMPLES, s
        for t1, t2, t3, t4 in s["exchanges_ns"]:
            assert t1 <= t4 and t2 <= t3, (t1, t2, t3, t4)
        assert abs(j["offset_s"] - OFFSET_S) <= j["error_s"], j


def check_old_server(conf):
    listener = socket.socket()
    listener.bind(("127.0.0.1", ports.free_port(ipv6_too=False)))
    listener.listen(4)
    stop = threading.Event()
    t = threading.Thread(target=basic_server, args=(listener, stop), daemon=True)
    t.start()
    try:
        rc, j, err = ct.run_json(["-c", conf, "-n", str(SAMPLES),
                                  ct.addr(listener.getsockname()[1])])
    finally:
        stop.set()
        t.join(5)
        listener.close()
    assert rc == 0, err
    s = j["servers"][0]
    print("basic-only server: %d samples, %d interleaved, offset error %.1f us" % (
        s["samples"], s["interleaved_t3"], (j["offset_s"] - OFFSET_S) * 1e6))
    assert s["samples"] == SAMPLES and s["interleaved_t3"] == 0 and s["bad_replies"] == 0, s
    assert abs(j["offset_s"] - OFFSET_S) < 0.01, j


def main():
    with ct.tempdir() as d:
        conf = ct.client_conf(d)
        check_tsd(conf)
        check_old_server(conf)


if __name__ == "__main__":
    tsdtest.main(main)

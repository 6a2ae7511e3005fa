"""tsclient --udp asks for interleaved mode: each request after the first
names the last reply, and a server that supports it (tsd, chronyd) answers
with the time that reply really left its kernel, which replaces the T3 the
reply carried (n samples take n + 1 requests). T1 is the kernel's transmit
stamp of the request. A server that answers only in basic mode (origin =
the request's transmit field) is used as before, and a reply whose origin
is neither the transmit nor the receive field of the request is refused.
With client.interleaved = false tsclient never asks, over UDP or tsd's TCP
protocol: every sample is basic."""

import os

import socket
import struct
import threading
import time

import clienttest as ct
import ntpcodec as nc
import ports
import tsdtest
import udpchrony as u

OFFSET_S = 0.25
SAMPLES = 8


def tsd_conf(udp_port):
    return ('clock = { plugin = "sim"; offset = %r; };\n'
            'server = { listen = [ "127.0.0.1" ]; workers = 1;\n'
            '  udp = { enable = true; port = %d; }; };\n' % (OFFSET_S, udp_port))


def measure(conf, port):
    rc, j, err = ct.run_json(["-c", conf, "--udp", "-n", str(SAMPLES), ct.addr(port)])
    assert rc == 0, err
    return j, j["servers"][0]


def check_exchanges(s):
    for t1, t2, t3, t4 in s["exchanges_ns"]:
        assert t1 <= t4 and t2 <= t3, (t1, t2, t3, t4)


def check_tsd(conf):
    port = ports.free_port(udp=True, ipv6_too=False)
    with tsdtest.Tsd(tsd_conf(port), name="xleave-client") as tsd:
        assert u.wait_ntp(port, 5.0 * tsdtest.slow_factor()), tsd.log()
        j, s = measure(conf, port)
    print("tsd: %d samples, %d with the true T3, %d kernel T1, offset error %.2f us, "
          "bound %.1f us" % (s["samples"], s["interleaved_t3"], s["kernel_t1"],
                             (j["offset_s"] - OFFSET_S) * 1e6, j["error_s"] * 1e6))
    assert s["samples"] == SAMPLES and s["interleaved_t3"] == SAMPLES, s
    assert s["kernel_t1"] >= SAMPLES and s["bad_replies"] == 0, s
    check_exchanges(s)
    assert abs(j["offset_s"] - OFFSET_S) <= j["error_s"], j


def check_tsd_basic(directory):
    conf = os.path.join(directory, "basic.conf")
    with open(conf, "w") as f:
        f.write('plugin_dir = "%s";\nclock = { plugin = "realtime"; };\n'
                'client = { samples = %d; timeout = 2.0; interleaved = false; };\n'
                % (os.environ["PLUGIN_DIR"], SAMPLES))
    port = ports.free_port(udp=True, ipv6_too=False)
    with tsdtest.Tsd(tsd_conf(port), name="xleave-basic") as tsd:
        assert u.wait_ntp(port, 5.0 * tsdtest.slow_factor()), tsd.log()
        for proto in (["--udp"], []):
            target = ct.addr(port) if proto else ct.addr(tsd.port)
            rc, j, err = ct.run_json(["-c", conf] + proto + ["-n", str(SAMPLES), target])
            assert rc == 0, err
            s = j["servers"][0]
            print("client.interleaved = false, %s: %d samples, %d interleaved" % (
                "udp" if proto else "tcp", s["samples"], s["interleaved_t3"]))
            assert s["samples"] == SAMPLES and s["interleaved_t3"] == 0, s
            assert abs(j["offset_s"] - OFFSET_S) <= j["error_s"], j


def serve(sock, stop, answer):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            data, peer = sock.recvfrom(512)
        except socket.timeout:
            continue
        req = nc.parse(data)
        now = nc.ns_to_ntp(int((time.time() + OFFSET_S) * 1e9))
        sock.sendto(struct.pack(nc.NTP_FORMAT, (4 << 3) | 4, 2, 0, -20, 0, 0, b"OLD\0",
                                now, answer(req), now, now + 1), peer)


def with_fake(conf, answer):
    """tsclient --udp against a server whose reply's origin is answer(request)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()
    t = threading.Thread(target=serve, args=(sock, stop, answer), daemon=True)
    t.start()
    try:
        return ct.run_json(["-c", conf, "--udp", "-n", str(SAMPLES),
                            ct.addr(sock.getsockname()[1])])
    finally:
        stop.set()
        t.join(5)
        sock.close()


def check_basic_server(conf):
    rc, j, err = with_fake(conf, lambda req: req["transmit"])
    assert rc == 0, err
    s = j["servers"][0]
    print("basic-only server: %d samples, %d interleaved, offset error %.1f us" % (
        s["samples"], s["interleaved_t3"], (j["offset_s"] - OFFSET_S) * 1e6))
    assert s["samples"] == SAMPLES and s["interleaved_t3"] == 0 and s["bad_replies"] == 0, s
    assert abs(j["offset_s"] - OFFSET_S) < 0.01, j


def check_wrong_origin(conf):
    """A first reply in basic mode, then replies whose origin echoes the
    request's origin field (the server's own receive time, which anyone on
    the path has seen): not samples."""
    first = []

    def answer(req):
        first.append(req)
        return req["transmit"] if len(first) == 1 else req["origin"]

    rc, j, err = with_fake(conf, answer)
    s = j["servers"][0]
    print("origin echoed from the wrong field: exit %d, %d samples, %d bad" % (
        rc, s["samples"], s["bad_replies"]))
    assert s["samples"] == 1 and s["bad_replies"] == SAMPLES - 1, s
    assert s["interleaved_t3"] == 0, s


def check_chronyd(conf):
    if u.find_chronyd() is None:
        print("chronyd not found: the chronyd half is skipped")
        return
    with u.ChronyServer() as chrony:
        j, s = measure(conf, chrony.port)
    print("chronyd: %d samples, %d with the true T3, offset %+.2f us" % (
        s["samples"], s["interleaved_t3"], j["offset_s"] * 1e6))
    # chronyd may answer the second request in basic mode, before it has
    # read back the transmit stamp of its first reply.
    assert s["samples"] == SAMPLES and s["interleaved_t3"] >= SAMPLES - 1, s
    check_exchanges(s)
    assert abs(j["offset_s"]) < 0.001, j


def main():
    with ct.tempdir() as d:
        conf = ct.client_conf(d)
        check_tsd(conf)
        check_tsd_basic(d)
        check_basic_server(conf)
        check_wrong_origin(conf)
        check_chronyd(conf)


if __name__ == "__main__":
    tsdtest.main(main)

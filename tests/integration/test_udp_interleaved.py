"""Interleaved NTP over UDP: a request whose origin is tsd's receive
timestamp of its last reply to the same address gets the time that reply
really left (the kernel's transmit stamp); a request from another address
with the same origin, and every basic-mode request, gets a basic reply.
Then chronyd -x with `xleave` follows tsd (a sim clock at +0.25 s) and
reports `Interleaved : Yes` with the right offset (skipped without chronyd)."""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import ports
import tsdtest
import udpchrony as u

OFFSET_S = 0.25


def conf(udp_port):
    return ('clock = { plugin = "sim"; offset = %r; };\n'
            'server = { listen = [ "127.0.0.1" ]; workers = 1;\n'
            '  udp = { enable = true; port = %d; }; };\n' % (OFFSET_S, udp_port))


def request(origin=0, receive=0, transmit=None):
    pkt = bytearray(u.ntp_packet(transmit=transmit))
    pkt[24:40] = struct.pack("!QQ", origin, receive)
    return bytes(pkt)


def ask(port, pkt, source="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        data = u.exchange(port, pkt, timeout=2.0, sock=s)
    assert data is not None, "no reply from %s" % source
    return u.parse(data)


def check_table(port):
    first = ask(port, request(transmit=111))
    assert first["origin"] == 111, first
    # Interleaved: origin = tsd's receive time of the last reply, and a
    # receive field (the client's own receive time) unlike the transmit.
    got = None
    for _ in range(50):   # the stamp is read back once the reply is sent
        time.sleep(0.01)
        got = ask(port, request(origin=first["receive"], receive=333, transmit=222))
        if got["origin"] == 333:
            break
        first = got
    assert got["origin"] == 333, "no interleaved reply: %s" % got
    late_us = (got["transmit"] - first["transmit"]) / 2**32 * 1e6
    print("the last reply left %.1f us after the T3 it carried" % late_us)
    assert 0 <= late_us < 50000, late_us
    assert got["transmit"] < got["receive"], got
    # Another address with this client's origin: a basic reply, nothing read.
    spoof = ask(port, request(origin=got["receive"], receive=444, transmit=555),
                source="127.0.0.2")
    assert spoof["origin"] == 555 and spoof["transmit"] > spoof["receive"], spoof
    # A basic client (receive equal to transmit) stays basic even with a
    # matching origin.
    again = ask(port, request(transmit=666))
    basic = ask(port, request(origin=again["receive"], receive=777, transmit=777))
    assert basic["origin"] == 777 and basic["transmit"] >= basic["receive"], basic


def chronyc(sock_path, what):
    out = subprocess.run(["chronyc", "-h", sock_path, "-n", what], capture_output=True,
                         text=True, timeout=10)
    return out.stdout + out.stderr


def chronyd_xleave(port):
    """chronyd -x, continuous, interleaved; its view once it says Yes."""
    chronyd = u.find_chronyd()
    if chronyd is None or shutil.which("chronyc") is None:
        print("chronyd or chronyc not found: the chronyd half is skipped")
        return None
    tmp = tempfile.mkdtemp(prefix="tsd-xleave-")
    run = os.path.join(tmp, "run")
    os.mkdir(run, 0o700)
    sock_path = os.path.join(run, "sock")
    lines = ["pidfile %s" % os.path.join(tmp, "pid"), "bindcmdaddress %s" % sock_path,
             "cmdport 0", "port 0",
             "server 127.0.0.1 port %d minpoll -4 maxpoll -4 iburst xleave" % port]
    with open(os.path.join(tmp, "chrony.conf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    log = open(os.path.join(tmp, "log"), "w")
    proc = subprocess.Popen([chronyd, "-x", "-d", "-f", os.path.join(tmp, "chrony.conf")] +
                            u.privilege_args(), stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 60 * tsdtest.slow_factor()
        ntpdata = tracking = ""
        while time.monotonic() < end:
            time.sleep(1)
            ntpdata = chronyc(sock_path, "ntpdata")
            tracking = chronyc(sock_path, "tracking")
            if re.search(r"Interleaved\s*:\s*Yes", ntpdata) and \
                    re.search(r"System time\s*:", tracking) and "Reference ID    : 7F000001" \
                    in tracking:
                return ntpdata, tracking
        raise AssertionError("chronyd never went interleaved:\n%s\n%s" % (ntpdata, tracking))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def system_time_s(tracking):
    m = re.search(r"System time\s*:\s*([0-9.]+) seconds (slow|fast)", tracking)
    assert m, tracking
    return float(m.group(1)) * (1 if m.group(2) == "slow" else -1)


def main():
    port = ports.free_port(udp=True, ipv6_too=False)
    with tsdtest.Tsd(conf(port), name="xleave") as tsd:
        assert u.wait_ntp(port, 5.0 * tsdtest.slow_factor()), tsd.log()
        check_table(port)
        got = chronyd_xleave(port)
        if got is not None:
            ntpdata, tracking = got
            ahead = system_time_s(tracking)
            print("chronyd, interleaved: tsd ahead by %.6f s (true %.3f)" % (ahead, OFFSET_S))
            assert abs(ahead - OFFSET_S) < 0.002, tracking
        assert "transmit timestamps" in tsd.log(), tsd.log()


if __name__ == "__main__":
    tsdtest.main(main)

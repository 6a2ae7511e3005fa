"""A second tsd never shares a port with another process: SO_REUSEPORT would
let the kernel split the clients between them. It refuses to start, naming
the address, the port and the FILE:LINE of the setting: on a TCP port another
tsd holds, on a UDP port another tsd holds, on the NTS-KE port of another
tsd or of any listening socket (SO_REUSEPORT or not), and on the UDP port
of a chronyd -x server. A reload that keeps its own ports, or adds workers to
them, still works."""

import os
import shutil
import signal
import socket
import tempfile

import ntstest
import ports
import tsdtest
import udpchrony

LISTEN = 'server = { listen = [ "127.0.0.1" ]; %s };\n'


def expect_refused(second, what):
    """second: a Tsd not yet started. It must exit 1 naming what."""
    with second:
        second.start(wait_s=0)
        status = second.wait_exit(20 * tsdtest.slow_factor())
        log = second.log()
        if status is None:
            second.kill()
            raise AssertionError("the second tsd started beside the first:\n" + log)
    assert status == 1, "exit %s:\n%s" % (status, log)
    for text in what:
        assert text in log, "%r not in:\n%s" % (text, log)
    print("refused: " + [l for l in log.splitlines() if "in use" in l][0])


def tcp_shared():
    with tsdtest.Tsd(LISTEN % "", name="first") as first:
        second = tsdtest.Tsd(LISTEN % "", port=first.port, start=False, name="second")
        expect_refused(second, ["%s:1:" % second.conf_path, "TCP port %d" % first.port,
                                "127.0.0.1", "already in use"])
        tsdtest.native_exchange(first.port)


def udp_conf(udp_port, workers=2):
    return LISTEN % ("workers = %d; udp = { enable = true; port = %d; };" % (workers, udp_port))


def udp_shared():
    with udpchrony.TsdUdp() as first:
        second = tsdtest.Tsd(udp_conf(first.udp_port), start=False, name="second")
        expect_refused(second, ["%s:3:" % second.conf_path,
                                "UDP port %d" % first.udp_port, "already in use"])
        assert udpchrony.exchange(first.udp_port, udpchrony.ntp_packet()) is not None


def chronyd_shared():
    if udpchrony.find_chronyd() is None:
        print("chronyd not found: its part is not run (scripts/install-deps installs it)")
        return
    with udpchrony.ChronyServer() as chronyd:
        second = tsdtest.Tsd(udp_conf(chronyd.port), start=False, name="second")
        expect_refused(second, ["%s:3:" % second.conf_path,
                                "UDP port %d" % chronyd.port, "already in use"])


def nts_conf(ke_port, cert):
    return LISTEN % ('\n  nts = { enable = true;\n    port = %d; certificate = "%s"; key = "%s"; };'
                     % (ke_port, cert[0], cert[1]))


def nts_shared():
    """server.nts.port (line 5 of the file) held by a tsd, then by a plain
    listening socket with SO_REUSEPORT (which tsd's own would have joined
    had it used the option)."""
    cert = ntstest.make_cert(tempfile.mkdtemp(prefix="tsd-cert-"))
    with ntstest.TsdNts(cert=cert) as first:
        second = tsdtest.Tsd(nts_conf(first.ke_port, cert), start=False, name="second")
        expect_refused(second, ["%s:5:" % second.conf_path, "server.nts.port",
                                "NTS-KE (TCP) port %d" % first.ke_port, "already in use"])
        assert ntstest.ke_port_open(first.ke_port)
    port = ports.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen(1)
        second = tsdtest.Tsd(nts_conf(port, cert), start=False, name="second")
        expect_refused(second, ["%s:5:" % second.conf_path,
                                "NTS-KE (TCP) port %d on 127.0.0.1" % port, "already in use"])
    shutil.rmtree(os.path.dirname(cert[0]), ignore_errors=True)


def reload_keeps_ports():
    with udpchrony.TsdUdp() as tsd:
        before = tsd.tsd.workers()
        tsd.tsd.write_conf(udp_conf(tsd.udp_port, workers=3))
        tsd.tsd.signal(signal.SIGHUP)
        assert tsdtest.wait_for(lambda: len(tsd.tsd.workers()) == 3 and
                                not set(tsd.tsd.workers()) & set(before),
                                20 * tsdtest.slow_factor()), tsd.log()
        tsdtest.native_exchange(tsd.tsd.port)
        assert udpchrony.exchange(tsd.udp_port, udpchrony.ntp_packet()) is not None
        assert "in use" not in tsd.log(), tsd.log()
    print("a reload to 3 workers on the same ports: served on TCP and UDP")


def test():
    tcp_shared()
    udp_shared()
    nts_shared()
    reload_keeps_ports()
    chronyd_shared()


if __name__ == "__main__":
    tsdtest.main(test)

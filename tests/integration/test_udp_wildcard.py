"""On a wildcard address ("0.0.0.0", "::") tsd's reply leaves from the
address the request was sent to (IP_PKTINFO / IPV6_PKTINFO), as a
multi-homed server's must. Runs in a private network namespace (needs root
and unshare), so the wildcard sockets are reachable from nowhere else."""

import socket
import subprocess
import sys

import udpchrony


def reply_source(family, dst, port):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        s.sendto(udpchrony.ntp_packet(), (dst, port))
        data, src = s.recvfrom(2048)
    assert len(data) == 48, len(data)
    return src[0]


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with udpchrony.TsdUdp(listen='"0.0.0.0", "::"') as tsd:
        # The routing table would answer from 127.0.0.1 for all of these.
        for dst in ("127.0.0.1", "127.0.0.2", "127.1.2.3"):
            src = reply_source(socket.AF_INET, dst, tsd.udp_port)
            assert src == dst, "request to %s answered from %s" % (dst, src)
        src = reply_source(socket.AF_INET6, "::1", tsd.udp_port)
        assert src == "::1", "request to ::1 answered from %s" % src
        tsd.stop()
        c = tsd.counters()
    assert c["served"] >= 4 and c["dropped"] == 0, c
    print("wildcard sockets: every reply from the address asked (127.0.0.1, 127.0.0.2, "
          "127.1.2.3, ::1)")
    return 0


if __name__ == "__main__":
    if not udpchrony.in_private_netns():
        sys.exit(udpchrony.reenter_in_netns(__file__))
    sys.exit(main())

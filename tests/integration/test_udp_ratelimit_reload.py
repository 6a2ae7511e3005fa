"""One rate-limit table for all the workers, also after a reload that keeps
the UDP sockets: 200 packets from one address get at most `burst` answers
(plus what refills while they are sent), whatever the number of workers
and whichever of them the packets reach.

The numbers of the report: with dispatch "accept" and 4 workers, 200
packets got 16 answers; after a reload to interval 0.25 they got 64 (each
worker made a table of its own). With reuseport, balance "flow" and burst
cut from 16 to 8 they got 32 instead of 8."""

import signal
import socket
import time

import ports
import tsdtest
import udpchrony

PACKETS = 200
SOCKETS = 16
WORKERS = 4


def flood(port, source):
    """PACKETS requests as fast as they go from SOCKETS sockets of one
    address `source` (so the kernel spreads them over the workers: each
    socket is its own flow, and a busy worker lets another wake for the
    shared socket); (answers, seconds)."""
    socks = []
    for _ in range(SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((source, 0))
        sock.setblocking(False)
        socks.append(sock)
    start = time.monotonic()
    for i in range(PACKETS):
        socks[i % SOCKETS].sendto(udpchrony.ntp_packet(), ("127.0.0.1", port))
    elapsed = time.monotonic() - start
    time.sleep(1.0 * tsdtest.slow_factor())
    answers = 0
    for sock in socks:
        try:
            while True:
                sock.recvfrom(2048)
                answers += 1
        except BlockingIOError:
            pass
        sock.close()
    return answers, elapsed


def limit_conf(dispatch, interval, burst, balance=""):
    return ('server = { listen = [ "127.0.0.1" ]; workers = %d; dispatch = "%s";\n'
            '  udp = { enable = true; port = %%d; %s\n'
            '          ratelimit = { interval = %g; burst = %d; leak = 0; }; }; };\n'
            % (WORKERS, dispatch, balance, interval, burst))


def check(port, source, interval, burst, what):
    answers, elapsed = flood(port, source)
    allowed = burst + int(elapsed / interval) + 1
    print("%s: %d of %d answered (burst %d, interval %g s: at most %d)"
          % (what, answers, PACKETS, burst, interval, allowed))
    assert 1 <= answers <= allowed, "%d answers, at most %d allowed" % (answers, allowed)


def reload_to(tsd, conf):
    old = set(tsd.tsd.wait_workers(WORKERS))
    tsd.tsd.write_conf(conf)
    tsd.tsd.signal(signal.SIGHUP)
    ok = tsdtest.wait_for(lambda: (lambda w: len(w) == WORKERS and not w & old)(
        set(tsd.tsd.workers())), 20 * tsdtest.slow_factor())
    assert ok, tsd.log()
    assert "reload failed" not in tsd.log(), tsd.log()


def scenario(dispatch, before, after, balance, sources):
    port = ports.free_port(udp=True, ipv6_too=False)
    tsd = udpchrony.TsdUdp(udp_port=port)
    tsd.tsd.write_conf(limit_conf(dispatch, before[0], before[1], balance) % port)
    with tsd:
        check(port, sources[0], before[0], before[1], "%s, before the reload" % dispatch)
        reload_to(tsd, limit_conf(dispatch, after[0], after[1], balance) % port)
        check(port, sources[1], after[0], after[1], "%s, after the reload" % dispatch)


def test():
    scenario("accept", (0.125, 16), (0.25, 16), "", ("127.0.0.2", "127.0.0.3"))
    scenario("reuseport", (0.125, 16), (0.125, 8), 'balance = "flow";',
             ("127.0.0.4", "127.0.0.5"))


if __name__ == "__main__":
    tsdtest.main(test)

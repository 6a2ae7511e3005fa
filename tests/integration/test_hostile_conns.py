"""Many connections: 3000 idle ones held while a normal client is still
answered promptly, then a flood of short-lived ones. Afterwards every
descriptor is given back and no worker died."""

import socket
import struct
import threading
import time

import hostile
import tsdtest
from tsdtest import native_request
import procfs

IDLE_CONNECTIONS = 3000
FLOOD_S = 2.0
FLOOD_THREADS = 2
FLOOD_MAX = 10000
PROMPT_S = hostile.PROMPT_S
CONF = """server = { listen = [ "127.0.0.1" ]; workers = 2;
  max_connections = 4096; request_timeout = 1.0; idle_timeout = 30.0; };
"""


def worker_fds(workers):
    return sum(procfs.fd_count(p) for p in workers)


def settled_fds(workers):
    """The workers' descriptors with no client connected, once the count has
    not changed for 0.5 s: a worker still starting (slow on a loaded machine
    or under a sanitizer) has not opened all its sockets yet, and a
    connection just closed may not be closed by tsd yet."""
    last = worker_fds(workers)
    steady_since = time.monotonic()
    deadline = steady_since + 10 * tsdtest.slow_factor()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = worker_fds(workers)
        if now != last:
            last, steady_since = now, time.monotonic()
        elif time.monotonic() - steady_since >= 0.5:
            break
    return last


def open_idle(port, count):
    socks = []
    for i in range(count):
        s = socket.socket()
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def check_idle(tsd, workers, base_fds):
    need = IDLE_CONNECTIONS + 100
    limits = [procfs.nofile_limits(p)[0] for p in [tsd.pid] + workers]
    print("descriptor limits: master %d, workers %r" % (limits[0], limits[1:]))
    assert min(limits[1:]) >= need, \
        "a worker may open %d descriptors, fewer than the %d connections" % (
            min(limits[1:]), IDLE_CONNECTIONS)
    t0 = time.monotonic()
    socks = open_idle(tsd.port, IDLE_CONNECTIONS)
    try:
        held = tsdtest.wait_for(
            lambda: worker_fds(workers) >= base_fds + IDLE_CONNECTIONS, 10)
        print("%d idle connections open in %.2f s; workers hold %d descriptors" % (
            len(socks), time.monotonic() - t0, worker_fds(workers)))
        assert held, "the workers did not accept every idle connection"
        worst = hostile.exchange_latency(tsd.port, count=20)
        print("normal client among them: worst of 20 exchanges %.3f s" % worst)
        assert worst < PROMPT_S, "slow with idle connections: %.3f s" % worst
    finally:
        for s in socks:
            s.close()
    back = tsdtest.wait_for(lambda: worker_fds(workers) <= base_fds, 5)
    assert back, "descriptors not given back: %d, had %d" % (worker_fds(workers), base_fds)


def flooder(port, stop, counts, index, prober):
    """Connect, send a request or not, close without reading; as fast as it
    goes, up to FLOOD_MAX / FLOOD_THREADS connections, and on until the
    normal client has made the exchanges it is judged by (a fast machine
    reaches the cap in a fraction of a second). Each close is a reset
    (SO_LINGER 0), as floods do, which also leaves no TIME_WAIT behind to
    use up the ephemeral ports other tests need."""
    n = 0
    request = native_request()
    linger = struct.pack("ii", 1, 0)
    while not stop.is_set() and (n < FLOOD_MAX // FLOOD_THREADS or
                                 prober.count < hostile.PROBER_MIN_EXCHANGES):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                if n % 2 == 0:
                    s.sendall(request)
        except OSError:
            pass
        n += 1
    counts[index] = n


def check_flood(tsd, workers, base_fds):
    stop = threading.Event()
    counts = [0] * FLOOD_THREADS
    prober = hostile.Prober(tsd.port)
    threads = [threading.Thread(target=flooder, args=(tsd.port, stop, counts, i, prober))
               for i in range(FLOOD_THREADS)]
    for t in threads:
        t.start()
    prober.start()
    t0 = time.monotonic()
    for t in threads:
        t.join(max(0.0, t0 + FLOOD_S - time.monotonic()))
    stop.set()
    for t in threads:
        t.join()
    flood_s = time.monotonic() - t0
    # The flood shares two cores with tsd: a slower answer is fine, none is not.
    prober.finish(PROMPT_S * 2)
    print("flood: %d connections in %.2f s" % (sum(counts), flood_s))
    back = tsdtest.wait_for(lambda: worker_fds(workers) <= base_fds, 5)
    assert back, "descriptors not given back after the flood: %d, had %d" % (
        worker_fds(workers), base_fds)
    assert sum(counts) > 1000, "the flood was too small to mean anything"


def test():
    have = hostile.raise_nofile(IDLE_CONNECTIONS + 400)
    if have < IDLE_CONNECTIONS + 200:
        raise tsdtest.SkipTest("the hard descriptor limit (%d) is too low for %d connections"
                               % (have, IDLE_CONNECTIONS))
    with tsdtest.Tsd(CONF, name="hostile-conns") as tsd:
        workers = tsd.wait_workers(2)
        tsd.wait_ready(5)
        base_fds = settled_fds(workers)
        check_idle(tsd, workers, base_fds)
        check_flood(tsd, workers, base_fds)
        assert tsd.workers() == workers, "a worker died"
        tsdtest.native_exchange(tsd.port)
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)

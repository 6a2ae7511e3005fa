"""Hostile input: random bytes on both protocols, 1 MiB without a newline,
and half-closed connections. tsd answers only what is valid, closes the rest
on time, keeps its memory bounded, and no worker dies."""

import concurrent.futures
import os
import random
import re
import socket
import time

import hostile
import tsdtest
from tsdtest import native_request, parse_reply
import procfs

REQUEST_TIMEOUT_S = 1.0
# Deadlines stretch when tsd runs under valgrind.
SLACK_S = 0.3 * tsdtest.slow_factor()
# How long a connection is watched: a valid client that stays ("idle") must
# not be closed in that time, so the idle timeout lies well beyond it (under
# valgrind the watch is 10 s).
WATCH_S = REQUEST_TIMEOUT_S + SLACK_S * 3
IDLE_TIMEOUT_S = 30.0
assert WATCH_S < IDLE_TIMEOUT_S / 2
CONF = """server = { listen = [ "127.0.0.1" ]; workers = 2;
  request_timeout = %.1f; idle_timeout = %.1f; };
""" % (REQUEST_TIMEOUT_S, IDLE_TIMEOUT_S)
TEXT_REPLY = re.compile(rb"^\d+\t\d+\n$")
NATIVE_HEADER = bytes([0xe3, 0x00])  # mode 3, version 4, stratum 0


def is_native(first_bytes):
    """The brief's rule: mode 3, version 1 to 4, then a stratum of at most 16."""
    return (len(first_bytes) >= 2 and first_bytes[0] & 7 == 3 and
            1 <= (first_bytes[0] >> 3) & 7 <= 4 and first_bytes[1] <= 16)


def check_replies(sent, got):
    """What came back for `sent` is what the protocol allows, and nothing more."""
    if is_native(sent):
        assert len(got) % 48 == 0, "native reply of %d bytes" % len(got)
        assert len(got) <= len(sent), "more replies than requests"
        for i in range(0, len(got), 48):
            reply, transmit = parse_reply(got[i:i + 48]), sent[i + 40:i + 48]
            assert reply["mode"] == 4 and reply["origin"] == int.from_bytes(transmit, "big"), reply
    else:
        assert got == b"" or TEXT_REPLY.match(got), "text reply %r" % got[:80]


def valid_request(block):
    """What tsd answers: mode 3, version 1 to 4, a transmit field not zero."""
    return block[0] & 7 == 3 and 1 <= (block[0] >> 3) & 7 <= 4 and any(block[40:48])


def expected_close(payload):
    """When tsd should close: "now" (text, or an invalid request), at the
    request "deadline" (a partial request waits for the rest), or never
    while "idle" (only complete valid requests: a native client may stay)."""
    if not is_native(payload):
        return "now" if len(payload) >= 2 else "deadline"
    for i in range(0, len(payload) - len(payload) % 48, 48):
        if not valid_request(payload[i:i + 48]):
            return "now"
    return "deadline" if len(payload) % 48 else "idle"


def random_connection(port, payload):
    expect = expected_close(payload)
    with hostile.connect(port) as s:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got, closed_s = hostile.read_until_closed(s, WATCH_S)
    check_replies(payload, got)
    what = "%d bytes, %s" % (len(payload), expect)
    if expect == "idle":
        assert closed_s is None, "%s: closed after %.3f s" % (what, closed_s)
        return
    assert closed_s is not None, what + ": never closed"
    limit = SLACK_S if expect == "now" else REQUEST_TIMEOUT_S * 1.1 + SLACK_S
    assert closed_s < limit, "%s: closed after %.3f s" % (what, closed_s)


def random_bytes(port, rng):
    """Many connections at once of random bytes, half after an NTP header."""
    payloads = []
    for i in range(60):
        size = rng.choice([1, 2, 47, 48, 49, 95, 96, 500, 4096])
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        payloads.append(NATIVE_HEADER + payload if i % 2 == 0 else payload)
    with concurrent.futures.ThreadPoolExecutor(len(payloads)) as pool:
        for f in [pool.submit(random_connection, port, p) for p in payloads]:
            f.result()


def one_mib_without_newline(port, worker_pids):
    """1 MiB of text without a newline: tsd must not buffer it."""
    rss_before = sum(procfs.status_value(p, "VmRSS") for p in worker_pids)
    with hostile.connect(port) as s:
        s.setblocking(False)
        blob = b"A" * (1 << 20)
        sent = 0
        t0 = time.monotonic()
        closed_s = None
        got = b""
        while closed_s is None and time.monotonic() - t0 < REQUEST_TIMEOUT_S * 2 + SLACK_S * 5:
            try:
                if sent < len(blob):
                    sent += s.send(blob[sent:sent + 65536])
                chunk = s.recv(4096)
                if not chunk:
                    closed_s = time.monotonic() - t0
                got += chunk
            except BlockingIOError:
                time.sleep(0.005)
            except (BrokenPipeError, ConnectionResetError):
                closed_s = time.monotonic() - t0
    rss_after = sum(procfs.status_value(p, "VmRSS") for p in worker_pids)
    print("1 MiB without newline: %d bytes accepted, closed after %.3f s, reply %r, "
          "worker RSS %d -> %d KiB" % (sent, closed_s or -1, got[:60], rss_before, rss_after))
    assert closed_s is not None, "tsd kept a newline-less text connection open"
    assert got == b"" or TEXT_REPLY.match(got), got[:80]
    assert rss_after - rss_before < 1024, "workers grew by %d KiB" % (rss_after - rss_before)


def half_closed(port):
    """A request followed by shutdown(SHUT_WR) is still answered."""
    cases = [
        ("native", native_request(), 48),
        ("two native", native_request(1) + native_request(2), 96),
        ("text line", b"hello\n", None),
        ("one text byte", b"x", None),
    ]
    for name, payload, want in cases:
        with hostile.connect(port) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            got, closed_s = hostile.read_until_closed(s, WATCH_S)
        assert closed_s is not None, name + ": not closed after the reply"
        if want is None:
            assert TEXT_REPLY.match(got), "%s: got %r" % (name, got)
        else:
            assert len(got) == want, "%s: %d bytes, want %d" % (name, len(got), want)
            check_replies(payload, got)
    # Half a request and then EOF: nothing to answer, closed at once.
    with hostile.connect(port) as s:
        s.sendall(native_request()[:30])
        s.shutdown(socket.SHUT_WR)
        got, closed_s = hostile.read_until_closed(s, WATCH_S)
    assert got == b"" and closed_s is not None and closed_s < REQUEST_TIMEOUT_S, \
        "half a request then EOF: %r after %r s" % (got, closed_s)


def test():
    seed = int(os.environ.get("TSD_TEST_SEED", time.time()))
    print("random seed %d (TSD_TEST_SEED=%d repeats this run)" % (seed, seed))
    rng = random.Random(seed)
    with tsdtest.Tsd(CONF, name="hostile-input") as tsd:
        workers = tsd.wait_workers(2)
        random_bytes(tsd.port, rng)
        one_mib_without_newline(tsd.port, workers)
        half_closed(tsd.port)
        tsdtest.native_exchange(tsd.port)
        assert tsd.workers() == workers, "a worker died: %r -> %r" % (workers, tsd.workers())
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)

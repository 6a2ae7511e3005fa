"""What a reload does to the TCP connections an old worker holds (tsd(8)):
one with requests in flight is answered for everything it sends, up to a
bound, and then closed with a FIN, never a reset; an idle persistent one is
closed at once with a FIN; tsclient, whose connection a reload closes in the
middle of its exchanges, reconnects and still takes every sample.

The report: get one reply, send 47 bytes, SIGHUP, then send the rest plus
21 more requests: 8 were answered, then ECONNRESET."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import clienttest
import tsdtest

CONF = 'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n'
MORE = 21


def reload_and_wait(tsd):
    old = tsd.wait_workers(1)
    tsd.signal(signal.SIGHUP)
    ok = tsdtest.wait_for(lambda: "configuration reloaded" in tsd.log() and
                          any(p not in old for p in tsd.workers()), 10 * tsdtest.slow_factor())
    assert ok, tsd.log()


def read_all(sock):
    """Every byte until the server closes: (bytes, 'eof' or 'reset')."""
    data = b""
    sock.settimeout(10 * tsdtest.slow_factor())
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, "eof"
            data += chunk
    except ConnectionResetError:
        return data, "reset"


def pipelined(tsd):
    sock = socket.create_connection(("127.0.0.1", tsd.port), 5)
    tsdtest.native_exchange(tsd.port, sock=sock)
    requests = [tsdtest.native_request() for _ in range(MORE + 1)]
    stream = b"".join(requests)
    sock.sendall(stream[:47])
    reload_and_wait(tsd)
    sock.sendall(stream[47:])
    data, how = read_all(sock)
    sock.close()
    answered = len(data) // 48
    print("pipelined across a reload: %d of %d answered, then %s" % (answered, MORE + 1, how))
    assert how == "eof", "the connection was reset after %d replies" % answered
    assert answered == MORE + 1, answered


def idle(tsd):
    sock = socket.create_connection(("127.0.0.1", tsd.port), 5)
    tsdtest.native_exchange(tsd.port, sock=sock)
    start = time.monotonic()
    reload_and_wait(tsd)
    data, how = read_all(sock)
    sock.close()
    print("an idle persistent connection: closed with %s %.1f s after the SIGHUP"
          % (how, time.monotonic() - start))
    assert (data, how) == (b"", "eof"), (data, how)
    tsdtest.native_exchange(tsd.port)


def tsclient_reconnects(tsd):
    samples = 100
    with clienttest.tempdir() as tmp, clienttest.Relay(tsd.port, up_ms=5, down_ms=5) as relay:
        conf = clienttest.client_conf(tmp, timeout_s=20.0)
        proc = subprocess.Popen([os.environ["TSCLIENT"], "-c", conf, "--json", "-n", str(samples),
                                 clienttest.addr(relay.port)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)
        reload_and_wait(tsd)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    got = json.loads(out)["servers"][0]["samples"]
    print("tsclient -n %d through a reload: %d samples" % (samples, got))
    assert got == samples, (got, out, err)


def test():
    with tsdtest.Tsd(CONF, name="reload-pipelined") as tsd:
        pipelined(tsd)
        idle(tsd)
        tsclient_reconnects(tsd)


if __name__ == "__main__":
    tsdtest.main(test)

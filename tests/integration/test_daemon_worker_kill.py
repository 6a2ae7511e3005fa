"""A worker killed with SIGKILL under load is replaced within 1 s, and only
the connections it held fail: every other connection keeps being served."""
import os
import signal
import socket
import threading
import time

import tsdtest

CONF = 'server = { listen = [ "127.0.0.1" ]; workers = 2; };'
CONNECTIONS = 24


def socket_inodes(pid):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(int(link[8:-1]))
    return out


def server_side_inodes(server_port):
    """{client port: inode of the server's socket} for established connections."""
    out = {}
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if local_port == server_port and fields[3] == "01":
                out[remote_port] = int(fields[9])
    return out


class Client(threading.Thread):
    """One persistent connection making exchanges until it fails or stops."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), 5)
        self.port = port
        self.local_port = self.sock.getsockname()[1]
        self.ok = 0
        self.error = None
        self.running = True
        self.start()

    def run(self):
        try:
            while self.running:
                tsdtest.native_exchange(self.port, sock=self.sock)
                self.ok += 1
        except Exception as e:
            self.error = e

    def stop(self):
        self.running = False
        self.join(10)
        self.sock.close()


def test():
    with tsdtest.Tsd(CONF, name="workerkill") as tsd:
        workers = tsd.wait_workers(2)
        clients = [Client(tsd.port) for _ in range(CONNECTIONS)]
        assert tsdtest.wait_for(lambda: all(c.ok > 10 for c in clients), 10)
        inodes = server_side_inodes(tsd.port)
        victim = workers[0]
        held = socket_inodes(victim)
        owned = {c.local_port for c in clients if inodes.get(c.local_port) in held}
        assert 0 < len(owned) < CONNECTIONS, "connections not spread: %d" % len(owned)
        # Also a connection-per-exchange load across the kill.
        load = tsdtest.Load(tsd.port, "native", threads=2)
        time.sleep(0.2)
        t0 = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        new = tsdtest.wait_for(lambda: (lambda w: w if len(w) == 2 and victim not in w
                                        else None)(tsd.workers()), 1.0, 0.01)
        took = time.monotonic() - t0
        assert new, "no replacement within 1 s: %r" % tsd.workers()
        assert workers[1] in new
        counts = {c.local_port: c.ok for c in clients}
        time.sleep(0.5)
        ok, failed = load.stop()
        for c in clients:
            c.stop()
        failed_ports = {c.local_port for c in clients if c.error is not None}
        assert failed_ports == owned, (sorted(failed_ports), sorted(owned))
        for c in clients:
            if c.local_port not in owned:
                assert c.ok > counts[c.local_port], "a surviving connection stalled"
        # A connection-per-exchange client can lose only what was in flight
        # at the killed worker at that instant.
        assert ok > 100 and failed <= 4, (ok, failed, load.errors)
        assert tsd.answers()
        print("replaced in %.3f s; %d of %d persistent connections were the victim's, "
              "exactly those failed; per-exchange load: %d ok, %d failed"
              % (took, len(owned), CONNECTIONS, ok, failed))


tsdtest.main(test)

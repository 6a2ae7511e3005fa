"""Slow clients: a request trickled a byte at a time is cut at
request_timeout (within 10%), and a client that sends requests but never
reads is cut too, while a normal client is answered promptly throughout."""

import socket
import time

import hostile
import tsdtest
from tsdtest import native_request

REQUEST_TIMEOUT_S = 1.0
CONF = """server = { listen = [ "127.0.0.1" ]; workers = 2;
  request_timeout = %.1f; idle_timeout = 10.0; };
""" % REQUEST_TIMEOUT_S
TRICKLE_STEP_S = 0.04   # 48 bytes would take 1.9 s: longer than the deadline
# tsd's kernel send buffer grows to tcp_wmem's maximum before it stalls.
NEVER_READS_LIMIT_S = 25
PROMPT_S = hostile.PROMPT_S


def trickle(port):
    """One byte every TRICKLE_STEP_S; the time from the first byte to the close."""
    request = native_request()
    with hostile.connect(port) as s:
        t0 = time.monotonic()
        for i, byte in enumerate(request):
            try:
                s.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            # Sleep to the next step on an absolute schedule, watching for the close.
            s.settimeout(max(0.001, t0 + (i + 1) * TRICKLE_STEP_S - time.monotonic()))
            try:
                if s.recv(64) == b"":
                    break
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
        else:
            raise AssertionError("the whole trickled request was accepted")
        return time.monotonic() - t0


def check_trickle(port):
    cut_s = trickle(port)
    print("trickled request cut after %.3f s (request_timeout %.1f s)" % (cut_s, REQUEST_TIMEOUT_S))
    assert abs(cut_s - REQUEST_TIMEOUT_S) <= REQUEST_TIMEOUT_S * 0.1, \
        "cut after %.3f s, want %.1f s +- 10%%" % (cut_s, REQUEST_TIMEOUT_S)


def never_reads(port):
    """Pipeline requests and never read. tsd answers while the kernel takes
    its replies, then stops reading, and our sends stop going through: from
    then on only its write deadline can end the connection. Returns the
    seconds from the last send that went through until tsd lets go, or
    None if tsd held on."""
    batch = b"".join(native_request(i + 1) for i in range(1365))  # 64 KiB
    with socket.socket() as s:
        # Small buffers on our side, so that our sends block soon after
        # tsd stops reading.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.connect(("127.0.0.1", port))
        # One answered exchange first: the server holds the connection now.
        tsdtest.native_exchange(port, sock=s)
        assert hostile.server_holds(s)
        s.setblocking(False)
        t0 = last_progress = time.monotonic()
        sent = 0
        while time.monotonic() - t0 < NEVER_READS_LIMIT_S:
            try:
                # Whole requests only: a partial send resumes mid-batch.
                sent += s.send(batch[sent % len(batch):])
                last_progress = time.monotonic()
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
            if not hostile.server_holds(s):
                break
            time.sleep(0.01)
        else:
            return None
        now = time.monotonic()
        print("never-reading client: %d bytes of requests taken in %.3f s, "
              "let go %.3f s after the last" % (sent, last_progress - t0, now - last_progress))
        return now - last_progress


def check_never_reads(port):
    prober = hostile.Prober(port)
    prober.start()
    try:
        stalled_s = never_reads(port)
    finally:
        prober.finish(PROMPT_S)
    assert stalled_s is not None, "tsd held a client that never reads for %d s" % NEVER_READS_LIMIT_S
    # The deadline runs from tsd's last write that went through, which is
    # at most a moment after the last request it took from us.
    assert stalled_s <= REQUEST_TIMEOUT_S * 1.1 + 0.2, "let go %.3f s after the stall" % stalled_s


def test():
    with tsdtest.Tsd(CONF, name="hostile-slow") as tsd:
        workers = tsd.wait_workers(2)
        check_trickle(tsd.port)
        check_never_reads(tsd.port)
        assert tsd.workers() == workers, "a worker died"
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)

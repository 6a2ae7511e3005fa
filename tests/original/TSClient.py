#!/usr/bin/env python3
"""The report's time client, written from its description.

Connects to the server on TCP port 11932, records T1 just before sending a
message, reads the server's reply "T2<TAB>T3" (Unix milliseconds), records
T4 when the reply arrives, and prints REMOTE_TIME, LOCAL_TIME and
RTT_ESTIMATE with the report's own formulas (kept as they were, for
comparison):

    RTT         = [(T2 - T1) + (T4 - T3)] / 2
    LOCAL_TIME  = T4
    REMOTE_TIME = T3 + RTT / 2

Usage: TSClient.py HOST [PORT]
"""
import socket
import sys
import time

DEFAULT_PORT = 11932
MESSAGE = b"What time is it?\n"


def unix_ms():
    return time.time_ns() // 1_000_000


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: TSClient.py HOST [PORT]\n")
        return 2
    host = argv[1]
    port = int(argv[2]) if len(argv) == 3 else DEFAULT_PORT
    with socket.create_connection((host, port), timeout=10) as s:
        t1 = unix_ms()
        s.sendall(MESSAGE)
        reply = b""
        while b"\n" not in reply:
            chunk = s.recv(1024)
            if not chunk:
                break
            reply += chunk
        t4 = unix_ms()
    t2, t3 = (int(x) for x in reply.decode().split("\t"))
    rtt = ((t2 - t1) + (t4 - t3)) / 2
    print("REMOTE_TIME %d" % round(t3 + rtt / 2))
    print("LOCAL_TIME %d" % t4)
    print("RTT_ESTIMATE %d" % round(rtt))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

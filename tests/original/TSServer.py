#!/usr/bin/env python3
"""The report's time server, written from its description (the baseline).

Listens on TCP port 11932 (or the port given), starts a thread for every
connection it accepts, and sends "T2<TAB>T3" in Unix milliseconds: T2 when
the connection was accepted, T3 just before the send. Usage:
    TSServer.py [PORT [ADDRESS]]
"""
import socket
import sys
import threading
import time

DEFAULT_PORT = 11932
DRAIN_TIMEOUT_S = 1.0


def unix_ms():
    return time.time_ns() // 1_000_000


def serve_connection(conn, t2_ms):
    """Reply, then read what the client sent until it closes, so closing
    never resets a connection that still has unread bytes."""
    try:
        t3_ms = unix_ms()
        conn.sendall(("%d\t%d" % (t2_ms, t3_ms)).encode())
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(DRAIN_TIMEOUT_S)
        while conn.recv(1024):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main(argv):
    port = int(argv[1]) if len(argv) > 1 else DEFAULT_PORT
    address = argv[2] if len(argv) > 2 else ""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(128)
    print("The server is ready to receive", flush=True)
    while True:
        conn, _ = server.accept()
        t2_ms = unix_ms()
        threading.Thread(target=serve_connection, args=(conn, t2_ms), daemon=True).start()


if __name__ == "__main__":
    try:
        main(sys.argv)
    except KeyboardInterrupt:
        pass

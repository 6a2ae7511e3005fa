"""Loopback ports for the tests and benchmarks: one way to find a free one."""

import socket


def free_port(udp=False, ipv6_too=True):
    """A port free on 127.0.0.1 right now (TCP, or UDP when udp), and by
    default on ::1 as well, so a server may listen on both."""
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not ipv6_too:
            return port
        try:
            with socket.socket(socket.AF_INET6, kind) as s6:
                s6.bind(("::1", port))
        except OSError:
            continue
        return port
    raise AssertionError("no free port")


def port_is_free(port):
    """Can port be bound again on 127.0.0.1 (nobody listens on it)?"""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True

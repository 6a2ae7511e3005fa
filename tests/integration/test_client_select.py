"""Several servers: three at +0.25, +0.25 and +0.9 s give +0.25 s with the
third a falseticker; an unreachable server is reported and does not fail the
run; when none answers, exit 1 with a line per server; dead servers are
waited for at once, not one after another."""

import socket

import clienttest as ct
import tsdtest


def falseticker(conf):
    with ct.server(0.25) as a, ct.server(0.25) as b, ct.server(0.9) as c:
        dead = ct.closed_port()
        rc, j, err = ct.run_json(["-c", conf, ct.addr(a.port), ct.addr(b.port),
                                  ct.addr(c.port), ct.addr(dead)])
        assert rc == 0, err
        status = {s["port"]: s["status"] for s in j["servers"]}
        print("statuses:", [status[p] for p in (a.port, b.port, c.port, dead)],
              "offset %.6f s" % j["offset_s"])
        assert status == {a.port: "selected", b.port: "selected", c.port: "falseticker",
                          dead: "unreachable"}, status
        assert abs(j["offset_s"] - 0.25) < 0.002, j["offset_s"]
        assert j["survivors"] == 2
        bad = [s for s in j["servers"] if s["port"] == dead][0]
        assert "refused" in bad["reason"], bad

        rc, out, err = ct.run(["-c", conf, ct.addr(a.port), ct.addr(c.port)])
        assert rc == 1 and out == "", "two that disagree: exit %d\n%s" % (rc, out)
        assert err.count("falseticker") == 2, err


def none_answers(conf):
    ports = [ct.closed_port(), ct.closed_port()]
    rc, out, err = ct.run(["-c", conf] + [ct.addr(p) for p in ports])
    assert rc == 1 and out == "", "exit %d, stdout %r" % (rc, out)
    lines = err.splitlines()
    assert len(lines) == 2, err
    for p, line in zip(ports, lines):
        assert "port %d: unreachable: cannot connect: Connection refused" % p in line, line


def dead_servers_at_once(conf):
    """Three servers that accept the connection and never answer, each with a
    1 s timeout: measured side by side they cost about 1 s, not 3."""
    socks = []
    for _ in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        socks.append(s)
    try:
        (rc, out, err), took = ct.elapsed(lambda: ct.run(
            ["-c", conf] + [ct.addr(s.getsockname()[1]) for s in socks]))
    finally:
        for s in socks:
            s.close()
    print("three silent servers: exit %d after %.2f s" % (rc, took))
    assert rc == 1 and err.count("no reply within the timeout") == 3, err
    assert took < 2.5, "took %.2f s" % took


def main():
    with ct.tempdir() as d:
        conf = ct.client_conf(d)
        falseticker(conf)
        none_answers(conf)
        dead_servers_at_once(ct.client_conf(d, timeout_s=1.0))


if __name__ == "__main__":
    tsdtest.main(main)

"""Loop detection (RFC 5905: a source whose reference ID is one of this
server's addresses follows us). Each tsd listens on an address of its own
besides 127.0.0.1: U (a sim clock at +0.25 s) on 127.0.0.3, B on 127.0.0.4,
A on 127.0.0.2. B follows U and A; A follows B. So A serves B's address
127.0.0.4 as its reference ID, and B must see that A follows it: A is
reported as "loop" by tsdctl sources and the metrics, and never used, while
B serves U's time at stratum 2 and A at stratum 3. The exchange's own local
address (127.0.0.1 on lo) is not B's 127.0.0.4: only the check against all
of the server's addresses finds this loop."""

import ports
import synctest
import tsdtest
import udpchrony

U_ADDR, A_ADDR, B_ADDR = "127.0.0.3", "127.0.0.2", "127.0.0.4"


def src(addr, port):
    return '{ address = "%s:%d"; protocol = "udp"; }' % (addr, port)


def tsd(addr, port, sources, clock=synctest.FOLLOWER_CLOCK):
    conf = clock + "\n"
    if sources:
        conf += synctest.sync_group(sources)
    return udpchrony.TsdUdp(conf=conf, listen='"127.0.0.1", "%s"' % addr, udp_port=port)


def source_named(tsd_, address):
    for s in tsd_.tsd.ctl_json("sources")["sources"]:
        if s["address"] == address:
            return s
    return None


def state_of(tsd_, address):
    s = source_named(tsd_, address)
    return s["state"] if s else None


def main():
    u_port, a_port, b_port = (ports.free_port(udp=True, ipv6_too=False) for _ in range(3))
    up = tsd(U_ADDR, u_port, [], clock='clock = { plugin = "sim"; offset = %r; };'
             % synctest.UPSTREAM_OFFSET_S)
    b = tsd(B_ADDR, b_port, [src(U_ADDR, u_port), src(A_ADDR, a_port)])
    a = tsd(A_ADDR, a_port, [src(B_ADDR, b_port)])
    a_name, u_name = "%s:%d" % (A_ADDR, a_port), "%s:%d" % (U_ADDR, u_port)
    with up, b, a:
        synctest.wait_synced(b, up, stratum=2, timeout_s=40)
        synctest.wait_synced(a, up, stratum=3, timeout_s=40)
        assert tsdtest.wait_for(lambda: state_of(b, a_name) == "loop",
                                20 * tsdtest.slow_factor(), 0.2), \
            (b.tsd.ctl_json("sources"), b.log())
        # Loop found: A answers (reach), is never selected, and B keeps U.
        for _ in range(6):
            sa, su = source_named(b, a_name), source_named(b, u_name)
            assert sa["state"] == "loop" and not sa["selected"], sa
            assert sa["stratum"] == 3 and sa["refid"] == B_ADDR, sa
            assert int(sa["reach"], 8) & 1 and sa["replies"] >= 1, sa
            assert su["state"] == "selected", su
            sy = b.tsd.ctl_json("status")["sync"]["system"]
            assert sy["stratum"] == 2 and sy["refid"] == U_ADDR, sy
            synctest.error_s(b.tsd.port, up.tsd.port)
            tsdtest.wait_for(lambda: False, 0.5)
        rc, out, _ = b.tsd.ctl("sources")
        row = [line for line in out.splitlines() if a_name in line]
        assert rc == 0 and len(row) == 1 and row[0].startswith("L ") and \
            row[0].endswith("loop"), out
        assert synctest.log_count(b, r"source %s \(udp\) not usable: .*a loop" % a_name) >= 1, \
            b.log()
        # A follows B, and B is not a loop for A.
        sb = source_named(a, "%s:%d" % (B_ADDR, b_port))
        assert sb["state"] == "selected" and sb["stratum"] == 2 and sb["refid"] == U_ADDR, sb
        assert abs(synctest.error_s(a.tsd.port, up.tsd.port)[0]) < 0.002
    print("ok")


if __name__ == "__main__":
    main()

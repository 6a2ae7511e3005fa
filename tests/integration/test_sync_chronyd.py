"""The sync engine and chronyd, both ways: `chronyd -x -Q` against a tsd at
stratum 2 (following A, a tsd at +0.25 s) reads A's time; and a tsd follows
a `chronyd -x` server (local stratum 5, serving this machine's clock) over
UDP, serving its time at stratum 6."""

import synctest
import tsdtest
import udpchrony

BOUND_S = 0.001


def chronyd_reads_stratum2():
    with synctest.upstream() as up:
        with synctest.follower([synctest.source(up)]) as fol:
            synctest.wait_synced(fol, up, BOUND_S)
            offset, out = udpchrony.chronyd_query(fol.udp_port)
            assert offset is not None, out
            # chronyd prints how wrong its clock is: the server is 0.25 s
            # ahead of this machine's clock.
            assert abs(abs(offset) - synctest.UPSTREAM_OFFSET_S) < 0.005, out
            print("chronyd -x -Q against the stratum-2 tsd: clock wrong by %+.6f s" % offset)


def follows_chronyd():
    with udpchrony.ChronyServer(extra=["local stratum 5"], local=False) as chrony:
        src = '{ address = "127.0.0.1:%d"; protocol = "udp"; }' % chrony.port
        with synctest.follower([src]) as fol:
            def close():
                off, reply = synctest.served_offset_ns(fol.tsd.port)
                return abs(off) < BOUND_S * 1e9 and reply["stratum"] == 6
            ok = tsdtest.wait_for(close, 30.0 * tsdtest.slow_factor(), 0.2)
            off, reply = synctest.served_offset_ns(fol.tsd.port)
            assert ok, "offset %r reply %r\n%s" % (off, reply, fol.log())
            print("tsd following chronyd (stratum 5): stratum %d, served offset %+.1f us"
                  % (reply["stratum"], off / 1e3))


def test():
    udpchrony.need_chronyd()
    chronyd_reads_stratum2()
    follows_chronyd()


if __name__ == "__main__":
    tsdtest.main(test)

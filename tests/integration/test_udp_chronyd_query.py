"""chronyd (-x -Q: measure once, print, touch nothing) queries tsd over UDP.
tsd serves a sim clock half a second ahead; chronyd must see exactly that."""

import sys

import udpchrony

OFFSET_S = 0.5
TOLERANCE_S = 0.005


def main():
    udpchrony.need_chronyd()
    with udpchrony.TsdUdp(conf='clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S) as tsd:
        offset, out = udpchrony.chronyd_query(tsd.udp_port)
        assert offset is not None, "chronyd -Q printed no offset:\n" + out
        print("chronyd -Q: tsd's clock is ahead by %.6f s" % offset)
        assert abs(offset - OFFSET_S) < TOLERANCE_S, \
            "chronyd measured %.6f s, the sim clock is at %.1f s:\n%s" % (offset, OFFSET_S, out)
        tsd.stop()
        c = tsd.counters()
        assert c["served"] >= 4, "chronyd's requests were not counted: %s" % c
        assert c["dropped"] == 0 and c["limited"] == 0 and c["kod"] == 0, c
    return 0


if __name__ == "__main__":
    sys.exit(main())

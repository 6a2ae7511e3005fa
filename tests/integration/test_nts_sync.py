"""The sync engine follows an upstream over NTS (sync source protocol =
"nts"): A is a tsd with NTS and a sim clock at +0.25 s; B, whose own sim
clock is 0.3 s slow, makes key exchanges with A (trusting A's certificate
through client.nts.ca_file) and serves A's time within 1 ms at stratum 2.
A's statistics show the authenticated replies it sent."""

import sys

import ntstest
import synctest

BOUND_S = 0.001


def main():
    with ntstest.TsdNts(conf='clock = { plugin = "sim"; offset = 0.25; };') as up:
        source = '{ address = "127.0.0.1:%d"; protocol = "nts"; }' % up.ke_port
        clock = synctest.FOLLOWER_CLOCK + '\nclient = { nts = { ca_file = "%s"; }; };' % up.cert
        with synctest.follower([source], clock=clock) as fol:
            err = synctest.wait_synced(fol, up, BOUND_S)
            print("following over NTS: error %+.1f us" % (err * 1e6))
            st = up.stats()
            assert st["ke_served"] >= 1 and st["udp_served"] >= 1, st
            assert st["udp_nak"] == 0 and st["udp_auth_failed"] == 0, st
            assert "(nts)" in fol.log(), fol.log()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The sync engine follows an upstream over NTS (sync source protocols
"nts" and "nts-tcp"): A is a tsd with NTS and a sim clock at +0.25 s; B,
whose own sim clock is 0.3 s slow, makes key exchanges with A (trusting
A's certificate through client.nts.ca_file) and serves A's time within
1 ms at stratum 2. Each source keeps its cookies from poll to poll: after
several polls over UDP and over TCP, A has made exactly one key exchange
per source, and B logged each once. A restarted A (new master keys) NAKs
the cookies B holds, and each source makes its second key exchange in the
same poll."""

import sys

import ntstest
import synctest

BOUND_S = 0.001
POLLS = 5                       # polls per source to wait for, each 4 exchanges


def main():
    with ntstest.TsdNts(conf='clock = { plugin = "sim"; offset = 0.25; };') as up:
        sources = ['{ address = "127.0.0.1:%d"; protocol = "%s"; }' % (up.ke_port, p)
                   for p in ("nts", "nts-tcp")]
        clock = synctest.FOLLOWER_CLOCK + '\nclient = { nts = { ca_file = "%s"; }; };' % up.cert
        with synctest.follower(sources, clock=clock) as fol:
            err = synctest.wait_synced(fol, up, BOUND_S)
            print("following over NTS: error %+.1f us" % (err * 1e6))
            assert ntstest.wait_until(
                lambda: min(up.stats()["udp_served"], up.stats()["tcp_served"]) >= 4 * POLLS, 30.0)
            st = up.stats()
            print("upstream: %s" % st)
            assert st["ke_served"] == 2, st
            assert st["udp_nak"] == 0 and st["udp_auth_failed"] == 0, st
            assert "(nts)" in fol.log() and "(nts-tcp)" in fol.log(), fol.log()
            kx = [l for l in fol.log().splitlines() if "NTS key exchange" in l]
            assert len(kx) == 2 and all("key exchange 1 " in l for l in kx), kx
            up.stop()
            up.start()
            assert ntstest.wait_until(
                lambda: fol.log().count("key exchange 2 after an NTS NAK") == 2, 30.0), fol.log()
            assert ntstest.wait_until(lambda: up.stats()["tcp_served"] >= 4, 10.0)
            st = up.stats()
            assert st["ke_served"] == 2 and st["udp_nak"] == 2, st
    return 0


if __name__ == "__main__":
    sys.exit(main())

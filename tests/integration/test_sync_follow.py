"""The sync engine follows an upstream: A is a tsd with a sim clock at
+0.25 s; B has its own sim clock 0.3 s slow and 100 ppm fast and follows A
over UDP, then over TCP. B serves A's time within 1 ms on TCP, the text
protocol and UDP, at stratum 2 with reference ID 127.0.0.1 (A's address),
root delay and dispersion, and learns the -100 ppm in its drift file. A
pure client (no listeners) keeps its clock synchronised too."""

import os
import struct
import time

import synctest
import ntpcodec
import tsdtest
import udpchrony

BOUND_S = 0.001
# Held within this once synchronised: the test's own loopback readings of
# two servers on a loaded machine wobble by hundreds of microseconds.
HOLD_S = 0.005


def check_udp_reply(fol, up):
    reply = udpchrony.exchange(fol.udp_port, udpchrony.ntp_packet(), timeout=1.0)
    assert reply is not None, "no UDP reply from the follower"
    fields = struct.unpack("!BBbbII4sQQQQ", reply[:48])
    stratum, root_delay, root_disp, refid = fields[1], fields[4], fields[5], fields[6]
    assert fields[0] >> 6 == 0 and stratum == 2, fields
    assert refid == b"\x7f\x00\x00\x01", refid
    assert root_delay > 0 and root_disp > 0, fields
    # The reference time is the last update: in the past, within seconds.
    ref_ns = ntpcodec.ntp_to_ns(fields[7])
    rx_ns = ntpcodec.ntp_to_ns(fields[9])
    assert 0 <= rx_ns - ref_ns < 10e9, (ref_ns, rx_ns)
    print("UDP: stratum %d refid %s root delay %.0f us root dispersion %.0f us"
          % (stratum, ".".join(str(b) for b in refid), root_delay * 1e6 / 65536,
             root_disp * 1e6 / 65536))


def check_text(fol, up):
    t2_ms, _ = tsdtest.text_exchange(fol.tsd.port)
    a_ms, _ = tsdtest.text_exchange(up.tsd.port)
    # Both are the true time + 0.25 s, read a few ms apart.
    assert abs(t2_ms - a_ms) < 50, (t2_ms, a_ms)


def follow(protocol):
    with synctest.upstream() as up:
        drift = os.path.join(up.tsd.dir, "drift-%s" % protocol)
        with synctest.follower([synctest.source(up, protocol)],
                               extra='drift_file = "%s";' % drift) as fol:
            first = synctest.wait_synced(fol, up, BOUND_S)
            worst = synctest.hold_within(fol, up, HOLD_S, 6.0)
            _, reply = synctest.error_s(fol.tsd.port, up.tsd.port)
            assert reply["refid"] == b"\x7f\x00\x00\x01", reply
            check_udp_reply(fol, up)
            check_text(fol, up)
            # Stepped once at the start, slewed after that.
            assert synctest.log_count(fol, "stepped the served time") == 1, fol.log()
            assert tsdtest.wait_for(lambda: os.path.exists(drift), 10.0), fol.log()
            ppm = synctest.read_drift_ppm(drift)
            assert abs(ppm + 100) < 5, ppm
            print("%s: synchronised (error %+.1f us), worst %.1f us over 6 s, "
                  "drift file %+.3f ppm" % (protocol, first * 1e6, worst * 1e6, ppm))


def pure_client():
    with synctest.upstream() as up:
        drift = os.path.join(up.tsd.dir, "drift-client")
        conf = "%s\nserver = { listen = [ ]; workers = 1; };\n%s\n" % (
            synctest.FOLLOWER_CLOCK,
            synctest.sync_group([synctest.source(up)], 'drift_file = "%s";' % drift))
        with tsdtest.Tsd(conf, start=False, name="client") as cl:
            cl.start(wait_s=0)
            ok = tsdtest.wait_for(lambda: "synchronised to" in cl.log() and
                                  os.path.exists(drift), 20.0 * tsdtest.slow_factor())
            assert ok, cl.log()
            assert tsdtest.wait_for(lambda: abs(synctest.read_drift_ppm(drift) + 100) < 5,
                                    20.0), cl.log()
            assert cl.proc.poll() is None, cl.log()
            print("pure client: synchronised, drift file %+.3f ppm"
                  % synctest.read_drift_ppm(drift))


def test():
    follow("udp")
    follow("tcp")
    pure_client()


if __name__ == "__main__":
    tsdtest.main(test)

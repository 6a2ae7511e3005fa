"""NTS both ways with chronyd 4.3 (always -x): chronyd as an NTS client of
tsd reads tsd's sim clock through authenticated NTP only, and tsclient
--nts measures chronyd as an NTS server (and --nts --tcp says chronyd
offers no NTS over TCP). Skipped without chronyd."""

import json
import shutil
import sys
import tempfile

import ntstest
import udpchrony

OFFSET_S = 0.5
TOLERANCE_S = 0.005


def chronyd_reads_tsd():
    with ntstest.TsdNts(conf='clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S) as t:
        offset, out = ntstest.chronyd_nts_query(t.ke_port, t.cert)
        assert offset is not None, "chronyd (NTS) printed no offset:\n" + out + t.tsd.log()
        print("chronyd over NTS: tsd's clock is ahead by %.6f s" % offset)
        assert abs(offset - OFFSET_S) < TOLERANCE_S, out
        st = t.stats()
        print("tsd's NTS statistics:", st)
        assert st["ke_served"] >= 1 and st["udp_served"] >= 1, st
        assert st["udp_nak"] == 0 and st["udp_bad"] == 0 and st["udp_auth_failed"] == 0, st
        assert st["ke_tls_failed"] == 0 and st["ke_bad_request"] == 0, st


def tsclient_reads_chronyd():
    tmp = tempfile.mkdtemp(prefix="tsd-nts-chrony-")
    try:
        cert, key = ntstest.make_cert(tmp)
        with ntstest.chrony_nts_server(cert, key) as srv:
            assert ntstest.wait_until(lambda: ntstest.ke_port_open(srv.ke_port), 10.0), \
                srv.read_log()
            p = ntstest.tsclient_nts("127.0.0.1:%d" % srv.ke_port,
                                     ntstest.client_conf(tmp, ca_file=cert), "--json")
            assert p.returncode == 0, p.stdout + p.stderr + srv.read_log()
            report = json.loads(p.stdout)
            s = report["servers"][0]
            print("tsclient --nts against chronyd: offset %.6f s, %s" % (report["offset_s"], s["nts"]))
            assert s["authenticated"] is True and s["nts"]["aead"] == "AES-SIV-CMAC-256", s
            assert s["nts"]["ntp_port"] == srv.port, (s, srv.port)
            assert abs(report["offset_s"]) < 0.001, report
            # Trusting another certificate: no time, exit 1, the reason.
            other, _ = ntstest.make_cert(tmp, name="other")
            p = ntstest.tsclient_nts("127.0.0.1:%d" % srv.ke_port,
                                     ntstest.client_conf(tmp, ca_file=other))
            assert p.returncode == 1 and p.stdout == "", (p.returncode, p.stdout)
            assert "not trusted" in p.stderr, p.stderr
            # chronyd ignores tsd's private record (not critical): it
            # offers no NTS over TCP, and --tcp says so.
            p = ntstest.tsclient_nts("127.0.0.1:%d" % srv.ke_port,
                                     ntstest.client_conf(tmp, ca_file=cert), "--tcp")
            assert p.returncode == 1 and p.stdout == "", (p.returncode, p.stdout)
            assert "offers no NTS over TCP" in p.stderr, p.stderr + srv.read_log()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    udpchrony.need_chronyd()
    chronyd_reads_tsd()
    tsclient_reads_chronyd()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""tsclient --nts against tsd: the sim clock's offset through authenticated
NTP; master keys rotated into a key file (mode 0600) that a second server
(rotate = 0) reads at start, on reload and whenever the file changes, so it
opens the first one's cookies, those of keys rotated in since too; a cookie whose
key has rotated out, or from another server, gets an NTS NAK; a reload
serves a renewed certificate without dropping a key exchange in progress."""

import json
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile

import ntstest
import udpchrony

OFFSET_S = 0.5


def measure(t, ca_file, *extra):
    return ntstest.tsclient_nts("127.0.0.1:%d" % t.ke_port,
                                ntstest.client_conf(t.dir, ca_file=ca_file), *extra)


def cookies_of(records):
    return [body for _, rtype, body in records if rtype == 5]


def udp_reply(port, pkt):
    return udpchrony.exchange(port, pkt, timeout=1.0)


def is_nak(reply, uid):
    return reply is not None and reply[1] == 0 and reply[12:16] == b"NTSN" and uid in reply


def offset_and_auth():
    with ntstest.TsdNts(conf='clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S) as t:
        p = measure(t, t.cert, "--json", "-n", "8")
        assert p.returncode == 0, p.stdout + p.stderr + t.tsd.log()
        report = json.loads(p.stdout)
        s = report["servers"][0]
        print("tsclient --nts: offset %.6f s, %d samples, %s" % (report["offset_s"], s["samples"], s["nts"]))
        assert abs(report["offset_s"] - OFFSET_S) < 0.005, report
        assert s["authenticated"] and s["nts"]["ntp_port"] == t.udp_port, s
        assert s["samples"] == 8 and s["bad_replies"] == 0, s
        p = measure(t, t.cert, "-v")
        assert "authenticated: NTS, AEAD AES-SIV-CMAC-256" in p.stdout, p.stdout
        st = t.stats()
        assert st["ke_served"] == 2 and st["udp_served"] >= 12, st


def reload_count(t):
    return t.tsd.log().count("configuration reloaded")


def key_file_and_rotation():
    tmp = tempfile.mkdtemp(prefix="tsd-nts-keys-")
    keys = os.path.join(tmp, "nts-keys")
    try:
        with ntstest.TsdNts(nts='rotate = 2; key_file = "%s";' % keys) as a:
            assert ntstest.wait_until(lambda: os.path.exists(keys), 5.0)
            mode = stat.S_IMODE(os.stat(keys).st_mode)
            assert mode == 0o600, oct(mode)
            old_cookie = cookies_of(ntstest.key_exchange(a.ke_port, a.cert))[0]
            # The follower shares the leader's certificate and reads its keys
            # at start and on each reload.
            with ntstest.TsdNts(nts='rotate = 0; key_file = "%s";' % keys,
                                cert=(a.cert, a.key)) as b:
                fresh = cookies_of(ntstest.key_exchange(a.ke_port, a.cert))[0]
                before = reload_count(b)
                b.tsd.signal(signal.SIGHUP)
                assert ntstest.wait_until(lambda: reload_count(b) > before, 10.0), b.tsd.log()
                pkt, uid = ntstest.nts_request(fresh)
                # b opens a's cookie: the bogus authenticator is what fails.
                assert udp_reply(b.udp_port, pkt) is None, b.tsd.log()
                assert ntstest.wait_until(lambda: b.stats()["udp_auth_failed"] == 1, 5.0), b.stats()
                assert b.stats()["udp_nak"] == 0
                with ntstest.TsdNts() as other:
                    pkt, uid = ntstest.nts_request(fresh)
                    assert is_nak(udp_reply(other.udp_port, pkt), uid)
                    assert other.stats()["udp_nak"] == 1
                # Without a reload, b takes the keys a rotates into the
                # file: a cookie under a's newest key opens on b.
                rotations = a.tsd.log().count("rotated the cookie master key")
                assert ntstest.wait_until(
                    lambda: a.tsd.log().count("rotated the cookie master key") > rotations, 10.0)
                newest = cookies_of(ntstest.key_exchange(a.ke_port, a.cert))[0]

                def opens_on_b():
                    pkt, uid = ntstest.nts_request(newest)
                    return not is_nak(udp_reply(b.udp_port, pkt), uid)
                assert ntstest.wait_until(opens_on_b, 5.0), b.tsd.log()
                assert "took the cookie master keys" in b.tsd.log(), b.tsd.log()
                assert ntstest.wait_until(lambda: b.stats()["udp_auth_failed"] == 2, 5.0), b.stats()
            # Once its key has rotated out of the file (and the ring), the
            # first cookie gets a NAK.
            key_id = old_cookie[:4].hex()
            assert ntstest.wait_until(lambda: key_id not in open(keys).read(), 30.0), \
                open(keys).read()
            pkt, uid = ntstest.nts_request(old_cookie)
            assert is_nak(udp_reply(a.udp_port, pkt), uid), a.tsd.log()
            p = measure(a, a.cert)
            assert p.returncode == 0, p.stderr
            assert "rotated the cookie master key" in a.tsd.log()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def reload_renews_certificate():
    with ntstest.TsdNts() as t:
        # A key exchange in progress: TLS done, request not yet sent.
        ctx = ntstest.ke_context(t.cert)
        raw = socket.create_connection(("127.0.0.1", t.ke_port), timeout=5)
        tls = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        old = open(t.cert).read()
        new_cert, new_key = ntstest.make_cert(t.dir, name="renewed", cn="renewed.test")
        shutil.copy(new_cert, t.cert)
        shutil.copy(new_key, t.key)
        t.tsd.signal(signal.SIGHUP)
        assert ntstest.wait_until(lambda: "configuration reloaded" in t.tsd.log(), 10.0), t.tsd.log()
        tls.sendall(ntstest.GOOD_REQUEST)
        data = tls.recv(4096)
        assert len(cookies_of(ntstest.parse_records(data))) >= 1, data
        tls.close()
        # New sessions get the renewed certificate: the old one no longer verifies.
        with open(os.path.join(t.dir, "old.pem"), "w") as f:
            f.write(old)
        p = measure(t, os.path.join(t.dir, "old.pem"))
        assert p.returncode == 1 and "not trusted" in p.stderr, p.stderr
        p = measure(t, t.cert)
        assert p.returncode == 0, p.stderr
        # A reload with a broken key keeps the running certificate.
        with open(t.key, "w") as f:
            f.write("not a key\n")
        t.tsd.signal(signal.SIGHUP)
        assert ntstest.wait_until(lambda: "reload failed" in t.tsd.log(), 10.0), t.tsd.log()
        assert measure(t, t.cert).returncode == 0


def main():
    offset_and_auth()
    key_file_and_rotation()
    reload_renews_certificate()
    return 0


if __name__ == "__main__":
    sys.exit(main())

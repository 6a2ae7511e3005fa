"""tsclient --nts through a man in the middle (ntsmitm.py), over UDP and
over tsd's TCP protocol: a relay that passes everything gives the time;
one that tampers with the replies' timestamps, replays an earlier reply,
changes the unique identifier, strips the authentication (a plain NTP
reply), or puts a cookie from another server into the requests is refused
each time: exit status 1, the reason on stderr, and no time printed."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

import ntsmitm
import ntstest

OFFSET_S = 0.5


def client_conf(directory, ca_file):
    path = os.path.join(directory, "mitm-client.conf")
    with open(path, "w") as f:
        f.write('plugin_dir = "%s";\nclient = { samples = 4; timeout = 2.0; '
                'nts = { ca_file = "%s"; }; };\n' % (os.environ["PLUGIN_DIR"], ca_file))
    return path


def tsclient(t, conf, tcp):
    args = [os.environ["TSCLIENT"], "-c", conf, "--nts", "%s:%d" % (ntsmitm.MITM_HOST, t.ke_port)]
    return subprocess.run(args + (["--tcp"] if tcp else []), capture_output=True, text=True,
                          timeout=30)


def tamper_timestamp(pkt):
    """The server's transmit timestamp one second later."""
    if len(pkt) <= 48:
        return pkt
    secs = struct.unpack(">I", pkt[40:44])[0]
    return pkt[:40] + struct.pack(">I", secs + 1) + pkt[44:]


def wrong_uid(pkt):
    for pos, ftype, _ in ntsmitm.fields(pkt):
        if ftype == 0x0104:
            return pkt[:pos + 4] + bytes([pkt[pos + 4] ^ 1]) + pkt[pos + 5:]
    return pkt


def strip_nts(pkt):
    return pkt[:48]


class Replay:
    """The first reply is held back; every later request gets it instead of
    its own, so no reply the client sees answers its request."""

    def __init__(self):
        self.first = None

    def __call__(self, pkt):
        if self.first is None:
            self.first = pkt
            return None
        return self.first


class OtherCookie:
    """Requests carry a cookie of another tsd in place of their own."""

    def __init__(self, cookie):
        self.cookie = cookie

    def __call__(self, pkt):
        for pos, ftype, flen in ntsmitm.fields(pkt):
            if ftype == 0x0204 and flen - 4 == len(self.cookie):
                return pkt[:pos + 4] + self.cookie + pkt[pos + flen:]
        return pkt


def refused(t, mitm, conf, tcp, name, expect, **hooks):
    mitm.use(**hooks)
    p = tsclient(t, conf, tcp)
    what = "%s over %s" % (name, "TCP" if tcp else "UDP")
    print("%-32s exit %d: %s" % (what, p.returncode,
                                 [l for l in p.stderr.splitlines() if ntsmitm.MITM_HOST in l][:1]))
    assert p.returncode == 1, (what, p.stdout, p.stderr)
    assert "REMOTE_TIME" not in p.stdout and p.stdout.strip() == "", (what, p.stdout)
    assert expect in p.stderr, (what, expect, p.stderr)
    assert mitm.replies_seen > 0, what


def main():
    tmp = tempfile.mkdtemp(prefix="tsd-nts-mitm-")
    try:
        run(ntstest.make_cert(tmp, more_ips=(ntsmitm.MITM_HOST,)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def run(cert):
    with ntstest.TsdNts(conf='clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S,
                        cert=cert) as t:
        conf = client_conf(t.dir, t.cert)
        with ntstest.TsdNts() as other:
            other_cookie = [r[2] for r in ntstest.key_exchange(other.ke_port, other.cert)
                            if r[1] == 5][0]
        with ntsmitm.Relay(t) as mitm:
            for tcp in (False, True):
                attacks(t, mitm, conf, tcp, other_cookie)


def attacks(t, mitm, conf, tcp, other_cookie):
    mitm.use()
    p = tsclient(t, conf, tcp)
    assert p.returncode == 0 and "REMOTE_TIME" in p.stdout, p.stdout + p.stderr
    assert mitm.replies_seen >= 4
    failed = "failed NTS authentication, none passed"
    refused(t, mitm, conf, tcp, "tampered T3", failed, on_reply=tamper_timestamp)
    refused(t, mitm, conf, tcp, "replayed reply", failed, on_reply=Replay())
    refused(t, mitm, conf, tcp, "wrong unique identifier", failed, on_reply=wrong_uid)
    refused(t, mitm, conf, tcp, "authentication stripped", failed, on_reply=strip_nts)
    refused(t, mitm, conf, tcp, "another server's cookie",
            "sent an NTS NAK: it cannot open our cookie",
            on_request=OtherCookie(other_cookie))


if __name__ == "__main__":
    sys.exit(main())

"""NTS for the tests: a test certificate (openssl), tsd serving NTS-KE and
NTS-protected NTP on free loopback ports, chronyd as an NTS client or
server (always -x), and the daemon's NTS statistics."""

import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile

import ports
import tsdtest
import udpchrony


def need_openssl():
    if shutil.which("openssl") is None:
        print("SKIP: openssl is needed to make a test certificate")
        sys.exit(77)


def make_cert(directory, name="server", cn="nts.test", more_ips=()):
    """A P-256 self-signed certificate for localhost, 127.0.0.1 and
    more_ips: (cert path, key path)."""
    need_openssl()
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + "-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                    "-keyout", key, "-out", cert, "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1" +
                    "".join(",IP:" + ip for ip in more_ips)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class TsdNts:
    """tsd with NTS-KE on a free TCP port and NTP on a free UDP port, with
    its own certificate (self.cert, self.key) unless given."""

    def __init__(self, conf="", nts="", server="", workers=2, cert=None, start=True):
        self.dir = tempfile.mkdtemp(prefix="tsd-nts-")
        if cert is None:
            cert = make_cert(self.dir)
        self.cert, self.key = cert
        self.udp_port = ports.free_port(udp=True, ipv6_too=False)
        self.ke_port = ports.free_port()
        self.extra_conf = conf
        self.nts = nts
        self.server = server
        self.workers = workers
        self.tsd = tsdtest.Tsd(self.conf_text(), start=False, name="nts")
        if start:
            self.start()

    def conf_text(self):
        return ('%s\nserver = { listen = [ "127.0.0.1" ]; workers = %d; %s\n'
                '  udp = { enable = true; port = %d; };\n'
                '  nts = { enable = true; port = %d; certificate = "%s"; key = "%s"; %s };\n'
                '};\n' % (self.extra_conf, self.workers, self.server, self.udp_port,
                          self.ke_port, self.cert, self.key, self.nts))

    def start(self):
        self.tsd.start()
        if not tsdtest.wait_for(lambda: ke_port_open(self.ke_port), 5.0 * tsdtest.slow_factor()):
            self.tsd.kill()
            raise AssertionError("tsd did not listen for NTS-KE:\n" + self.tsd.log())
        return self

    def stats(self):
        """The NTS statistics now (SIGUSR2 makes the master log them)."""
        before = self.tsd.log().count("statistics: nts-udp")
        self.tsd.signal(signal.SIGUSR2)
        tsdtest.wait_for(lambda: self.tsd.log().count("statistics: nts-udp") > before, 5.0)
        return parse_stats(self.tsd.log())

    def stop(self):
        return self.tsd.stop()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            return self.tsd.__exit__(exc_type, exc, tb)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def parse_stats(log):
    """The last statistics lines of NTS as {"ke_served": N, ...}."""
    out = {}
    for prefix, line_re in (("ke_", r"statistics: nts-ke (.*)"), ("udp_", r"statistics: nts-udp (.*)"),
                            ("tcp_", r"statistics: nts-tcp (.*)")):
        lines = re.findall(line_re, log)
        if not lines:
            continue
        for name, value in re.findall(r"([a-z_]+) (\d+)", lines[-1]):
            out[prefix + name] = int(value)
    return out


def ke_port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


# ---- NTS-KE from Python's ssl (TLS 1.3 and ALPN; no exporter, so no keys) ----

def ke_context(cafile, alpn=("ntske/1",), tls13=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if tls13:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def record(rtype, body=b"", critical=True):
    return struct.pack(">HH", rtype | (0x8000 if critical else 0), len(body)) + body


GOOD_REQUEST = record(1, b"\x00\x00") + record(4, b"\x00\x0f") + record(0)


def parse_records(data):
    """[(critical, type, body)] of one message, up to End of Message."""
    out, pos = [], 0
    while pos + 4 <= len(data):
        t, n = struct.unpack(">HH", data[pos:pos + 4])
        out.append((bool(t & 0x8000), t & 0x7fff, data[pos + 4:pos + 4 + n]))
        pos += 4 + n
        if t & 0x7fff == 0:
            break
    return out


def key_exchange(port, cafile, request=GOOD_REQUEST, timeout=5.0):
    """Send request over TLS 1.3 (ntske/1); the response's records."""
    ctx = ke_context(cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() == "TLSv1.3", tls.version()
            assert tls.selected_alpn_protocol() == "ntske/1"
            tls.sendall(request)
            data = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
                if any(t == 0 for _, t, _ in parse_records(data)):
                    break
    return parse_records(data)


# ---- NTP packets with NTS fields (no crypto: what a server must refuse) ----

def ef(ftype, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack(">HH", ftype, 4 + len(body)) + body


def nts_request(cookie, uid=None, placeholders=0, auth=None):
    """A request with a (possibly bogus) authenticator: header, UID,
    cookie, placeholders, authenticator with a 16-byte nonce."""
    uid = uid or os.urandom(32)
    header = udpchrony.ntp_packet()
    fields = ef(0x0104, uid) + ef(0x0204, cookie)
    fields += b"".join(ef(0x0304, bytes(len(cookie))) for _ in range(placeholders))
    if auth is None:
        auth = struct.pack(">HH", 16, 16) + os.urandom(16) + os.urandom(16)
    return header + fields + ef(0x0404, auth), uid


# ---- chronyd ----

def chronyd_nts_query(ke_port, cafile, timeout_s=20):
    """chronyd -x -Q as an NTS client: (offset_s or None, output)."""
    server = "server 127.0.0.1 nts ntsport %d iburst minpoll -6 maxpoll -6 maxsamples 4" % ke_port
    return udpchrony.chronyd_query(None, timeout_s, server,
                                   ["ntstrustedcerts %s" % cafile, "nosystemcert",
                                    "ntsdumpdir {tmp}"])


def chrony_nts_server(cert, key):
    """chronyd -x serving NTS (ntsport a free port) beside NTP; .ke_port."""
    ke_port = ports.free_port()
    dump = tempfile.mkdtemp(prefix="tsd-chrony-nts-")
    srv = udpchrony.ChronyServer(extra=["ntsport %d" % ke_port, "ntsserverkey %s" % key,
                                        "ntsservercert %s" % cert, "ntsdumpdir %s" % dump])
    srv.ke_port = ke_port
    srv.dump = dump
    return srv


def tsclient_nts(server, conf_path, *extra, timeout=30):
    return subprocess.run([os.environ["TSCLIENT"], "-c", conf_path, "--nts", server] +
                          list(extra), capture_output=True, text=True, timeout=timeout)


def client_conf(directory, ca_file=None, clock='clock = { plugin = "realtime"; };'):
    path = os.path.join(directory, "client.conf")
    with open(path, "w") as f:
        f.write('plugin_dir = "%s";\n%s\nclient = { samples = 4; timeout = 5.0; %s };\n'
                % (os.environ["PLUGIN_DIR"], clock,
                   'nts = { ca_file = "%s"; };' % ca_file if ca_file else ""))
    return path


def wait_until(cond, timeout_s):
    return tsdtest.wait_for(cond, timeout_s * tsdtest.slow_factor())


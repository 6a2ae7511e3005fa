"""A kernel clock that nothing disciplines is served as unsynchronised (leap 3,
stratum 16) by the realtime and tai plugins, unless `local_stratum` declares
it a reference; tsclient then says what that means and what to do.

The kernel's state is read (adjtimex with modes = 0, which changes nothing);
where this machine's clock is synchronised, only the local_stratum half runs.
The kernel's verdict itself is tested in tests/unit/test_clock_kernel.c."""

import ctypes
import os
import subprocess

import tsdtest

TIME_ERROR = 5
STA_UNSYNC = 0x40
STATUS_OFFSET = 40     # struct timex: modes (4 + 4 padding), 4 longs, then status
TIMEX_SIZE = 256       # more than the kernel's struct timex (208 bytes)


def kernel_unsynced():
    libc = ctypes.CDLL(None, use_errno=True)
    tx = ctypes.create_string_buffer(TIMEX_SIZE)   # zeroed: modes = 0, read only
    state = libc.adjtimex(tx)
    status = int.from_bytes(tx.raw[STATUS_OFFSET:STATUS_OFFSET + 4], "little")
    return state == TIME_ERROR or bool(status & STA_UNSYNC)


def tsclient(conf_path, port):
    return subprocess.run([os.environ["TSCLIENT"], "-c", conf_path,
                           "127.0.0.1:%d" % port], capture_output=True, text=True,
                          timeout=30 * tsdtest.slow_factor())


def serve(plugin, extra="", start=True):
    conf = ('clock = { plugin = "%s"; %s };\n'
            'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n' % (plugin, extra))
    return tsdtest.Tsd(conf, name="unsynced", start=start)


def check_unsynced(plugin):
    with serve(plugin) as tsd:
        reply = tsdtest.native_exchange(tsd.port)
        proc = tsclient(tsd.conf_path, tsd.port)
    assert (reply["leap"], reply["stratum"]) == (3, 16), reply
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, "exit %d:\n%s" % (proc.returncode, out)
    assert "not synchronized" in out and "local_stratum" in out, out
    print("%s, kernel unsynchronised: leap 3, stratum 16; tsclient says:\n%s"
          % (plugin, proc.stderr.strip()))


def check_local_stratum(plugin):
    with serve(plugin, "local_stratum = 4;") as tsd:
        reply = tsdtest.native_exchange(tsd.port)
        proc = tsclient(tsd.conf_path, tsd.port)
    assert reply["leap"] != 3 and reply["stratum"] in (1, 4), reply
    if kernel_unsynced():
        assert reply["stratum"] == 4, reply
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print("%s with local_stratum = 4: leap %d, stratum %d, tsclient exit 0"
          % (plugin, reply["leap"], reply["stratum"]))


def check_setting_refused():
    for bad in ("0", "16", "\"4\""):
        tsd = serve("realtime", "local_stratum = %s;" % bad, start=False)
        try:
            rc, out, err = tsdtest.run_tsd(["-c", tsd.conf_path, "--check-config"])
        finally:
            tsd.cleanup()
        assert rc != 0 and "local_stratum must be an integer from 1 to 15" in err, (bad, err)
    print("local_stratum 0, 16 and a string are refused at start")


def test():
    for plugin in ("realtime", "tai"):
        if kernel_unsynced():
            check_unsynced(plugin)
        check_local_stratum(plugin)
    check_setting_refused()


if __name__ == "__main__":
    tsdtest.main(test)

"""The process model: ps shows one master and N workers; SIGUSR1 reopens
the log and nothing else; SIGTERM exits 0 within shutdown_timeout with the
port free at once; a SIGKILLed master takes its workers with it within 1 s;
--daemon writes a pidfile and serves; built with libsystemd, it tells
NOTIFY_SOCKET READY, RELOADING and STOPPING."""
import os
import shutil
import signal
import subprocess
import time

import tsdtest
import procfs

CONF = ('server = { listen = [ "127.0.0.1" ]; workers = %d; shutdown_timeout = 2.0;'
        ' request_timeout = 1.0; };')


def check_names(tsd, n):
    workers = tsd.wait_workers(n)
    if tsdtest.valgrind():
        return workers          # the command line is valgrind's
    assert tsdtest.cmdline(tsd.pid).startswith("tsd: master"), tsdtest.cmdline(tsd.pid)
    # A worker renames itself right after fork: give it that moment.
    named = tsdtest.wait_for(lambda: all(tsdtest.cmdline(p).startswith("tsd: worker")
                                         for p in workers), 2)
    assert named, [tsdtest.cmdline(p) for p in workers]
    ps = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True,
                        text=True).stdout.splitlines()
    mine = [l.split(None, 2) for l in ps]
    masters = [p for p in mine if int(p[0]) == tsd.pid and p[2].startswith("tsd: master")]
    kids = [p for p in mine if int(p[1]) == tsd.pid and p[2].startswith("tsd: worker")]
    assert len(masters) == 1 and len(kids) == n, (masters, kids)
    return workers


def sigterm_stops(tsd):
    # A connection left half-sent: the stop must not wait past its deadline.
    import socket
    hold = socket.create_connection(("127.0.0.1", tsd.port))
    hold.sendall(b"\x23")
    t0 = time.monotonic()
    tsd.signal(signal.SIGTERM)
    status = tsd.wait_exit(5)
    took = time.monotonic() - t0
    assert status == 0, (status, tsd.log())
    assert took < 2.5, took
    assert tsdtest.port_is_free(tsd.port), "port still taken after exit"
    hold.close()
    print("SIGTERM: exit 0 after %.2f s, port free" % took)


def master_kill(tsd):
    workers = tsd.wait_workers(3)
    tsd.proc.kill()
    tsd.proc.wait()
    t0 = time.monotonic()
    gone = tsdtest.wait_for(lambda: not any(tsdtest.alive(p) for p in workers), 1.0, 0.01)
    assert gone, "workers outlived the master: %r" % [p for p in workers if tsdtest.alive(p)]
    print("master SIGKILL: workers gone in %.3f s" % (time.monotonic() - t0))


def daemon_mode():
    tsd = tsdtest.Tsd(CONF % 1, start=False, name="daemon")
    pidfile = os.path.join(tsd.dir, "tsd.pid")
    try:
        tsd.args = ["--daemon", "--pidfile", pidfile]
        tsd.start(wait_s=0)
        assert tsd.proc.wait(10) == 0, tsd.log()      # the foreground parent
        pid = tsdtest.wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read(), 5)
        pid = int(pid)
        assert tsdtest.wait_for(tsd.answers, 5), tsd.log()
        assert tsdtest.valgrind() or tsdtest.cmdline(pid).startswith("tsd: master")
        os.kill(pid, signal.SIGTERM)
        assert tsdtest.wait_for(lambda: not tsdtest.alive(pid), 5), "daemon did not stop"
        assert tsdtest.wait_for(lambda: not os.path.exists(pidfile), 2), "pidfile left behind"
        tsd.check_log()
    finally:
        tsd.cleanup()


def built_with_libsystemd():
    ldd = subprocess.run(["ldd", os.environ["TSD"]], capture_output=True, text=True).stdout
    return "libsystemd" in ldd


def notify_states():
    """Run tsd with NOTIFY_SOCKET: the states it sends at start, reload, stop."""
    import socket
    tsd = tsdtest.Tsd(CONF % 1, start=False, name="notify")
    path = os.path.join(tsd.dir, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    os.environ["NOTIFY_SOCKET"] = path
    try:
        tsd.start()
        got = [sock.recv(4096).decode()]
        tsd.signal(signal.SIGHUP)
        got += [sock.recv(4096).decode(), sock.recv(4096).decode()]
        assert tsd.stop() == 0
        got.append(sock.recv(4096).decode())
    finally:
        del os.environ["NOTIFY_SOCKET"]
        sock.close()
        tsd.cleanup()
    return [g.split("\n")[0] for g in got]


def drops_privileges():
    """server.user: bound as root, then master and workers run as that user.
    The workers load the plugins as nobody, so they come from a copy nobody
    can read (the build tree may be closed to it); where even that copy is
    not reachable (a temporary directory closed to nobody), the case is
    skipped, as tsd --check-config says why."""
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    plugins = tsdtest.plugins_readable_by_all()
    conf = ('plugin_dir = "%s";\nserver = { listen = [ "127.0.0.1" ]; workers = 2; '
            'user = "nobody"; };' % plugins)
    try:
        with tsdtest.Tsd(conf, start=False, name="user") as tsd:
            rc, out, err = tsdtest.run_tsd(["--check-config", "-c", tsd.conf_path])
            assert rc == 0, (rc, out, err)
            if "warning:" in err:
                print("server.user: skipped, nobody cannot read the plugin copy:\n" + err)
                return
            tsd.start()
            pids = [tsd.pid] + tsd.wait_workers(2)
            assert [procfs.status_value(p, "Uid", 1) for p in pids] == [nobody] * 3, pids
        print("server.user: master and workers run as nobody")
    finally:
        shutil.rmtree(plugins, ignore_errors=True)


def test():
    with tsdtest.Tsd(CONF % 3, name="process") as tsd:
        before = check_names(tsd, 3)
        tsd.signal(signal.SIGUSR1)
        time.sleep(0.2)
        assert tsd.answers() and tsd.workers() == before
        sigterm_stops(tsd)
    with tsdtest.Tsd(CONF % 3, name="process") as tsd:
        master_kill(tsd)
    daemon_mode()
    if os.geteuid() == 0:
        drops_privileges()
    if built_with_libsystemd():
        states = notify_states()
        assert states == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], states
        print("sd_notify: %s" % ", ".join(states))


tsdtest.main(test)

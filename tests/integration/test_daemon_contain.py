"""What contains a compromised worker (tsd(8), doc/security.md): descriptors
the launcher left open are closed, every process has NoNewPrivs, and with
server.user (as root) the bounding set is empty, the workers have no root
user ID left, no process of that user can signal the master, and the master
still removes its pidfile at exit. A SIGUSR2 flood logs the statistics at
most once a second (a request that comes sooner is answered by the next
log).

The report: with user = "nobody", a full bounding set, NoNewPrivs 0, fds 10
and 251 of the launcher open in the workers, a SIGUSR2 loop wrote 470,511
lines in one second, and the pidfile stayed behind."""

import os
import pwd
import shutil
import signal
import time

import tsdtest

INHERITED = (10, 251)
FLOOD = 300


def inherit_fds():
    """Two descriptors of ours at 10 and 251, as a launcher may leave them."""
    for fd in INHERITED:
        src = os.open("/dev/null", os.O_RDONLY)
        os.dup2(src, fd, inheritable=True)
        os.close(src)


def status_line(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].split()
    return None


def check_process(pid, root):
    fds = [int(fd) for fd in os.listdir("/proc/%d/fd" % pid)]
    leaked = [fd for fd in INHERITED if fd in fds and
              os.readlink("/proc/%d/fd/%d" % (pid, fd)) == "/dev/null"]
    assert not leaked, "pid %d keeps the launcher's descriptors %s" % (pid, leaked)
    assert status_line(pid, "NoNewPrivs") == ["1"], (pid, status_line(pid, "NoNewPrivs"))
    if root:
        assert status_line(pid, "CapBnd") == ["0000000000000000"], \
            (pid, status_line(pid, "CapBnd"))


def signal_as(uid, pid):
    """Signal 0 (nothing is sent) from a forked process of uid: True if allowed."""
    child = os.fork()
    if child == 0:
        code = 1
        try:
            os.setuid(uid)
            os.kill(pid, 0)
            code = 0
        except PermissionError:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 3), status
    return os.WEXITSTATUS(status) == 0


def flood_stats(tsd):
    """The burst logs once, and once more a second later if the master saw
    a SIGUSR2 of it after the first (the kernel may merge them all into
    one); the late one logs once: 2 or 3 logs, never one per signal."""
    for _ in range(FLOOD):
        os.kill(tsd.pid, signal.SIGUSR2)
    time.sleep(1.5)
    os.kill(tsd.pid, signal.SIGUSR2)
    assert tsdtest.wait_for(lambda: tsd.log().count("statistics: workers running") >= 2,
                            10 * tsdtest.slow_factor()), tsd.log()
    time.sleep(1.5)
    logged = tsd.log().count("statistics: workers running")
    print("%d SIGUSR2 in a burst, one more 1.5 s later: the statistics logged %d times"
          % (FLOOD, logged))
    assert 2 <= logged <= 3, logged


def test():
    root = os.geteuid() == 0
    nobody = pwd.getpwnam("nobody").pw_uid if root else None
    plugins = tsdtest.plugins_readable_by_all() if root else None
    conf = 'server = { listen = [ "127.0.0.1" ]; workers = 2; %s };\n' % (
        'user = "nobody";' if root else "")
    if root:
        conf += 'plugin_dir = "%s";\n' % plugins
    inherit_fds()
    try:
        tsd = tsdtest.Tsd(conf, start=False, name="contain", pass_fds=INHERITED)
        pidfile = os.path.join(tsd.dir, "tsd.pid")
        tsd.args = ["--pidfile", pidfile]
        with tsd:
            tsd.start()
            workers = tsd.wait_workers(2)
            for pid in [tsd.pid] + workers:
                check_process(pid, root)
            print("master and workers: no inherited descriptor, NoNewPrivs 1%s"
                  % (", CapBnd 0" if root else ""))
            if root:
                for pid in workers:
                    assert status_line(pid, "Uid")[:3] == [str(nobody)] * 3, status_line(pid, "Uid")
                assert status_line(tsd.pid, "Uid")[1] == str(nobody), status_line(tsd.pid, "Uid")
                assert not signal_as(nobody, tsd.pid), "a process of nobody may signal the master"
                assert signal_as(nobody, workers[0])
                print("workers run as nobody (real, effective, saved); nobody cannot "
                      "signal the master")
            flood_stats(tsd)
            assert os.path.exists(pidfile)
            assert tsd.stop() == 0
        # tsd.dir is gone with the harness; the pidfile was in it: check first.
    finally:
        for fd in INHERITED:
            os.close(fd)
        if plugins:
            shutil.rmtree(plugins, ignore_errors=True)


def test_pidfile():
    if os.geteuid() != 0:
        print("pidfile as nobody: skipped (needs root)")
        return
    plugins = tsdtest.plugins_readable_by_all()
    try:
        tsd = tsdtest.Tsd('server = { listen = [ "127.0.0.1" ]; workers = 1; '
                          'user = "nobody"; };\nplugin_dir = "%s";\n' % plugins,
                          start=False, name="pidfile")
        pidfile = os.path.join(tsd.dir, "tsd.pid")
        tsd.args = ["--pidfile", pidfile]
        with tsd:
            tsd.start()
            assert open(pidfile).read().strip() == str(tsd.pid)
            assert tsd.stop() == 0
            assert not os.path.exists(pidfile), "the pidfile stayed behind:\n" + tsd.log()
        print("the master (user nobody) removed its pidfile in a directory only root may write")
    finally:
        shutil.rmtree(plugins, ignore_errors=True)


def main():
    test()
    test_pidfile()


if __name__ == "__main__":
    tsdtest.main(main)

"""tsd loads a plugin only from a file and directory that no one but root or
its own user can change: a world-writable plugin_dir is refused on reload
(the running workers keep serving), and --check-config refuses a
group/other-writable file, a symbolic link, a directory above writable by
others without the sticky bit, and (as root) a file owned by another user.
Each message names the file and the reason."""

import os
import shutil
import signal
import tempfile

import tsdtest


def plugin_copy(parent):
    path = os.path.join(parent, "plugins")
    os.makedirs(path)
    os.chmod(path, 0o755)
    src = os.environ["PLUGIN_DIR"]
    for name in os.listdir(src):
        if name.endswith(".so"):
            shutil.copy(os.path.join(src, name), path)
            os.chmod(os.path.join(path, name), 0o755)
    return path


def conf_for(plugins):
    return 'plugin_dir = "%s";\nserver = { listen = [ "127.0.0.1" ]; workers = 1; };\n' % plugins


def check(tsd, *want):
    rc, out, err = tsdtest.run_tsd(["-c", tsd.conf_path, "--check-config"])
    assert rc == 1, "exit %d:\n%s%s" % (rc, out, err)
    for text in want:
        assert text in err, "%r not in:\n%s" % (text, err)
    print("refused: " + err.strip().splitlines()[0])


def reload_refused(tsd, plugins):
    before = tsd.wait_workers(1)
    os.chmod(plugins, 0o777)
    tsd.signal(signal.SIGHUP)
    assert tsdtest.wait_for(lambda: "reload failed" in tsd.log(), 10 * tsdtest.slow_factor()), \
        tsd.log()
    assert "its directory %s is writable by others (mode 0777)" % os.path.realpath(plugins) \
        in tsd.log(), tsd.log()
    assert tsd.workers() == before, (before, tsd.workers())
    tsdtest.native_exchange(tsd.port)
    os.chmod(plugins, 0o755)
    print("a reload with plugin_dir at mode 0777 is refused; the workers serve on")


def refusals(tsd, plugins):
    realtime = os.path.join(plugins, "clock_realtime.so")
    os.chmod(realtime, 0o775)
    check(tsd, realtime, "the file is writable by its group (mode 0775)")
    os.chmod(realtime, 0o755)
    os.rename(realtime, realtime + ".real")
    os.symlink(realtime + ".real", realtime)
    check(tsd, realtime, "a symbolic link")
    os.unlink(realtime)
    os.rename(realtime + ".real", realtime)
    if os.geteuid() == 0:
        os.chown(realtime, 65534, 65534)
        check(tsd, realtime, "owned by uid 65534, neither root nor the user tsd runs as")
        os.chown(realtime, 0, 0)
    rc, out, err = tsdtest.run_tsd(["-c", tsd.conf_path, "--check-config"])
    assert rc == 0, err


def above(tmp):
    shared = os.path.join(tmp, "shared")
    os.makedirs(shared)
    plugins = plugin_copy(shared)
    tsd = tsdtest.Tsd(conf_for(plugins), start=False, name="above")
    try:
        os.chmod(shared, 0o777)
        check(tsd, "refused: %s above it is writable by others without the sticky bit"
              % os.path.realpath(shared))
        os.chmod(shared, 0o1777)
        rc, out, err = tsdtest.run_tsd(["-c", tsd.conf_path, "--check-config"])
        assert rc == 0, err
        print("the same directory with the sticky bit (1777), as /tmp: accepted")
    finally:
        os.chmod(shared, 0o755)
        tsd.cleanup()


def test():
    tmp = tempfile.mkdtemp(prefix="tsd-perms-")
    try:
        plugins = plugin_copy(tmp)
        with tsdtest.Tsd(conf_for(plugins), name="perms") as tsd:
            reload_refused(tsd, plugins)
            refusals(tsd, plugins)
        above(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    tsdtest.main(test)

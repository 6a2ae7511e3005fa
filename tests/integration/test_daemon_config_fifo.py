"""A FIFO (or anything else that is not a regular file) at the configuration
path is refused at once: --check-config says so instead of waiting for a
writer, and a SIGHUP leaves the master supervising (a killed worker is
replaced) and stoppable with SIGTERM."""

import os
import signal
import subprocess

import tsdtest

CONF = 'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n'


def check_config_refuses(path):
    try:
        rc, out, err = tsdtest.run_tsd(["-c", path, "--check-config"], timeout_s=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("tsd --check-config blocked on the FIFO %s" % path)
    assert rc == 1, "exit %d: %s%s" % (rc, out, err)
    assert "%s: cannot read the configuration: not a regular file" % path in err, err
    print("--check-config: " + err.strip())


def reload_refuses(tsd):
    worker = tsd.wait_workers(1)[0]
    os.unlink(tsd.conf_path)
    os.mkfifo(tsd.conf_path)
    tsd.signal(signal.SIGHUP)
    assert tsdtest.wait_for(lambda: "reload failed" in tsd.log(), 10 * tsdtest.slow_factor()), \
        tsd.log()
    assert "not a regular file" in tsd.log(), tsd.log()
    os.kill(worker, signal.SIGKILL)
    assert tsdtest.wait_for(lambda: (lambda w: len(w) == 1 and w[0] != worker)(tsd.workers()),
                            10 * tsdtest.slow_factor()), "the killed worker was not replaced"
    tsdtest.native_exchange(tsd.port)
    print("SIGHUP with a FIFO: refused; a killed worker was replaced and serves")


def test():
    with tsdtest.Tsd(CONF, name="fifo") as tsd:
        reload_refuses(tsd)
        check_config_refuses(tsd.conf_path)
        status = tsd.stop()
    assert status == 0, status
    print("SIGTERM: stopped, exit 0")


if __name__ == "__main__":
    tsdtest.main(test)

"""What the tests and benchmarks read from /proc: one reader for all of them
(tsdtest, hostile, the test files, tests/bench). Every function of a process
returns None (or skips it) once the process is gone, unless it says so."""

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")
TCP_ESTABLISHED = 1


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None. The
    name may hold spaces and parentheses: the fields start after its last ')'."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def state(pid):
    fields = stat_fields(pid)
    return fields[0] if fields else None


def ppid(pid):
    fields = stat_fields(pid)
    return int(fields[1]) if fields else None


def alive(pid):
    """Running (a zombie does not count)."""
    s = state(pid)
    return s is not None and s != "Z"


def children(pid):
    """Live child processes of pid, sorted."""
    return sorted(int(name) for name in os.listdir("/proc")
                  if name.isdigit() and ppid(int(name)) == pid and alive(int(name)))


def cpu_seconds(pids):
    """User plus system CPU time of the processes (those still there), in
    seconds; a process's exited threads count."""
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])   # utime, stime
    return total / CLK_TCK


def cmdline(pid):
    """The command line with spaces between the arguments, or ""."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def fd_count(pid):
    """Open descriptors of a live process (raises when it is gone)."""
    return len(os.listdir("/proc/%d/fd" % pid))


def socket_inodes(pid):
    """Inodes of the sockets a live process holds."""
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(int(link[8:-1]))
    return out


def _first_value(path, prefix):
    """The fields after `prefix` on the first line of path starting with it."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line[len(prefix):].split()
    except OSError:
        pass
    return None


def status_value(pid, name, index=0):
    """A number of /proc/PID/status: status_value(pid, "VmRSS") in KiB,
    status_value(pid, "Uid", 1) the effective user. None if not there."""
    fields = _first_value("/proc/%d/status" % pid, name + ":")
    return int(fields[index]) if fields else None


def pss_kib(pid):
    """Proportional set size from /proc/PID/smaps_rollup, or None."""
    fields = _first_value("/proc/%d/smaps_rollup" % pid, "Pss:")
    return int(fields[0]) if fields else None


def nofile_limits(pid):
    """(soft, hard) limit on open files of a live process."""
    fields = _first_value("/proc/%d/limits" % pid, "Max open files")
    if fields is None:
        raise AssertionError("no open-files limit for %d" % pid)
    return int(fields[0]), int(fields[1])


def tcp_sockets():
    """Every IPv4 TCP socket of the machine from /proc/net/tcp, as dicts:
    local_port, remote_port, state (1: established), tx_queue, rx_queue
    and inode (0: an orphan no process holds)."""
    with open("/proc/net/tcp") as f:
        lines = f.readlines()[1:]
    for line in lines:
        fields = line.split()
        tx, rx = fields[4].split(":")
        yield {"local_port": int(fields[1].split(":")[1], 16),
               "remote_port": int(fields[2].split(":")[1], 16),
               "state": int(fields[3], 16), "tx_queue": int(tx, 16),
               "rx_queue": int(rx, 16), "inode": int(fields[9])}

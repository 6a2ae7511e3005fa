"""server.udp.balance with dispatch = "reuseport": which worker answers a
datagram. "cpu" (the default) gives every datagram received on one CPU to
one worker's socket; "flow" leaves the kernel's hash of the source address
and port. Reloads that change the number of workers or the setting keep the
sockets and apply the new choice to them.

Over loopback the kernel receives a datagram on the CPU that sent it, so
this test pins its own thread to CPU 0 or CPU 1 while it sends (tsd runs on
all CPUs) and reads what each worker served from the line it logs at exit.
It needs two CPUs."""

import os
import re
import signal
import socket
import sys

import tsdtest
import udpchrony
from udpchrony import ntp_packet
import ports

REPLY_TIMEOUT_S = 2.0 * tsdtest.slow_factor()
ALL_CPUS = sorted(os.sched_getaffinity(0))


def conf(udp_port, workers, balance=None):
    # No rate limit: the test sends faster than one address may.
    setting = 'ratelimit = { leak = 1; kod = false; };'
    if balance is not None:
        setting += ' balance = "%s";' % balance
    return ('clock = { plugin = "sim"; offset = 0.5; };\n'
            'server = { listen = [ "127.0.0.1" ]; workers = %d; dispatch = "reuseport";\n'
            '  udp = { enable = true; port = %d; %s }; };\n' % (workers, udp_port, setting))


def on_cpu(cpu):
    os.sched_setaffinity(0, {cpu})


def send_from(cpu, port, count):
    """count requests from count sockets (so count source ports), sent
    while this thread runs on cpu; each must be answered. (That each gets
    exactly one reply is test_udp_packets.py's business.)"""
    on_cpu(cpu)
    for _ in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            reply = udpchrony.exchange(port, ntp_packet(), timeout=REPLY_TIMEOUT_S, sock=s)
        assert reply is not None, "no reply within %.1f s" % REPLY_TIMEOUT_S


def served_by(log, pids):
    """What each worker (pid) says it served over UDP at exit (0 if it
    logged no UDP line: it saw no datagram)."""
    served = dict.fromkeys(pids, 0)
    for pid, n in re.findall(r"\[(\d+)\]: udp: served (\d+),", log):
        if int(pid) in served:
            served[int(pid)] = int(n)
    return served


def retire(tsd, old, new_conf, workers):
    """Reload with new_conf; wait for the new workers and for the old ones
    to exit (they log what they served). Returns the new workers' pids."""
    tsd.write_conf(new_conf)
    tsd.signal(signal.SIGHUP)
    assert tsdtest.wait_for(lambda: not any(tsdtest.alive(p) and p in tsd.workers()
                                            for p in old), 5 * tsdtest.slow_factor()), \
        "the old workers did not exit:\n" + tsd.log()
    return tsd.wait_workers(workers)


def test():
    if len(ALL_CPUS) < 2:
        raise tsdtest.SkipTest("needs two CPUs, this process may use %r" % ALL_CPUS)
    cpu_a, cpu_b = ALL_CPUS[0], ALL_CPUS[1]
    udp_port = ports.free_port(udp=True, ipv6_too=False)
    on_cpu(cpu_a)           # probes too: every datagram is sent from a known CPU
    tsd = tsdtest.Tsd(conf(udp_port, 2), name="udp-balance",
                      preexec_fn=lambda: os.sched_setaffinity(0, ALL_CPUS))
    with tsd:
        probes = 0
        while udpchrony.exchange(udp_port, ntp_packet(), timeout=0.2) is None:
            probes += 1
            assert probes < 25, "no UDP answer:\n" + tsd.log()
        probes += 1
        gen1 = tsd.wait_workers(2)
        assert "a socket per worker, balance cpu" in tsd.log(), tsd.log()

        # The default ("cpu"), 2 workers: CPU a's datagrams all to one
        # worker, CPU b's all to the other.
        send_from(cpu_a, udp_port, 40)
        send_from(cpu_b, udp_port, 24)
        gen2 = retire(tsd, gen1, conf(udp_port, 3, "cpu"), 3)
        got1 = sorted(served_by(tsd.log(), gen1).values())
        print("cpu, 2 workers: %d from CPU %d (and %d probes), 24 from CPU %d -> served %r"
              % (40, cpu_a, probes, cpu_b, got1))
        assert got1 == sorted([40 + probes, 24]), got1

        # A reload to 3 workers keeps the sockets and re-aims the program:
        # CPUs a and b still get a worker each, the third serves nothing.
        send_from(cpu_a, udp_port, 16)
        send_from(cpu_b, udp_port, 20)
        gen3 = retire(tsd, gen2, conf(udp_port, 2, "flow"), 2)
        got2 = sorted(served_by(tsd.log(), gen2).values())
        print("cpu, 3 workers after a reload: 16 from CPU %d, 20 from CPU %d -> served %r"
              % (cpu_a, cpu_b, got2))
        assert got2 == [0, 16, 20], got2

        # "flow" after "cpu", same sockets: the program is gone and the
        # kernel's hash spreads one CPU's sources over both workers (all 48
        # on one worker: a chance of 2 in 2^48).
        send_from(cpu_a, udp_port, 48)
        tsd.stop()
        assert "balance flow" in tsd.log(), tsd.log()
        got3 = sorted(served_by(tsd.log(), gen3).values())
        print("flow after a reload: 48 from CPU %d -> served %r" % (cpu_a, got3))
        assert sum(got3) == 48 and min(got3) > 0, got3


if __name__ == "__main__":
    sys.exit(tsdtest.main(test))

"""A text server whose times are far from ours (issue 17, item 11): the reply
9223372036853<TAB>9223372036853 (year 2262) overflowed the offset's sum
(UBSan: signed integer overflow; a normal build printed an offset of
-1796515717695668.8 us). tsclient --text refuses times more than 68 years
from its clock, as the NTP path does; times near ours are still taken."""

import time

import clienttest as ct
import fakeserver
import tsdtest


def main():
    with ct.tempdir() as d:
        conf = ct.client_conf(d)
        with fakeserver.Text(lambda: b"9223372036853\t9223372036853\n") as far:
            rc, out, err = ct.run(["-c", conf, "--text", "-v", "-n", "2", ct.addr(far.port)])
        print("year 2262: exit %d\n%s%s" % (rc, out, err))
        assert rc == 1, "exit %d" % rc
        assert "bad_reply (2 malformed text replies)" in out and "0 samples" in out, out
        assert "offset" not in out, "a sample was taken:\n" + out

        def near():
            ms = time.time_ns() // 1000000 + 2000
            return b"%d\t%d\n" % (ms, ms)
        with fakeserver.Text(near) as fake:
            rc, j, err = ct.run_json(["-c", conf, "--text", "-n", "2", ct.addr(fake.port)])
        print("2 s ahead: exit %d, offset %.6f s" % (rc, j.get("offset_s", 0)))
        assert rc == 0 and abs(j["offset_s"] - 2.0) < 0.1, (rc, j, err)


if __name__ == "__main__":
    tsdtest.main(main)

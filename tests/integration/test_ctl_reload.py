"""tsdctl reload: exit 0 once the new generation serves (switching clock
plugins shows in status at once), exit 1 with the log's FILE:LINE message
when the file or a plugin is refused, the old workers still serving."""

import tsdtest

GOOD = """clock = { plugin = "%s"; };
server = { listen = [ "127.0.0.1" ]; workers = 2; };
"""
BAD_PLUGIN = """clock = { plugin = "nosuch"; };
server = { listen = [ "127.0.0.1" ]; workers = 2; };
"""
BAD_SYNTAX = """server = { listen = [ "127.0.0.1" ]; workers = 2;
  udp = { enable = yes; }; };
"""


def main():
    with tsdtest.Tsd(GOOD % "realtime", name="ctl-reload") as tsd:
        old = tsd.wait_workers(2)
        assert tsd.ctl_json("status")["generation"] == 1

        tsd.write_conf(GOOD % "sim")
        rc, out, err = tsd.ctl("reload")
        assert rc == 0 and "generation 2 serves" in out, (rc, out, err)
        st = tsd.ctl_json("status")
        # It returned once the new generation serves: nothing to wait for.
        serving = [w for w in st["workers"] if w["state"] == "serving"]
        assert st["generation"] == 2 and len(serving) == 2, st
        assert all(w["generation"] == 2 for w in serving), st
        assert st["clock"]["plugin"] == "sim" and st["clock"]["refid"] == "SIM", st
        assert tsdtest.native_exchange(tsd.port)["refid"] == b"SIM\0"
        assert "plugins: clock sim, estimator " in tsd.log(), tsd.log()
        assert not set(old) & {w["pid"] for w in serving}

        current = tsd.wait_workers(2)
        for conf, where, what in ((BAD_PLUGIN, ":3:", "nosuch"),
                                  (BAD_SYNTAX, ":4:", "")):
            tsd.write_conf(conf)
            rc, out, err = tsd.ctl("reload")
            assert rc == 1, (rc, out, err)
            first = err.splitlines()[0]
            assert first.startswith(tsd.conf_path + where) and what in first, err
            assert first in tsd.log(), (first, tsd.log())
            assert "running configuration stays in service" in err, err
            assert tsd.workers() == current
            assert tsdtest.native_exchange(tsd.port)["refid"] == b"SIM\0"
        st = tsd.ctl_json("status")
        assert st["config"]["reloads"] == 1 and st["config"]["reloads_failed"] == 2, st
    print("ok")


if __name__ == "__main__":
    main()

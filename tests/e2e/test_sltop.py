# SPDX-License-Identifier: BSD-3-Clause
"""End to end: tools/sl-top in a real terminal (tmux). It waits for sluice,
shows the tenants, pools and members with the numbers of sluice's own stats
once sluice runs, says "waiting for sluice" when sluice stops, picks up a
new sluice with the same file prefix, and quits on q."""
import os
import shutil
import subprocess

import pytest

from conftest import (ROOT, SLUICE, cleanup_prefix, gen, null_out, pcap_in, pool, sluice_config,
                      stats_lines, stop, tenant, wait_for)

TMUX = shutil.which("tmux")
SL_TOP = os.path.join(ROOT, "tools", "sl-top")


def config(inp):
    return sluice_config([pcap_in(inp)], [null_out(f"o{i}", i) for i in range(3)],
                         [tenant("acme", 7, [pool("p", ["o0", "o1"])], match={"vlan": [100]}),
                          tenant("beta", 8, [pool("q", ["o2"])], match={"vlan": [101]})],
                         stats={"interval": 0.2})


class Tmux:
    def __init__(self, tmp, cmd):
        self.sock = os.path.join(tmp, "tmux.sock")
        self.run("new-session", "-d", "-s", "top", "-x", "200", "-y", "60", cmd)

    def run(self, *args):
        return subprocess.run([TMUX, "-S", self.sock, *args], capture_output=True, text=True,
                              timeout=30)

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "top").stdout

    def alive(self):
        return self.run("has-session", "-t", "top").returncode == 0

    def kill(self):
        self.run("kill-server")


def start_sluice(peers, tmp, name, inp, prefix):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    cfg = os.path.join(d, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(config(inp))
    stats = os.path.join(d, "stats.json")
    err = peers.open(os.path.join(name, "sluice.err"))
    proc = peers.start([SLUICE, "--config", cfg, "--stats-path", stats, "--",
                        f"--file-prefix={prefix}", "--in-memory"],
                       stdout=subprocess.DEVNULL, stderr=err)
    return proc, stats


def settled(stats, total):
    ls = stats_lines(stats)
    if len(ls) >= 3 and ls[-1]["ledger"]["received"] == total and \
            ls[-1]["ledger"]["in_flight"] == 0 and ls[-3]["ledger"] == ls[-1]["ledger"]:
        return ls[-1]
    return None


def shows(screen, st):
    """The screen shows every tenant and member with the numbers of stats
    line st (nothing moves any more)."""
    rows = screen.splitlines()
    lg = st["ledger"]
    if not any(f"ledger: received {lg['received']}  " in r and f"forwarded {lg['forwarded']}"
               in r for r in rows):
        return False
    for t in st["tenants"]:
        cols = next((r.split() for r in rows if r.startswith(t["name"] + " ")), None)
        if cols is None or cols[1] != str(t["id"]) or \
                [int(c) for c in cols[4:10]] != [t["packets"], t["forwarded"], t["dropped"],
                                                  t["filtered"], t["bypassed"], t["flows"]]:
            return False
        for p in t["pools"]:
            if not any(r.startswith(f"  pool {p['name']} ({len(p['members'])}/"
                                    f"{len(p['members'])} up") for r in rows):
                return False
            for i, m in enumerate(p["members"]):
                if not any(r.split()[:3] == [str(i), m["output"], "up"] and
                           f"forwarded {m['forwarded']}  flows {m['flows']}" in r
                           for r in rows if r.startswith("    ")):
                    return False
    return True


@pytest.mark.skipif(TMUX is None, reason="tmux not installed")
def test_sltop_in_tmux_follows_sluice_across_restarts(tmp, peers):
    prefix = peers.prefix("sl-test-top")
    # acme VLAN 100, beta 101, VLAN 102 has no tenant
    inp1, _ = gen(tmp, "a", "--flows", 300, "--tenants", 3, "--vlan-base", 100)
    inp2, _ = gen(tmp, "b", "--flows", 120, "--tenants", 3, "--vlan-base", 100, "--seed", 7)
    tm = Tmux(tmp, f"/usr/bin/python3 {SL_TOP} -f {prefix}")
    try:
        wait_for(lambda: "waiting for sluice" in tm.screen(), "sl-top to wait for sluice")
        p1, stats1 = start_sluice(peers, tmp, "one", inp1, prefix)
        st1 = wait_for(lambda: settled(stats1, 600), "the first sluice to settle", [p1])
        wait_for(lambda: shows(tm.screen(), st1), "sl-top to show the first sluice's numbers")
        screen1 = tm.screen()
        stop(p1)
        cleanup_prefix(prefix)
        wait_for(lambda: "waiting for sluice" in tm.screen(), "sl-top to notice sluice left")

        p2, stats2 = start_sluice(peers, tmp, "two", inp2, prefix)
        st2 = wait_for(lambda: settled(stats2, 240), "the second sluice to settle", [p2])
        wait_for(lambda: shows(tm.screen(), st2), "sl-top to show the second sluice's numbers")
        stop(p2)
        assert tm.alive()
        tm.run("send-keys", "-t", "top", "q")
        wait_for(lambda: not tm.alive(), "sl-top to quit on q")
    finally:
        tm.kill()
    assert p1.returncode == 0 and p2.returncode == 0
    # the numbers were sluice's, not a coincidence: the two runs differ
    assert st1["tenants"][0]["packets"] != st2["tenants"][0]["packets"]
    assert "drops: no_tenant 200 " in screen1, screen1

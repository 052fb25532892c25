# SPDX-License-Identifier: BSD-3-Clause
"""End to end: tenant captures. A tenant, on its own control socket, or the
operator, on the admin socket, asks sluice (with tools/sl-capture) for a
bounded pcap of one tenant's packets: all of them, or those filtered or
bypassed (by reason), sampled 1 in N, limited in packets, bytes and
seconds. The pcap holds exactly the frames the test sent that match, byte
for byte, and never another tenant's; bad requests get a reason."""
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter

from conftest import (ROOT, gen, null_out, pool, read_pcap, sluice_config, stats_lines, tap_in,
                      tenant, uid, wait_for)
from test_outputs import link_up, send_frames
from test_reload import ask

SL_CAPTURE = os.path.join(ROOT, "tools", "sl-capture")


def config(tmp, iface):
    return sluice_config(
        [tap_in(iface)], [null_out("o0", 1), null_out("o1", 2)],
        [tenant("acme", 7, [pool("p", ["o0"])], match={"vlan": [100]},
                control={"socket": f"{tmp}/acme.sock"},
                rules=[{"match": {"proto": "udp"}, "action": "drop"},
                       {"match": {"proto": "icmp"}, "action": "bypass"}]),
         tenant("beta", 8, [pool("q", ["o1"])], match={"vlan": [101]},
                control={"socket": f"{tmp}/beta.sock"}),
         # a rate meter that lets a few packets of a burst through
         tenant("gamma", 9, [pool("r", ["o1"])], match={"vlan": [102]},
                rate={"pps": 1, "burst": 4})],
        admin={"socket": f"{tmp}/admin.sock"}, stats={"interval": 0.2})


def vlan(f):
    return int.from_bytes(f[14:16], "big") & 0xfff


def proto(f):
    return f[18 + 9]  # IPv4 after one VLAN tag


class Capture:
    """tools/sl-capture in the background, writing a pcap."""

    def __init__(self, peers, name, sock, *args):
        self.pcap = os.path.join(peers.tmp, name + ".pcap")
        self.err = os.path.join(peers.tmp, name + ".err")
        self.proc = peers.start(["/usr/bin/python3", SL_CAPTURE, "-s", sock, "-w", self.pcap,
                                 *map(str, args)], stdout=subprocess.DEVNULL,
                                stderr=peers.open(name + ".err", "w"))

    def answer(self):
        try:
            text = open(self.err).read()
        except FileNotFoundError:
            return None
        return json.loads(text.splitlines()[0]) if text.endswith("\n") else None

    def started(self):
        a = self.answer()
        if a is not None and not a.get("ok"):
            raise AssertionError(f"capture refused: {a}")
        return a

    def finish(self):
        self.proc.wait(timeout=60)
        assert self.proc.returncode == 0, open(self.err).read()
        return read_pcap(self.pcap)


def test_tenant_and_admin_captures(tmp, peers):
    inp, _ = gen(tmp, "t", "--flows", 90, "--tenants", 3, "--vlan-base", 100, "--packets", 3,
                 "--udp", 30, "--icmp", 20, "--frame", "imix")
    frames = read_pcap(inp)
    acme = [f for f in frames if vlan(f) == 100]
    beta = [f for f in frames if vlan(f) == 101]
    gamma = [f for f in frames if vlan(f) == 102]
    acme_udp = [f for f in acme if proto(f) == 17]
    acme_icmp = [f for f in acme if proto(f) == 1]
    assert acme_udp and acme_icmp and beta and len(acme_udp) + len(acme_icmp) < len(acme)
    iface = "slcap" + uid()[:8]
    acme_sock, beta_sock, admin = (os.path.join(tmp, n + ".sock") for n in
                                   ("acme", "beta", "admin"))
    sl = peers.sluice(config(tmp, iface))
    sent = 0

    def run(name, sock, *args, traffic=frames):
        nonlocal sent
        c = Capture(peers, name, sock, *args)
        wait_for(c.started, f"capture {name} to start", [c.proc, sl.proc])
        send_frames(iface, traffic)
        sent += len(traffic)
        return c.answer(), c.finish()

    wait_for(lambda: link_up(iface) and os.path.exists(acme_sock) and
             os.path.exists(admin) and stats_lines(sl.stats), "sluice to start", [sl.proc])

    # everything of acme, on acme's socket: exactly its frames, in order
    ans, got = run("all", acme_sock, "--packets", len(acme))
    assert ans["capture"]["tenant"] == "acme" and ans["capture"]["what"] == ["all"]
    assert got == acme

    # only what its policy filtered (udp: action drop), by reason
    ans, got = run("filtered", acme_sock, "--what", "filtered", "--reason", "policy_drop",
                   "--packets", len(acme_udp))
    assert ans["capture"]["reason"] == "policy_drop"
    assert got == acme_udp

    # only what it bypassed (icmp: action bypass)
    _, got = run("bypassed", acme_sock, "--what", "bypassed", "--packets", len(acme_icmp))
    assert got == acme_icmp

    # 1 in 3, and a snaplen
    want = acme[::3]
    _, got = run("sampled", acme_sock, "--sample", 3, "--snaplen", 64,
                 "--packets", len(want))
    assert got == [f[:64] for f in want]

    # a byte budget: the records that fit in it, and no more
    k = 5
    budget = 24 + sum(16 + len(f) for f in acme[:k]) + 16 + len(acme[k]) - 1
    _, got = run("bytes", acme_sock, "--bytes", budget)
    assert got == acme[:k]
    assert os.path.getsize(os.path.join(tmp, "bytes.pcap")) <= budget

    # a time limit with nothing matching: an empty pcap after ~1 s
    t0 = time.monotonic()
    _, got = run("seconds", acme_sock, "--what", "dropped", "--seconds", 1, traffic=[])
    assert got == [] and time.monotonic() - t0 >= 1

    # the admin names the tenant
    ans, got = run("admin", admin, "--tenant", "beta", "--packets", len(beta))
    assert ans["capture"]["tenant"] == "beta" and ans["capture"]["tenant_id"] == 8
    assert got == beta

    # drops by one reason: what gamma's rate meter refused, and nothing else
    def counted():
        return stats_lines(sl.stats)[-1]["ledger"]["received"] >= sent

    def gamma_over():
        st = stats_lines(sl.stats)[-1]
        return next(t for t in st["tenants"] if t["name"] == "gamma")["rate_exceeded"]
    wait_for(counted, "sluice to count every frame", [sl.proc])
    over0 = gamma_over()
    _, got = run("rate", admin, "--tenant", "gamma", "--what", "dropped", "--reason",
                 "rate_exceeded", "--seconds", 2, traffic=gamma)
    wait_for(counted, "sluice to count every frame", [sl.proc])
    over = gamma_over() - over0
    assert 0 < over <= len(gamma) and len(got) == over
    assert not Counter(got) - Counter(gamma)

    # refusals, each with its reason
    errors = {
        "other tenant": ask(acme_sock, {"cmd": "capture", "tenant": "beta"}),
        "bad what": ask(acme_sock, {"cmd": "capture", "what": "everything"}),
        "reason alone": ask(acme_sock, {"cmd": "capture", "reason": "policy_drop"}),
        "bad reason": ask(acme_sock, {"cmd": "capture", "what": "dropped",
                                      "reason": "nope"}),
        "sample 0": ask(acme_sock, {"cmd": "capture", "sample": 0}),
        "unknown key": ask(acme_sock, {"cmd": "capture", "count": 5}),
        "admin without tenant": ask(admin, {"cmd": "capture"}),
        "admin unknown tenant": ask(admin, {"cmd": "capture", "tenant": 99}),
    }
    for what, e in errors.items():
        assert e["ok"] is False and e["error"], (what, e)
    assert "own tenant only" in errors["other tenant"]["error"]
    assert "what must be" in errors["bad what"]["error"]
    assert "sample must be an integer 1.." in errors["sample 0"]["error"]
    assert "unknown key 'count'" in errors["unknown key"]["error"]
    # one capture per tenant at a time
    c = Capture(peers, "long", beta_sock, "--seconds", 3)
    wait_for(c.started, "a long capture to start", [c.proc, sl.proc])
    busy = ask(admin, {"cmd": "capture", "tenant": 8})
    assert busy["ok"] is False and "already has a capture running" in busy["error"]
    assert c.finish() == []
    # the control sockets still do their usual work
    assert ask(acme_sock, {"cmd": "ping"})["ok"] is True

    wait_for(lambda: stats_lines(sl.stats)[-1]["ledger"]["received"] >= sent,
             "sluice to count every frame", [sl.proc])
    final = sl.finish()
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0
    t = {x["name"]: x for x in final["tenants"]}
    assert t["acme"]["capture"] == {
        "sessions": 6, "packets": len(acme) + len(acme_udp) + len(acme_icmp) +
        len(acme[::3]) + 5, "lost": 0, "running": False}
    assert t["beta"]["capture"]["sessions"] == 2 and t["beta"]["capture"]["lost"] == 0
    assert t["gamma"]["capture"] == {"sessions": 1, "packets": over, "lost": 0, "running": False}
    log = open(os.path.join(tmp, "sluice.err")).read()
    assert re.search(r"capture: tenant 'acme' \(asked on the tenant socket\) ended: packets "
                     r"limit; \d+ packets", log), log
    assert "ended: bytes limit" in log and "ended: seconds limit" in log
    # tshark reads what sluice wrote
    r = subprocess.run(["tshark", "-r", os.path.join(tmp, "admin.pcap"), "-T", "fields",
                        "-e", "vlan.id"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and Counter(r.stdout.split()) == {"101": len(beta)}, r.stderr


def test_capture_what_a_ring_refuses(tmp, peers):
    """A ring member whose consumer has stopped reading (SIGSTOP: still
    attached, its heartbeat long) fills up; what the ring refuses is dropped
    as tx_refused, and a capture of acme's drops by that reason gets exactly
    those packets, each one a frame the test sent."""
    from test_outputs import RINGCAT
    inp, _ = gen(tmp, "r", "--flows", 40, "--tenants", 1, "--vlan-base", 100, "--packets", 2)
    frames = read_pcap(inp)
    n = uid()[:8]
    iface, path = "slrr" + n, peers.path(f"/dev/shm/sl-test-{n}")
    admin = os.path.join(tmp, "admin.sock")
    cfg = sluice_config(
        [tap_in(iface)],
        [{"name": "ring", "ring": {"path": path, "frames": 8, "heartbeat_ms": 600000}}],
        [tenant("acme", 7, [pool("p", ["ring"])], match={"vlan": [100]})],
        admin={"socket": admin}, stats={"interval": 0.2})
    sl = peers.sluice(cfg)
    wait_for(lambda: os.path.exists(path) and link_up(iface) and os.path.exists(admin),
             "sluice to start", [sl.proc])
    cat = peers.start([RINGCAT, "--discard", path], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL)

    def member():
        st = stats_lines(sl.stats)
        return st[-1]["tenants"][0]["pools"][0]["members"][0] if st else None
    wait_for(lambda: member() is not None and member()["state"] == "up", "the ring consumer",
             [sl.proc, cat])
    os.kill(cat.pid, signal.SIGSTOP)
    try:
        c = Capture(peers, "refused", admin, "--tenant", "acme", "--what", "dropped",
                    "--reason", "tx_refused", "--seconds", 3)
        wait_for(c.started, "the capture to start", [c.proc, sl.proc])
        send_frames(iface, frames)
        got = c.finish()
        wait_for(lambda: stats_lines(sl.stats)[-1]["ledger"]["received"] >= len(frames),
                 "sluice to count every frame", [sl.proc])
        m = member()
    finally:
        os.kill(cat.pid, signal.SIGCONT)
    assert m["state"] == "up", m
    assert 0 < m["forwarded"] <= 8 and m["tx_refused"] > 0, m
    assert m["forwarded"] + m["tx_refused"] == len(frames), m
    assert len(got) == m["tx_refused"], (len(got), m)
    assert not Counter(got) - Counter(frames)
    final = sl.finish()
    assert final["ledger"]["balanced"]

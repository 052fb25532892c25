# SPDX-License-Identifier: BSD-3-Clause
"""End to end: changing a running sluice (issue: reload and each tenant's own
rules). Traffic keeps flowing into a TAP sluice reads while the configuration
is reloaded over the admin socket (tools/sl-admin), by SIGHUP, or one
tenant's rules over its own control socket; the members' pcap files are
read back flow by flow, and sluice's ledger must balance throughout."""
import collections
import json
import os
import signal
import socket
import stat
import struct
import subprocess
import threading
import time

import pytest

from conftest import (BUILD, ROOT, gen, pcap_outs, pool, read_pcap, sluice_config, tap_in,
                      tenant, uid, wait_for)
from test_outputs import link_up, send_frames

SL_ADMIN = os.path.join(ROOT, "tools", "sl-admin")
ASAN_SLUICE = os.path.join(os.path.dirname(BUILD), "build-asan", "app", "sluice", "sluice")
OUTS = ["o1", "o2", "o3", "o4"]


def admin(sock, cmd):
    """Ask the admin socket with tools/sl-admin: (exit status, answer)."""
    r = subprocess.run([SL_ADMIN, "-s", sock, cmd], capture_output=True, text=True,
                       timeout=120)
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def ask(sock_path, req):
    """One JSON request on a tenant's control socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(60)
        s.connect(sock_path)
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf)


def config(tmp, iface, b_pool, b_rules=None, b_keys=None, c_keys=None, with_c=True,
           extra_tenants=(), outputs=None, eal=None, **sections):
    """Three tenants: a (VLAN 100, o1+o2) and c (VLAN 102, o4) never change;
    b (VLAN 101) has the pool, rules and keys the test gives."""
    b = tenant("b", 2, [pool("p", b_pool)], match={"vlan": [101]}, **(b_keys or {}))
    if b_rules is not None:
        b["rules"] = b_rules
    tenants = [tenant("a", 1, [pool("p", ["o1", "o2"])], match={"vlan": [100]}), b]
    if with_c:
        tenants.append(tenant("c", 3, [pool("p", ["o4"])], match={"vlan": [102]},
                              **(c_keys or {})))
    tenants += list(extra_tenants)
    sections.setdefault("admin", {"socket": os.path.join(tmp, "admin.sock")})
    sections.setdefault("stats", {"interval": 0.2})
    return sluice_config([tap_in(iface)], outputs or pcap_outs(tmp, OUTS), tenants, eal=eal,
                         **sections)


def vlan_of(f):
    return struct.unpack("!H", f[14:16])[0] & 0xfff if f[12:14] == b"\x81\x00" else None


def flow_of(f):
    """Direction-free 5-tuple of a VLAN-tagged IPv4/IPv6 TCP/UDP frame."""
    et = struct.unpack("!H", f[16:18])[0]
    if et == 0x0800:
        ihl = (f[18] & 0xf) * 4
        proto, src, dst = f[27], f[30:34], f[34:38]
        l4 = 18 + ihl
    elif et == 0x86dd:
        proto, src, dst = f[24], f[26:42], f[42:58]
        l4 = 58
    else:
        return None
    sp, dp = struct.unpack("!HH", f[l4:l4 + 4])
    return (vlan_of(f), proto, frozenset([(src, sp), (dst, dp)]))


class Sender:
    """Sends frames into the TAP in a loop, paced, until stopped; counts
    what it sent per VLAN."""

    def __init__(self, iface, frames, per_round_pause=0.02):
        self.iface, self.frames, self.pause = iface, frames, per_round_pause
        self.sent = collections.Counter()
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((self.iface, 0))
            while not self.stop_ev.is_set():
                for i in range(0, len(self.frames), 16):
                    for f in self.frames[i:i + 16]:
                        s.send(f)
                        self.sent[vlan_of(f)] += 1
                    time.sleep(0.001)
                time.sleep(self.pause)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.t.join()


def captures(tmp):
    """{member: [frames]} of the members' pcap files."""
    return {o: read_pcap(os.path.join(tmp, o + ".pcap")) for o in OUTS}


def members_per_flow(caps, vlan):
    """{flow: {members}} for the frames of one VLAN."""
    seen = collections.defaultdict(set)
    for o, frames in caps.items():
        for f in frames:
            if vlan_of(f) == vlan:
                seen[flow_of(f)].add(o)
    return seen


def tap_dropped(iface):
    """Frames the kernel dropped on their way into sluice's TAP (its queue
    was full: sluice's lcore shares its CPU with whatever else runs)."""
    with open(f"/sys/class/net/{iface}/statistics/tx_dropped") as f:
        return int(f.read())


def tenant_stats(st, name):
    return next(t for t in st["tenants"] if t["name"] == name)


def start(tmp, peers, cfg_text):
    iface = "slrl" + uid()[:8]
    sl = peers.sluice(cfg_text.replace("IFACE", iface), extra=())
    wait_for(lambda: link_up(iface), "sluice's TAP", [sl.proc])
    sock = os.path.join(tmp, "admin.sock")
    wait_for(lambda: os.path.exists(sock), "the admin socket", [sl.proc])
    # the kernel's own frames on the TAP (IPv6 router solicitations) carry
    # no VLAN: they are dropped as no_tenant and told apart below
    subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{iface}.disable_ipv6=1"])
    sl.wait(sl.last, "the first stats line")
    return sl, iface, sock


def test_twenty_reloads_under_traffic(tmp, peers):
    """20 reloads in a row, alternating two configurations that change tenant
    b's rules and members, while traffic flows: nothing is lost (the ledger
    balances; a and c forward every frame sent; b drops only by its rule),
    and, flow by flow from the members' captures, no flow of a or c ever
    changes member."""
    inp, _ = gen(tmp, "in", "--flows", 300, "--tenants", 3, "--vlan-base", 100,
                 "--packets", 2, "--udp", 40, "--ipv6", 20, "--seed", 5)
    frames = read_pcap(inp)
    x = config(tmp, "IFACE", ["o3"])
    y = config(tmp, "IFACE", ["o3", "o4"],
               b_rules=[{"match": {"proto": "udp"}, "action": "drop"}])
    sl, iface, sock = start(tmp, peers, x)
    with Sender(iface, frames) as snd:
        wait_for(lambda: snd.sent[100] > 0 and (sl.last() or {}).get("ledger", {})
                 .get("received", 0) > 0, "traffic", [sl.proc])
        for i in range(20):
            with open(sl.cfg, "w") as f:
                f.write((y if i % 2 == 0 else x).replace("IFACE", iface))
            rc, rep = admin(sock, "reload")
            assert rc == 0 and rep["ok"], rep
            assert rep["generation"] == i + 2
            time.sleep(0.1)
    sent = snd.sent
    # everything that reached sluice is read and forwarded before it stops;
    # what the kernel dropped before its TAP never reached it
    sl.wait(lambda: (lambda st: sum(tenant_stats(st, n)["packets"] for n in "abc") +
                     tap_dropped(iface) >= sum(sent[v] for v in (100, 101, 102)) and
                     st["ledger"]["in_flight"] == 0)(sl.last()),
            "sluice to read what was sent")
    st = sl.finish()
    lg = st["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0, lg
    assert st["config"]["generation"] == 21 and st["config"]["ok"] == 20
    assert st["config"]["failed"] == 0
    got = {}
    for name, vlan in (("a", 100), ("c", 102)):
        t = tenant_stats(st, name)
        assert t["forwarded"] == t["packets"] and t["packets"] <= sent[vlan], t
        assert t["dropped"] == 0 and t["filtered"] == 0, t
        got[vlan] = t["packets"]
    b = tenant_stats(st, "b")
    assert b["packets"] <= sent[101] and b["dropped"] == 0, b
    assert b["forwarded"] + b["filtered"] == b["packets"]
    assert b["filtered"] > 0 and st["filtered"]["policy_drop"] == b["filtered"]
    # the only other drops are the kernel's own untagged frames
    assert st["drops"].get("no_tenant", 0) == lg["dropped"]
    caps = captures(tmp)
    for vlan, members in ((100, {"o1", "o2"}), (102, {"o4"})):
        per_flow = members_per_flow(caps, vlan)
        assert per_flow and all(len(m) == 1 for m in per_flow.values()), \
            {f: m for f, m in per_flow.items() if len(m) > 1}
        assert set().union(*per_flow.values()) <= members
        n = sum(1 for fr in caps["o1"] + caps["o2"] + caps["o4"] if vlan_of(fr) == vlan)
        assert n == got[vlan]
    # a's flows are spread over both members, as configured
    assert len(set().union(*members_per_flow(caps, 100).values())) == 2


def marked(vlan, sport, dport, tag, n, proto=6):
    """n frames of one flow, both directions, payload tag + index."""
    out = []
    for i in range(n):
        fwd = i % 2 == 0
        src, dst = (b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02")[::1 if fwd else -1]
        sp, dp = (sport, dport) if fwd else (dport, sport)
        payload = tag + b"%04d" % i
        l4 = (struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, 0x10, 512, 0, 0) if proto == 6
              else struct.pack("!HHHH", sp, dp, 8 + len(payload), 0))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4) + len(payload), 1, 0, 64,
                         proto, 0, src, dst)
        out.append(b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x81\x00" +
                   struct.pack("!H", vlan) + b"\x08\x00" + ip + l4 + payload)
    return out


def where(caps, tag):
    """{member: count} of frames carrying payload tag."""
    c = collections.Counter()
    for o, frames in caps.items():
        for f in frames:
            if tag in f:
                c[o] += 1
    return c


def test_rule_change_applies_to_existing_flow(tmp, peers):
    """A rule changed from forward to drop stops an existing flow at its next
    packet; changed back, the flow returns to the same member."""
    fwd = config(tmp, "IFACE", ["o3", "o4"])
    drop = config(tmp, "IFACE", ["o3", "o4"],
                  b_rules=[{"match": {"proto": "tcp", "dport": 8080}, "action": "drop"}])
    sl, iface, sock = start(tmp, peers, fwd)
    st0 = tenant_stats(sl.last(), "b")
    phases = [(b"PHASE1", fwd), (b"PHASE2", drop), (b"PHASE3", fwd)]
    for k, (tag, cfg) in enumerate(phases):
        if k > 0:
            with open(sl.cfg, "w") as f:
                f.write(cfg.replace("IFACE", iface))
            rc, rep = admin(sock, "reload")
            assert rc == 0, rep
        send_frames(iface, marked(101, 40000, 8080, tag, 10))
        want = 10 * (k + 1)
        sl.wait(lambda: (lambda t: t["forwarded"] + t["filtered"] - st0["forwarded"] -
                         st0["filtered"])(tenant_stats(sl.last(), "b")) >= want,
                f"phase {k + 1} handled")
    st = sl.finish()
    b = tenant_stats(st, "b")
    assert b["filtered"] == 10 and st["filtered"]["policy_drop"] == 10
    assert b["flows"] == 1  # one flow all along: re-classified, not re-created
    caps = captures(tmp)
    p1, p2, p3 = where(caps, b"PHASE1"), where(caps, b"PHASE2"), where(caps, b"PHASE3")
    assert sum(p2.values()) == 0
    assert len(p1) == 1 and sum(p1.values()) == 10, p1
    assert p3 == p1, (p1, p3)  # back on the same member


def bad_configs(tmp):
    """(what, configuration text, expected text after "path:line:col: ")."""
    ok = dict(tuning={"max_tenants": 8})
    good = config(tmp, "IFACE", ["o3"], **ok)
    return [
        ("yaml syntax", good + "tenants: [\n", "syntax"),
        ("unknown key", good.replace("stats:", "colour: blue\nstats:"), "unknown key"),
        ("overlapping vlan", good.replace("vlan: [102]", "vlan: [101]"), "overlaps"),
        ("new output", config(tmp, "IFACE", ["o3"], outputs=pcap_outs(tmp, OUTS + ["o5"]),
                              **ok), "needs a restart"),
        ("worker lcores", config(tmp, "IFACE", ["o3"], eal={"main_lcore": 0,
                                                            "worker_lcores": [1, 2]}, **ok),
         "needs a restart"),
        ("rule set over its memory bound",
         config(tmp, "IFACE", ["o3"], b_keys={"acl_memory": 65536}, b_rules=[
             {"match": {"src": f"10.{i // 256}.{i % 256}.0/24", "dport": i + 1},
              "action": "drop"} for i in range(3000)], **ok), "rules: tenant 'b'"),
        # dedup tables are made at start: turning dedup on needs a restart
        ("dedup turned on", config(tmp, "IFACE", ["o3"], b_keys={"dedup": {}}, **ok),
         "tenants[1].dedup"),
        ("too many tenants", config(tmp, "IFACE", ["o3"], extra_tenants=[
            tenant(f"t{i}", 10 + i, [pool("p", ["o1"])], match={"vlan": [300 + i]})
            for i in range(40)], **ok), "needs a restart"),
    ], good


def test_invalid_configurations_are_refused(tmp, peers):
    """Each class of error is refused with its position; the running
    configuration keeps running, traffic unaffected; SIGHUP with a bad file
    is refused the same way."""
    inp, _ = gen(tmp, "in", "--flows", 60, "--tenants", 3, "--vlan-base", 100,
                 "--packets", 2, "--seed", 9)
    frames = read_pcap(inp)
    bad_list, good = bad_configs(tmp)
    sl, iface, sock = start(tmp, peers, good)
    good = good.replace("IFACE", iface)
    with Sender(iface, frames) as snd:
        for what, bad, want in bad_list:
            bad = bad.replace("IFACE", iface)
            assert bad != good, what
            with open(sl.cfg, "w") as f:
                f.write(bad)
            rc, rep = admin(sock, "reload")
            assert rc == 1 and not rep["ok"], (what, rep)
            err = rep["error"]
            assert err.startswith(sl.cfg + ":"), (what, err)
            line, col = err[len(sl.cfg) + 1:].split(":")[:2]
            assert int(line) > 0 and int(col) > 0, (what, err)
            assert want in err, (what, err)
            rc, st = admin(sock, "status")
            assert st["reloads"]["generation"] == 1 and st["reloads"]["last_error"] == err
        # SIGHUP re-reads the (still bad) file: refused and counted too
        failed = len(bad_list)
        sl.proc.send_signal(signal.SIGHUP)
        sl.wait(lambda: (sl.last() or {}).get("config", {}).get("failed") == failed + 1,
                "the SIGHUP reload to be refused")
        with open(sl.cfg, "w") as f:
            f.write(good)
        rc, rep = admin(sock, "reload")
        assert rc == 0 and rep["generation"] == 2
    sent = snd.sent
    sl.wait(lambda: (lambda st: sum(tenant_stats(st, n)["packets"] for n in "abc") +
                     tap_dropped(iface) >= sent[100] + sent[101] + sent[102] and
                     st["ledger"]["in_flight"] == 0)(sl.last()),
            "sluice to read what was sent")
    st = sl.finish()
    assert st["ledger"]["balanced"]
    assert st["config"]["failed"] == failed + 1 and st["config"]["ok"] == 1
    assert "sluice.yaml" in sl.stderr() and "reload refused" in sl.stderr()
    for name, vlan in (("a", 100), ("b", 101), ("c", 102)):
        t = tenant_stats(st, name)
        assert t["forwarded"] == t["packets"] and t["dropped"] == 0, t
        assert 0 < t["packets"] <= sent[vlan], t


def test_tenant_reload_rules(tmp, peers):
    """A tenant's reload-rules re-reads its rules file and changes that tenant
    alone; a rules file that reaches beyond the tenant is refused with its
    position, and the tenant's rules stay as they were."""
    rules = os.path.join(tmp, "b.rules.yaml")
    ctl = os.path.join(tmp, "b.sock")
    with open(rules, "w") as f:
        f.write("rules: []\n")
    cfg = config(tmp, "IFACE", ["o3"],
                 b_keys={"rules_file": "b.rules.yaml", "control": {"socket": ctl}})
    sl, iface, sock = start(tmp, peers, cfg)
    gens = lambda: {t["name"]: t["policy_generation"] for t in sl.last()["tenants"]}
    g0 = gens()
    send_frames(iface, marked(101, 1000, 53, b"BEFORE", 4, proto=17))
    sl.wait(lambda: tenant_stats(sl.last(), "b")["forwarded"] >= 4, "b's first frames")
    with open(rules, "w") as f:
        f.write("rules:\n  - {name: no-udp, match: {proto: udp}, action: drop}\n")
    rep = ask(ctl, {"cmd": "reload-rules"})
    assert rep["ok"] and rep["rules"] == 1, rep
    sl.wait(lambda: gens()["b"] == g0["b"] + 1, "b's new policy generation")
    assert gens()["a"] == g0["a"] and gens()["c"] == g0["c"]
    send_frames(iface, marked(101, 1000, 53, b"AFTER", 4, proto=17))
    sl.wait(lambda: tenant_stats(sl.last(), "b")["filtered"] >= 4, "b's rule to drop")
    refused = [
        ("rules:\n  - {match: {proto: tcp}, action: forward, pools: p}\npools: []\n",
         ":3:1: pools: a tenant's rules file holds only 'rules'"),
        ("rules:\n  - {match: {proto: tcp}, action: forward, pools: nothere}\n",
         ":2:51: rules[0].pools: unknown pool 'nothere'"),
        ("rules:\n  - {match: {proto: tcp}, action: forward, output: o1}\n",
         ":2:44: rules[0].output: unknown key 'output'"),
        ("rules:\n  - {match: {proto: tcp}, action: forward\n", ":3:1: syntax"),
    ]
    for text, want in refused:
        with open(rules, "w") as f:
            f.write(text)
        rep = ask(ctl, {"cmd": "reload-rules"})
        assert not rep["ok"] and rep["error"].startswith(rules + want), (want, rep)
    # refused: the running rules are those of the last good file
    assert gens()["b"] == g0["b"] + 1
    send_frames(iface, marked(101, 1000, 53, b"STILL", 4, proto=17))
    sl.wait(lambda: tenant_stats(sl.last(), "b")["filtered"] >= 8, "b's rule still there")
    st = sl.finish()
    b = tenant_stats(st, "b")
    assert b["control"]["rule_reloads"] == 1
    assert b["control"]["rule_reloads_failed"] == len(refused)
    caps = captures(tmp)
    assert sum(where(caps, b"BEFORE").values()) == 4
    assert sum(where(caps, b"AFTER").values()) == 0
    assert sum(where(caps, b"STILL").values()) == 0


def test_reload_changes_control_sockets(tmp, peers):
    """A reload moves tenant b's control socket (the old path goes, its
    clients are disconnected, the new one answers with the new mode), gives
    tenant c a socket it did not have, applies c's max_clients, and removes
    nothing else."""
    b1, b2, c1 = (os.path.join(tmp, n) for n in ("b1.sock", "b2.sock", "c1.sock"))
    cfg1 = config(tmp, "IFACE", ["o3"], b_keys={"control": {"socket": b1}})
    sl, iface, sock = start(tmp, peers, cfg1)
    assert ask(b1, {"cmd": "ping"}) == {"ok": True, "tenant": "b"}
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    held.settimeout(30)
    held.connect(b1)
    cfg2 = config(tmp, iface, ["o3"], b_keys={"control": {"socket": b2, "mode": "0600"}},
                  c_keys={"control": {"socket": c1, "max_clients": 1}})
    with open(sl.cfg, "w") as f:
        f.write(cfg2)
    rc, rep = admin(sock, "reload")
    assert rc == 0 and rep["ok"], rep
    assert not os.path.exists(b1)
    assert held.recv(100) == b""  # the old socket's client was disconnected
    held.close()
    assert stat.S_IMODE(os.stat(b2).st_mode) == 0o600
    assert ask(b2, {"cmd": "ping"}) == {"ok": True, "tenant": "b"}
    assert ask(c1, {"cmd": "ping"}) == {"ok": True, "tenant": "c"}
    # max_clients 1: a second client at once is told why and closed
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as first:
        first.settimeout(30)
        first.connect(c1)
        first.sendall(b'{"cmd":"ping"}\n')
        assert json.loads(first.recv(4096))["ok"]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as second:
            second.settimeout(30)
            second.connect(c1)  # answered and closed without being asked
            rep2 = json.loads(second.recv(4096))
        assert rep2 == {"ok": False, "error": "too many clients (max_clients 1)"}, rep2
    st = sl.finish()
    assert tenant_stats(st, "c")["control"]["refused_clients"] == 1
    assert tenant_stats(st, "b")["control"]["socket"] == b2
    assert "control" not in tenant_stats(st, "a")


def test_removed_tenant_flows_end_with_reason_reload(tmp, peers):
    """A reload that removes a tenant ends its flows with a record whose
    reason is reload, written where that tenant's records went."""
    recs = os.path.join(tmp, "c.records")
    with_c = config(tmp, "IFACE", ["o3"], c_keys={"flow_records": {"file": recs}})
    without_c = config(tmp, "IFACE", ["o3"], with_c=False)
    sl, iface, sock = start(tmp, peers, with_c)
    send_frames(iface, marked(102, 2000, 443, b"CFLOW", 6))
    sl.wait(lambda: tenant_stats(sl.last(), "c")["flows"] == 1, "c's flow")
    with open(sl.cfg, "w") as f:
        f.write(without_c.replace("IFACE", iface))
    rc, rep = admin(sock, "reload")
    assert rc == 0, rep
    wait_for(lambda: os.path.exists(recs) and open(recs).read().strip(),
             "c's flow record", [sl.proc])
    st = sl.finish()
    assert [t["name"] for t in st["tenants"]] == ["a", "b"]
    lines = [json.loads(l) for l in open(recs) if l.strip()]
    assert len(lines) == 1 and lines[0]["flow"]["reason"] == "reload", lines
    assert lines[0]["flow"]["pkts_toserver"] + lines[0]["flow"]["pkts_toclient"] == 6


@pytest.mark.skipif(not os.path.exists(ASAN_SLUICE), reason="no ASan build (tools/test.sh makes it)")
def test_reload_soak_asan(tmp, peers):
    """200 reloads under traffic with the ASan build: no error, no leak (the
    DPDK heap does not grow from reload to reload, as LeakSanitizer checks
    malloc at exit), the ledger balances."""
    inp, _ = gen(tmp, "in", "--flows", 100, "--tenants", 3, "--vlan-base", 100,
                 "--packets", 2, "--seed", 13)
    frames = read_pcap(inp)
    x = config(tmp, "IFACE", ["o3"])
    y = config(tmp, "IFACE", ["o3", "o4"],
               b_rules=[{"match": {"proto": "udp"}, "action": "drop"}])
    iface = "slrl" + uid()[:8]
    cfgp = os.path.join(tmp, "sluice.yaml")
    with open(cfgp, "w") as f:
        f.write(x.replace("IFACE", iface))
    prefix = peers.prefix()
    err = peers.open("asan.err")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    proc = peers.start([ASAN_SLUICE, "--config", cfgp, "--stats-path",
                        os.path.join(tmp, "stats.json"), "--", f"--file-prefix={prefix}",
                        "--in-memory", "--log-level=lib.eal:error"],
                       stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=tmp)
    sock = os.path.join(tmp, "admin.sock")
    wait_for(lambda: link_up(iface) and os.path.exists(sock), "sluice (ASan)", [proc])
    heaps = []
    with Sender(iface, frames, per_round_pause=0.05):
        for i in range(200):
            with open(cfgp, "w") as f:
                f.write((y if i % 2 == 0 else x).replace("IFACE", iface))
            rc, rep = admin(sock, "reload")
            assert rc == 0, rep
            if i % 50 == 49:
                # every retired table freed once the workers moved on
                st = wait_for(lambda: (lambda s: s if s["retired_tables"] == 0 else None)(
                    admin(sock, "status")[1]), "retired tables to be freed", [proc])
                heaps.append(st["heap_allocated"])
    # DPDK's own allocations move the heap by a few hundred bytes; one
    # table left behind per reload would add tens of kilobytes each time
    assert max(heaps) - min(heaps) < 65536, heaps
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    err.seek(0)
    text = err.read()
    assert proc.returncode == 0, text[-4000:]
    assert "ERROR: AddressSanitizer" not in text and "runtime error" not in text, text[-4000:]
    last = [json.loads(l)["stats"] for l in open(os.path.join(tmp, "stats.json"))][-1]
    assert last["final"] and last["ledger"]["balanced"]
    assert last["config"]["ok"] == 200 and last["config"]["generation"] == 201

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: one tenant cannot hurt another (issue: quotas, meters and the
noisy neighbour). Tenant B sends at a normal rate; tenant A, at the same
time, floods random 5-tuples at ten times its rate meter, with its maximum
number of rules and its only analyzer dead. B must lose nothing, every B flow
must have an entry and a flow record, and B's flows must reach the same
members as in a run without A, flow by flow from the members' captures.
Traffic is played into a TAP by tcpreplay at a fixed rate."""
import collections
import json
import os
import random
import shutil
import struct
import subprocess

import pytest

from conftest import gen, pcap_out, pool, read_pcap, sluice_config, tap_in, tenant, uid, wait_for
from test_outputs import link_up

TCPREPLAY = shutil.which("tcpreplay")
A_VLAN, B_VLAN = 300, 200
B_FLOWS, B_PKTS = 2000, 4
A_FLOOD = 80000          # one packet per new random flow
A_RATE = 2000            # A's meter, pps
PPS = 22000              # what tcpreplay plays: A ~20000 (10x its meter), B ~2000
A_RULES = 4096


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(fr),
                                len(fr)))
            f.write(fr)


def flood_frames(n, seed=7):
    """n UDP/TCP frames of tenant A, each its own random 5-tuple."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        proto = rnd.choice((6, 17))
        src, dst = rnd.getrandbits(32).to_bytes(4, "big"), rnd.getrandbits(32).to_bytes(4, "big")
        sp, dp = rnd.randrange(1024, 65536), rnd.randrange(1, 65536)
        l4 = (struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, 0x02, 512, 0, 0) if proto == 6
              else struct.pack("!HHHH", sp, dp, 8, 0))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
        out.append(b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x81\x00" +
                   struct.pack("!H", A_VLAN) + b"\x08\x00" + ip + l4)
    return out


def interleave(a, b):
    """a and b mixed evenly (b's order kept)."""
    out, ia = [], 0
    step = len(a) / max(len(b), 1)
    for j, fb in enumerate(b):
        upto = int((j + 1) * step)
        out.extend(a[ia:upto])
        ia = upto
        out.append(fb)
    out.extend(a[ia:])
    return out


def vlan_of(f):
    return struct.unpack("!H", f[14:16])[0] & 0xfff if f[12:14] == b"\x81\x00" else None


def five_tuple(f):
    """Direction-free key of a VLAN-tagged IPv4/IPv6 TCP/UDP frame."""
    et = struct.unpack("!H", f[16:18])[0]
    if et == 0x0800:
        ihl = (f[18] & 0xf) * 4
        proto, src, dst, l4 = f[27], f[30:34], f[34:38], 18 + ihl
    else:
        proto, src, dst, l4 = f[24], f[26:42], f[42:58], 58
    sp, dp = struct.unpack("!HH", f[l4:l4 + 4])
    return proto, frozenset([(src, sp), (dst, dp)])


def config(tmp, iface, with_rules, ring):
    a_rules = [{"match": {"src": f"198.18.{i // 256}.{i % 256}/32", "dport": 1 + i},
                "action": "bypass"} for i in range(A_RULES)] if with_rules else None
    a = tenant("a", 1, [pool("p", ["dead"], on_member_down="drop")], match={"vlan": [A_VLAN]},
               max_flows=1024, max_rules=A_RULES, rate={"pps": A_RATE},
               flow_records={"file": os.path.join(tmp, "a.records")})
    if a_rules:
        a["rules"] = a_rules
    b = tenant("b", 2, [pool("p", ["b1", "b2"])], match={"vlan": [B_VLAN]}, max_flows=3000,
               rules=[{"name": "no-tcp", "match": {"proto": "tcp"}, "action": "drop"}],
               flow_records={"file": os.path.join(tmp, "b.records")})
    outs = [pcap_out("b1", os.path.join(tmp, "b1.pcap"), 1),
            pcap_out("b2", os.path.join(tmp, "b2.pcap"), 2),
            # A's only analyzer: a ring nobody reads, so it is down
            {"name": "dead", "ring": {"path": ring, "frames": 256, "heartbeat_ms": 100}}]
    return sluice_config([tap_in(iface)], outs, [a, b],
                         flow_table={"size": 4096, "timeouts": {"tcp": 3600, "udp": 3600}},
                         stats={"interval": 0.2})


def run(tmp, peers, frames, with_a):
    sub = os.path.join(tmp, "with-a" if with_a else "alone")
    os.makedirs(sub, exist_ok=True)
    pcap = os.path.join(sub, "in.pcap")
    write_pcap(pcap, frames)
    iface = "sliso" + uid()[:7]
    ring = peers.path(f"/dev/shm/sl-iso-{uid()}.ring")
    # each run in its own directory: sluice.yaml, stats and captures; the
    # same configuration, only the traffic differs
    sl = peers.sluice(config(sub, iface, True, ring), workdir=sub)
    wait_for(lambda: link_up(iface), "sluice's TAP", [sl.proc])
    subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{iface}.disable_ipv6=1"])
    sl.wait(sl.last, "the first stats line")
    r = subprocess.run([TCPREPLAY, "-i", iface, f"--pps={PPS if with_a else PPS // 11}",
                        "--preload-pcap", pcap], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    sent_b = sum(1 for f in frames if vlan_of(f) == B_VLAN)
    sl.wait(lambda: next(t for t in sl.last()["tenants"] if t["name"] == "b")["packets"]
            == sent_b, "B's packets to be read")
    st = sl.finish()
    caps = {m: read_pcap(os.path.join(sub, m + ".pcap")) for m in ("b1", "b2")}
    recs = [json.loads(l) for l in open(os.path.join(sub, "b.records")) if l.strip()]
    return st, caps, recs


@pytest.mark.skipif(TCPREPLAY is None, reason="tcpreplay not installed")
def test_noisy_neighbour(tmp, peers):
    inp, _ = gen(tmp, "b", "--flows", B_FLOWS, "--tenants", 1, "--vlan-base", B_VLAN,
                     "--packets", B_PKTS, "--udp", 50, "--seed", 21)
    b_frames = read_pcap(inp)
    assert len(b_frames) == B_FLOWS * B_PKTS
    b_tcp = sum(1 for f in b_frames if five_tuple(f)[0] == 6)
    mixed = interleave(flood_frames(A_FLOOD), b_frames)

    alone, caps0, recs0 = run(tmp, peers, b_frames, with_a=False)
    noisy, caps1, recs1 = run(tmp, peers, mixed, with_a=True)

    for st in (alone, noisy):
        assert st["ledger"]["balanced"], st["ledger"]
        b = next(t for t in st["tenants"] if t["name"] == "b")
        # B lost nothing: every packet read, its TCP filtered by its own
        # rule, the rest forwarded; nothing dropped
        assert b["packets"] == len(b_frames) and b["dropped"] == 0, b
        assert b["filtered"] == b_tcp and b["forwarded"] == len(b_frames) - b_tcp, b
        # every B flow had an entry, and has its record
        assert b["flows"] == B_FLOWS and b["flow_quota"] == 0 and b["no_entry"] == 0, b
        assert b["flow_records"] == B_FLOWS and b["flow_records_lost"] == 0, b
    assert len(recs0) == len(recs1) == B_FLOWS
    keys = lambda recs: {(r["proto"], r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
                         for r in recs}
    assert keys(recs0) == keys(recs1)

    # A was held to its bounds: over its meter, over its max_flows, its
    # analyzer down
    a = next(t for t in noisy["tenants"] if t["name"] == "a")
    assert a["rate_exceeded"] > 0 and a["packets"] > a["rate_exceeded"], a
    assert a["flows_active"] <= 1024 and a["flow_quota"] > 0, a
    assert noisy["drops"]["rate_exceeded"] == a["rate_exceeded"]
    assert noisy["drops"]["member_down"] > 0
    assert a["bounds"]["max_flows"] == 1024 and a["bounds"]["rate_pps"] == A_RATE

    # B's flows reached the same members as without A, flow by flow
    def members(caps):
        m = collections.defaultdict(set)
        for name, frames in caps.items():
            for f in frames:
                if vlan_of(f) == B_VLAN:
                    m[five_tuple(f)].add(name)
        return m
    m0, m1 = members(caps0), members(caps1)
    tcp_flows = {five_tuple(f) for f in b_frames if five_tuple(f)[0] == 6}
    assert len(m0) == B_FLOWS - len(tcp_flows)
    assert all(len(v) == 1 for v in m1.values())
    assert m0 == m1

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: tunnelled mirrors and IP fragments through the real binary.

- An AWS-style VXLAN mirror (two VNIs = two tenants, identical outer
  headers) spreads every tenant over its 4 members within 10 % of even, and
  keeps each inner flow, both directions, on one member.
- Corpus pcaps with VXLAN, GRE, ERSPAN and PPPoE count as many tunnelled
  packets as tshark decodes.
- Fragment trains (in order, reversed, interleaved, first fragment lost,
  overlapping; IPv4 and IPv6) land on their flow's member, in arrival order.
The outputs are read by a small independent pcap reader below (offsets per
the RFCs), by scapy and by tshark; never by sluice's own parser.
"""
import collections
import ipaddress
import os
import struct
import subprocess

import pytest

from conftest import (CORPUS, gen, null_out, pcap_count, pcap_in, pcap_out, pcap_outs, pool,
                      read_pcap, run_sluice, sluice_config, tenant)


def ip_tuple(b, off):
    """(src, dst, proto, sport, dport, frag) of the IP packet at b[off:]."""
    v = b[off] >> 4
    if v == 4:
        ihl = (b[off] & 15) * 4
        proto = b[off + 9]
        src, dst = bytes(b[off + 12:off + 16]), bytes(b[off + 16:off + 20])
        ff = struct.unpack("!H", b[off + 6:off + 8])[0]
        ident = struct.unpack("!H", b[off + 4:off + 6])[0]
        foff, more = (ff & 0x1fff) * 8, bool(ff & 0x2000)
        l4 = off + ihl
    else:
        proto = b[off + 6]
        src, dst = bytes(b[off + 8:off + 24]), bytes(b[off + 24:off + 40])
        l4 = off + 40
        foff, more, ident = 0, False, None
        if proto == 44:
            proto = b[l4]
            fo = struct.unpack("!H", b[l4 + 2:l4 + 4])[0]
            foff, more = fo & 0xfff8, bool(fo & 1)
            ident = struct.unpack("!I", b[l4 + 4:l4 + 8])[0]
            l4 += 8
    sport = dport = 0
    frag = ident is not None and (foff != 0 or more)
    if proto in (6, 17) and foff == 0:
        sport, dport = struct.unpack("!HH", b[l4:l4 + 4])
    return src, dst, proto, sport, dport, (ident, foff, more) if frag else None


def inner_of_vxlan(b):
    """sl-gen's envelope: Ethernet/IPv4/UDP/VXLAN, then an untagged frame."""
    assert struct.unpack("!H", b[12:14])[0] == 0x0800 and b[23] == 17
    ihl = (b[14] & 15) * 4
    udp = 14 + ihl
    assert struct.unpack("!H", b[udp + 2:udp + 4])[0] == 4789
    vni = struct.unpack("!I", b[udp + 12:udp + 16])[0] >> 8
    inner = udp + 16
    return vni, ip_tuple(b, inner + 14)


def flow_of(t):
    src, dst, proto, sport, dport, _ = t
    return frozenset(((src, sport), (dst, dport))), proto


def members_config(inp, out, tenants, workers=(1,)):
    """tenants: (name, match, members, hash); member <name><i> writes to
    out/<name><i>.pcap."""
    names, tens = [], []
    for name, match, k, hash_ in tenants:
        mem = [f"{name}{i}" for i in range(k)]
        names += mem
        # id: one past the outputs so far (unique, as any id would do)
        tens.append(tenant(name, len(names) + 1, [pool("p", mem, hash=hash_)], match=match))
    return sluice_config([pcap_in(inp)], pcap_outs(out, names), tens,
                         eal={"main_lcore": 0, "worker_lcores": list(workers)},
                         flow_table={"size": 65536}, tuning={"mbufs": 65535})


def test_aws_mirror_spreads_inner_flows(tmp):
    pcap, flows = gen(tmp, "aws", "--vxlan", 1000, "--tenants", 2, "--flows", 10000,
                      "--udp", 30, "--ipv6", 20, "--packets", 2)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    cfg = members_config(pcap, out, [("s0", {"vni": [1000]}, 4, "5-tuple"),
                                     ("s1", {"vni": [1001]}, 4, "5-tuple")])
    r = run_sluice(tmp, cfg, timeout=300)
    assert r.rc == 0, r.stderr
    s = r.final
    assert s["ledger"]["balanced"] and s["ledger"]["forwarded"] == pcap_count(pcap)
    assert s["tunnels"]["vxlan"] == pcap_count(pcap)
    where = collections.defaultdict(set)
    for t in ("s0", "s1"):
        counts = []
        for i in range(4):
            pkts = read_pcap(os.path.join(out, f"{t}{i}.pcap"))
            counts.append(len(pkts))
            for b in pkts:
                vni, tup = inner_of_vxlan(b)
                assert vni == 1000 + int(t[1])  # a session's members hold only it
                where[(vni, flow_of(tup))].add((t, i))
        mean = sum(counts) / 4
        assert all(abs(c - mean) <= 0.10 * mean for c in counts), counts
    assert len(where) == 10000
    assert all(len(m) == 1 for m in where.values())
    # both directions of every listed flow were delivered
    seen = collections.Counter()
    for t in ("s0", "s1"):
        for i in range(4):
            for b in read_pcap(os.path.join(out, f"{t}{i}.pcap")):
                seen[inner_of_vxlan(b)[1][0]] += 1
    for row in flows[:200]:
        src = ipaddress.ip_address(row["src"]).packed
        dst = ipaddress.ip_address(row["dst"]).packed
        assert seen[src] >= 1 and seen[dst] >= 1


def tshark_count(pcap, display_filter):
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields",
                        "-e", "frame.number"], capture_output=True, text=True, timeout=120)
    return len([l for l in r.stdout.splitlines() if l.strip()])


CORPUS_TUNNELS = [  # file, sluice counter, tshark filter
    ("vxlan-decoder-02_vxlan.pcap", "vxlan", "vxlan"),
    ("arp_detect-arp-04-vxlan_vxlan-arp.pcap", "vxlan", "vxlan"),
    ("decode-erspan-typeII-01_input.pcap", "erspan2", "erspan"),
    ("decode-erspan-typeI-02_input.pcap", "erspan1", "eth.type == 0x88be || gre.proto == 0x88be"),
    ("pppoe_input.pcap", "pppoe", "pppoes"),
    ("bug-5633-gre-01_gre-udp.pcap", "gre", "gre"),
]


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("name,counter,flt", CORPUS_TUNNELS, ids=[c[0] for c in CORPUS_TUNNELS])
def test_corpus_tunnel_counters(tmp, name, counter, flt):
    pcap = os.path.join(CORPUS, name)
    cfg = sluice_config([pcap_in(pcap)], [null_out("o", 0)],
                        [tenant("all", 1, [pool("p", ["o"])],
                                match={"untagged": True, "vlan": ["1-4094"]})])
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    s = r.final
    assert s["ledger"]["balanced"] and s["ledger"]["received"] == pcap_count(pcap)
    expected = tshark_count(pcap, flt)
    assert expected > 0
    assert s["tunnels"][counter] == expected, (s["tunnels"], s["tunnel_errors"])


FRAG_CASES = [("in", 1), ("reverse", 1), ("interleave", 1), ("drop-first", 1), ("overlap", 1),
              ("reverse", 2), ("interleave", 2)]


@pytest.mark.parametrize("order,workers", FRAG_CASES, ids=[f"{o}-{w}w" for o, w in FRAG_CASES])
def test_fragment_trains_land_on_their_flow_member(tmp, order, workers):
    args = ["--flows", 300, "--ipv6", 40, "--udp", 50, "--packets", 4, "--frame", 1400,
            "--fragment", 576]
    args += ["--frag-overlap"] if order == "overlap" else ["--frag-order", order]
    pcap, flows = gen(tmp, "frag", *args)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    # two workers: software distribution, the owner chosen from addresses
    cfg = members_config(pcap, out, [("t", {"vlan": [100]}, 4, "5-tuple")],
                         workers=(1, 2) if workers == 2 else (1,))
    r = run_sluice(tmp, cfg, lcores="0@0,1@1,2@1" if workers == 2 else None)
    assert r.rc == 0, r.stderr
    s = r.final
    lg = s["ledger"]
    assert lg["balanced"] and lg["forwarded"] == pcap_count(pcap) and lg["frag_held"] == 0
    if workers == 2:
        assert s["workers"][1]["ring_in"] > 0
    fr = s["fragments"]
    # read back: datagram -> member (and arrival order), flow -> members
    dgram_member, flow_members, dgram_seq = {}, collections.defaultdict(set), {}
    first_of = {}
    for i in range(4):
        for b in read_pcap(os.path.join(out, f"t{i}.pcap")):
            tup = ip_tuple(b, 18)  # Ethernet + one VLAN tag
            src, dst, proto, sport, dport, frag = tup
            if frag is None:
                flow_members[flow_of(tup)].add(i)
                continue
            dk = (src, dst, proto, frag[0])
            assert dgram_member.setdefault(dk, i) == i, f"datagram split over members ({order})"
            dgram_seq.setdefault(dk, []).append(frag[1])
            if frag[1] == 0:
                first_of[dk] = flow_of(tup)
    for dk, fl in first_of.items():
        flow_members[fl].add(dgram_member[dk])
    # every flow whose first fragments arrived: all its datagrams on one member
    for fl, m in flow_members.items():
        assert len(m) == 1, f"flow on members {m} ({order})"
    # arrival order preserved within each datagram (compare with the input)
    in_seq = {}
    for b in read_pcap(pcap):
        tup = ip_tuple(b, 18)
        if tup[5] is not None:
            in_seq.setdefault((tup[0], tup[1], tup[2], tup[5][0]), []).append(tup[5][1])
    assert dgram_seq == in_seq
    if order == "in":
        assert fr["held"] == 0 and fr["sent"] > 0
    if order == "reverse":
        assert fr["held"] > 0 and fr["released_matched"] == fr["held"]
    if order == "interleave":
        assert fr["released_matched"] == fr["held"]
    if order == "drop-first":
        assert fr["released_unmatched"] > 0 and fr["released_matched"] == 0
    if order == "overlap":
        assert fr["overlap"] > 0


def one_pool(inp, out, match, **pool_keys):
    """Tenant t (also the default tenant) with one pool of one member, o,
    writing to the pcap file out."""
    return sluice_config([pcap_in(inp)], [pcap_out("o", out, 1)],
                         [tenant("t", 1, [pool("p", ["o"], **pool_keys)], match=match,
                                 default_pool="p")],
                         default_tenant="t")


@pytest.mark.parametrize("mode", ["none", "outer", "outer-retag", "outer-keep-vlan"])
def test_strip_vxlan(tmp, mode):
    pcap, _ = gen(tmp, "vx", "--vxlan", 5, "--flows", 40, "--packets", 2, "--udp", 50)
    if mode == "outer-keep-vlan":  # the mirror arrives on tenant VLAN 300
        raw = read_pcap(pcap)
        from scapy.all import Ether, wrpcap
        pcap = os.path.join(tmp, "vx300.pcap")
        wrpcap(pcap, [Ether(b[:12] + b"\x81\x00\x01\x2c" + b[12:]) for b in raw])
    out = os.path.join(tmp, "o.pcap")
    keys = {} if mode == "none" else {"strip": mode}
    if mode == "outer-retag":
        keys["retag_vlan"] = 77
    r = run_sluice(tmp, one_pool(pcap, out, {"vni": [5]}, **keys))
    assert r.rc == 0, r.stderr
    assert r.final["ledger"]["balanced"]
    got, sent = read_pcap(out), read_pcap(pcap)
    assert len(got) == len(sent) == 80
    for g, s in zip(got, sent):
        if mode == "outer-keep-vlan":
            inner = s[54:]  # envelope + the outer tag
            assert g == inner[:12] + b"\x81\x00\x01\x2c" + inner[12:]
            continue
        inner = s[50:]  # sl-gen's envelope is 50 bytes
        if mode == "none":
            assert g == s
        elif mode == "outer":
            assert g == inner
        else:
            assert g == inner[:12] + b"\x81\x00\x00\x4d" + inner[12:]
    assert r.final["workers"][0]["stripped"] == (0 if mode == "none" else 80)


def test_strip_builds_ethernet_for_bare_ip_payloads(tmp):
    from scapy.all import GRE, IP, UDP, Ether, IPv6, wrpcap
    e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    inner4 = IP(src="10.1.1.1", dst="10.2.2.2") / UDP(sport=1111, dport=53) / (b"q" * 20)
    inner6 = IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=2222, dport=53) / (b"r" * 20)
    plain = e / IP(src="10.9.9.9", dst="10.8.8.8") / UDP(sport=5, dport=6) / (b"s" * 20)
    pkts = [e / IP(src="192.0.2.1", dst="192.0.2.2") / GRE(proto=0x0800) / inner4,
            e / IP(src="192.0.2.1", dst="192.0.2.2") / inner6,   # 6in4
            plain]
    inp = os.path.join(tmp, "g.pcap")
    wrpcap(inp, pkts)
    out = os.path.join(tmp, "o.pcap")
    r = run_sluice(tmp, one_pool(inp, out, {"untagged": True}, strip="outer"))
    assert r.rc == 0, r.stderr
    got = read_pcap(out)
    assert got[0] == bytes(e)[:12] + b"\x08\x00" + bytes(inner4)
    assert got[1] == bytes(e)[:12] + b"\x86\xdd" + bytes(inner6)
    assert got[2] == bytes(plain)  # nothing to strip: unchanged
    s = r.final
    assert s["tunnels"]["gre"] == 1 and s["tunnels"]["ipip"] == 1
    assert s["workers"][0]["stripped"] == 2


def test_tunnel_tenant_vlan_filter(tmp):
    """A tunnel tenant with a vlan list takes its tunnel ids only on those
    outer VLANs (docs/configuration.md): the same VXLAN mirror tagged 300,
    tagged 301 and untagged reaches three tenants, and plain traffic on VLAN
    300 the VLAN tenant."""
    from scapy.all import IP, UDP, Dot1Q, Ether, wrpcap
    pcap, _ = gen(tmp, "vx", "--vxlan", 5, "--flows", 20, "--packets", 2, "--udp", 50)
    raw = read_pcap(pcap)
    assert len(raw) == 40

    def tagged(b, vid):
        return b[:12] + struct.pack("!HH", 0x8100, vid) + b[12:]
    plain = [bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=300) /
                   IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + i, dport=53) /
                   (b"p" * 20)) for i in range(7)]
    frames = ([tagged(b, 300) for b in raw] + [tagged(b, 301) for b in raw] + raw + plain)
    inp = os.path.join(tmp, "mix.pcap")
    wrpcap(inp, [Ether(f) for f in frames])
    outs = {n: os.path.join(tmp, n + ".pcap") for n in ("campus", "lab", "other")}
    cfg = sluice_config(
        [pcap_in(inp)],
        [pcap_out(n, p, i + 1) for i, (n, p) in enumerate(outs.items())],
        [tenant("campus", 20, [pool("p", ["campus"])], match={"vni": [5], "vlan": [300]}),
         tenant("lab", 21, [pool("p", ["lab"])], match={"vlan": [300, 301]}),
         tenant("other", 22, [pool("p", ["other"])], match={"untagged": True})])
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    assert r.final["ledger"]["balanced"]
    got = {n: read_pcap(p) for n, p in outs.items()}
    assert sorted(got["campus"]) == sorted(tagged(b, 300) for b in raw)
    assert sorted(got["lab"]) == sorted([tagged(b, 301) for b in raw] + plain)
    assert sorted(got["other"]) == sorted(raw)
    assert r.final["tunnels"]["vxlan"] == 120

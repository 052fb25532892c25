# SPDX-License-Identifier: BSD-3-Clause
"""End to end: multi-tenant, flow-whole distribution through the real binary.

sl-gen writes traffic and its flow list; sluice reads it from net_pcap and
writes each member to a pcap; scapy (an independent reader) checks that
every flow of the list is whole, on exactly one member of its own tenant,
and that the ledger equals what the files hold.
"""
import collections
import os

from scapy.all import ARP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMP, IPv6, Raw, rdpcap, wrpcap
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest

from conftest import (gen, pcap_count, pcap_in, pcap_outs, pool, run_sluice, sluice_config,
                      tenant)

for _l4 in (TCP, UDP):
    _l4.guess_payload_class = lambda self, payload: Raw

TENANTS = [  # (name, id, vlan, hash, members)
    ("acme", 100, 100, "5-tuple", 3),
    ("globex", 101, 101, "3-tuple", 2),
    ("initech", 102, 102, "2-tuple", 4),
]


def config(inp, outdir, workers=(1,), tenant_keys=None):
    """TENANTS, each with one pool of its members <name><i> writing to
    outdir/<name><i>.pcap; tenant_keys: {tenant name: extra keys}."""
    names = [f"{name}{i}" for name, _, _, _, k in TENANTS for i in range(k)]
    tenants = [tenant(name, tid, [pool("p", [f"{name}{i}" for i in range(k)], hash=h)],
                      match={"vlan": [vlan]}, **(tenant_keys or {}).get(name, {}))
               for name, tid, vlan, h, k in TENANTS]
    return sluice_config(
        [pcap_in(inp, name="mirror", distribution="software")], pcap_outs(outdir, names),
        tenants, eal={"main_lcore": 0, "worker_lcores": list(workers)},
        flow_table={"size": 65536}, stats={"interval": 0.5})


def pkt_flow(p):
    """Canonical flow of a frame as an analyzer would group it."""
    vlans = tuple(x.vlan for x in p.iterpayloads() if isinstance(x, (Dot1Q, Dot1AD)))
    if IP in p:
        ip, proto = p[IP], p[IP].proto
    elif IPv6 in p:
        ip, proto = p[IPv6], p[IPv6].nh
    else:
        return (vlans, "non-ip"), None
    sport = dport = 0
    if TCP in p or UDP in p:
        l4 = p[TCP] if TCP in p else p[UDP]
        sport, dport = l4.sport, l4.dport
    a, b = (ip.src, sport), (ip.dst, dport)
    return (vlans, frozenset((a, b)), proto), a


def row_flow(r):
    vlan = int(r["vlan"])
    vlans = (vlan,) if vlan else ()
    proto = int(r["proto"])
    sport, dport = (int(r["sport"]), int(r["dport"])) if proto in (6, 17) else (0, 0)
    a, b = (r["src"], sport), (r["dst"], dport)
    return (vlans, frozenset((a, b)), proto), a


def member_files(outdir):
    return {f"{name}{i}": os.path.join(outdir, f"{name}{i}.pcap")
            for name, _, _, _, k in TENANTS for i in range(k)}


def read_members(outdir):
    """member -> {flow: [(direction_src, raw bytes), ...]}"""
    res = {}
    for m, path in member_files(outdir).items():
        flows = collections.defaultdict(list)
        for p in rdpcap(path) if os.path.exists(path) else []:
            f, src = pkt_flow(p)
            flows[f].append((src, bytes(p)))
        res[m] = flows
    return res


def traffic(tmp):
    return gen(tmp, "mix", "--flows", 600, "--tenants", 3, "--vlan-base", 100,
               "--ipv6", 40, "--udp", 30, "--icmp", 10, "--packets", 5, "--frame", "imix",
               "--seed", 7)


def run_mix(tmp):
    """sluice on traffic(tmp), members written to tmp/out; it must exit 0.
    Returns the input pcap, its flow list, the output directory and the run."""
    pcap, flows = traffic(tmp)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run_sluice(tmp, config(pcap, out))
    assert r.rc == 0, r.stderr
    return pcap, flows, out, r


def test_every_flow_whole_on_one_member_of_its_tenant(tmp):
    pcap, flows, out, r = run_mix(tmp)
    members = read_members(out)
    where = collections.defaultdict(set)
    for m, fl in members.items():
        for f in fl:
            where[f].add(m)
    tenant_of_vlan = {vlan: name for name, _, vlan, _, _ in TENANTS}
    for row in flows:
        f, client = row_flow(row)
        assert len(where[f]) == 1, f"flow {row['flow_id']} on members {where[f]}"
        (m,) = where[f]
        # (b) a tenant's members only ever hold that tenant's VLAN
        assert m.rstrip("0123456789") == tenant_of_vlan[int(row["vlan"])]
        pkts = members[m][f]
        assert len(pkts) == int(row["packets"])
        dirs = collections.Counter(src == client for src, _ in pkts)
        assert dirs[True] == (int(row["packets"]) + 1) // 2
        assert dirs[False] == int(row["packets"]) // 2
    # nothing forwarded that the generator did not write
    assert set(where) == {row_flow(r)[0] for r in flows}
    # every member of every pool got a share
    for m, fl in members.items():
        assert len(fl) > 0, f"member {m} got no flow"


def test_tenant_outputs_hold_only_their_vlans(tmp):
    _, _, out, _ = run_mix(tmp)
    for name, _, vlan, _, k in TENANTS:
        for i in range(k):
            pkts = rdpcap(os.path.join(out, f"{name}{i}.pcap"))
            assert len(pkts) > 0
            assert {p[Dot1Q].vlan for p in pkts} == {vlan}


def test_ledger_balances_and_matches_files(tmp):
    pcap, flows, out, r = run_mix(tmp)
    s = r.final
    lg = s["ledger"]
    total = pcap_count(pcap)
    assert total == sum(int(f["packets"]) for f in flows)
    assert lg["balanced"] is True
    assert lg["received"] == total
    assert lg["ports_ipackets"] == total
    assert lg["in_flight"] == 0
    assert lg["received"] == lg["forwarded"] + lg["filtered"] + lg["dropped"]
    assert lg["forwarded"] == total
    # each member's counter equals what its file holds
    files = member_files(out)
    for t in s["tenants"]:
        for m_i, m in enumerate(t["pools"][0]["members"]):
            assert m["forwarded"] == pcap_count(files[m["output"]]), m
    assert sum(pcap_count(p) for p in files.values()) == lg["forwarded"]
    assert s["inputs"][0]["received"] == total
    assert s["flows"]["created"] == len(flows)
    # every interval line balanced too, not only the final one
    assert len(r.lines) >= 1
    assert all(l["event_type"] == "stats" for l in r.lines)
    assert all(l["stats"]["ledger"]["balanced"] for l in r.lines)


def test_software_mode_two_workers_groups_like_one(tmp):
    pcap, flows = traffic(tmp)
    results = []
    for workers, lcores in (((1,), None), ((1, 2), "0@0,1@1,2@1")):
        out = os.path.join(tmp, f"out{len(workers)}")
        os.mkdir(out)
        r = run_sluice(tmp, config(pcap, out, workers=workers), lcores=lcores)
        assert r.rc == 0, r.stderr
        assert r.final["ledger"]["balanced"]
        results.append((r, read_members(out)))
    (r1, m1), (r2, m2) = results
    assert len(r2.final["workers"]) == 2
    # the RX stage really handed flows to the second worker
    w = r2.final["workers"]
    assert w[0]["handed_off"] > 0 and w[1]["ring_in"] == w[0]["handed_off"]
    assert w[1]["forwarded"] > 0
    for m in m1:
        assert set(m1[m]) == set(m2[m]), f"member {m} holds other flows with 2 workers"
        for f in m1[m]:
            # same packets, same order within the flow
            assert m1[m][f] == m2[m][f]


def special_traffic(path):
    pkts = []
    e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    for i in range(5):  # ARP on acme (member 0) and globex (non_ip: drop)
        pkts.append(e / Dot1Q(vlan=100) / ARP(psrc=f"10.0.0.{i}", pdst="10.0.0.254"))
        pkts.append(e / Dot1Q(vlan=101) / ARP(psrc=f"10.1.0.{i}", pdst="10.1.0.254"))
    for i in range(3):  # a VLAN nobody owns
        pkts.append(e / Dot1Q(vlan=999) / IP(src="1.1.1.1", dst="2.2.2.2") / UDP())
    # malformed: IPv4 IHL 3 on acme, and a 10-byte runt
    bad = bytearray(bytes(e / Dot1Q(vlan=100) / IP(src="3.3.3.3", dst="4.4.4.4") / TCP()))
    bad[18] = 0x43
    pkts.append(Ether(bytes(bad)))
    pkts.append(Raw(b"\x01" * 10))
    # ICMPv6 echo request/reply of one flow on initech
    pkts.append(e / Dot1Q(vlan=102) / IPv6(src="fd00::1", dst="fd00::2") / ICMPv6EchoRequest(id=7))
    pkts.append(e / Dot1Q(vlan=102) / IPv6(src="fd00::2", dst="fd00::1") / ICMPv6EchoReply(id=7))
    pkts.append(e / Dot1Q(vlan=102) / IP(src="9.9.9.9", dst="8.8.8.8") / ICMP(type=8))
    pkts.append(e / Dot1Q(vlan=102) / IP(src="8.8.8.8", dst="9.9.9.9") / ICMP(type=0))
    wrpcap(path, pkts, linktype=1)
    return len(pkts)


def test_non_ip_no_tenant_and_malformed_are_counted(tmp):
    inp = os.path.join(tmp, "special.pcap")
    total = special_traffic(inp)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    cfg = config(inp, out, tenant_keys={"globex": {"non_ip": "drop"}})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    s = r.final
    lg = s["ledger"]
    assert lg["balanced"] and lg["received"] == total
    assert s["filtered"]["non_ip"] == 5
    assert s["drops"]["no_tenant"] == 3
    assert s["drops"]["parse_l2_truncated"] == 1
    assert s["anomalies"]["ipv4_bad_ihl"] == 1
    assert lg["dropped"] == 4 and lg["filtered"] == 5
    assert lg["forwarded"] == total - 9
    # ARP of acme reaches member 0 of its pool; the malformed frame is forwarded too
    acme0 = rdpcap(os.path.join(out, "acme0.pcap"))
    assert sum(1 for p in acme0 if ARP in p) == 5
    t = {x["name"]: x for x in s["tenants"]}
    assert t["acme"]["non_ip"] == 5 and t["globex"]["non_ip"] == 5
    assert t["globex"]["filtered"] == 5 and t["acme"]["malformed"] == 1
    # both ICMP flows of initech: request and reply on one member each
    ini = read_members(out)
    icmp_members = collections.Counter()
    for m, fl in ini.items():
        for f, pk in fl.items():
            if f[0] == (102,) and len(f) == 3 and f[2] in (1, 58):
                icmp_members[f[2]] += 1
                assert len(pk) == 2
    assert icmp_members == {1: 1, 58: 1}


def test_qinq_untagged_and_default_tenant(tmp):
    e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pkts = []
    for i in range(4):
        ip = IP(src=f"10.0.0.{i}", dst="10.9.9.9") / TCP(sport=1000 + i, dport=80)
        pkts.append(e / Dot1AD(vlan=300) / Dot1Q(vlan=10) / ip)   # QinQ tenant
        pkts.append(e / Dot1AD(vlan=300) / Dot1Q(vlan=11) / ip)   # outer VLAN tenant
        pkts.append(e / ip)                                        # untagged tenant
        pkts.append(e / Dot1Q(vlan=555) / ip)                      # default tenant
    inp = os.path.join(tmp, "q.pcap")
    wrpcap(inp, pkts)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    names = ["qinq", "outer", "plain", "other"]
    cfg = sluice_config(
        [pcap_in(inp)], pcap_outs(out, names),
        [tenant("qinq", 1, [pool("p", ["qinq"])], match={"qinq": [{"outer": 300, "inner": 10}]}),
         tenant("outer", 2, [pool("p", ["outer"])], match={"vlan": [300]}),
         tenant("plain", 3, [pool("p", ["plain"])], match={"untagged": True}),
         tenant("other", 4, [pool("p", ["other"])])],
        default_tenant="other")
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    assert r.final["ledger"]["balanced"]
    got = {n: rdpcap(os.path.join(out, f"{n}.pcap")) for n in names}
    assert all(len(v) == 4 for v in got.values()), {k: len(v) for k, v in got.items()}
    assert all(p[Dot1Q].vlan == 10 for p in got["qinq"])
    assert all(p[Dot1Q].vlan == 11 for p in got["outer"])
    assert all(Dot1Q not in p and Dot1AD not in p for p in got["plain"])
    assert all(p[Dot1Q].vlan == 555 for p in got["other"])

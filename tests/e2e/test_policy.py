# SPDX-License-Identifier: BSD-3-Clause
"""End to end: per-tenant policy (rte_acl rules and their actions), depth
bypass, analyzer-requested bypass over the control socket, elephants and
flow records, through the real binary on real packets (scapy writes them,
scapy and the JSON records are read back)."""
import base64
import collections
import hashlib
import json
import os
import socket
import struct
import subprocess

from scapy.all import IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, rdpcap, wrpcap

from conftest import (ROOT, gen, pcap_in, pcap_outs, pool, run_sluice, sluice_config,
                      tenant)

SL_BYPASS = os.path.join(ROOT, "tools", "sl-bypass")

for _l4 in (TCP, UDP):
    _l4.guess_payload_class = lambda self, payload: Raw


def flow_pkts(vlan, ip, src, dst, l4, sport, dport, n, size=0, t0=1700000000.0):
    """n packets alternating client->server and server->client."""
    out = []
    for i in range(n):
        fwd = i % 2 == 0
        a, b = (src, dst) if fwd else (dst, src)
        pa, pb = (sport, dport) if fwd else (dport, sport)
        p = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=vlan) /
             ip(src=a, dst=b) / l4(sport=pa, dport=pb) / Raw(b"x" * size))
        p.time = t0 + i * 1e-6
        out.append(p)
    return out


def key(p):
    """Direction-free flow key of a scapy packet."""
    ip = p[IP] if IP in p else p[IPv6]
    l4 = p[TCP] if TCP in p else p[UDP]
    return frozenset([(ip.src, l4.sport), (ip.dst, l4.dport)])


def base_config(inp, outdir, names, tenants, infinite=False, null=(), **sections):
    """One pcap input, outputs names writing outdir/<name>.pcap (those in
    null discarding instead), the tenants given."""
    outs = [{"name": o["name"], "vdev": f"net_null{i + 1}"} if o["name"] in null else o
            for i, o in enumerate(pcap_outs(outdir, names))]
    return sluice_config([pcap_in(inp, infinite=infinite)], outs, tenants,
                         stats={"interval": 0.2}, **sections)


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def community_id(src, dst, sport, dport, proto, seed=0):
    """Community ID v1 written here from the spec, independently of sluice."""
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    s, d = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
    if (s, sport) > (d, dport):
        s, d, sport, dport = d, s, dport, sport
    data = struct.pack("!H", seed) + s + d + struct.pack("!BBHH", proto, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_rule_actions_and_flow_records(tmp):
    web = flow_pkts(100, IP, "10.0.0.1", "10.0.0.2", TCP, 1111, 80, 6)
    dns = flow_pkts(100, IP, "10.0.0.3", "10.0.0.4", UDP, 2222, 53, 4)
    bulk = flow_pkts(100, IP, "10.9.0.1", "10.0.0.5", TCP, 3333, 443, 8)
    ssh = flow_pkts(100, IP, "192.168.1.1", "10.0.0.6", TCP, 4444, 22, 5)
    big = flow_pkts(100, IP, "10.0.0.7", "10.0.0.8", TCP, 5555, 8080, 4, size=1000)
    v6 = flow_pkts(100, IPv6, "2001:db8::1", "2001:db8::2", TCP, 6666, 25, 4)
    # the server speaks first: the rule (dport 53) matches either direction
    rev = flow_pkts(100, IP, "10.0.0.10", "10.0.0.11", UDP, 53, 7777, 2)
    other = flow_pkts(200, IP, "10.0.0.1", "10.0.0.2", TCP, 1111, 80, 4)  # tenant b
    allp = web + dns + bulk + ssh + big + v6 + rev + other
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, allp)
    rec = os.path.join(tmp, "acme.flows.json")
    names = ["z0", "z1", "suri", "dnsout", "b0"]
    tenants = [
        tenant("acme", 7, [pool("zeek", ["z0", "z1"]), pool("suricata", ["suri"]),
                           pool("dns", ["dnsout"])],
               match={"vlan": [100]},
               rules=[{"name": "web", "match": {"proto": "tcp", "dport": 80},
                       "action": "mirror", "pools": ["zeek", "suricata"]},
                      {"name": "dns", "match": {"proto": "udp", "dport": 53},
                       "action": "forward", "pools": "dns"},
                      {"name": "bulk", "match": {"src": "10.9.0.0/16"}, "action": "bypass"},
                      {"name": "deny", "match": {"dport": 22}, "action": "drop"},
                      {"name": "cut", "match": {"dport": "8000-8100", "dst": "10.0.0.8"},
                       "action": "slice", "slice": 100}],
               flow_records={"file": rec}),
        tenant("b", 8, [pool("p", ["b0"])], match={"vlan": [200]},
               rules=[{"match": {"dport": 80}, "action": "drop"}]),
    ]
    r = run_sluice(tmp, base_config(inp, tmp, names, tenants))
    assert r.rc == 0, r.stderr
    f = r.final
    lg = f["ledger"]
    assert lg["balanced"]
    assert lg["received"] == len(allp)
    assert lg["mirror_copies"] == len(web)
    assert lg["bypassed"] == len(bulk)
    assert f["filtered"]["policy_drop"] == len(ssh) + len(other)
    out = {n: rdpcap(os.path.join(tmp, n + ".pcap")) for n in names}
    where = collections.defaultdict(collections.Counter)
    for n, pk in out.items():
        for p in pk:
            where[key(p)][n] += 1
    zeek_web = where[key(web[0])]
    assert zeek_web["suri"] == len(web)
    assert zeek_web["z0"] + zeek_web["z1"] == len(web) and min(zeek_web["z0"], zeek_web["z1"]) == 0
    assert where[key(dns[0])] == {"dnsout": len(dns)}
    assert where[key(rev[0])] == {"dnsout": len(rev)}
    assert key(bulk[0]) not in where and key(ssh[0]) not in where
    assert sum(where[key(big[0])].values()) == len(big)
    for n in ("z0", "z1"):
        for p in out[n]:
            if key(p) == key(big[0]):
                assert len(p) == 100
    assert sum(where[key(v6[0])][n] for n in ("z0", "z1")) == len(v6)
    assert len(out["b0"]) == 0

    # flow records: one per flow of acme, summing to acme's part of the ledger
    recs = records(rec)
    acme = f["tenants"][0]
    assert len(recs) == 7 == acme["flows"]
    fwd = sum(x["sluice"]["forwarded"]["pkts"] for x in recs)
    byp = sum(x["sluice"]["bypassed"]["pkts"] for x in recs)
    drp = sum(x["sluice"]["dropped"]["pkts"] for x in recs)
    assert fwd + byp + drp == acme["packets"] == len(allp) - len(other)
    assert byp == lg["bypassed"] and drp == len(ssh)
    assert fwd == acme["forwarded"] - acme["mirror_copies"]
    byrule = {x.get("sluice", {}).get("rule"): x for x in recs}
    w = byrule["web"]
    assert (w["src_ip"], w["src_port"], w["dest_ip"], w["dest_port"]) == \
        ("10.0.0.1", 1111, "10.0.0.2", 80)
    assert w["flow"]["pkts_toserver"] == 3 and w["flow"]["pkts_toclient"] == 3
    assert w["flow"]["reason"] == "shutdown" and w["sluice"]["action"] == "mirror"
    assert w["community_id"] == community_id("10.0.0.1", "10.0.0.2", 1111, 80, 6)
    assert byrule["bulk"]["flow"]["bypassed"] and byrule["bulk"]["sluice"]["action"] == "bypass"
    assert byrule["dns"]["sluice"]["pool"] == "dns"
    # first packet seen was the server's: it is the record's source
    rv = [x for x in recs if x.get("src_port") == 53]
    assert len(rv) == 1 and rv[0]["src_ip"] == "10.0.0.10"


def test_depth_bypass_per_direction_and_total(tmp):
    # 100-byte frames; depth 450 bytes per direction: each direction
    # forwards while it had carried < 450 bytes before: 5 packets each
    pk = flow_pkts(100, IP, "10.1.0.1", "10.1.0.2", TCP, 1000, 80, 20)
    pk = [p / Raw(b"y" * (100 - len(p))) if len(p) < 100 else p for p in pk]
    assert all(len(p) == 100 for p in pk)
    udp = flow_pkts(100, IP, "10.1.0.3", "10.1.0.4", UDP, 1000, 9999, 10)
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, pk + udp)
    tenants = [tenant("acme", 1, [pool("p", ["o0"], depth={"packets": 3})],
                      match={"vlan": [100]},
                      rules=[{"match": {"proto": "tcp"}, "action": "forward",
                              "depth": {"bytes": 450, "per_direction": True}}])]
    r = run_sluice(tmp, base_config(inp, tmp, ["o0"], tenants))
    assert r.rc == 0, r.stderr
    got = rdpcap(os.path.join(tmp, "o0.pcap"))
    tcp = [p for p in got if TCP in p]
    fwd = collections.Counter(p[IP].src for p in tcp)
    assert fwd == {"10.1.0.1": 5, "10.1.0.2": 5}
    # the forwarded ones are the first five of each direction, in order
    assert [bytes(p) for p in tcp] == [bytes(p) for p in pk[:10]]
    # the pool's depth (3 packets in all) for the flow no rule matched
    assert [bytes(p) for p in got if UDP in p] == [bytes(p) for p in udp[:3]]
    lg = r.final["ledger"]
    assert lg["balanced"] and lg["bypassed"] == 10 + 7
    assert r.final["tenants"][0]["depth_bypasses"] == 2


def bypass_cli(sock, *args):
    r = subprocess.run(["/usr/bin/python3", SL_BYPASS, "-s", sock, *args],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def test_control_socket_bypass(tmp, peers):
    a = flow_pkts(100, IP, "10.2.0.1", "10.2.0.2", TCP, 4000, 80, 4)
    b = flow_pkts(100, IP, "10.2.0.3", "10.2.0.4", TCP, 4001, 80, 4)
    c = flow_pkts(200, IP, "10.2.0.1", "10.2.0.2", TCP, 4000, 80, 4)  # same tuple, tenant b
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, a + b + c)
    sa, sb = os.path.join(tmp, "acme.sock"), os.path.join(tmp, "b.sock")
    rec = os.path.join(tmp, "acme.json")
    tenants = [
        tenant("acme", 1, [pool("p", ["o0"])], match={"vlan": [100]},
               control={"socket": sa, "mode": "0600"}, flow_records={"file": rec}),
        tenant("b", 2, [pool("p", ["o1"])], match={"vlan": [200]}, control={"socket": sb}),
    ]
    cfg = base_config(inp, tmp, ["o0", "o1"], tenants, infinite=True, null=("o0", "o1"))
    bg = peers.sluice(cfg)
    bg.wait(lambda: os.path.exists(sa) and os.path.exists(sb), "the control sockets")
    assert oct(os.stat(sa).st_mode & 0o777) == "0o600"
    bg.wait(lambda: bg.lines() and bg.lines()[-1]["ledger"]["forwarded"] > 10000, "traffic")
    flow = ["--proto", "tcp", "--src", "10.2.0.2", "--sport", "80", "--dst", "10.2.0.1",
            "--dport", "4000"]
    assert bypass_cli(sa, "ping")[1] == {"ok": True, "tenant": "acme"}
    # tenant b's socket cannot reach acme's flow (b has the same tuple
    # on its own VLAN only): asked with acme's VLAN it is not found
    rc, rep, _ = bypass_cli(sb, "bypass", *flow, "--vlan", "100")
    assert (rc, rep) == (1, {"ok": True, "found": False})
    rc, rep, _ = bypass_cli(sa, "bypass", *flow)  # the VLAN defaults to acme's only one
    assert (rc, rep) == (0, {"ok": True, "found": True})
    rc, rep, _ = bypass_cli(sa, "bypass", "--proto", "tcp", "--src", "10.9.9.9",
                            "--dst", "10.9.9.8", "--sport", "1", "--dport", "2")
    assert (rc, rep) == (1, {"ok": True, "found": False})
    # malformed requests: an error answer each, the socket stays usable
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sa)
        s.sendall(b'not json\n{"cmd":"bypass","src_ip":"x"}\n{"cmd":"fly"}\n{"cmd":"ping"}\n')
        buf = b""
        while buf.count(b"\n") < 4:
            buf += s.recv(4096)
    reps = [json.loads(x) for x in buf.splitlines()]
    assert [x["ok"] for x in reps] == [False, False, False, True]
    assert all("error" in x for x in reps[:3])
    before = bg.lines()[-1]["tenants"][0]["bypassed"]
    bg.wait(lambda: bg.lines()[-1]["tenants"][0]["bypassed"] > before + 1000, "bypassing")
    final = bg.finish()
    assert final["ledger"]["balanced"]
    t = final["tenants"]
    assert t[0]["requested_bypasses"] == 1 and t[1]["requested_bypasses"] == 0
    assert t[1]["bypassed"] == 0
    assert t[0]["control"]["errors"] == 3 and t[1]["control"]["errors"] == 0
    recs = {(x["src_port"], x["dest_port"]): x for x in records(rec)}
    ra, rb = recs[(4000, 80)], recs[(4001, 80)]
    assert ra["flow"]["bypassed"] and ra["sluice"]["bypassed"]["pkts"] > 1000
    assert ra["sluice"]["forwarded"]["pkts"] > 0
    assert rb["sluice"]["bypassed"]["pkts"] == 0 and not rb["flow"]["bypassed"]
    assert t[0]["bypassed"] == ra["sluice"]["bypassed"]["pkts"]


def test_stalled_record_reader_costs_no_packet(tmp):
    """Records to a Unix datagram socket nobody reads: records are lost and
    counted, packets are not."""
    inp, flows = gen(tmp, "in", "--flows", 30000, "--packets", 2, "--udp", 50,
                     "--vlan-base", 0)
    sock = os.path.join(tmp, "rec.sock")
    rd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rd.bind(sock)
    try:
        tenants = [tenant("all", 1, [pool("p", ["o0"])], match={"untagged": True},
                          flow_records={"unix": sock})]
        cfg = base_config(inp, tmp, ["o0"], tenants, flow_table={"size": 65536})
        r = run_sluice(tmp, cfg)
    finally:
        rd.close()
    assert r.rc == 0, r.stderr
    f = r.final
    t = f["tenants"][0]
    assert f["ledger"]["balanced"]
    assert f["ledger"]["forwarded"] == f["ledger"]["received"] == 60000
    assert f["ledger"]["dropped"] == 0
    out = t["flow_records_out"]
    assert t["flow_records"] + t["flow_records_lost"] == 30000
    assert out["sink_errors"] > 0
    assert out["written"] + out["sink_errors"] == t["flow_records"]


def test_elephant_bypass(tmp, peers):
    inp = os.path.join(tmp, "in.pcap")
    big = flow_pkts(100, IP, "10.3.0.1", "10.3.0.2", UDP, 5000, 5001, 64, size=1400)
    wrpcap(inp, big)
    tenants = [tenant("acme", 1, [pool("p", ["o0"])], match={"vlan": [100]},
                      elephant={"rate_mbps": 1, "window_ms": 20, "action": "bypass"})]
    cfg = base_config(inp, tmp, ["o0"], tenants, infinite=True, null=("o0",))
    bg = peers.sluice(cfg)
    bg.wait(lambda: bg.lines() and bg.lines()[-1]["ledger"]["bypassed"] > 1000, "bypass")
    final = bg.finish()
    t = final["tenants"][0]
    assert t["elephants"] == 1 and t["flows"] == 1
    assert final["ledger"]["balanced"] and t["bypassed"] > 0 and t["forwarded"] > 0


def test_bad_policy_config(tmp):
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, flow_pkts(100, IP, "10.0.0.1", "10.0.0.2", TCP, 1, 2, 2))
    cases = [  # keys added to the tenant, what the error says
        ({"rules": [{"match": {"src": "10.1.2.3/8"}}]}, "has host bits set beyond /8"),
        ({"rules": [{"match": {"src": "10.0.0.0/8", "dst": "2001:db8::/32"}}]},
         "a flow has one family"),
        ({"rules": [{"action": "mirror", "pools": ["p"]}]}, "needs 'pools' with 2 or more"),
        ({"rules": [{"action": "bypass", "pools": ["p"]}]}, "forwards nothing"),
        ({"rules": [{"action": "slice"}]}, "needs 'slice'"),
        ({"rules": [{"action": "forward", "pools": ["nope"]}]}, "unknown pool 'nope'"),
        ({"max_rules": 1, "rules": [{"action": "drop"}, {"action": "drop"}]},
         "2 rules exceed the tenant's max_rules 1"),
        ({"rules": [{"match": {"dport": 70000}}]}, "out of range"),
        ({"flow_records": {"file": "a", "unix": "b"}}, "exactly one of"),
        ({"acl_memory": 65536,
          "rules": [{"match": {"src": f"10.{i // 250}.{i % 250}.0/24", "dport": i}}
                    for i in range(3000)],
          "max_rules": 5000}, "ACL memory limit exceeded"),
    ]
    for extra, msg in cases:
        cfg = base_config(inp, tmp, ["o0"], [
            tenant("acme", 1, [pool("p", ["o0"]), pool("q", ["o0"])], match={"vlan": [100]},
                   **extra)])
        r = run_sluice(tmp, cfg)
        assert r.rc != 0, extra
        assert msg in r.stderr, (str(extra)[:200], r.stderr)
        assert not os.path.exists(os.path.join(tmp, "o0.pcap")) or \
            os.path.getsize(os.path.join(tmp, "o0.pcap")) <= 24


def test_mirror_of_chained_packets(tmp):
    """Frames longer than an mbuf's data room arrive in chains of segments
    (net_pcap reads them so with mbuf_size 512); a mirror rule hands the
    same chain to two pools. Each pool's member gets every frame whole,
    byte for byte: a copy's extra reference holds every segment, not just
    the first, so the first pool's send frees nothing the second needs."""
    pk = (flow_pkts(100, IP, "10.1.0.1", "10.1.0.2", TCP, 1234, 80, 40, size=1400) +
          flow_pkts(100, IP, "10.1.0.3", "10.1.0.4", UDP, 5353, 80, 40, size=1800))
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, pk)
    names = ["a", "b"]
    tenants = [tenant("acme", 7, [pool("pa", ["a"]), pool("pb", ["b"])],
                      match={"vlan": [100]},
                      rules=[{"match": {"dport": 80}, "action": "mirror",
                              "pools": ["pa", "pb"]}])]
    r = run_sluice(tmp, base_config(inp, tmp, names, tenants,
                                    tuning={"mbuf_size": 512}))
    assert r.rc == 0, r.stderr
    lg = r.final["ledger"]
    assert lg["balanced"] and lg["received"] == len(pk) and lg["mirror_copies"] == len(pk)
    want = sorted(bytes(p) for p in pk)
    for n in names:
        got = sorted(bytes(p) for p in rdpcap(os.path.join(tmp, n + ".pcap")))
        assert got == want, n

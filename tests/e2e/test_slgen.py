# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests for sl-gen, the deterministic traffic generator.

Runs the built binary (env SL_GEN, default build/tools/sl-gen/sl-gen) and
checks its pcap with independent readers: scapy for headers, tshark for
checksums. Run with: /usr/bin/python3 -m pytest -q tests/e2e/test_slgen.py
"""
import csv
import hashlib
import ipaddress
import os
import struct
import subprocess
from collections import Counter, defaultdict

import pytest
from scapy.all import GRE, IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrFragment, Raw, RawPcapReader, rdpcap
from scapy.layers.vxlan import VXLAN

# Payloads are pseudo-random bytes: keep scapy from dissecting them as DNS,
# NTP, ... on well-known ports (random "DNS" can recurse without end).
for _l4 in (TCP, UDP):
    _l4.guess_payload_class = lambda self, payload: Raw

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SL_GEN = os.environ.get("SL_GEN", os.path.join(ROOT, "build", "tools", "sl-gen", "sl-gen"))

TCP_SYN, TCP_PSH, TCP_ACK = 0x02, 0x08, 0x10
ICMP_ECHO_REQ = {4: 8, 6: 128}
ICMP_ECHO_REP = {4: 0, 6: 129}


def setup_module():
    if not os.access(SL_GEN, os.X_OK):
        pytest.skip(f"sl-gen binary not found at {SL_GEN} (set SL_GEN)", allow_module_level=True)


def run(*args, check=True):
    r = subprocess.run([SL_GEN, *map(str, args)], capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, f"sl-gen {args} failed rc={r.returncode}: {r.stderr}"
    return r


def read_flow_list(path):
    with open(path, newline="") as fp:
        rows = list(csv.DictReader(fp, delimiter="\t"))
    for row in rows:
        for k in ("flow_id", "tenant", "vlan", "family", "proto", "sport", "dport", "packets",
                  "tunnel_id", "fragments"):
            if k in row:
                row[k] = int(row[k])
    return rows


def gen(tmp_path, *args, name="out"):
    """Run sl-gen writing NAME.pcap and NAME.tsv; return (pcap path, flow rows)."""
    pcap, tsv = tmp_path / f"{name}.pcap", tmp_path / f"{name}.tsv"
    run("-o", pcap, "--flow-list", tsv, *args)
    return pcap, read_flow_list(tsv)


def l2_tags(raw):
    """[(tpid, vid), ...], inner ethertype and L3 offset, decoded from raw bytes."""
    tags, off = [], 12
    while True:
        (etype,) = struct.unpack_from("!H", raw, off)
        if etype not in (0x8100, 0x88A8):
            return tags, etype, off + 2
        (tci,) = struct.unpack_from("!H", raw, off + 2)
        tags.append((etype, tci & 0xFFF))
        off += 4


def decode(pkt):
    """Header fields of one generated packet as a dict."""
    raw = bytes(pkt)
    tags, etype, l3off = l2_tags(raw)
    d = {"len": len(raw), "tags": tags, "etype": etype, "l3off": l3off,
         "smac": pkt.src, "dmac": pkt.dst}
    if IP in pkt:
        ip = pkt[IP]
        d.update(family=4, proto=ip.proto, src=ip.src, dst=ip.dst, l3len=ip.len)
    else:
        ip = pkt[IPv6]
        d.update(family=6, proto=ip.nh, src=ip.src, dst=ip.dst, l3len=40 + ip.plen)
    l4 = ip.payload
    if d["proto"] == 6:
        d.update(sport=l4.sport, dport=l4.dport, flags=int(l4.flags), seq=l4.seq, ack=l4.ack,
                 plen=len(bytes(l4.payload)))
    elif d["proto"] == 17:
        d.update(sport=l4.sport, dport=l4.dport)
    else:
        d.update(icmp_type=l4.type, icmp_id=l4.id, icmp_seq=l4.seq)
    return d


def flow_index(rows):
    """Map (vlan, proto, client, cport, server, sport) -> row."""
    return {(r["vlan"], r["proto"], r["src"], r["sport"], r["dst"], r["dport"]): r for r in rows}


def match(index, d):
    """Return (row, direction) for a decoded packet; direction 0 = client to server."""
    vlan = d["tags"][-1][1] if d["tags"] and d["tags"][-1][0] == 0x8100 else 0
    fam, proto = d["family"], d["proto"]
    if proto in (1, 58):
        req = d["icmp_type"] == ICMP_ECHO_REQ[fam]
        assert req or d["icmp_type"] == ICMP_ECHO_REP[fam]
        cli, srv = (d["src"], d["dst"]) if req else (d["dst"], d["src"])
        return index[(vlan, proto, cli, ICMP_ECHO_REQ[fam], srv, 0)], 0 if req else 1
    fwd = (vlan, proto, d["src"], d["sport"], d["dst"], d["dport"])
    if fwd in index:
        return index[fwd], 0
    return index[(vlan, proto, d["dst"], d["dport"], d["src"], d["sport"])], 1


def pcap_header(path):
    with open(path, "rb") as fp:
        magic, _, _, _, _, snaplen, linktype = struct.unpack("<IHHiIII", fp.read(24))
    assert magic == 0xA1B2C3D4
    return snaplen, linktype


def frame_lengths(path):
    return [(meta.wirelen, meta.caplen) for _, meta in RawPcapReader(str(path))]


# ---- command line ----

def test_help():
    r = run("--help")
    assert "Usage: sl-gen -o OUT.pcap" in r.stdout
    for opt in ("--flows", "--tenants", "--vlan-base", "--qinq", "--ipv6", "--udp", "--icmp",
                "--frame", "--packets", "--order", "--seed", "--flow-list", "--start-time",
                "--snaplen"):
        assert opt in r.stdout


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["--flows", "0"],
    ["--flows", "10000001"],
    ["--flows", "12x"],
    ["--flows", "-5"],
    ["--flows"],
    ["--tenants", "0"],
    ["--vlan-base", "4095"],
    ["--vlan-base", "4000", "--tenants", "100"],
    ["--vlan-base", "0", "--tenants", "2"],
    ["--qinq", "0"],
    ["--qinq", "4095"],
    ["--ipv6", "101"],
    ["--ipv6", "abc"],
    ["--udp", "60", "--icmp", "41"],
    ["--frame", "63"],
    ["--frame", "9001"],
    ["--frame", "jumbo"],
    ["--packets", "0"],
    ["--order", "random"],
    ["--seed", "x"],
    ["--snaplen", "10"],
    ["extra-arg"],
])
def test_usage_errors(tmp_path, args):
    out = tmp_path / "u.pcap"
    r = run("-o", out, *args, check=False)
    assert r.returncode == 2, r.stderr
    assert "sl-gen" in r.stderr and "--help" in r.stderr
    assert not out.exists(), "usage errors must not create output"


def test_missing_output_is_usage_error():
    r = run("--flows", "3", check=False)
    assert r.returncode == 2
    assert "-o" in r.stderr


def test_io_errors(tmp_path):
    assert run("-o", tmp_path / "no/such/dir/x.pcap", check=False).returncode == 1
    assert run("-o", "/dev/full", "--flows", "1000", check=False).returncode == 1
    r = run("-o", tmp_path / "x.pcap", "--flow-list", tmp_path / "no/dir/f.tsv", check=False)
    assert r.returncode == 1 and r.stderr


def test_flow_list_stdout(tmp_path):
    r = run("-o", tmp_path / "x.pcap", "--flows", "7", "--flow-list", "-")
    lines = r.stdout.splitlines()
    assert lines[0].split("\t") == ["flow_id", "tenant", "vlan", "family", "proto", "src",
                                    "sport", "dst", "dport", "packets"]
    assert len(lines) == 8


def test_percent_boundaries_sum_100(tmp_path):
    _, rows = gen(tmp_path, "--flows", "200", "--udp", "60", "--icmp", "40", "--ipv6", "100")
    assert {r["proto"] for r in rows} == {17, 58}
    assert {r["family"] for r in rows} == {6}


# ---- flows and packets ----

MIXED = ["--tenants", "3", "--ipv6", "40", "--udp", "30", "--icmp", "20"]


def test_flow_list_matches_packets(tmp_path):
    flows, k = 120, 4
    pcap, rows = gen(tmp_path, "--flows", flows, "--packets", k, "--order", "seq", *MIXED)
    assert [r["flow_id"] for r in rows] == list(range(flows))
    assert all(r["packets"] == k for r in rows)
    index = flow_index(rows)
    assert len(index) == flows

    pkts = rdpcap(str(pcap))
    assert len(pkts) == flows * k
    seen = defaultdict(list)
    macs = {}
    for i, pkt in enumerate(pkts):
        d = decode(pkt)
        row, direction = match(index, d)
        # seq order: flow after flow, K packets each, alternating from the client
        assert row["flow_id"] == i // k
        assert direction == (i % k) % 2
        assert d["family"] == row["family"] and d["proto"] == row["proto"]
        seen[row["flow_id"]].append(direction)
        cli_mac, srv_mac = (d["smac"], d["dmac"]) if direction == 0 else (d["dmac"], d["smac"])
        assert macs.setdefault(row["flow_id"], (cli_mac, srv_mac)) == (cli_mac, srv_mac)
    assert len(seen) == flows
    for dirs in seen.values():
        assert dirs == [0, 1, 0, 1]
    assert len(set(macs.values())) == flows


def test_both_directions_default(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "300", *MIXED)
    index = flow_index(rows)
    dirs = defaultdict(set)
    pkts = rdpcap(str(pcap))
    assert len(pkts) == 600
    for pkt in pkts:
        row, direction = match(index, decode(pkt))
        dirs[row["flow_id"]].add(direction)
    assert len(dirs) == 300
    assert all(v == {0, 1} for v in dirs.values())


def test_interleave_order_and_timestamps(tmp_path):
    flows, k = 40, 3
    pcap, rows = gen(tmp_path, "--flows", flows, "--packets", k, "--start-time", "1600000000",
                     "--udp", "50")
    index = flow_index(rows)
    pkts = rdpcap(str(pcap))
    assert len(pkts) == flows * k
    for i, pkt in enumerate(pkts):
        row, direction = match(index, decode(pkt))
        assert row["flow_id"] == i % flows
        assert direction == (i // flows) % 2
        assert int(pkt.time * 1_000_000) == 1600000000 * 1_000_000 + i


def test_single_packet_per_flow(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "50", "--packets", "1", "--udp", "50")
    index = flow_index(rows)
    pkts = rdpcap(str(pcap))
    assert len(pkts) == 50
    assert all(match(index, decode(p))[1] == 0 for p in pkts)


def test_tuples_unique_and_in_ranges(tmp_path):
    _, rows = gen(tmp_path, "--flows", "20000", "--tenants", "2", "--ipv6", "50",
                  "--udp", "30", "--icmp", "10")
    keys = {(r["tenant"], r["proto"], r["src"], r["sport"], r["dst"], r["dport"]) for r in rows}
    assert len(keys) == len(rows)
    ula = ipaddress.ip_network("fd00::/8")
    for r in rows:
        src, dst = ipaddress.ip_address(r["src"]), ipaddress.ip_address(r["dst"])
        if r["family"] == 4:
            assert src in ipaddress.ip_network("10.0.0.0/8")
            assert dst in ipaddress.ip_network("172.16.0.0/12")
        else:
            assert src in ula and dst in ula
        if r["proto"] in (6, 17):
            assert 1024 <= r["sport"] <= 65535 and 1 <= r["dport"] <= 65535
        else:
            assert r["proto"] == (1 if r["family"] == 4 else 58)
            assert (r["sport"], r["dport"]) == (ICMP_ECHO_REQ[r["family"]], 0)


def test_prefix_stable(tmp_path):
    _, small = gen(tmp_path, "--flows", "100", *MIXED, name="small")
    _, large = gen(tmp_path, "--flows", "300", *MIXED, name="large")
    assert small == large[:100]


# ---- determinism ----

def test_determinism(tmp_path):
    args = ["--flows", "500", "--packets", "3", "--frame", "imix", "--qinq", "7", *MIXED]
    a, _ = gen(tmp_path, *args, "--seed", "42", name="a")
    b, _ = gen(tmp_path, *args, "--seed", "42", name="b")
    c, _ = gen(tmp_path, *args, "--seed", "43", name="c")
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert (tmp_path / "a.tsv").read_bytes() != (tmp_path / "c.tsv").read_bytes()


def test_seed_default_is_1(tmp_path):
    a, _ = gen(tmp_path, "--flows", "50", name="a")
    b, _ = gen(tmp_path, "--flows", "50", "--seed", "1", name="b")
    assert a.read_bytes() == b.read_bytes()


# ---- VLANs ----

def test_vlan_tags_match_tenants(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "200", "--tenants", "4", "--vlan-base", "200",
                     "--ipv6", "50")
    assert {r["tenant"] for r in rows} == {0, 1, 2, 3}
    for r in rows:
        assert r["vlan"] == 200 + r["tenant"]
    index = flow_index(rows)
    for pkt in rdpcap(str(pcap)):
        d = decode(pkt)
        assert len(d["tags"]) == 1 and d["tags"][0][0] == 0x8100
        row, _ = match(index, d)
        assert d["tags"][0][1] == 200 + row["tenant"]
        assert d["etype"] == (0x0800 if row["family"] == 4 else 0x86DD)


def test_default_vlan_base_100(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "10")
    assert {r["vlan"] for r in rows} == {100}
    assert {tuple(decode(p)["tags"]) for p in rdpcap(str(pcap))} == {((0x8100, 100),)}


def test_untagged(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "50", "--vlan-base", "0", "--ipv6", "50")
    assert {r["vlan"] for r in rows} == {0}
    for pkt in rdpcap(str(pcap)):
        d = decode(pkt)
        assert d["tags"] == [] and d["l3off"] == 14
        assert d["etype"] in (0x0800, 0x86DD)


def test_qinq(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "60", "--tenants", "3", "--vlan-base", "10",
                     "--qinq", "300", "--ipv6", "50", "--udp", "50")
    index = flow_index(rows)
    for pkt in rdpcap(str(pcap)):
        d = decode(pkt)
        row, _ = match(index, d)
        assert d["tags"] == [(0x88A8, 300), (0x8100, 10 + row["tenant"])]
        assert d["l3off"] == 22


# ---- mix ratios ----

def test_ratios(tmp_path):
    _, rows = gen(tmp_path, "--flows", "10000", "--ipv6", "30", "--udp", "20", "--icmp", "10")
    n = len(rows)
    fam = Counter(r["family"] for r in rows)
    proto = Counter(r["proto"] for r in rows)
    assert abs(fam[6] / n - 0.30) < 0.02
    assert abs(proto[17] / n - 0.20) < 0.02
    assert abs((proto[1] + proto[58]) / n - 0.10) < 0.02
    assert abs(proto[6] / n - 0.70) < 0.02


def test_default_is_ipv4_tcp(tmp_path):
    _, rows = gen(tmp_path, "--flows", "300")
    assert {(r["family"], r["proto"]) for r in rows} == {(4, 6)}


# ---- frame sizes ----

@pytest.mark.parametrize("size", [64, 128, 594, 1518, 9000])
def test_fixed_frame_size(tmp_path, size):
    pcap, _ = gen(tmp_path, "--flows", "30", "--packets", "3", "--udp", "30", "--icmp", "20",
                  "--frame", size)
    for pkt in rdpcap(str(pcap)):
        d = decode(pkt)
        assert d["len"] == size
        assert d["l3off"] + d["l3len"] == size, "IP length must cover the whole frame"


@pytest.mark.parametrize("extra,proto,expected", [
    (["--qinq", "5"], "tcp", 14 + 8 + 40 + 20),
    (["--qinq", "5"], "udp", 14 + 8 + 40 + 8),
    (["--vlan-base", "0"], "tcp", 14 + 40 + 20),
])
def test_frame_smaller_than_headers(tmp_path, extra, proto, expected):
    mix = ["--udp", "100"] if proto == "udp" else []
    pcap, _ = gen(tmp_path, "--flows", "20", "--ipv6", "100", "--frame", "64", *extra, *mix)
    assert {wire for wire, _ in frame_lengths(pcap)} == {expected}


def test_imix_distribution(tmp_path):
    pcap, _ = gen(tmp_path, "--flows", "6000", "--frame", "imix", "--udp", "50")
    lens = Counter(wire for wire, _ in frame_lengths(pcap))
    n = sum(lens.values())
    assert set(lens) == {64, 594, 1518}
    assert abs(lens[64] / n - 7 / 12) < 0.02
    assert abs(lens[594] / n - 4 / 12) < 0.02
    assert abs(lens[1518] / n - 1 / 12) < 0.015


def test_snaplen(tmp_path):
    pcap, _ = gen(tmp_path, "--flows", "5", "--frame", "1518", "--snaplen", "128")
    assert pcap_header(pcap) == (128, 1)
    assert set(frame_lengths(pcap)) == {(1518, 128)}
    default, _ = gen(tmp_path, "--flows", "5", name="d")
    assert pcap_header(default) == (65535, 1)


# ---- protocol details ----

def test_checksums_tshark(tmp_path):
    pcap, _ = gen(tmp_path, "--flows", "300", "--packets", "5", "--frame", "imix",
                  "--qinq", "9", *MIXED)
    fields = ["ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
              "icmp.checksum.status", "icmpv6.checksum.status"]
    cmd = ["tshark", "-n", "-r", str(pcap), "-o", "ip.check_checksum:TRUE",
           "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1500
    for line in lines:
        ip, tcp, udp, icmp, icmp6 = line.split("\t")
        assert ip in ("", "1")               # 1 = good; IPv6 has no header checksum
        l4 = [s for s in (tcp, udp, icmp, icmp6) if s]
        assert l4 == ["1"], line             # exactly one L4 checksum, verified good


def test_tcp_handshake_and_sequence(tmp_path):
    k = 6
    pcap, rows = gen(tmp_path, "--flows", "40", "--packets", k, "--order", "seq",
                     "--frame", "imix", "--ipv6", "50")
    pkts = [decode(p) for p in rdpcap(str(pcap))]
    for f in range(len(rows)):
        fl = pkts[f * k:(f + 1) * k]
        assert fl[0]["flags"] == TCP_SYN and fl[0]["ack"] == 0
        assert fl[1]["flags"] == TCP_SYN | TCP_ACK
        for p in fl[2:]:
            assert p["flags"] in (TCP_ACK, TCP_ACK | TCP_PSH)
            assert bool(p["flags"] & TCP_PSH) == (p["plen"] > 0)
        nxt = [fl[0]["seq"], fl[1]["seq"]]
        for j, p in enumerate(fl):
            d = j % 2
            assert p["seq"] == nxt[d] % 2**32
            if j > 0:
                assert p["ack"] == nxt[1 - d] % 2**32
            nxt[d] += p["plen"] + (1 if j < 2 else 0)


def test_tcp_sequence_interleaved_matches_seq_order(tmp_path):
    common = ["--flows", "30", "--packets", "5", "--frame", "imix", "--udp", "30"]
    a, _ = gen(tmp_path, *common, "--order", "seq", name="seq")
    b, _ = gen(tmp_path, *common, name="il")
    pa = [bytes(p) for p in rdpcap(str(a))]
    pb = [bytes(p) for p in rdpcap(str(b))]
    # packet j of flow f is identical whatever the order
    for f in range(30):
        for j in range(5):
            assert pa[f * 5 + j] == pb[j * 30 + f]


def test_icmp_echo(tmp_path):
    k = 4
    pcap, rows = gen(tmp_path, "--flows", "100", "--packets", k, "--icmp", "100",
                     "--ipv6", "50", "--order", "seq")
    index = flow_index(rows)
    ids = {}
    for i, pkt in enumerate(rdpcap(str(pcap))):
        d = decode(pkt)
        row, direction = match(index, d)
        fam = row["family"]
        expected = ICMP_ECHO_REQ[fam] if direction == 0 else ICMP_ECHO_REP[fam]
        assert d["icmp_type"] == expected
        assert d["icmp_seq"] == (i % k) // 2
        assert ids.setdefault(row["flow_id"], d["icmp_id"]) == d["icmp_id"]
    assert len(set(ids.values())) == 100


def test_payload_deterministic_and_filled(tmp_path):
    pcap, _ = gen(tmp_path, "--flows", "10", "--udp", "100", "--frame", "256")
    payloads = [bytes(p[UDP].payload) for p in rdpcap(str(pcap))]
    assert all(len(pl) == 256 - 18 - 28 for pl in payloads)
    assert len(set(payloads)) == len(payloads)


def test_1m_flows(tmp_path):
    """The benchmark case: 1M flows x 2 packets at 64 bytes, all unique."""
    out = tmp_path / "big.pcap"
    run("-o", str(out), "--flows", "1000000", "--flow-list", str(tmp_path / "big.tsv"))
    # 24-byte file header, then 2M records of 16-byte header + 64 bytes
    assert out.stat().st_size == 24 + 2_000_000 * (16 + 64)
    rows = (tmp_path / "big.tsv").read_text().splitlines()[1:]
    assert len(rows) == 1_000_000
    tuples = {tuple(r.split("\t")[1:9]) for r in rows}
    assert len(tuples) == 1_000_000


# ---- existing options keep their bytes ----

def test_existing_output_golden(tmp_path):
    """SHA-256 of a mixed run as written before tunnels and fragments existed."""
    pcap, _ = gen(tmp_path, "--flows", "50", "--packets", "3", "--frame", "imix", "--tenants", "3",
                  "--ipv6", "40", "--udp", "30", "--icmp", "20", "--qinq", "7", "--seed", "42")
    assert hashlib.sha256(pcap.read_bytes()).hexdigest() == \
        "e1d83d60bbf63f34dfdf441a71ca71e0f3b52880850f8a0fc8ef9406a932e890"
    assert hashlib.sha256((tmp_path / "out.tsv").read_bytes()).hexdigest() == \
        "688863367c649276156d5b69a390b541f93ef5f4d867ba770033a4ac2c9c99c7"


# ---- tunnels and fragments: command line ----

def test_help_tunnel_frag():
    r = run("--help")
    for opt in ("--vxlan", "--gre", "--inner-vlan", "--fragment", "--frag-order",
                "--frag-overlap", "tunnel_id", "fragments"):
        assert opt in r.stdout


@pytest.mark.parametrize("args", [
    ["--vxlan", "16777216"],
    ["--vxlan", "16777214", "--tenants", "3"],
    ["--vxlan", "-1"],
    ["--vxlan", "x"],
    ["--gre", "4294967296"],
    ["--gre", "4294967295", "--tenants", "2"],
    ["--vxlan", "1", "--gre", "2"],
    ["--gre", "1", "--vxlan", "2"],
    ["--inner-vlan"],
    ["--vxlan", "1", "--vlan-base", "5"],
    ["--gre", "1", "--qinq", "5"],
    ["--vxlan", "1", "--inner-vlan", "--vlan-base", "0", "--tenants", "2"],
    ["--fragment", "575"],
    ["--fragment", "9001"],
    ["--fragment", "1500x"],
    ["--frag-order", "in"],
    ["--frag-overlap"],
    ["--fragment", "576", "--frag-order", "random"],
    ["--fragment", "576", "--packets", "131073"],
])
def test_usage_errors_tunnel_frag(tmp_path, args):
    out = tmp_path / "u.pcap"
    r = run("-o", out, *args, check=False)
    assert r.returncode == 2, r.stderr
    assert "sl-gen" in r.stderr and "--help" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("extra,columns", [
    ([], []),
    (["--vxlan", "1"], ["tunnel_id"]),
    (["--gre", "1"], ["tunnel_id"]),
    (["--fragment", "576"], ["fragments"]),
    (["--vxlan", "1", "--fragment", "576"], ["tunnel_id", "fragments"]),
])
def test_flow_list_extra_columns(tmp_path, extra, columns):
    r = run("-o", tmp_path / "x.pcap", "--flows", "3", "--flow-list", "-", *extra)
    lines = [line.split("\t") for line in r.stdout.splitlines()]
    assert lines[0] == ["flow_id", "tenant", "vlan", "family", "proto", "src", "sport", "dst",
                        "dport", "packets", *columns]
    assert all(len(line) == len(lines[0]) for line in lines)


# ---- tunnels ----

OUTER_SMAC, OUTER_DMAC = "02:73:6c:00:00:0a", "02:73:6c:00:00:14"
OUTER_SRC, OUTER_DST = "192.0.2.10", "192.0.2.20"
OUTER_LEN = {"vxlan": 50, "gre": 42}
TUNNEL_ID_OFF = {"vxlan": 46, "gre": 38}  # bytes before it are the same in every record


def records(path):
    return [bytes(data) for data, _ in RawPcapReader(str(path))]


def ip_csum_ok(hdr):
    s = sum(struct.unpack(f"!{len(hdr) // 2}H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def unwrap(raw, kind):
    """Check the envelope of one record with scapy; return (VNI or key, inner frame)."""
    pkt = Ether(raw)
    assert (pkt.src, pkt.dst, pkt.type) == (OUTER_SMAC, OUTER_DMAC, 0x0800)
    ip = pkt[IP]
    assert (ip.src, ip.dst, ip.ihl, ip.tos, ip.id, int(ip.flags), ip.frag, ip.ttl) == \
        (OUTER_SRC, OUTER_DST, 5, 0, 0, 2, 0, 64)                 # DF, never fragmented
    assert ip.len == len(raw) - 14
    assert ip_csum_ok(raw[14:34])
    if kind == "vxlan":
        assert ip.proto == 17
        udp = pkt[UDP]
        assert (udp.sport, udp.dport, udp.chksum, udp.len) == (49152, 4789, 0, len(raw) - 34)
        vx = VXLAN(bytes(udp.payload))
        assert int(vx.flags) == 0x08
        assert raw[42:46] == b"\x08\0\0\0" and raw[49] == 0         # flags, reserved
        assert vx.vni == int.from_bytes(raw[46:49], "big")
        return vx.vni, raw[50:]
    assert ip.proto == 47
    gre = GRE(raw[34:])
    assert (gre.chksum_present, gre.routing_present, gre.key_present, gre.seqnum_present,
            gre.recursion_control, gre.flags, gre.version, gre.proto) == (0, 0, 1, 0, 0, 0, 0, 0x6558)
    assert isinstance(gre.payload, Ether)
    return gre.key, raw[42:]


@pytest.mark.parametrize("kind,base", [("vxlan", 16777212), ("gre", 4294967292)])
def test_tunnel_envelope(tmp_path, kind, base):
    flows, tenants, frame = 400, 4, 256
    pcap, rows = gen(tmp_path, "--flows", flows, f"--{kind}", base, "--tenants", tenants,
                     "--ipv6", "50", "--udp", "30", "--icmp", "10", "--frame", frame)
    assert all(r["vlan"] == 0 and r["tunnel_id"] == base + r["tenant"] for r in rows)
    index = flow_index(rows)
    assert len(index) == flows, "inner tuples unique"
    recs = records(pcap)
    assert len(recs) == 2 * flows
    # a mirror session: every envelope is the same up to the VNI/key (lengths equal here)
    assert len({raw[:TUNNEL_ID_OFF[kind]] for raw in recs}) == 1
    dirs, tids = defaultdict(set), set()
    for raw in recs:
        assert len(raw) == OUTER_LEN[kind] + frame
        tid, inner = unwrap(raw, kind)
        d = decode(Ether(inner))
        assert d["tags"] == [] and d["len"] == frame       # untagged, --frame sizes the inner
        row, direction = match(index, d)
        assert tid == base + row["tenant"]
        dirs[row["flow_id"]].add(direction)
        tids.add(tid)
    assert tids == {base + t for t in range(tenants)}
    assert len(dirs) == flows and all(v == {0, 1} for v in dirs.values())


@pytest.mark.parametrize("kind", ["vxlan", "gre"])
def test_tunnel_imix_lengths(tmp_path, kind):
    pcap, rows = gen(tmp_path, "--flows", "300", f"--{kind}", "10", "--frame", "imix",
                     "--udp", "50")
    index = flow_index(rows)
    masked, inner_lens = set(), Counter()
    for raw in records(pcap):
        tid, inner = unwrap(raw, kind)
        inner_lens[len(inner)] += 1
        assert len(raw) == OUTER_LEN[kind] + len(inner)
        row, _ = match(index, decode(Ether(inner)))
        assert tid == 10 + row["tenant"] == row["tunnel_id"]
        # constant but for the IPv4 length and checksum and the UDP length
        env = bytearray(raw[:TUNNEL_ID_OFF[kind]])
        for lo in (16, 24) + ((38,) if kind == "vxlan" else ()):
            env[lo:lo + 2] = b"\0\0"
        masked.add(bytes(env))
    assert len(masked) == 1
    assert set(inner_lens) == {64, 594, 1518}


@pytest.mark.parametrize("kind,extra,tags", [
    ("vxlan", ["--vlan-base", "10", "--qinq", "300"], lambda t: [(0x88A8, 300), (0x8100, 10 + t)]),
    ("gre", [], lambda t: [(0x8100, 100 + t)]),
])
def test_tunnel_inner_vlan(tmp_path, kind, extra, tags):
    pcap, rows = gen(tmp_path, "--flows", "60", f"--{kind}", "1", "--inner-vlan", "--tenants", "3",
                     "--ipv6", "50", "--frame", "128", *extra)
    index = flow_index(rows)
    for raw in records(pcap):
        tid, inner = unwrap(raw, kind)
        d = decode(Ether(inner))
        row, _ = match(index, d)
        assert d["tags"] == tags(row["tenant"])
        assert tid == 1 + row["tenant"] and d["len"] == 128


# ---- fragments ----

MTU = 576


def ip_packet(inner):
    """IP header fields of an inner frame (scapy), data sliced from the raw bytes."""
    tags, etype, off = l2_tags(inner)
    if etype == 0x0800:
        ip = IP(inner[off:])
        hl = ip.ihl * 4
        assert ip_csum_ok(inner[off:off + hl])
        assert off + ip.len == len(inner), "no padding, IP length covers the frame"
        p = dict(family=4, proto=ip.proto, id=ip.id, df=bool(ip.flags.DF),
                 more=bool(ip.flags.MF), off=ip.frag * 8, data=inner[off + hl:], size=ip.len)
        p["frag"] = p["more"] or p["off"] > 0
    else:
        ip = IPv6(inner[off:])
        assert off + 40 + ip.plen == len(inner)
        p = dict(family=6, df=False, size=40 + ip.plen, hlim=ip.hlim, fl=ip.fl)
        if ip.nh == 44:
            fh = ip[IPv6ExtHdrFragment]
            assert fh.res1 == 0 and fh.res2 == 0
            p.update(frag=True, proto=fh.nh, id=fh.id, more=bool(fh.m), off=fh.offset * 8,
                     data=inner[off + 48:])
        else:
            p.update(frag=False, proto=ip.nh, id=None, more=False, off=0, data=inner[off + 40:])
    p.update(src=ip.src, dst=ip.dst, tags=tags)
    return p


def reassemble(frags):
    """First-wins reassembly in record order: (bytes or None with holes, overlapping frags)."""
    last = [f for f in frags if not f["more"]]
    assert len(last) == 1
    total = last[0]["off"] + len(last[0]["data"])
    buf, have, overlaps = bytearray(total), bytearray(total), []
    for f in frags:
        lo, hi = f["off"], f["off"] + len(f["data"])
        assert hi <= total
        if have.find(1, lo, hi) < 0:
            buf[lo:hi], have[lo:hi] = f["data"], b"\1" * (hi - lo)
            continue
        overlaps.append(f)
        for k in range(lo, hi):
            if not have[k]:
                buf[k], have[k] = f["data"][k - lo], 1
    return (bytes(buf) if have.find(0) < 0 else None), overlaps


def datagrams(inners):
    """Group records into datagrams in order of their first record; reassemble fragments."""
    out, pending = [], {}
    for i, inner in enumerate(inners):
        p = ip_packet(inner)
        if not p["frag"]:
            out.append(dict(p, frags=[], first=i, overlaps=[]))
            continue
        key = (p["family"], p["src"], p["dst"], p["proto"], p["id"])
        if key not in pending:
            pending[key] = dict(p, frags=[], first=i)
            out.append(pending[key])
        pending[key]["frags"].append(dict(rec=i, off=p["off"], more=p["more"], data=p["data"],
                                          df=p["df"], size=p["size"]))
    for dg in pending.values():
        dg["data"], dg["overlaps"] = reassemble(dg["frags"])
    return out


def by_direction(dgs):
    """(family, src, dst, proto) -> datagrams of that flow direction in order."""
    out = defaultdict(list)
    for dg in dgs:
        out[(dg["family"], dg["src"], dg["dst"], dg["proto"])].append(dg)
    return out


def check_frag_sizes(dgs, mtu, overlap=False):
    """Offsets and lengths: full steps (multiples of 8) from 0, the last one shorter."""
    for dg in dgs:
        if not dg["frags"]:
            continue
        step = (mtu - (20 if dg["family"] == 4 else 48)) // 8 * 8
        frs = sorted(dg["frags"], key=lambda f: f["off"])
        regular = [f for f in frs if f["off"] % step == 0]
        assert len(frs) - len(regular) == (1 if overlap else 0)
        assert [f["off"] for f in regular] == [k * step for k in range(len(regular))]
        assert all(len(f["data"]) == step and f["more"] for f in regular[:-1])
        assert 0 < len(regular[-1]["data"]) <= step and not regular[-1]["more"]
        for f in frs:
            assert f["size"] <= mtu and not f["df"]
            assert f["off"] % 8 == 0 and (not f["more"] or len(f["data"]) % 8 == 0)


def check_flow_fragments(rows, dgs):
    """The TSV fragments column counts the records of each flow's fragments."""
    flow_of = {}
    for r in rows:
        flow_of[(r["family"], r["src"], r["dst"], r["proto"])] = r["flow_id"]
        flow_of[(r["family"], r["dst"], r["src"], r["proto"])] = r["flow_id"]
    count = Counter()
    for dg in dgs:
        count[flow_of[(dg["family"], dg["src"], dg["dst"], dg["proto"])]] += len(dg["frags"])
    assert {r["flow_id"]: r["fragments"] for r in rows} == {f: count[f] for f in flow_of.values()}


FRAG_MIX = ["--flows", "150", "--packets", "4", "--frame", "1500", "--tenants", "2",
            "--ipv6", "50", "--udp", "30", "--icmp", "10"]


def gen_with_ref(tmp_path, common, extra):
    """Run with and without EXTRA; return (datagrams, reference datagrams, rows, records)."""
    ref_pcap, _ = gen(tmp_path, *common, name="ref")
    pcap, rows = gen(tmp_path, *common, *extra)
    recs = records(pcap)
    return datagrams(recs), datagrams(records(ref_pcap)), rows, recs


@pytest.mark.parametrize("order", ["in", "reverse", "interleave"])
def test_fragment_reassembly(tmp_path, order):
    dgs, ref, rows, recs = gen_with_ref(tmp_path, FRAG_MIX,
                                        ["--fragment", MTU, "--frag-order", order])
    got, want = by_direction(dgs), by_direction(ref)
    assert got.keys() == want.keys() and len(got) == 300
    for key, lst in got.items():
        assert len(lst) == len(want[key]) == 2
        for dg, rd in zip(lst, want[key]):              # each direction keeps its order
            assert dg["frags"] and not rd["frags"], "every 1500-byte frame is fragmented"
            assert dg["data"] == rd["data"], "reassembly gives the original L4 bytes"
            assert not dg["overlaps"]
            if key[0] == 4:
                assert dg["id"] == rd["id"], "fragments keep the datagram's identification"
        assert len({dg["id"] for dg in lst}) == len(lst), "identification unique per direction"
    check_frag_sizes(dgs, MTU)
    check_flow_fragments(rows, dgs)
    assert len(recs) == sum(len(dg["frags"]) for dg in dgs)
    spread = Counter()
    for dg in dgs:
        offs = [f["off"] for f in dg["frags"]]
        gaps = {b["rec"] - a["rec"] for a, b in zip(dg["frags"], dg["frags"][1:])}
        assert offs == sorted(offs, reverse=(order == "reverse"))
        if order == "interleave":
            assert len(gaps) == 1 and gaps <= {1, 2, 3, 4}   # round-robin over the group
            spread[gaps.pop()] += 1
        else:
            assert gaps == {1}
    if order == "interleave":
        assert spread[4] >= 0.9 * len(dgs)


def test_fragment_drop_first(tmp_path):
    dgs, ref, rows, recs = gen_with_ref(tmp_path, FRAG_MIX,
                                        ["--fragment", MTU, "--frag-order", "drop-first"])
    got, want = by_direction(dgs), by_direction(ref)
    assert got.keys() == want.keys()
    for key, lst in got.items():
        step = (MTU - (20 if key[0] == 4 else 48)) // 8 * 8
        for dg, rd in zip(lst, want[key], strict=True):
            n = -(-len(rd["data"]) // step)
            assert len(dg["frags"]) == n - 1
            assert all(f["off"] > 0 for f in dg["frags"]), "the offset-0 fragment is missing"
            assert dg["data"] is None
            for f in dg["frags"]:
                assert f["data"] == rd["data"][f["off"]:f["off"] + len(f["data"])]
    check_flow_fragments(rows, dgs)
    assert not any(ip_packet(r)["off"] == 0 for r in recs)


@pytest.mark.parametrize("order", ["in", "reverse"])
def test_fragment_overlap(tmp_path, order):
    dgs, ref, rows, _ = gen_with_ref(tmp_path, FRAG_MIX, ["--fragment", MTU, "--frag-overlap",
                                                          "--frag-order", order])
    got, want = by_direction(dgs), by_direction(ref)
    check_frag_sizes(dgs, MTU, overlap=True)
    check_flow_fragments(rows, dgs)
    for key, lst in got.items():
        for dg, rd in zip(lst, want[key], strict=True):
            frs = sorted(dg["frags"], key=lambda f: f["off"])
            extra = [f for f in frs if len(f["data"]) == 8 and f["more"]]
            assert len(extra) == 1
            x = extra[0]
            lo = x["off"]
            # the 8 bytes at the end of the fragment before the last one, all different
            prev = [f for f in frs if f["off"] <= lo and f["off"] + len(f["data"]) >= lo + 8
                    and f is not x]
            assert len(prev) == 1 and prev[0]["off"] + len(prev[0]["data"]) == lo + 8
            original = rd["data"][lo:lo + 8]
            assert all(a != b for a, b in zip(x["data"], original))
            assert len(dg["overlaps"]) == 1
            if order == "in":        # written after what it overlaps: first-wins keeps data
                assert dg["data"] == rd["data"]
            else:                    # written first: first-wins takes the evasion bytes
                assert dg["data"] == rd["data"][:lo] + x["data"] + rd["data"][lo + 8:]


def test_fragment_ipv6_header(tmp_path):
    pcap, rows = gen(tmp_path, "--flows", "100", "--packets", "4", "--ipv6", "100", "--udp", "40",
                     "--icmp", "20", "--frame", "1400", "--vlan-base", "0", "--fragment", "1280")
    protos = {}
    for r in rows:
        protos[(r["src"], r["dst"])] = protos[(r["dst"], r["src"])] = r["proto"]
    ids, seen = defaultdict(set), defaultdict(set)
    for data, _ in RawPcapReader(str(pcap)):
        pkt = Ether(data)
        ip6 = pkt[IPv6]
        fh = pkt[IPv6ExtHdrFragment]
        assert ip6.nh == 44 and fh.nh == protos[(ip6.src, ip6.dst)]   # next header preserved
        assert ip6.hlim == 64 and ip6.plen == 8 + len(data) - 14 - 48
        assert fh.res1 == 0 and fh.res2 == 0
        # 1386-byte datagram at MTU 1280: 1232 bytes, then 114 (offset 154 * 8)
        assert (fh.offset, fh.m, ip6.plen) in ((0, 1, 8 + 1232), (154, 0, 8 + 114))
        ids[(ip6.src, ip6.dst)].add(fh.id)
        seen[(ip6.src, ip6.dst, fh.id)].add(fh.offset)
    assert all(v == {0, 154} for v in seen.values())
    assert all(len(v) == 2 for v in ids.values()), "one identification per datagram"
    assert max(i for v in ids.values() for i in v) > 0xFFFF, "32-bit identification"
    assert all(r["fragments"] == 8 for r in rows)


def test_fragment_only_large_datagrams(tmp_path):
    """Frames that fit the MTU are written as without --fragment; larger ones in 2 pieces."""
    common = ["--flows", "300", "--frame", "imix", "--udp", "50", "--order", "seq"]
    ref_pcap, _ = gen(tmp_path, *common, name="ref")
    pcap, rows = gen(tmp_path, *common, "--fragment", "1400")
    recs = iter(records(pcap))
    frags = Counter()
    for i, raw in enumerate(records(ref_pcap)):
        if len(raw) - 18 <= 1400:
            assert next(recs) == raw
            continue
        pieces = [ip_packet(next(recs)) for _ in range(2)]      # 1500-byte datagram: 1376 + 104
        assert [(p["off"], p["more"], len(p["data"])) for p in pieces] == \
            [(0, True, 1376), (1376, False, 104)]
        frags[i // 2] += 2
    assert next(recs, None) is None
    assert {r["flow_id"]: r["fragments"] for r in rows} == {f: frags[f] for f in range(300)}


def test_fragment_in_vxlan(tmp_path):
    common = ["--flows", "100", "--frame", "1500", "--ipv6", "50", "--vxlan", "42", "--tenants", "2"]
    ref_pcap, _ = gen(tmp_path, *common, name="ref")
    pcap, rows = gen(tmp_path, *common, "--fragment", MTU, "--frag-order", "interleave")
    assert all(r["tunnel_id"] == 42 + r["tenant"] for r in rows)
    tids, inners = [], []
    for raw in records(pcap):
        tid, inner = unwrap(raw, "vxlan")                   # the envelope wraps each fragment
        assert len(inner) <= 14 + MTU
        tids.append(tid)
        inners.append(inner)
    dgs = datagrams(inners)
    ref = [unwrap(raw, "vxlan")[1] for raw in records(ref_pcap)]
    got, want = by_direction(dgs), by_direction(datagrams(ref))
    assert got.keys() == want.keys()
    for key, lst in got.items():
        assert [dg["data"] for dg in lst] == [rd["data"] for rd in want[key]]
        for dg in lst:
            assert len({tids[f["rec"]] for f in dg["frags"]}) == 1
    check_frag_sizes(dgs, MTU)
    check_flow_fragments(rows, dgs)


@pytest.mark.parametrize("extra", [
    ["--vxlan", "7", "--fragment", "576", "--frag-order", "interleave", "--frag-overlap"],
    ["--gre", "9", "--inner-vlan", "--fragment", "1000", "--frag-order", "reverse"],
    ["--fragment", "576", "--frag-order", "drop-first"],
])
def test_determinism_tunnel_frag(tmp_path, extra):
    args = ["--flows", "300", "--packets", "3", "--frame", "imix", "--tenants", "3", "--ipv6", "40",
            "--udp", "30", "--icmp", "10", *extra]
    a, _ = gen(tmp_path, *args, "--seed", "42", name="a")
    b, _ = gen(tmp_path, *args, "--seed", "42", name="b")
    c, _ = gen(tmp_path, *args, "--seed", "43", name="c")
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert any(ip_packet(r[OUTER_LEN.get(extra[0][2:], 0):])["frag"] for r in records(a))

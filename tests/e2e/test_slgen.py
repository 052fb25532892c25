# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests for sl-gen, the deterministic traffic generator.

Runs the built binary (env SL_GEN, default build/tools/sl-gen/sl-gen) and
checks its pcap with independent readers: scapy for headers, tshark for
checksums. Run with: /usr/bin/python3 -m pytest -q tests/e2e/test_slgen.py
"""
import csv
import ipaddress
import os
import struct
import subprocess
from collections import Counter, defaultdict

import pytest
from scapy.all import IP, TCP, UDP, IPv6, Raw, RawPcapReader, rdpcap

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
        for k in ("flow_id", "tenant", "vlan", "family", "proto", "sport", "dport", "packets"):
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

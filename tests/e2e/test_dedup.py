# SPDX-License-Identifier: BSD-3-Clause
"""End to end: de-duplication (tenant `dedup:`) on real packets.

A capture (a corpus pcap, an sl-gen capture, a VXLAN mirror) is doubled the
way a SPAN of ingress and egress, or two mirrored interfaces, double it:
every packet appears twice, its copy a few packets later, some copies
identical, some one hop older (IPv4 TTL decremented and the header checksum
fixed, IPv6 hop limit decremented), some with new MAC addresses too; VXLAN
copies come in another session (VNI, outer source). The doubled capture is
read twice by the real sluice, on two inputs: one tenant with dedup, one
without. Two workers in software distribution, so the hand-off is crossed.

Checked with an independent reader (the pcap files the members' net_pcap
outputs write, read back here): the dedup tenant's members hold each
original packet exactly once, byte for byte; the drop reason and tenant
counter `duplicate` equal the number of copies; the ledger balances; the
tenant without dedup gets both copies of everything. Packets that differ
in their payload are never taken for copies.
"""
import collections
import os
import struct

import pytest
from scapy.all import IP, IPv6, UDP, TCP, Ether, Raw

from conftest import (CORPUS, gen, pcap_in, pcap_outs, pool, read_pcap, run_sluice,
                      sluice_config, tenant, write_pcap)

# A corpus capture with IPv4 and IPv6 (Ethernet, no tunnel).
CORPUS_FILE = os.path.join(CORPUS, "mqtt-events-missing-connect_input.pcap")
SPAN = 128           # bytes of the IP packet lib/dedup compares
VXLAN_PORT = 4789
LCORES = "0@0,1@1,2@1"  # two workers on one CPU


def l3_offset(fr):
    """Offset of the innermost IP header of an Ethernet frame, through VLAN
    tags and VXLAN; None for anything else (what this test does not
    double: sluice only compares IP packets)."""
    off = 12
    while True:
        if off + 2 > len(fr):
            return None
        et = struct.unpack(">H", fr[off:off + 2])[0]
        off += 2
        if et in (0x8100, 0x88a8):
            off += 2
            continue
        break
    if et == 0x0800 and off + 20 <= len(fr) and fr[off] >> 4 == 4:
        ihl = (fr[off] & 0xf) * 4
        if fr[off + 9] == 17 and off + ihl + 16 <= len(fr) and \
                struct.unpack(">H", fr[off + ihl + 2:off + ihl + 4])[0] == VXLAN_PORT:
            inner = l3_offset(fr[off + ihl + 16:])
            return None if inner is None else off + ihl + 16 + inner
        return off
    if et == 0x86dd and off + 40 <= len(fr) and fr[off] >> 4 == 6:
        return off
    return None


def signature(fr):
    """What lib/dedup compares (docs/architecture.md, "De-duplication"):
    the innermost IP packet's first SPAN bytes within its own length, TTL
    and IPv4 checksum or hop limit cleared. None: not an IP packet."""
    off = l3_offset(fr)
    if off is None:
        return None
    ip = fr[off:]
    if ip[0] >> 4 == 4:
        own = struct.unpack(">H", ip[2:4])[0]
        b = bytearray(ip[:min(len(ip), SPAN, own or SPAN)])
        for i in (8, 10, 11):
            if i < len(b):
                b[i] = 0
    else:
        own = struct.unpack(">H", ip[4:6])[0]
        b = bytearray(ip[:min(len(ip), SPAN, own + 40 if own else SPAN)])
        if len(b) > 7:
            b[7] = 0
    return bytes(b)


def ipv4_cksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def one_hop_older(fr, off):
    """The frame as a router forwards it: TTL or hop limit one less, the
    IPv4 header checksum fixed."""
    b = bytearray(fr)
    if b[off] >> 4 == 4:
        ihl = (b[off] & 0xf) * 4
        b[off + 8] = max(b[off + 8] - 1, 0)
        if off + ihl <= len(b):
            b[off + 10:off + 12] = b"\0\0"
            b[off + 10:off + 12] = struct.pack(">H", ipv4_cksum(bytes(b[off:off + ihl])))
    else:
        b[off + 7] = max(b[off + 7] - 1, 0)
    return bytes(b)


def new_session(fr):
    """A VXLAN frame as the other mirror session delivers it: another VNI
    and outer source address (outer checksum fixed)."""
    b = bytearray(fr)
    o = 14
    while struct.unpack(">H", b[o - 2:o])[0] in (0x8100, 0x88a8):
        o += 4
    ihl = (b[o] & 0xf) * 4
    vni = o + ihl + 8 + 4
    b[vni:vni + 3] = struct.pack(">I", struct.unpack(">I", b"\0" + b[vni:vni + 3])[0] + 1)[1:]
    b[o + 15] ^= 0x01  # outer source address
    b[o + 10:o + 12] = b"\0\0"
    b[o + 10:o + 12] = struct.pack(">H", ipv4_cksum(bytes(b[o:o + ihl])))
    return bytes(b)


def originals(frames):
    """The IP frames of a capture that are not already copies of an earlier
    one (a capture may hold retransmissions identical in the first bytes):
    what the doubled capture is made of."""
    seen, out = set(), []
    for fr in frames:
        s = signature(fr)
        if s is None or s in seen:
            continue
        seen.add(s)
        out.append(fr)
    return out


def doubled(orig, delay=2, tunnel=False):
    """Every frame twice: its copy `delay` frames later. Copy variants by
    index: identical; one hop older; one hop older with new MACs (a routed
    hop); in a VXLAN capture, the inner packet one hop older in the other
    session. Returns the frames."""
    copies = []
    for i, fr in enumerate(orig):
        off = l3_offset(fr)
        v = i % 3
        c = fr
        if v >= 1:
            c = one_hop_older(fr, off)
        if v == 2:
            c = bytes(b"\x02\x00\x00\x00\x00\x99" + b"\x02\x00\x00\x00\x00\x98") + c[12:]
        if tunnel:
            c = new_session(c)
        copies.append(c)
    out = []
    for i, fr in enumerate(orig):
        out.append(fr)
        if i >= delay:
            out.append(copies[i - delay])
    out.extend(copies[len(orig) - delay:] if len(orig) >= delay else copies)
    assert len(out) == 2 * len(orig)
    return out


def config(tmp, inp, outdir, window_us=1000000, tenant_match=None):
    """Input `a` (tenant `dd`, dedup on, two members) and input `b` (tenant
    `plain`, no dedup, one member) read the same capture."""
    match_any = {"untagged": True, "vlan": ["1-4094"]}
    m = tenant_match or match_any
    return sluice_config(
        [pcap_in(inp, name="a", port=0, distribution="software"),
         pcap_in(inp, name="b", port=1, distribution="software")],
        pcap_outs(outdir, ["d0", "d1", "n0"], first_port=2),
        [tenant("dd", 7, [pool("p", ["d0", "d1"])], match={**m, "inputs": ["a"]},
                dedup={"window_us": window_us, "table": 65536}),
         tenant("plain", 8, [pool("p", ["n0"])], match={**m, "inputs": ["b"]})],
        eal={"main_lcore": 0, "worker_lcores": [1, 2]},
        flow_table={"size": 65536}, tunnels={"max_depth": 3},
        # the capture is read far faster than the second worker (on the
        # same CPU) drains its hand-off ring: room for all of it, so that
        # nothing but copies is dropped
        tuning={"sw_ring_size": 65536, "mbufs": 131071})


def frames_of(outdir, names):
    c = collections.Counter()
    for n in names:
        p = os.path.join(outdir, f"{n}.pcap")
        c.update(read_pcap(p) if os.path.exists(p) else [])
    return c


def run_doubled(tmp, orig, tunnel=False, tenant_match=None):
    """Run sluice on the doubled capture of `orig`; check what every check
    of this file shares. Returns (final stats, output directory)."""
    assert len(orig) >= 20, "too few packets to test with"
    frames = doubled(orig, tunnel=tunnel)
    inp = os.path.join(tmp, "doubled.pcap")
    write_pcap(inp, frames)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run_sluice(tmp, config(tmp, inp, out, tenant_match=tenant_match), lcores=LCORES)
    assert r.rc == 0, r.stderr
    s = r.final
    lg = s["ledger"]
    n = len(orig)
    assert lg["balanced"] is True, lg
    assert lg["in_flight"] == 0
    assert lg["received"] == 2 * len(frames)
    assert lg["received"] == lg["forwarded"] + lg["filtered"] + lg["dropped"]
    # the hand-off was crossed: the RX worker gave flows to the other one
    w = s["workers"]
    assert w[0]["handed_off"] + w[1]["handed_off"] > 0
    # every copy, and nothing else, dropped as duplicate
    assert {k: v for k, v in s["drops"].items() if v} == {"duplicate": n}
    assert s["drops"]["duplicate"] == n
    assert lg["dropped"] == n
    t = {x["name"]: x for x in s["tenants"]}
    assert t["dd"]["duplicate"] == n and t["dd"]["dropped"] == n
    assert t["dd"]["forwarded"] == n
    assert t["dd"]["dedup_evicted"] == 0
    assert t["plain"]["duplicate"] == 0 and t["plain"]["forwarded"] == 2 * n
    # byte for byte: each original exactly once on the dedup tenant's
    # members, both copies of everything on the other tenant's
    assert frames_of(out, ["d0", "d1"]) == collections.Counter(orig)
    assert frames_of(out, ["n0"]) == collections.Counter(frames)
    # the copies never counted in a flow: as many flows as without copies
    # (a VXLAN copy in the other session is another flow where it passes)
    assert t["plain"]["flows"] == t["dd"]["flows"] * (2 if tunnel else 1)
    return s, out


@pytest.mark.skipif(not os.path.exists(CORPUS_FILE),
                    reason=f"corpus capture {CORPUS_FILE} absent ($SL_CORPUS)")
def test_corpus_capture_doubled(tmp):
    orig = originals(read_pcap(CORPUS_FILE))
    assert any(signature(f)[0] >> 4 == 6 for f in orig)
    assert any(signature(f)[0] >> 4 == 4 for f in orig)
    run_doubled(tmp, orig)


def test_slgen_capture_doubled(tmp):
    pcap, _ = gen(tmp, "mix", "--flows", 300, "--tenants", 2, "--vlan-base", 100,
                  "--ipv6", 40, "--udp", 30, "--icmp", 10, "--packets", 4, "--frame", "imix",
                  "--seed", 11)
    orig = originals(read_pcap(pcap))
    assert len(orig) > 1000
    run_doubled(tmp, orig)


def test_vxlan_two_sessions(tmp):
    """Two mirrored interfaces: the same inner packet in two VXLAN sessions
    (another VNI, another outer source), one hop older in the second."""
    pcap, _ = gen(tmp, "vx", "--flows", 200, "--vxlan", 500, "--ipv6", 30, "--udp", 30,
                  "--packets", 3, "--seed", 5)
    orig = originals(read_pcap(pcap))
    assert len(orig) > 500
    run_doubled(tmp, orig, tunnel=True, tenant_match={"vni": ["500-501"]})


def test_payload_differences_are_not_copies(tmp):
    """Packets that differ in their payload, within the first 128 bytes of
    the IP packet or past them (the UDP/TCP checksum then differs), are all
    delivered; a copy one hop older is not."""
    e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

    def mk(i, payload):
        if i % 2:
            return bytes(e / IP(src="10.1.0.1", dst="10.2.0.2", id=i, ttl=64) /
                         UDP(sport=4000 + i, dport=53) / Raw(payload))
        return bytes(e / IPv6(src="fd00::1", dst="fd00::2", hlim=64) /
                     TCP(sport=4000 + i, dport=443, seq=1000, flags="PA") / Raw(payload))

    frames, delivered = [], []
    for i in range(60):
        payload = bytes((i * 7 + k) & 0xff for k in range(400))
        near = bytearray(payload)
        near[20] ^= 0xff               # within the 128 bytes
        far = bytearray(payload)
        far[300] ^= 0xff               # past them: only the L4 checksum tells
        a, b, c = mk(i, payload), mk(i, bytes(near)), mk(i, bytes(far))
        assert len({signature(a), signature(b), signature(c)}) == 3
        delivered += [a, b, c]
        frames += [a, b, c, one_hop_older(a, l3_offset(a))]
    inp = os.path.join(tmp, "pairs.pcap")
    write_pcap(inp, frames)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run_sluice(tmp, config(tmp, inp, out), lcores=LCORES)
    assert r.rc == 0, r.stderr
    s = r.final
    assert s["ledger"]["balanced"] is True
    t = {x["name"]: x for x in s["tenants"]}
    assert t["dd"]["duplicate"] == 60
    assert frames_of(out, ["d0", "d1"]) == collections.Counter(delivered)
    assert t["plain"]["duplicate"] == 0 and t["plain"]["forwarded"] == len(frames)


def test_window_expires(tmp):
    """A copy that comes later than the window is delivered: with a 1 us
    window, copies three thousand packets later pass (counted nowhere)."""
    pcap, _ = gen(tmp, "w", "--flows", 600, "--packets", 5, "--seed", 3)
    orig = originals(read_pcap(pcap))
    assert len(orig) == 3000
    frames = orig + orig  # every copy 3,000 packets later
    inp = os.path.join(tmp, "late.pcap")
    write_pcap(inp, frames)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run_sluice(tmp, config(tmp, inp, out, window_us=1), lcores=LCORES)
    assert r.rc == 0, r.stderr
    s = r.final
    assert s["ledger"]["balanced"] is True
    t = {x["name"]: x for x in s["tenants"]}
    assert t["dd"]["duplicate"] == 0
    assert frames_of(out, ["d0", "d1"]) == collections.Counter(frames)

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: capture files that are not Ethernet, or damaged.

A net_pcap input whose link type has an Ethernet equivalent (raw IPv4/IPv6,
NULL/LOOP, Linux SLL and SLL2) is read with an Ethernet header built in
front of each frame's network layer; any other link type, and a capture
whose record headers do not add up, is refused at start-up with the link
type or the byte offset named. Frames are checked byte for byte: what
follows the link-layer header in the input (its length from the link
type's specification) is what follows the 14-byte Ethernet header in the
output, and scapy reads the output as Ethernet carrying the same packets.
"""
import fcntl
import os
import socket
import struct
import subprocess
import time
import uuid

import pytest
from scapy.all import ARP, IP, IPv6, TCP, UDP, Dot1Q, Ether, Raw, rdpcap

from conftest import (CORPUS, SLUICE, pcap_first_bad_record, pcap_linktype, read_pcap,
                      run_sluice, write_pcap)

# link type: (name, link-layer header length)
HLEN = {101: ("RAW", 0), 228: ("IPV4", 0), 229: ("IPV6", 0), 0: ("NULL", 4),
        108: ("LOOP", 4), 113: ("LINUX_SLL", 16), 276: ("LINUX_SLL2", 20)}
SLL_MAC = bytes.fromhex("001b21aabbcc")


def config(inputs, outputs, extra=""):
    """One input per capture, each to its own tenant and tx_pcap output."""
    ins = "\n".join(f'  - {{name: in{i}, vdev: "net_pcap{i},rx_pcap={p}"}}'
                    for i, p in enumerate(inputs))
    outs = "\n".join(f'  - {{name: out{i}, vdev: "net_pcap{100 + i},tx_pcap={o}"}}'
                     for i, o in enumerate(outputs))
    tenants = "\n".join(
        f'  - {{name: t{i}, id: {i + 1}, match: {{inputs: [in{i}], vlan: ["1-4094"], '
        f'untagged: true}}, pools: [{{name: p, members: [out{i}]}}]}}'
        for i in range(len(inputs)))
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs:
{ins}
outputs:
{outs}
tenants:
{tenants}
fragments: {{max_held: 0}}
{extra}"""


def ip_packets():
    """Network-layer packets of several kinds, as bytes."""
    return [
        bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="S")),
        bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=5353, dport=53) / Raw(b"q" * 40)),
        bytes(IP(src="10.0.0.2", dst="10.0.0.1") / TCP(sport=80, dport=1234, flags="SA") / Raw(b"x" * 1200)),
        bytes(IPv6(src="2001:db8::2", dst="2001:db8::1") / TCP(sport=443, dport=40000, flags="A")),
    ]


def sll(proto, payload, pkttype=0, hatype=1, addr=SLL_MAC):
    return struct.pack(">HHH8sH", pkttype, hatype, len(addr), addr.ljust(8, b"\0"), proto) + payload


def sll2(proto, payload, pkttype=0, hatype=1, addr=SLL_MAC):
    return struct.pack(">HHIHBB8s", proto, 0, 3, hatype, pkttype, len(addr),
                       addr.ljust(8, b"\0")) + payload


def ethertype(p):
    return 0x86dd if p[0] >> 4 == 6 else 0x0800


def frames_for(linktype):
    """(frames, number of frames too short for the link-layer header)."""
    pk = ip_packets()
    if linktype in (101,):
        return pk, 0
    if linktype == 228:
        return [p for p in pk if p[0] >> 4 == 4], 0
    if linktype == 229:
        return [p for p in pk if p[0] >> 4 == 6], 0
    if linktype == 0:  # host order: a little-endian and a big-endian host
        fr = [struct.pack("<I" if i % 2 else ">I", 2 if p[0] >> 4 == 4 else 24) + p
              for i, p in enumerate(pk)]
        return fr + [b"\x02\0\0"], 1
    if linktype == 108:
        return [struct.pack(">I", 2 if p[0] >> 4 == 4 else 24) + p for p in pk] + [b"\0"], 1
    if linktype == 113:
        arp = bytes(ARP(psrc="10.0.0.1", pdst="10.0.0.9"))
        tagged = struct.pack(">HH", 100, 0x0800) + pk[0]
        fr = [sll(ethertype(p), p, pkttype=i % 3) for i, p in enumerate(pk)]
        return fr + [sll(0x0806, arp, pkttype=1), sll(0x8100, tagged), sll(0x0800, b"")[:10]], 1
    if linktype == 276:
        fr = [sll2(ethertype(p), p, pkttype=4) for p in pk]
        return fr + [sll2(0x0800, pk[0])[:19]], 1
    raise AssertionError(linktype)


@pytest.mark.parametrize("linktype", sorted(HLEN))
def test_link_type_read_as_ethernet(tmp, linktype):
    name, hlen = HLEN[linktype]
    frames, short = frames_for(linktype)
    inp = os.path.join(tmp, f"in-{name}.pcap")
    out = os.path.join(tmp, "out.pcap")
    write_pcap(inp, frames, linktype=linktype)
    r = run_sluice(tmp, config([inp], [out]))
    assert r.rc == 0, r.stderr
    s = r.final
    assert s["ledger"]["balanced"] and s["ledger"]["received"] == len(frames)
    assert s["ledger"]["forwarded"] == len(frames) - short
    assert s["drops"]["linktype_unconvertible"] == short
    assert s["drops"]["parse_l2_truncated"] == 0
    assert s["inputs"][0]["linktype"] == name
    got = read_pcap(out)
    want = frames[:-1] if short else frames  # the short frame is the last
    # non-IP frames skip the flow table and may leave before the IP frames
    # of their burst: match each output frame to its input by network layer
    by_l3 = {f[hlen:]: f for f in want}
    assert sorted(g[14:] for g in got) == sorted(by_l3)
    for g in got:
        f, e = by_l3[g[14:]], Ether(g)
        if linktype in (113, 276):
            proto = struct.unpack(">H", f[14:16] if linktype == 113 else f[0:2])[0]
            assert e.type == proto and e.src == "00:1b:21:aa:bb:cc"
            pkttype = struct.unpack(">H", f[0:2])[0] if linktype == 113 else f[10]
            assert e.dst == {1: "ff:ff:ff:ff:ff:ff", 2: "01:00:00:00:00:00"}.get(
                pkttype, "02:00:00:00:00:02")
        else:
            assert e.type == ethertype(f[hlen:]) and e.src == "02:00:00:00:00:01"
            assert e.dst == "02:00:00:00:00:02"
        assert e.haslayer(IP) or e.haslayer(IPv6) or e.haslayer(ARP)
    if linktype == 113:  # the VLAN tag libpcap re-inserts after the header
        tagged = [Ether(g) for g in got if Ether(g).haslayer(Dot1Q)]
        assert len(tagged) == 1 and tagged[0][Dot1Q].vlan == 100 and tagged[0].haslayer(TCP)
        assert s["filtered"]["non_ip"] == 0 and s["tenants"][0]["non_ip"] == 1  # the ARP


def capture_on_tun(path, n):
    """tcpdump -w on a tun device (DLT_RAW) while n UDP datagrams, IPv4 and
    IPv6 in turn, are routed into it; the tun is read so that it has carrier."""
    name = "sltun" + uuid.uuid4().hex[:6]
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name.encode(), 0x1001))  # TUNSETIFF, TUN|NO_PI
    except OSError as e:
        pytest.skip(f"cannot create a tun device: {e}")
    try:
        for cmd in (["ip", "addr", "add", "10.99.0.1/24", "dev", name],
                    ["ip", "-6", "addr", "add", "2001:db8:99::1/64", "dev", name, "nodad"],
                    ["ip", "link", "set", name, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)
        td = subprocess.Popen(["tcpdump", "-i", name, "-w", path, "-U", "-n", "-c", str(n), "udp"],
                              stderr=subprocess.PIPE, text=True)
        err = ""
        for _ in range(50):  # until tcpdump listens
            time.sleep(0.1)
            if td.poll() is not None:
                break
            if os.path.exists(path) and os.path.getsize(path) >= 24:
                break
        for i in range(n):
            fam, dst = ((socket.AF_INET, "10.99.0.7") if i % 2 == 0 else
                        (socket.AF_INET6, "2001:db8:99::7"))
            with socket.socket(fam, socket.SOCK_DGRAM) as so:
                so.sendto(b"payload %d" % i, (dst, 5000 + i))
        err = td.communicate(timeout=20)[1]
        assert td.returncode == 0, err
    finally:
        os.close(fd)


def test_tcpdump_on_a_tun_device_is_raw_ip(tmp):
    """A real DLT_RAW capture (tcpdump on a tun device); tshark reads the
    input and sluice's output, and the flows must agree."""
    inp = os.path.join(tmp, "tun.pcap")
    capture_on_tun(inp, 6)
    assert pcap_linktype(inp) == 101
    out = os.path.join(tmp, "out.pcap")
    r = run_sluice(tmp, config([inp], [out]))
    assert r.rc == 0, r.stderr
    assert r.final["inputs"][0]["linktype"] == "RAW"

    def flows(path):
        t = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "ip.src", "-e",
                            "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.srcport",
                            "-e", "udp.dstport", "-e", "data.data"],
                           capture_output=True, text=True, check=True).stdout
        return sorted(l for l in t.split("\n") if l)

    assert len(flows(inp)) == 6 and flows(out) == flows(inp)
    ets = subprocess.run(["tshark", "-r", out, "-T", "fields", "-e", "eth.type"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert sorted(ets) == ["0x0800"] * 3 + ["0x86dd"] * 3


def test_pcapng_sll_capture(tmp):
    """pcapng (libpcap checks its blocks) with a Linux SLL interface."""
    frames, _ = frames_for(113)
    frames = frames[:-1]
    classic = os.path.join(tmp, "sll.pcap")
    inp = os.path.join(tmp, "sll.pcapng")
    write_pcap(classic, frames, linktype=113)
    subprocess.run(["editcap", "-F", "pcapng", classic, inp], check=True, capture_output=True)
    out = os.path.join(tmp, "out.pcap")
    r = run_sluice(tmp, config([inp], [out]))
    assert r.rc == 0, r.stderr
    got = read_pcap(out)
    assert sorted(g[14:] for g in got) == sorted(f[16:] for f in frames)
    assert r.final["inputs"][0]["linktype"] == "LINUX_SLL"


@pytest.mark.parametrize("linktype,name", [(104, "C_HDLC"), (9, "PPP"), (105, "IEEE802_11")])
def test_other_link_types_are_refused(tmp, linktype, name):
    inp = os.path.join(tmp, "x.pcap")
    write_pcap(inp, [b"\xff\x03\x00\x21" + ip_packets()[0]], linktype=linktype)
    out = os.path.join(tmp, "out.pcap")
    r = run_sluice(tmp, config([inp], [out]))
    assert r.rc == 1
    assert (f"sluice.yaml:3:5: inputs.vdev: input 'in0': capture '{inp}' has link type {name} "
            f"(") in r.stderr, r.stderr
    assert f", {linktype}), which sluice does not read" in r.stderr
    # refused before anything was opened
    assert not os.path.exists(out) and not r.lines
    assert "Segmentation" not in r.stderr and r.rc > 0


def damaged(tmp, kind):
    """A capture of 5 frames, damaged as kind says; returns (path, offset)."""
    frames = [bytes(Ether() / p) for p in ip_packets()] + [bytes(Ether() / IP() / UDP())]
    path = os.path.join(tmp, f"{kind}.pcap")
    write_pcap(path, frames, snaplen=65535)
    data = bytearray(open(path, "rb").read())
    off = 24 + sum(16 + len(f) for f in frames[:3])  # the 4th record
    if kind == "huge":  # a record header claiming 3.9 GB
        data[off + 8:off + 12] = struct.pack("<I", 3_900_000_000)
    elif kind == "over_snaplen":
        data[off + 8:off + 12] = struct.pack("<I", 65536)
    elif kind == "cut":  # the file ends in the middle of the last record
        off = 24 + sum(16 + len(f) for f in frames[:4])
        data = data[:-5]
    elif kind == "cut_header":
        off = len(data)
        data += b"\0" * 9
    open(path, "wb").write(data)
    assert pcap_first_bad_record(path) == off
    return path, off


@pytest.mark.parametrize("kind,why", [
    ("huge", "claims 3900000000 bytes, more than the file's snapshot length 65535"),
    ("over_snaplen", "claims 65536 bytes, more than the file's snapshot length 65535"),
    ("cut", "runs past the end of the file"),
    ("cut_header", "is cut short by the end of the file"),
])
def test_damaged_capture_is_refused_with_its_offset(tmp, kind, why):
    inp, off = damaged(tmp, kind)
    out = os.path.join(tmp, "out.pcap")
    r = run_sluice(tmp, config([inp], [out]))
    assert r.rc == 1, r.stderr
    assert f"input 'in0': capture '{inp}' is damaged: the record" in r.stderr, r.stderr
    assert f"at byte {off}" in r.stderr and why in r.stderr, r.stderr
    assert not os.path.exists(out) and not r.lines


NON_ETHERNET = sorted(
    os.path.join(CORPUS, f) for f in (os.listdir(CORPUS) if os.path.isdir(CORPUS) else [])
    if f.endswith(".pcap") and pcap_linktype(os.path.join(CORPUS, f)) in HLEN
    and pcap_first_bad_record(os.path.join(CORPUS, f)) is None)
BATCH = 15  # inputs + outputs <= RTE_MAX_ETHPORTS (32)


@pytest.mark.skipif(not NON_ETHERNET, reason=f"no non-Ethernet captures in {CORPUS} "
                    "(../shared absent)")
@pytest.mark.parametrize("batch", range((len(NON_ETHERNET) + BATCH - 1) // BATCH or 1))
def test_real_non_ethernet_captures(tmp, batch):
    """Real NULL, RAW, IPV4, SLL and SLL2 captures: every frame forwarded, its
    network layer byte for byte behind an Ethernet header scapy parses."""
    files = NON_ETHERNET[batch * BATCH:(batch + 1) * BATCH]
    outs = [os.path.join(tmp, f"o{i}.pcap") for i in range(len(files))]
    r = run_sluice(tmp, config(files, outs, "tuning: {mbufs: 32767}\nflow_table: {size: 65536}"),
                   timeout=300)
    assert r.rc == 0, r.stderr[-3000:]
    s = r.final
    assert s["ledger"]["balanced"]
    for i, (f, o) in enumerate(zip(files, outs)):
        lt = pcap_linktype(f)
        hlen = HLEN[lt][1]
        frames = read_pcap(f)
        assert s["inputs"][i]["linktype"] == HLEN[lt][0]
        assert s["inputs"][i]["received"] == len(frames)
        short = sum(1 for fr in frames if len(fr) < hlen)
        got = read_pcap(o)
        assert len(got) + short == len(frames), os.path.basename(f)
        # non-IP frames may leave before the IP frames of their burst:
        # compare the multisets of network-layer bytes. net_pcap writes at
        # most 16128 bytes (RTE_ETHER_MAX_JUMBO_FRAME_LEN) of a frame that
        # spans several mbufs, Ethernet header included.
        assert sorted(g[14:] for g in got) == sorted(fr[hlen:][:16128 - 14] for fr in frames
                                                     if len(fr) >= hlen), os.path.basename(f)
        parsed = rdpcap(o)
        assert all(p.haslayer(Ether) for p in parsed)

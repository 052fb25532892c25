# SPDX-License-Identifier: BSD-3-Clause
"""End to end: remote pool members, reached inside a tunnel through an
output port, and a tree of brokers.

The analyzers' host is a network namespace. sluice runs in it, so that its
TAPs are made there: the input TAP is fed by tcpreplay, the output TAP is
the host's uplink, which carries the addresses and the MAC address the
remote members send to. What sluice sends is read back two ways:

- by the Linux kernel's own tunnel devices on the uplink (vxlan here; this
  machine's kernel has no geneve, gretap or erspan device, so those cases
  skip, naming the device), with tcpdump on each device: per member, the
  original frames, flows whole;
- by scapy on a capture of the uplink, for every tunnel type over IPv4 and
  IPv6: the outer headers field by field (addresses, TTL, DSCP, lengths,
  checksum, the UDP source port from the flow hash, the tunnel id) and the
  frame inside, byte for byte.

Then frames too long for a member's MTU: dropped and counted
(`encap_oversize`), or for ERSPAN cut and flagged (T bit,
`encap_truncated`). And a tree: a first-tier sluice spreads two tenants'
flows over two second-tier sluices by VXLAN (VNI = tenant id) through
memif; each second tier finds the tenants by VNI, strips the tunnel and
writes pcaps; the ledgers of the tiers reconcile member by member.
"""
import collections
import os
import shutil
import socket
import struct
import subprocess
import time

import pytest

import conftest

from conftest import (SLUICE, gen, pool, read_pcap, sluice_config, stats_lines, stop,
                      tenant, uid)
from test_rig import flow_of

RX_MAC = "02:00:00:00:00:10"   # the analyzers' host, as the members' next hop
TX_MAC = "02:00:00:00:00:01"   # a source MAC given to one member
SRC = {4: "192.0.2.1", 6: "2001:db8::1"}
DST = {4: "192.0.2.10", 6: "2001:db8::10"}
ID_KEY = {"vxlan": "vni", "geneve": "vni", "gre": "key", "erspan2": "session",
          "erspan3": "session"}


def why_skip():
    if os.geteuid() != 0:
        return "needs root (network namespaces, TAP)"
    for tool in ("tcpdump", "tcpreplay"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (tools/setup.sh installs it)"
    return None


pytestmark = pytest.mark.skipif(why_skip() is not None, reason=str(why_skip()))


# Up to three sluices, tcpdumps and the kernel's tunnels share this
# machine's CPUs with whatever else runs: waits are longer than
# conftest's (a deadline, not a pace: nothing here depends on speed).
SLOW_WAIT = 180


def wait_for(cond, what, procs=()):
    """conftest.wait_for() with SLOW_WAIT seconds."""
    return conftest.wait_for(cond, what, procs, timeout=SLOW_WAIT)


def sh(*cmd, check=True):
    return subprocess.run(list(map(str, cmd)), check=check, capture_output=True, text=True,
                          timeout=60)


def remote(encap, family, ident, **keys):
    """A member's remote: mapping to the host's address in @p family."""
    r = {"encap": encap, ID_KEY[encap]: ident, "src": SRC[family], "dst": DST[family],
         "dst_mac": RX_MAC}
    r.update(keys)
    return r


class Host:
    """A network namespace standing for the analyzers' host (module doc)."""

    def __init__(self, peers, tmp):
        self.peers, self.tmp = peers, tmp
        n = uid()[:6]
        self.ns, self.tin, self.tout = "slrm" + n, "slri" + n, "slro" + n
        sh("ip", "netns", "add", self.ns)
        self.ip("link", "set", "lo", "up")
        self.sl = None

    def ip(self, *args, check=True):
        return sh("ip", "-n", self.ns, *args, check=check)

    def run(self, *cmd):
        return sh("ip", "netns", "exec", self.ns, *cmd)

    def start(self, cmd, **popen):
        return self.peers.start(["ip", "netns", "exec", self.ns, *map(str, cmd)], **popen)

    def link_up(self, iface):
        r = self.ip("link", "show", iface, check=False)
        return r.returncode == 0 and ",UP" in r.stdout

    def sluice(self, tenants):
        """sluice on the host: input TAP tin, output TAP tout ('up')."""
        cfg = os.path.join(self.tmp, "sluice.yaml")
        with open(cfg, "w") as f:
            f.write(sluice_config([{"name": "in", "vdev": f"net_tap0,iface={self.tin}"}],
                                  [{"name": "up", "vdev": f"net_tap1,iface={self.tout}"}],
                                  tenants, stats={"interval": 0.2}))
        self.stats = os.path.join(self.tmp, "stats.json")
        self.err = self.peers.open("sluice.err")
        self.sl = self.start([SLUICE, "--config", cfg, "--stats-path", self.stats, "--",
                              f"--file-prefix={self.peers.prefix()}", "--in-memory",
                              "--log-level=lib.eal:error"],
                             stdout=subprocess.DEVNULL, stderr=self.err)
        wait_for(lambda: stats_lines(self.stats) and self.link_up(self.tin)
                 and self.link_up(self.tout), "sluice and its TAPs", [self.sl])
        # the host's side of the uplink: the members' next hop and address
        self.ip("link", "set", self.tout, "address", RX_MAC)
        self.ip("addr", "add", DST[4] + "/24", "dev", self.tout)
        self.ip("-6", "addr", "add", DST[6] + "/64", "dev", self.tout, "nodad")
        self.tx_mac = None

    def tcpdump(self, iface, name):
        """tcpdump on iface, writing tmp/name.pcap, once it listens."""
        path = os.path.join(self.tmp, name + ".pcap")
        err = self.peers.open(name + ".err")
        p = self.start(["tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-B", 32768,
                        "-s", 0, "-w", path], stdout=subprocess.DEVNULL, stderr=err)

        def listening():
            err.seek(0)
            return "listening on" in err.read()
        wait_for(listening, f"tcpdump on {iface}", [p, self.sl])
        return p, path

    def replay(self, pcap):
        self.run("tcpreplay", "-q", "--pps", 2000, "-i", self.tin, pcap)

    def last(self):
        lines = stats_lines(self.stats)
        return lines[-1] if lines else None

    def finish(self):
        stop(self.sl)
        err = open(os.path.join(self.tmp, "sluice.err")).read()
        assert self.sl.returncode == 0, err
        final = stats_lines(self.stats)[-1]
        assert final["final"], err
        return final

    def close(self):
        sh("ip", "netns", "del", self.ns, check=False)


@pytest.fixture
def host(tmp, peers):
    h = Host(peers, tmp)
    yield h
    peers.teardown()   # what runs in the namespace first
    h.close()


def members(st, t=0):
    return st["tenants"][t]["pools"][0]["members"]


def handled(st, t=0):
    """Packets of tenant t's members that reached an end."""
    if st is None:
        return 0
    return sum(m["forwarded"] + m["tx_refused"] + m["link_down"] + m["encap_oversize"]
               for m in members(st, t))


def tagged(frames, vlan):
    return [f for f in frames if f[12:14] == b"\x81\x00"
            and struct.unpack("!H", f[14:16])[0] & 0xfff == vlan]


def check_ledger(final):
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0 and lg["tx_buffered"] == 0, lg
    assert lg["received"] == lg["forwarded"] + lg["filtered"] + lg["dropped"], lg


def check_whole(per_member, want):
    """per_member: {member: [frames]}: together exactly want, each flow at
    one member, and more than one member used."""
    got = collections.Counter(f for fr in per_member.values() for f in fr)
    assert got == collections.Counter(want), (sum((collections.Counter(want) - got).values()),
                                              sum((got - collections.Counter(want)).values()))
    where = collections.defaultdict(set)
    for m, fr in per_member.items():
        for f in fr:
            where[flow_of(f)].add(m)
    split = {f: ms for f, ms in where.items() if len(ms) > 1}
    assert not split, list(split.items())[:3]
    assert len([m for m, fr in per_member.items() if fr]) > 1


# ---- reading the tunnels with scapy -------------------------------------------


def decap(frame):
    """One frame sent to a remote member, read with scapy: a dict of its outer
    fields, its tunnel type and id, and the bytes inside (taken at the offset
    the parsed headers end at, not rebuilt by scapy)."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import GRE, Ether
    from scapy.layers.vxlan import VXLAN
    from scapy.contrib.geneve import GENEVE
    from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III

    e = Ether(frame)
    ip = e.payload
    d = {"dst_mac": e.dst, "src_mac": e.src, "sport": None, "t": 0}
    if isinstance(ip, IP):
        # the checksum as scapy computes it
        c = IP(bytes(ip))
        del c.chksum
        d.update(family=4, src=ip.src, dst=ip.dst, ttl=ip.ttl, dscp=ip.tos >> 2,
                 df=bool(ip.flags.DF), ip_len=ip.len,
                 cksum_ok=IP(bytes(c)).chksum == ip.chksum)
        off = 14 + ip.ihl * 4
    else:
        assert isinstance(ip, IPv6), e.summary()
        d.update(family=6, src=ip.src, dst=ip.dst, ttl=ip.hlim, dscp=ip.tc >> 2,
                 df=True, ip_len=ip.plen + 40, cksum_ok=True)
        off = 14 + 40
    l4 = ip.payload
    if isinstance(l4, UDP):
        d.update(sport=l4.sport, dport=l4.dport, udp_len=l4.len)
        off += 8
        if l4.dport == 4789:
            h = VXLAN(frame[off:])
            assert int(h.flags) == 0x08, h.flags
            d.update(kind="vxlan", id=h.vni, inner=frame[off + 8:])
        else:
            h = GENEVE(frame[off:])
            assert l4.dport == 6081 and h.proto == 0x6558 and h.version == 0
            d.update(kind="geneve", id=h.vni, inner=frame[off + 8 + 4 * h.optionlen:])
        return d
    assert isinstance(l4, GRE), e.summary()
    off += 4 + 4 * (l4.chksum_present + l4.key_present + l4.seqnum_present)
    if l4.proto == 0x6558:
        d.update(kind="gre", id=l4.key if l4.key_present else None, inner=frame[off:])
        return d
    assert l4.seqnum_present, "ERSPAN without a sequence number"
    d["seq"] = l4.sequence_number
    if l4.proto == 0x88be:
        h = ERSPAN_II(frame[off:])
        assert h.ver == 1
        d.update(kind="erspan2", id=h.session_id, t=h.t, inner=frame[off + 8:])
    else:
        assert l4.proto == 0x22eb
        h = ERSPAN_III(frame[off:])
        assert h.ver == 2 and h.o == 0
        d.update(kind="erspan3", id=h.session_id, t=h.t, inner=frame[off + 12:])
    return d


# ---- the kernel as receiver ------------------------------------------------------


KERNEL_DEV = {
    # type, then its arguments for tunnel id I over family F
    "vxlan": lambda i, f: ["vxlan", "id", i, "dstport", 4789, "local", DST[f], "nolearning"]
    + (["udp6zerocsumrx"] if f == 6 else []),
    "geneve": lambda i, f: ["geneve", "id", i, "remote", SRC[f]]
    + (["udp6zerocsumrx"] if f == 6 else []),
    "gre": lambda i, f: ["gretap" if f == 4 else "ip6gretap", "local", DST[f], "remote",
                         SRC[f], "key", i],
    "erspan2": lambda i, f: ["erspan" if f == 4 else "ip6erspan", "local", DST[f], "remote",
                             SRC[f], "key", i, "erspan_ver", 1],
    "erspan3": lambda i, f: ["erspan" if f == 4 else "ip6erspan", "local", DST[f], "remote",
                             SRC[f], "key", i, "erspan_ver", 2],
}


def kernel_has(kind, family):
    """Whether this kernel can make the tunnel device (tried in a scratch
    namespace)."""
    ns = "slrmk" + uid()[:6]
    sh("ip", "netns", "add", ns)
    try:
        return sh("ip", "-n", ns, "link", "add", "t0", "type", *KERNEL_DEV[kind](7, family),
                  check=False).returncode == 0
    finally:
        sh("ip", "netns", "del", ns, check=False)


@pytest.mark.parametrize("kind,family", [("vxlan", 4), ("vxlan", 6), ("geneve", 4),
                                         ("gre", 6), ("erspan2", 4), ("erspan3", 6)])
def test_kernel_decapsulates_per_member(tmp, host, kind, family):
    """Two remote members of one pool, told apart by their tunnel ids; the
    kernel's device for each id gets, per member, the original frames,
    flows whole; each device's count is its member's forwarded."""
    if not kernel_has(kind, family):
        pytest.skip(f"this kernel cannot make a {KERNEL_DEV[kind](7, family)[0]} device")
    ids = [101, 102]
    pcap, _ = gen(tmp, "in", "--flows", 60, "--packets", 4, "--udp", 30, "--ipv6", 30,
                  "--vlan-base", 100, "--seed", 17)
    frames = tagged(read_pcap(pcap), 100)
    host.sluice([tenant("t", 1, [pool("p", [{"output": "up", "remote": remote(kind, family, i)}
                                            for i in ids])], match={"vlan": [100]})])
    caps = []
    for i in ids:
        dev = f"tun{i}"
        host.ip("link", "add", dev, "type", *KERNEL_DEV[kind](i, family))
        host.ip("link", "set", dev, "up")
        caps.append(host.tcpdump(dev, f"member{i}"))
    host.replay(pcap)
    wait_for(lambda: handled(host.last()) >= len(frames), "sluice to send the tenant's frames",
             [host.sl])
    want = [m["forwarded"] for m in members(host.last())]
    for (p, path), n in zip(caps, want):
        wait_for(lambda: len(tagged(read_pcap(path), 100)) >= n, f"{path} to hold {n} frames",
                 [p, host.sl])
        stop(p)
    final = host.finish()
    check_ledger(final)
    got = {i: tagged(read_pcap(path), 100) for i, (_, path) in zip(ids, caps)}
    for i, m in zip(ids, members(final)):
        assert m["forwarded"] == len(got[i]), (m, len(got[i]))
        assert m["tx_refused"] == m["link_down"] == m["encap_oversize"] == 0, m
    check_whole(got, frames)
    assert sum(w["encapsulated"] for w in final["workers"]) == len(frames)


@pytest.mark.parametrize("family", [4, 6])
def test_every_tunnel_read_by_scapy(tmp, host, family):
    """One pool with a member of every tunnel type: scapy reads each outer
    header as configured and finds the original frame inside; one UDP
    source port per flow, in 49152..65535; ERSPAN sequence numbers count."""
    other = 6 if family == 4 else 4
    ms = [
        {"output": "up", "remote": remote("vxlan", family, 5001, dscp=46, ttl=9,
                                          src_mac=TX_MAC)},
        {"output": "up", "remote": remote("geneve", family, "tenant")},
        {"output": "up", "remote": remote("gre", family, 0xfeedbeef)},
        {"output": "up", "remote": remote("erspan2", family, 1023)},
        {"output": "up", "remote": remote("erspan3", other, 3)},
    ]
    ids = [("vxlan", 5001), ("geneve", 7), ("gre", 0xfeedbeef), ("erspan2", 1023),
           ("erspan3", 3)]
    # frames that fit every tunnel and the uplink (net_tap drops longer ones)
    pcap, _ = gen(tmp, "in", "--flows", 100, "--packets", 4, "--udp", 30, "--ipv6", 30,
                  "--icmp", 10, "--vlan-base", 100, "--frame", 400, "--seed", 5)
    frames = tagged(read_pcap(pcap), 100)
    host.sluice([tenant("t", 7, [pool("p", ms)], match={"vlan": [100]})])
    dump, path = host.tcpdump(host.tout, "uplink")
    host.replay(pcap)
    wait_for(lambda: handled(host.last()) >= len(frames), "sluice to send the tenant's frames",
             [host.sl])
    total = sum(m["forwarded"] for m in members(host.last()))
    # the kernel's own frames on the uplink (neighbour discovery) are not tunnels
    def outer():
        return [f for f in read_pcap(path) if f[12:14] in (b"\x08\x00", b"\x86\xdd")
                and f[14 + (9 if f[12:14] == b"\x08\x00" else 6)] in (17, 47)
                and f[:6] == bytes.fromhex(RX_MAC.replace(":", ""))]
    wait_for(lambda: len(outer()) >= total, f"the uplink capture to hold {total} frames",
             [dump, host.sl])
    stop(dump)
    final = host.finish()
    check_ledger(final)
    per = collections.defaultdict(list)
    sport = collections.defaultdict(set)
    seqs = collections.defaultdict(list)
    src_macs = collections.defaultdict(set)
    for f in outer():
        d = decap(f)
        fam = other if d["kind"] == "erspan3" else family
        assert (d["family"], d["src"], d["dst"]) == (fam, SRC[fam], DST[fam])
        assert d["dst_mac"] == RX_MAC
        assert d["cksum_ok"] and d["df"]
        # the outer IP packet is the frame less its Ethernet header
        assert d["ip_len"] == len(f) - 14, (d["ip_len"], len(f))
        assert d["t"] == 0
        key = (d["kind"], d["id"])
        assert key in ids, key
        if d["kind"] == "vxlan":
            assert (d["ttl"], d["dscp"], d["src_mac"]) == (9, 46, TX_MAC)
        else:
            assert (d["ttl"], d["dscp"]) == (64, 0)
            src_macs[0].add(d["src_mac"])
        if d["sport"] is not None:
            assert 49152 <= d["sport"] <= 65535
            assert d["udp_len"] == len(f) - 14 - (20 if fam == 4 else 40)
            sport[flow_of(d["inner"])].add(d["sport"])
        if "seq" in d:
            seqs[key].append(d["seq"])
        per[key].append(d["inner"])
    # the port's own MAC for every member without src_mac
    assert len(src_macs[0]) == 1 and TX_MAC not in src_macs[0] and RX_MAC not in src_macs[0]
    # one source port per flow, and flows on several ports
    assert all(len(p) == 1 for p in sport.values())
    assert len({p for ps in sport.values() for p in ps}) > 1
    # per worker and member, ERSPAN sequence numbers count up from 0
    for key, s in seqs.items():
        assert s == list(range(len(s))), (key, s[:10])
    for key, m in zip(ids, members(final)):
        assert m["forwarded"] == len(per[key]), (key, m, len(per[key]))
    check_whole(per, frames)


def test_oversize_dropped_or_cut(tmp, host):
    """Tenant a's member (VXLAN, oversize: drop) drops frames too long for
    its MTU, counted encap_oversize; tenant b's (ERSPAN II, oversize:
    truncate) sends them cut to the MTU with the T bit, counted
    encap_truncated; everything else arrives whole, and the ledger
    balances."""
    pcap, _ = gen(tmp, "in", "--flows", 120, "--packets", 4, "--tenants", 2, "--vlan-base", 100,
                  "--frame", "imix", "--udp", 50, "--seed", 3)
    frames = read_pcap(pcap)
    fa, fb = tagged(frames, 100), tagged(frames, 101)
    mtu = 1400
    host.sluice([
        tenant("a", 1, [pool("p", [{"output": "up", "remote": remote("vxlan", 4, 11, mtu=mtu)}])],
               match={"vlan": [100]}),
        tenant("b", 2, [pool("p", [{"output": "up", "remote": remote(
            "erspan2", 6, 12, mtu=mtu, oversize="truncate")}])], match={"vlan": [101]}),
    ])
    dump, path = host.tcpdump(host.tout, "uplink")
    host.replay(pcap)
    wait_for(lambda: handled(host.last(), 0) >= len(fa) and handled(host.last(), 1) >= len(fb),
             "sluice to handle both tenants' frames", [host.sl])
    sent = sum(members(host.last(), t)[0]["forwarded"] for t in (0, 1))
    mac = bytes.fromhex(RX_MAC.replace(":", ""))
    wait_for(lambda: len([f for f in read_pcap(path) if f[:6] == mac and len(f) > 60]) >= sent,
             "the uplink capture", [dump, host.sl])
    stop(dump)
    final = host.finish()
    check_ledger(final)
    # a: VXLAN over IPv4 adds 36 bytes to the IP packet
    room_a = mtu - 36
    ma = members(final, 0)[0]
    big_a = [f for f in fa if len(f) > room_a]
    assert big_a and ma["encap_oversize"] == len(big_a)
    assert final["drops"]["encap_oversize"] == len(big_a)
    assert ma["forwarded"] == len(fa) - len(big_a)
    # b: ERSPAN II over IPv6 adds 40 + 8 + 8 bytes
    room_b = mtu - 56
    mb = members(final, 1)[0]
    big_b = [f for f in fb if len(f) > room_b]
    assert big_b and mb["encap_truncated"] == len(big_b) and mb["encap_oversize"] == 0
    assert mb["forwarded"] == len(fb)
    assert sum(w["encap_truncated"] for w in final["workers"]) == len(big_b)
    got_a, got_b, cut = [], [], 0
    for f in read_pcap(path):
        if f[:6] != mac or f[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        d = decap(f)
        assert d["ip_len"] <= mtu
        if d["kind"] == "vxlan":
            got_a.append(d["inner"])
        else:
            # flagged exactly when cut: the packet then fills the MTU
            if d["t"]:
                assert len(d["inner"]) == room_b and d["ip_len"] == mtu
            cut += d["t"]
            got_b.append(d["inner"])
    assert collections.Counter(got_a) == collections.Counter(f for f in fa if len(f) <= room_a)
    assert collections.Counter(got_b) == collections.Counter(f[:room_b] for f in fb)
    assert cut == len(big_b)


# ---- a tree of brokers ------------------------------------------------------------


def link_up(iface):
    r = subprocess.run(["ip", "link", "show", iface], capture_output=True, text=True)
    return r.returncode == 0 and ",UP" in r.stdout


def send_frames(iface, frames):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for f in frames:
            s.send(f)
            time.sleep(0.0005)


def test_tree_of_brokers(tmp, peers):
    """Tier 1 spreads the flows of tenants 10 and 20 over two second-tier
    sluices by VXLAN, VNI = the tenant's id, each through its own memif.
    Each second tier finds the tenants by VNI, strips the tunnel and writes
    one pcap per tenant. Checked: the second tiers' pcaps hold exactly the
    original frames, flows whole; what tier 1 forwarded to a member is what
    that second tier received for that tenant; no tier drops anything."""
    pcap, _ = gen(tmp, "in", "--flows", 80, "--packets", 4, "--tenants", 2, "--vlan-base", 100,
                  "--udp", 30, "--ipv6", 30, "--seed", 23)
    frames = read_pcap(pcap)
    iface = "sltr" + uid()[:8]
    socks = {t2: peers.path(os.path.join(tmp, f"{t2}.sock")) for t2 in ("a", "b")}
    dst = {"a": "192.0.2.21", "b": "192.0.2.22"}

    def ms():
        return [{"output": f"to_{t2}", "remote": {"encap": "vxlan", "vni": "tenant",
                                                  "src": "192.0.2.1", "dst": dst[t2],
                                                  "dst_mac": RX_MAC}} for t2 in ("a", "b")]
    t1_cfg = sluice_config(
        [{"name": "in", "vdev": f"net_tap0,iface={iface}"}],
        [{"name": f"to_{t2}", "vdev": f"net_memif{i + 1},role=server,socket={socks[t2]},"
          "socket-abstract=no"} for i, t2 in enumerate(("a", "b"))],
        [tenant("ten", 10, [pool("p", ms())], match={"vlan": [100]}),
         tenant("twenty", 20, [pool("p", ms())], match={"vlan": [101]})],
        stats={"interval": 0.2})
    d1 = os.path.join(tmp, "t1")
    os.makedirs(d1)
    t1 = peers.sluice(t1_cfg, workdir=d1)
    wait_for(lambda: all(os.path.exists(s) for s in socks.values()) and link_up(iface),
             "tier 1", [t1.proc])
    t2s = {}
    for t2 in ("a", "b"):
        d = os.path.join(tmp, t2)
        os.makedirs(d)
        cfg = sluice_config(
            [{"name": "from_t1", "vdev": f"net_memif0,role=client,socket={socks[t2]},"
              "socket-abstract=no"}],
            [{"name": f"{n}_out", "vdev": f"net_pcap{i + 1},tx_pcap={d}/{n}.pcap"}
             for i, n in enumerate(("ten", "twenty"))],
            [tenant("ten", 10, [pool("p", ["ten_out"], strip="outer")], match={"vni": [10]}),
             tenant("twenty", 20, [pool("p", ["twenty_out"], strip="outer")],
                    match={"vni": [20]})],
            eal={"main_lcore": 0, "worker_lcores": [1]}, stats={"interval": 0.2})
        t2s[t2] = peers.sluice(cfg, workdir=d)

    def t1_up():
        st = t1.last()
        return st is not None and all(m["state"] == "up" for t in (0, 1)
                                      for m in members(st, t))
    wait_for(t1_up, "the second tiers to connect", [t1.proc] + [p.proc for p in t2s.values()])
    time.sleep(0.5)  # the memif clients hand their rings' slots back on their first polls
    send_frames(iface, frames)
    fa, fb = tagged(frames, 100), tagged(frames, 101)
    wait_for(lambda: handled(t1.last(), 0) >= len(fa) and handled(t1.last(), 1) >= len(fb),
             "tier 1 to send every frame", [t1.proc])
    st1 = t1.last()

    def t2_has(t2):
        st = t2s[t2].last()
        want = sum(members(st1, t)[("a", "b").index(t2)]["forwarded"] for t in (0, 1))
        return st is not None and st["ledger"]["received"] >= want
    wait_for(lambda: t2_has("a") and t2_has("b"), "the second tiers to receive it",
             [p.proc for p in t2s.values()])
    fin1 = t1.finish()
    fin2 = {t2: p.finish() for t2, p in t2s.items()}
    check_ledger(fin1)
    # tier 1's only drops: the kernel's own frames on its input TAP (untagged)
    assert fin1["ledger"]["dropped"] == fin1["drops"]["no_tenant"], fin1["drops"]
    for t2, i in (("a", 0), ("b", 1)):
        f2 = fin2[t2]
        check_ledger(f2)
        assert f2["ledger"]["dropped"] == 0 and f2["ledger"]["filtered"] == 0, f2["ledger"]
        for t, name in ((0, "ten"), (1, "twenty")):
            m1 = members(fin1, t)[i]
            assert m1["tx_refused"] == m1["link_down"] == 0, m1
            # what tier 1 forwarded to this member is what tier 2 received for the tenant
            assert f2["tenants"][t]["name"] == name
            assert m1["forwarded"] == f2["tenants"][t]["packets"], (t2, name)
            assert members(f2, t)[0]["forwarded"] == m1["forwarded"]
    # the analyzers behind the second tiers see the original frames, flows whole
    for t, (name, want) in enumerate((("ten", fa), ("twenty", fb))):
        got = {t2: read_pcap(os.path.join(tmp, t2, f"{name}.pcap")) for t2 in ("a", "b")}
        check_whole(got, want)

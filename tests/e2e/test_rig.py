# SPDX-License-Identifier: BSD-3-Clause
"""End to end: the tcpreplay rig (tools/sl-rig) as a rig user runs it.

tcpreplay plays a capture into a veth pair between two private network
namespaces; sluice reads the other end with net_af_packet or net_af_xdp and
writes four pcap members. The rig reports tcpreplay's own count, both veth
ends' counters (ip -s link), the kernel's drops before sluice and sluice's
ledger; this test re-checks every equation from those numbers, reads the
members' captures itself and checks that they hold exactly the frames that
were played (byte for byte), every flow, both directions, in one member.
A stalled reader (sluice stopped with SIGSTOP while tcpreplay plays) must
show its loss as a named kernel count, never as a balanced, lossless run.
"""
import collections
import json
import os
import shutil
import struct
import subprocess

import pytest

from conftest import CORPUS, ROOT, SL_GEN, read_pcap, uid

RIG = os.path.join(ROOT, "tools", "sl-rig")
CORPUS_CAPTURE = "output-eve-ftp-data_input.pcap"  # 130 flows, 1350 frames <= 1230 bytes
# The kernel buffer before sluice (af_packet's TPACKET ring, af_xdp's XSK
# ring, which takes 2048 frames with 4096 descriptors) holds every frame the
# lossless cases send, so they cannot lose one even if sluice's worker does
# not run for the whole replay: no test here depends on speed.
RING = 4096


def netns_usable():
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("tcpreplay") is None:
        return "tcpreplay not installed (tools/setup.sh installs it)"
    name = "sl-probe-" + uid()
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None if r.returncode == 0 else f"cannot create a network namespace: {r.stderr.strip()}"


SKIP = netns_usable()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=str(SKIP))


def rig(tmp, capture, *args):
    out = os.path.join(tmp, "rig")
    res = os.path.join(tmp, "rig.json")
    p = subprocess.run([RIG, "run", capture, "--out", out, "--json", res, *map(str, args)],
                       capture_output=True, text=True, timeout=300)
    assert os.path.exists(res), f"rc={p.returncode}\n{p.stdout}\n{p.stderr}"
    with open(res) as f:
        r = json.load(f)
    r["table"] = p.stdout
    r["rc"] = p.returncode
    return r


def flow_of(frame):
    """(VLAN ids, endpoints, protocol) as an analyzer groups frames, from the
    raw bytes; non-IP frames are one group."""
    off, vlans = 12, []
    etype = struct.unpack("!H", frame[off:off + 2])[0]
    while etype in (0x8100, 0x88a8) and len(frame) >= off + 6:
        vlans.append(struct.unpack("!H", frame[off + 2:off + 4])[0] & 0xfff)
        off += 4
        etype = struct.unpack("!H", frame[off:off + 2])[0]
    l3 = off + 2
    if etype == 0x0800 and len(frame) >= l3 + 20:
        ihl = (frame[l3] & 15) * 4
        proto, src, dst = frame[l3 + 9], frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]
        l4 = l3 + ihl
        first = struct.unpack("!H", frame[l3 + 6:l3 + 8])[0] & 0x1fff == 0
    elif etype == 0x86dd and len(frame) >= l3 + 40:
        proto, src, dst = frame[l3 + 6], frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40]
        l4, first = l3 + 40, True
    else:
        return (tuple(vlans), "non-ip")
    sp = dp = 0
    if proto in (6, 17) and first and len(frame) >= l4 + 4:
        sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
    return (tuple(vlans), frozenset(((src, sp), (dst, dp))), proto)


def check_reconciled(r):
    """The rig's numbers, re-added here."""
    t, s = r["tcpreplay"], r["stats"]
    lg, k = s["ledger"], s["inputs"][0]["kernel"]
    assert r["reconciled"], r["table"]
    assert t["sent"] + t["failed"] == r["frames"], r["table"]
    assert r["sender"]["tx_packets"] + r["sender"]["tx_dropped"] == t["sent"], r["table"]
    assert r["receiver"]["rx_packets"] == r["sender"]["tx_packets"], r["table"]
    assert k["packets"] == r["receiver"]["rx_packets"], r["table"]
    assert r["receiver"]["rx_packets"] == lg["received"] + lg["imissed"] + lg["kernel_dropped"], \
        r["table"]
    assert lg["balanced"] and lg["in_flight"] == 0, lg
    assert lg["received"] == lg["forwarded"] + lg["dropped"] + lg["filtered"] + lg["bypassed"]
    assert r["sluice_rc"] == 0


def members(r):
    return {m: read_pcap(os.path.join(r["out"], f"{m}.pcap")) for m in r["files"]}


def check_whole(r, capture, normalize=lambda f: f):
    """Lossless: the members hold exactly the capture's frames, each flow in
    one member."""
    got = members(r)
    for m, frames in got.items():
        assert len(frames) == r["members_forwarded"][m]
    got = {m: [normalize(f) for f in frames] for m, frames in got.items()}
    sent = collections.Counter(normalize(f) for f in read_pcap(capture))
    held = collections.Counter(f for frames in got.values() for f in frames)
    assert held == sent, (sum((sent - held).values()), sum((held - sent).values()))
    where = collections.defaultdict(set)
    for m, frames in got.items():
        for f in frames:
            where[flow_of(f)].add(m)
    split = {f: ms for f, ms in where.items() if len(ms) > 1}
    assert not split, list(split.items())[:5]
    assert sum(1 for ms in where.values()) > 1 and len({m for ms in where.values() for m in ms}) > 1


@pytest.mark.skipif(not os.path.exists(os.path.join(CORPUS, CORPUS_CAPTURE)),
                    reason=f"corpus capture {CORPUS_CAPTURE} not found under {CORPUS}")
def test_corpus_capture_through_af_packet(tmp):
    capture = os.path.join(CORPUS, CORPUS_CAPTURE)
    r = rig(tmp, capture, "--driver", "af_packet", "--pps", 4000, "--ring", RING)
    check_reconciled(r)
    assert r["lossless"], r["table"]
    assert r["frames"] == len(read_pcap(capture))
    check_whole(r, capture)


@pytest.mark.parametrize("driver", ["af_packet", "af_xdp"])
def test_slgen_capture_through_rig(tmp, driver):
    capture = os.path.join(tmp, "gen.pcap")
    subprocess.run(list(map(str, [SL_GEN, "-o", capture, "--flows", 300, "--tenants", 3,
                                  "--vlan-base", 100, "--ipv6", 30, "--udp", 30, "--icmp", 10,
                                  "--packets", 6, "--frame", "imix", "--seed", 16])),
                   check=True, capture_output=True)
    r = rig(tmp, capture, "--driver", driver, "--pps", 4000, "--ring", RING)
    check_reconciled(r)
    assert r["lossless"], r["table"]
    assert r["frames"] == 1800
    check_whole(r, capture)


@pytest.mark.parametrize("driver", ["af_packet", "af_xdp"])
def test_stalled_reader_loss_is_named(tmp, driver):
    """sluice stopped while 6000 frames arrive: the kernel's buffer (TPACKET
    ring, XSK ring) keeps what fits and drops the rest. The drops must be in
    sluice's stats as kernel_dropped (or imissed), inputs_lossless false,
    while sluice's own ledger still balances."""
    capture = os.path.join(tmp, "gen.pcap")
    subprocess.run(list(map(str, [SL_GEN, "-o", capture, "--flows", 100, "--packets", 10,
                                  "--seed", 5])), check=True, capture_output=True)
    r = rig(tmp, capture, "--driver", driver, "--pps", 10000, "--count", 6000, "--stall")
    check_reconciled(r)
    lg = r["stats"]["ledger"]
    lost = lg["kernel_dropped"] + lg["imissed"]
    assert lost > 0, r["table"]
    assert lg["inputs_lossless"] is False
    assert not r["lossless"]
    # (the sending veth may drop too, on a loaded machine: its tx_dropped,
    # checked by check_reconciled; what reached the interface is here)
    rx = r["receiver"]["rx_packets"]
    assert lg["received"] + lost == rx, r["table"]
    k = r["stats"]["inputs"][0]["kernel"]
    if driver == "af_packet":
        # DPDK 22.11's PMD reports none of it; the packet socket does
        assert k["socket"]["drops"] == lost and k["socket"]["packets"] == rx, k
    else:
        assert k["socket"]["rx_ring_full"] + k["socket"]["rx_dropped"] == lost, k
    assert "RECONCILED, LOSSY" in r["table"] and "kernel dropped before sluice" in r["table"]
    # what sluice did receive is still delivered whole
    got = members(r)
    assert sum(len(v) for v in got.values()) == lg["forwarded"] == lg["received"]


def test_qinq_through_af_packet(tmp):
    """QinQ frames: the stack counts each in the interface's rx_dropped (no
    handler for the inner tag) after the packet socket took its copy; that
    is not a loss, and the run is lossless. DPDK 22.11's net_af_packet puts
    the outer tag back as 802.1Q (0x8100) whatever its TPID was (it ignores
    tp_vlan_tpid): the frames are otherwise identical."""
    capture = os.path.join(tmp, "qinq.pcap")
    subprocess.run(list(map(str, [SL_GEN, "-o", capture, "--flows", 40, "--qinq", 300,
                                  "--tenants", 2, "--vlan-base", 100, "--packets", 4,
                                  "--seed", 9])), check=True, capture_output=True)
    r = rig(tmp, capture, "--driver", "af_packet", "--pps", 4000, "--ring", RING)
    check_reconciled(r)
    assert r["receiver"]["rx_dropped"] == 160, r["table"]
    assert r["lossless"] and r["stats"]["ledger"]["inputs_lossless"], r["table"]
    outer = {f[12:14] for fr in members(r).values() for f in fr}
    assert outer == {b"\x81\x00"}, outer
    check_whole(r, capture, normalize=lambda f: f[:12] + b"\x81\x00" + f[14:]
                if f[12:14] == b"\x88\xa8" else f)

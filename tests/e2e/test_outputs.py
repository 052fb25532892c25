# SPDX-License-Identifier: BSD-3-Clause
"""End to end: sluice delivers to analyzers over real DPDK output PMDs, each
against a real peer in another process (testpmd on memif and vhost-user, the
kernel and tcpdump on a TAP). What the peer counted must be exactly what sluice
says it forwarded to that member."""
import os
import re
import shutil
import socket
import subprocess
from collections import Counter

import pytest

from conftest import (SLUICE, TESTPMD, WAIT, gen, pcap_in, pool, read_pcap, sluice_config,
                      stats_lines, stop, tap_in, tenant, uid, wait_for)


def config(inp, out, stats=0.2):
    """Tenant acme (VLAN 100): one pool whose one member is the output peer
    (out: its keys besides the name); inp: the one input."""
    return sluice_config([inp], [{"name": "peer", **out}],
                         [tenant("acme", 7, [pool("p", ["peer"])], match={"vlan": [100]})],
                         stats={"interval": stats})


def member(st):
    return st["tenants"][0]["pools"][0]["members"][0]


def forwarded(sl):
    """Packets the member forwarded, as last reported."""
    st = sl.last()
    return member(st)["forwarded"] if st else 0


def handled(sl):
    """Packets the member forwarded, refused or dropped while it was
    down, as last reported."""
    st = sl.last()
    if not st:
        return 0
    m = member(st)
    return m["forwarded"] + m["tx_refused"] + m["link_down"]


def check_ledger(final):
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0 and lg["tx_buffered"] == 0
    assert lg["received"] == lg["forwarded"] + lg["filtered"] + lg["dropped"]


def tenant_frames(frames, vlan):
    return Counter(f for f in frames if f[12:14] == b"\x81\x00" and
                   int.from_bytes(f[14:16], "big") & 0xfff == vlan)


def run_against_testpmd(tmp, peers, sluice_vdev, peer_vdev, sock, in_memory):
    """sluice serves sock, testpmd connects as the client; sluice runs until
    it has forwarded to the member, then is stopped before testpmd is, so
    nothing is in flight when testpmd's count is read."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--tenants", 2, "--vlan-base", 100,
                 "--udp", 30, "--ipv6", 30)
    mine = tenant_frames(read_pcap(inp), 100)
    peers.path(sock)
    sl = peers.sluice(config(pcap_in(inp, infinite=True), {"vdev": sluice_vdev}),
                      in_memory=in_memory)
    wait_for(lambda: os.path.exists(sock), f"sluice to listen on {sock}", [sl.proc])
    tp = peers.testpmd(peer_vdev, in_memory=in_memory)
    # more than a ring's worth, so the peer really drained what it received
    wait_for(lambda: forwarded(sl) > 4096, "packets forwarded to the peer",
             [sl.proc, tp.proc])
    final = sl.finish()
    got = tp.received()
    check_ledger(final)
    m = member(final)
    assert m["forwarded"] > 4096
    assert m["forwarded"] == len(got), (m, len(got))
    # every frame is one of tenant acme's, unchanged; the other tenant's
    # half of the traffic went nowhere
    assert set(got) <= set(mine)
    assert final["drops"]["no_tenant"] > 0
    assert final["tenants"][0]["forwarded"] == m["forwarded"]


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd not installed")
def test_memif_server_to_testpmd_client(tmp, peers):
    sock = f"/tmp/sl-memif-{uid()}.sock"
    args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
    run_against_testpmd(tmp, peers, f"net_memif0,role=server,{args}",
                        f"net_memif0,role=client,{args}", sock, in_memory=True)


def peer_tx_so_far(tp):
    """Port 1 (the pcap file) TX-packets of testpmd's latest periodic stats."""
    m = re.findall(r"NIC statistics for port 1 .*?\n(?:.*\n){3}\s*TX-packets:\s*(\d+)",
                   open(tp.log).read())
    return int(m[-1]) if m else 0


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd not installed")
def test_vhost_user_backend_to_testpmd_virtio_user(tmp, peers):
    """As for memif, but virtio-user drops what is still in its RX ring when
    the backend goes away. So the input is a TAP the test sends a finite
    amount of traffic into, and sluice is only stopped once testpmd has
    written all it forwarded: nothing is in flight at the disconnect."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--tenants", 2, "--vlan-base", 100,
                 "--udp", 30, "--ipv6", 30)
    frames = read_pcap(inp)
    mine = tenant_frames(frames, 100)
    sock = peers.path(f"/tmp/sl-vhost-{uid()}.sock")
    iface_in = "slin" + uid()[:8]
    cfg = config(tap_in(iface_in), {"vdev": f"net_vhost0,iface={sock},queues=1"})
    sent = 0
    sl = peers.sluice(cfg, in_memory=False)
    wait_for(lambda: os.path.exists(sock) and link_up(iface_in), "sluice to start",
             [sl.proc])
    tp = peers.testpmd(f"net_virtio_user0,path={sock},queues=1", in_memory=False)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface_in, 0))

        def send_round():
            nonlocal sent
            for f in frames:
                s.send(f)
            sent += sum(mine.values())
            # every frame of acme's that sluice read was sent or refused
            wait_for(lambda: handled(sl) == sent, "sluice to read a round",
                     [sl.proc, tp.proc])
            return forwarded(sl)
        # rounds until the peer took some (the link comes up meanwhile),
        # and then a few more
        wait_for(send_round, "the peer to accept packets", [sl.proc, tp.proc])
        for _ in range(5):
            send_round()
    fwd = forwarded(sl)
    wait_for(lambda: peer_tx_so_far(tp) >= fwd, "testpmd to pass on every packet",
             [sl.proc, tp.proc])
    final = sl.finish()
    got = tp.received()
    check_ledger(final)
    m = member(final)
    assert m["forwarded"] + m["tx_refused"] + m["link_down"] == sent
    assert m["forwarded"] >= 5 * sum(mine.values())
    assert m["forwarded"] == len(got), (m, len(got))
    assert set(got) <= set(mine)


def tagged(frames):
    return Counter(f for f in frames if f[12:14] == b"\x81\x00")


def link_up(iface):
    r = subprocess.run(["ip", "link", "show", iface], capture_output=True, text=True)
    return r.returncode == 0 and ",UP" in r.stdout


def link_exists(iface):
    return subprocess.run(["ip", "link", "show", iface], capture_output=True).returncode == 0


def send_frames(iface, frames):
    """Send raw frames into a TAP sluice reads (AF_PACKET)."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for f in frames:
            s.send(f)


def member_up(sl):
    st = sl.last()
    return st is not None and member(st)["state"] == "up"


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump not installed")
def test_tap_to_kernel_and_tcpdump(tmp, peers):
    """sluice reads from one TAP and writes to another, both its own; the test
    sends the generated frames into the first once tcpdump listens on the
    second and sluice's output is up, so nothing is sent before capturing."""
    inp, flows = gen(tmp, "in", "--flows", 64, "--tenants", 2, "--vlan-base", 100,
                     "--packets", 4, "--udp", 30, "--ipv6", 30)
    frames = read_pcap(inp)
    mine = tenant_frames(frames, 100)
    assert 0 < sum(mine.values()) < len(frames)
    n = uid()[:8]
    iface_in, iface = "slin" + n, "sltap" + n
    cap = os.path.join(tmp, "cap.pcap")
    derr = peers.open("tcpdump.err")
    sl = peers.sluice(config(tap_in(iface_in), {"vdev": f"net_tap1,iface={iface}"}))
    wait_for(lambda: link_up(iface) and link_up(iface_in), "sluice's TAPs", [sl.proc])
    # everything: the kernel's own frames (IPv6 router solicitations...)
    # are told apart below, as they carry no VLAN tag
    # a large capture buffer: with the default, tcpdump drops part of a
    # burst of 128 frames ("dropped by kernel") on a loaded machine
    dump = peers.start(["tcpdump", "-i", iface, "-n", "-U", "--immediate-mode",
                        "-B", "32768",
                        "-s", "0", "-w", cap],
                       stdout=subprocess.DEVNULL, stderr=derr)

    def listening():
        derr.seek(0)
        return "listening on" in derr.read()
    wait_for(listening, "tcpdump to listen", [dump, sl.proc])
    # only now the traffic: sluice's TAPs are up (net_tap brings its
    # interface up at start, and tcpdump misses frames sent around then)
    send_frames(iface_in, frames)
    want = sum(mine.values())
    wait_for(lambda: forwarded(sl) >= want, "sluice to forward the tenant's frames",
             [sl.proc])
    # the capture is complete before sluice stops: its TAP goes away
    # with it, and tcpdump exits with whatever it had not yet read lost
    wait_for(lambda: sum(tagged(read_pcap(cap)).values()) >= want,
             f"tcpdump to capture every frame ({want})", [dump, sl.proc])
    stop(dump)
    final = sl.finish()
    assert not link_exists(iface) and not link_exists(iface_in)
    check_ledger(final)
    m = member(final)
    assert m["tx_refused"] == 0
    assert m["forwarded"] == sum(mine.values())
    got = read_pcap(cap)
    assert Counter(tagged(got)) == mine
    assert sum(tagged(got).values()) == m["forwarded"]


RINGCAT = os.path.join(os.path.dirname(SLUICE), "..", "..", "tools", "sl-ringcat", "sl-ringcat")


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump not installed")
def test_ring_to_ringcat_and_tcpdump(tmp, peers):
    """A shared-memory ring member read by sl-ringcat, piped into tcpdump
    (`sl-ringcat PATH | tcpdump -r - -w FILE`): tcpdump gets exactly the
    tenant's frames, byte for byte, and as many as sluice says it delivered."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--tenants", 2, "--vlan-base", 100,
                 "--packets", 4, "--udp", 30, "--ipv6", 30, "--frame", "imix")
    frames = read_pcap(inp)
    mine = tenant_frames(frames, 100)
    want = sum(mine.values())
    n = uid()[:8]
    iface_in, path = "slin" + n, peers.path(f"/dev/shm/sl-test-{n}")
    cap = os.path.join(tmp, "cap.pcap")
    cfg = config(tap_in(iface_in), {"ring": {"path": path, "frame_size": 2048}})
    sl = peers.sluice(cfg)
    wait_for(lambda: os.path.exists(path) and link_up(iface_in), "sluice to start",
             [sl.proc])
    cat = peers.start([RINGCAT, "--count", str(want), path], stdout=subprocess.PIPE,
                      stderr=subprocess.DEVNULL)
    pipe = peers.start(["tcpdump", "-r", "-", "-w", cap], stdin=cat.stdout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cat.stdout.close()
    wait_for(lambda: member_up(sl), "the ring consumer", [sl.proc, cat])
    send_frames(iface_in, frames)
    wait_for(lambda: handled(sl) == want, "sluice to hand over the tenant's frames",
             [sl.proc])
    assert cat.wait(timeout=WAIT) == 0
    assert pipe.wait(timeout=WAIT) == 0
    final = sl.finish()
    # sluice removes its ring file when it stops
    assert not os.path.exists(path)
    check_ledger(final)
    m = member(final)
    assert m["forwarded"] == want and m["tx_refused"] == 0 and m["link_down"] == 0
    assert Counter(read_pcap(cap)) == mine
    ring = final["outputs"][0]["ring"]
    assert ring["delivered"] == want and ring["truncated"] == 0


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd not installed")
def test_memif_multi_queue(tmp, peers):
    """One memif interface with two queues, each queue a pool member (one
    analyzer process reading two queues): testpmd, the client with two RX
    queues, receives what sluice delivered to both members together."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--udp", 30)
    frames = read_pcap(inp)
    n = uid()[:8]
    iface_in, sock = "slin" + n, peers.path(f"/tmp/sl-memif-{n}.sock")
    args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
    cfg = sluice_config(
        [tap_in(iface_in)],
        [{"name": "peer", "vdev": f"net_memif0,role=server,{args}", "queues": 2}],
        [tenant("acme", 7, [pool("p", [{"output": "peer", "queue": 0},
                                       {"output": "peer", "queue": 1}])],
                match={"vlan": [100]})],
        stats={"interval": 0.1})
    prefix = peers.prefix("sl-test-pmd")
    log = os.path.join(tmp, "testpmd.log")
    out = peers.open("testpmd.log", "w")
    sl = peers.sluice(cfg)
    wait_for(lambda: os.path.exists(sock) and link_up(iface_in), "sluice to start",
             [sl.proc])
    tp = peers.start(
        [TESTPMD, "-l", "0,1", "--no-pci", f"--file-prefix={prefix}", "--in-memory",
         "--log-level=lib.eal:error", "--vdev", f"net_memif0,role=client,{args}", "--",
         "--forward-mode=rxonly", "--rxq=2", "--txq=2", "--stats-period", "1",
         "--auto-start", "--no-flush-rx"],
        stdout=out, stderr=subprocess.STDOUT)
    wait_for(lambda: member_up(sl), "the memif client", [sl.proc, tp])
    ms = lambda: stats_lines(sl.stats)[-1]["tenants"][0]["pools"][0]["members"]
    # the link is up before testpmd's lcore first polls, and a memif
    # server can only send into slots its client has handed back: the
    # first packets may be refused (counted). Send rounds until a whole
    # round went through.
    rounds = 0

    def clean_round():
        nonlocal rounds
        before = [m["tx_refused"] for m in ms()]
        send_frames(iface_in, frames)
        rounds += 1
        wait_for(lambda: sum(m["forwarded"] + m["tx_refused"] for m in ms())
                 == rounds * len(frames), "sluice to deliver", [sl.proc, tp])
        return [m["tx_refused"] for m in ms()] == before
    wait_for(clean_round, "a round without refusals", [sl.proc, tp])

    def pmd_rx():
        got = re.findall(r"NIC statistics for port 0 .*?\n\s*RX-packets:\s*(\d+)",
                         open(log).read())
        return int(got[-1]) if got else -1
    delivered = sum(m["forwarded"] for m in ms())
    wait_for(lambda: pmd_rx() == delivered, "testpmd to count every packet", [tp])
    stop(tp)
    final = sl.finish()
    check_ledger(final)
    mem = final["tenants"][0]["pools"][0]["members"]
    # both queues carried flows, and nothing was refused
    assert all(m["forwarded"] > 0 and m["flows"] > 0 for m in mem), mem
    assert sum(m["forwarded"] + m["tx_refused"] for m in mem) == rounds * len(frames), mem
    assert sum(m["forwarded"] for m in mem) >= len(frames), mem
    assert all(m["link_down"] == 0 for m in mem), mem


def test_ringcat_discard_counts(tmp, peers):
    """sl-ringcat --discard (the benchmarks' null analyzer) releases every
    packet unread and reports what it counted: the member's packets and
    bytes exactly."""
    inp, _ = gen(tmp, "in", "--flows", 32, "--packets", 4, "--frame", "imix")
    frames = read_pcap(inp)
    n = uid()[:8]
    iface_in, path = "slin" + n, peers.path(f"/dev/shm/sl-test-{n}")
    sl = peers.sluice(config(tap_in(iface_in), {"ring": {"path": path}}))
    wait_for(lambda: os.path.exists(path) and link_up(iface_in), "sluice to start",
             [sl.proc])
    cat = peers.start([RINGCAT, "--discard", "--count", str(len(frames)), path],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: member_up(sl), "the ring consumer", [sl.proc, cat])
    send_frames(iface_in, frames)
    out, err = cat.communicate(timeout=WAIT)
    final = sl.finish()
    assert cat.returncode == 0 and out == "", err
    m = member(final)
    assert m["forwarded"] == len(frames) == sum(tenant_frames(frames, 100).values())
    want = f"sl-ringcat: {len(frames)} packets, {sum(len(f) for f in frames)} bytes discarded"
    assert err.startswith(want), err
    assert m["bytes"] == sum(len(f) for f in frames)

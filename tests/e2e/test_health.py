# SPDX-License-Identifier: BSD-3-Clause
"""End to end: analyzer health. Members go down when their consumer dies and
up when one attaches again; flows follow the pool's on_member_down setting,
checked flow by flow on what each analyzer really received.

The analyzers are sl-ringcat processes reading shared-memory ring members and
writing pcaps; the input is a TAP the test sends frames into in phases, so the
test controls what is sent before and after a consumer is killed."""
import os
import signal
import subprocess
from collections import defaultdict

import pytest

from conftest import (BUILD, TESTPMD, gen, null_out, pool, read_pcap, sluice_config, stop,
                      tap_in, tenant, uid, wait_for)
from test_outputs import link_up, send_frames

RINGCAT = os.path.join(BUILD, "tools", "sl-ringcat", "sl-ringcat")
PACKETS = 24   # per flow, in three phases of 8
FLOWS = 48


def flow_of(frame):
    """Canonical (both directions alike) 5-tuple of a VLAN-tagged IPv4
    TCP/UDP frame from sl-gen."""
    assert frame[12:14] == b"\x81\x00" and frame[16:18] == b"\x08\x00"
    ip = frame[18:]
    ihl = (ip[0] & 15) * 4
    a = (ip[12:16], ip[ihl:ihl + 2])
    b = (ip[16:20], ip[ihl + 2:ihl + 4])
    return (ip[9],) + (a + b if a <= b else b + a)


class Ring:
    """One sl-ringcat consumer writing the member's packets to a pcap; the
    process and its files belong to peers (killed, closed after the test)."""

    def __init__(self, peers, path, name):
        self.pcap = os.path.join(peers.tmp, name + ".pcap")
        self.out = peers.open(name + ".pcap", "wb")
        self.err = peers.open(name + ".err")
        self.proc = peers.start([RINGCAT, path], stdout=self.out, stderr=self.err)

    def frames(self):
        return read_pcap(self.pcap)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        stop(self.proc, signal.SIGINT)
        self.out.close()
        self.err.close()


def config(iface, outputs, **pool_keys):
    """Tenant acme (VLAN 100) on TAP input iface, one pool of every output."""
    return sluice_config(
        [tap_in(iface)], outputs,
        [tenant("acme", 7, [pool("p", [o["name"] for o in outputs], **pool_keys)],
                match={"vlan": [100]})],
        stats={"interval": 0.1})


def ring_outputs(paths):
    return [{"name": f"r{i}", "ring": {"path": p, "frames": 1024, "heartbeat_ms": 200}}
            for i, p in enumerate(paths)]


def members(st):
    return st["tenants"][0]["pools"][0]["members"]


def last(sl):
    return sl.last()


def states(sl):
    st = last(sl)
    return [m["state"] for m in members(st)] if st else []


def handled(sl):
    """Packets the pool's members forwarded, refused or dropped as down."""
    st = last(sl)
    if not st:
        return 0
    return sum(m["forwarded"] + m["tx_refused"] + m["link_down"] for m in members(st))


def assignment(rings):
    """flow -> set of member indexes it was seen on, and frames per member."""
    where = defaultdict(set)
    for i, r in enumerate(rings):
        for f in r.frames():
            where[flow_of(f)].add(i)
    return where


def send_and_wait(sl, iface, batch, sent):
    send_frames(iface, batch)
    sent += len(batch)
    wait_for(lambda: handled(sl) == sent, "sluice to handle what was sent", [sl.proc])
    return sent


@pytest.mark.parametrize("on_down", ["resteer", "drop"])
def test_ring_consumer_killed_mid_stream(tmp, peers, on_down):
    n = uid()[:8]
    iface = "slhin" + n
    paths = [peers.path(f"/dev/shm/sl-test-{n}-r{i}") for i in range(3)]
    inp, _ = gen(tmp, "old", "--flows", FLOWS, "--packets", PACKETS, "--udp", 30)
    new_inp, _ = gen(tmp, "new", "--flows", FLOWS, "--packets", 8, "--udp", 30, "--seed", 99)
    frames, new_frames = read_pcap(inp), read_pcap(new_inp)
    # sl-gen interleaves: packet j of every flow, then j + 1
    assert len(frames) == FLOWS * PACKETS
    per = FLOWS * PACKETS // 3
    phases = [frames[:per], frames[per:2 * per], frames[2 * per:] + new_frames]
    old_flows = {flow_of(f) for f in frames}
    new_flows = {flow_of(f) for f in new_frames}
    assert len(old_flows) == FLOWS and not old_flows & new_flows
    sent = 0
    sl = peers.sluice(config(iface, ring_outputs(paths), on_member_down=on_down))
    wait_for(lambda: all(os.path.exists(p) for p in paths) and link_up(iface),
             "sluice to create its rings", [sl.proc])
    rings = [Ring(peers, p, f"r{i}") for i, p in enumerate(paths)]
    wait_for(lambda: states(sl) == ["up"] * 3, "every member up", [sl.proc])

    base = [0, 0, 0]  # packets a member had before its consumer started

    def consumed(rs):
        # every packet a live consumer was given is in its pcap
        want = [m["forwarded"] for m in members(last(sl))]
        return all(len(r.frames()) == want[i] - base[i] for i, r in rs)

    sent = send_and_wait(sl, iface, phases[0], sent)
    wait_for(lambda: consumed(enumerate(rings)), "consumers to write phase 1",
             [sl.proc] + [r.proc for r in rings])
    before = assignment(rings)
    assert all(len(v) == 1 for v in before.values())
    on = {f: next(iter(v)) for f, v in before.items()}
    victims = {f for f, m in on.items() if m == 1}
    assert victims and len(victims) < FLOWS
    r1_before = len(rings[1].frames())

    # the analyzer on member 1 dies (no goodbye: SIGKILL)
    rings[1].kill()
    wait_for(lambda: states(sl) == ["up", "down", "up"], "member 1 to go down",
             [sl.proc])
    sent = send_and_wait(sl, iface, phases[1], sent)
    alive = [(0, rings[0]), (2, rings[2])]
    wait_for(lambda: consumed(alive), "consumers to write phase 2", [sl.proc])
    mid = last(sl)

    # a new analyzer attaches to member 1: it is up again
    rings[1].close()
    base[1] = members(last(sl))[1]["forwarded"]
    rings[1] = Ring(peers, paths[1], "r1b")
    wait_for(lambda: states(sl) == ["up"] * 3, "member 1 to come back", [sl.proc])
    sent = send_and_wait(sl, iface, phases[2], sent)
    wait_for(lambda: consumed(enumerate(rings)), "consumers to write phase 3",
             [sl.proc] + [r.proc for r in rings])
    final = sl.finish()
    assert sl.proc.returncode == 0
    for r in rings:
        r.close()
    left = [p for p in paths if os.path.exists(p)]
    assert not left, "sluice leaves no ring file behind"

    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0
    ms = members(final)
    # down at start (no consumer yet), up; member 1 also down and up again
    assert [m["state_changes"] for m in ms] == [1, 3, 1]
    assert r1_before == base[1] == ms[1]["forwarded"] - len(rings[1].frames())

    # what each analyzer received, frame by frame, after the kill
    got = [set() for _ in range(3)]
    per_member = defaultdict(lambda: defaultdict(int))
    for i, fr in ((0, rings[0].frames()), (1, rings[1].frames()), (2, rings[2].frames())):
        for f in fr:
            got[i].add(flow_of(f))
            per_member[flow_of(f)][i] += 1

    # flows on the members that stayed up never moved, in either direction
    for f, m in on.items():
        if m != 1:
            assert set(per_member[f]) == {m}, (f, dict(per_member[f]))
            assert per_member[f][m] == PACKETS
    phase2_r1 = sum(1 for f in phases[1] if flow_of(f) in victims)
    phase3_r1 = sum(1 for f in phases[2] if flow_of(f) in victims)
    if on_down == "resteer":
        # each of member 1's flows moved to one survivor, and stayed there
        # when member 1 came back (sticky); the new analyzer on member 1 gets
        # only new flows
        moved_to = set()
        for f in victims:
            assert 1 not in per_member[f]  # r1b saw none of them
            assert len(per_member[f]) == 1, (f, dict(per_member[f]))
            (m,) = per_member[f]
            moved_to.add(m)
            assert per_member[f][m] == 2 * PACKETS // 3
        assert ms[1]["flows_resteered"] == len(victims)
        assert ms[1]["link_down"] == 0 and final["drops"]["member_down"] == 0
        assert mid["drops"]["member_down"] == 0
    else:
        # member 1's flows were dropped while it was down (counted), and
        # went back to member 1 when an analyzer attached again
        for f in victims:
            assert set(per_member[f]) == {1}, (f, dict(per_member[f]))
        assert ms[1]["link_down"] == phase2_r1
        assert final["drops"]["member_down"] == phase2_r1
        assert ms[1]["flows_resteered"] == 0
        assert len(rings[1].frames()) == phase3_r1 + sum(
            1 for f in new_frames if flow_of(f) in got[1])
    # new flows after the return: each on one member, and member 1 takes its
    # share again
    for f in new_flows:
        assert len(per_member[f]) == 1
    assert any(1 in per_member[f] for f in new_flows)
    assert sum(m["forwarded"] for m in ms) + ms[1]["link_down"] == sent


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd not installed")
def test_memif_client_killed_mid_stream(tmp, peers):
    """testpmd is the memif client of member 1 and is killed between two
    rounds of traffic: sluice keeps running, the member goes down, its flows
    move to member 0, and the ledger balances at the end."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--udp", 30)
    frames = read_pcap(inp)
    n = uid()[:8]
    iface = "slhin" + n
    sock = peers.path(f"/tmp/sl-memif-{n}.sock")
    args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
    cfg = config(iface, [null_out("sink", 0),
                         {"name": "peer", "vdev": f"net_memif0,role=server,{args}"}])
    sl = peers.sluice(cfg)
    wait_for(lambda: os.path.exists(sock) and link_up(iface), "sluice to start",
             [sl.proc])
    tp = peers.testpmd(f"net_memif0,role=client,{args}")
    wait_for(lambda: states(sl) == ["up", "up"], "the memif client", [sl.proc, tp.proc])
    sent = 0

    def round_taken():
        # testpmd polls a little after the link is up; until then the
        # memif server has no slots and refuses (counted)
        nonlocal sent
        sent = send_and_wait(sl, iface, frames, sent)
        return members(last(sl))[1]["forwarded"] > 0
    wait_for(round_taken, "the client to take packets", [sl.proc, tp.proc])
    first = members(last(sl))
    tp.proc.kill()
    tp.proc.wait()
    wait_for(lambda: states(sl) == ["up", "down"], "member 1 to go down", [sl.proc])
    sent = send_and_wait(sl, iface, frames, sent)
    final = sl.finish()
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0
    ms = members(final)
    assert first[1]["forwarded"] > 0 and first[1]["flows"] > 0
    # down until the client connected, up, down when it was killed
    assert ms[1]["state"] == "down" and ms[1]["state_changes"] == 2
    # every flow member 1 had moved to member 0 (resteer is the default),
    # and member 0 took the whole second round
    assert ms[1]["flows_resteered"] == ms[1]["flows"] == first[1]["flows"]
    assert ms[1]["forwarded"] == first[1]["forwarded"]
    assert ms[0]["forwarded"] == first[0]["forwarded"] + len(frames)
    assert sum(m["forwarded"] + m["tx_refused"] for m in ms) == sent
    assert ms[1]["link_down"] == 0 and final["drops"]["member_down"] == 0
    out = {o["name"]: o for o in final["outputs"]}
    assert out["peer"]["state"] == "down" and "memif" in out["peer"]["why"]


def test_tap_member_down_and_up(tmp, peers):
    """A TAP member goes down when its interface is set down (an
    AF_PACKET analyzer's interface taken away) and up again with it; while
    it is down its flows go to the other member, and stay there."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--udp", 30)
    frames = read_pcap(inp)
    n = uid()[:8]
    iface, tap = "slhin" + n, "slhtap" + n
    cfg = config(iface, [null_out("sink", 0), {"name": "tap", "vdev": f"net_tap1,iface={tap}"}])
    sl = peers.sluice(cfg)
    wait_for(lambda: link_up(iface) and states(sl) == ["up", "up"], "sluice to start",
             [sl.proc])
    sent = send_and_wait(sl, iface, frames, 0)
    first = members(last(sl))
    subprocess.run(["ip", "link", "set", tap, "down"], check=True)
    wait_for(lambda: states(sl) == ["up", "down"], "the TAP member to go down", [sl.proc])
    why = {o["name"]: o for o in last(sl)["outputs"]}["tap"].get("why", "")
    sent = send_and_wait(sl, iface, frames, sent)
    subprocess.run(["ip", "link", "set", tap, "up"], check=True)
    wait_for(lambda: states(sl) == ["up", "up"], "the TAP member to come back", [sl.proc])
    sent = send_and_wait(sl, iface, frames, sent)
    final = sl.finish()
    assert "interface down" in why
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0
    ms = members(final)
    assert [m["state_changes"] for m in ms] == [0, 2]
    assert first[1]["flows"] > 0 and first[1]["forwarded"] > 0
    # the TAP member's flows moved to the sink while it was down and stayed
    assert ms[1]["flows_resteered"] == first[1]["flows"]
    assert ms[1]["forwarded"] + ms[1]["tx_refused"] == (
        first[1]["forwarded"] + first[1]["tx_refused"])
    assert ms[0]["forwarded"] == first[0]["forwarded"] + 2 * len(frames)
    assert final["drops"]["member_down"] == 0

# SPDX-License-Identifier: BSD-3-Clause
"""memif analyzers that die and come back while traffic flows at full speed.

DPDK's memif driver unmaps a port's shared memory on its interrupt thread
when the peer goes away, while a worker may be inside a burst on that port
(app/sluice/munmap_guard.c). Here the worker is always inside one: sluice
replays a capture as fast as it can into a pool whose one member is a memif
server, and a real memif client (dpdk-testpmd) is killed and started again
several times under that load. sluice must survive every disconnect, see
the member go down and up each time, and balance its ledger at the end."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (TESTPMD, gen, pcap_in, pool, sluice_config, tenant, uid,
                      wait_for)

CYCLES = 6


def members(st):
    return st["tenants"][0]["pools"][0]["members"]


def ana(sl):
    st = sl.last()
    return members(st)[0] if st else None


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd is not installed")
def test_memif_client_dies_and_returns_under_full_load(tmp, peers):
    inp, _ = gen(tmp, "in", "--flows", 64, "--packets", 8, "--udp", 30)
    n = uid()[:8]
    sock = peers.path(f"/tmp/sl-churn-{n}.sock")
    args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
    cfg = sluice_config(
        [pcap_in(inp, infinite=True)],
        [{"name": "ana", "vdev": f"net_memif0,role=server,{args}"}],
        # the only member: its flows wait for it (dropped as member_down)
        # while it is down and go to it again when a client is back
        [tenant("acme", 7, [pool("p", ["ana"], on_member_down="drop")],
                match={"vlan": [100]})],
        stats={"interval": 0.1})
    sl = peers.sluice(cfg)
    wait_for(lambda: os.path.exists(sock) and ana(sl) is not None, "sluice to start",
             [sl.proc])
    for cycle in range(CYCLES):
        prefix = peers.prefix("sl-test-churn")
        log = peers.open(f"testpmd-{cycle}.log", "w")
        # a memif client that only receives, on CPU 0 (the worker has CPU 1);
        # --stats-period keeps it running without a terminal
        tp = peers.start([TESTPMD, "--lcores=0@0,1@0", "--no-pci", f"--file-prefix={prefix}",
                          "--in-memory", "--log-level=lib.eal:error",
                          "--vdev", f"net_memif0,role=client,{args}", "--",
                          "--forward-mode=rxonly", "--auto-start", "--no-flush-rx", "--stats-period", "1",
                          "--total-num-mbufs=8192"],
                         stdout=log, stderr=subprocess.STDOUT, restore_signals=False)
        before = ana(sl)["forwarded"]
        wait_for(lambda: ana(sl)["state"] == "up" and ana(sl)["forwarded"] > before,
                 f"cycle {cycle}: the client to take packets", [sl.proc, tp])
        # killed while sluice's worker is sending to it
        tp.send_signal(signal.SIGKILL)
        tp.wait()
        wait_for(lambda: ana(sl)["state"] == "down", f"cycle {cycle}: the member to go down",
                 [sl.proc])
        assert sl.proc.poll() is None
    final = sl.finish()
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0, lg
    m = members(final)[0]
    # down until the first client, then up and down once per cycle
    assert m["state"] == "down" and m["state_changes"] == 2 * CYCLES, m
    assert m["forwarded"] > 0 and m["link_down"] > 0 and final["drops"]["member_down"] > 0, m


RESTARTS = 5


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd is not installed")
def test_memif_server_dies_while_sluice_reads_a_flood(tmp, peers):
    """The other side: sluice's input is a memif client, and the memif
    server (dpdk-testpmd, txonly) floods it and is killed mid-flood, so
    that sluice's worker is copying out of the shared memory as it goes.
    A memif client does not reconnect, so each round is a new pair; in
    each, sluice keeps running, still answers, and stops cleanly with a
    balanced ledger."""
    for rnd in range(RESTARTS):
        n = uid()[:8]
        sock = peers.path(f"/tmp/sl-churn-in-{n}.sock")
        args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
        log = peers.open(f"testpmd-in-{rnd}.log", "w")
        # UDP frames of one flow, untagged (testpmd's txonly), on CPU 0
        tp = peers.start([TESTPMD, "--lcores=0@0,1@0", "--no-pci",
                          f"--file-prefix={peers.prefix('sl-test-churn')}", "--in-memory",
                          "--log-level=lib.eal:error",
                          "--vdev", f"net_memif0,role=server,{args}", "--",
                          "--forward-mode=txonly", "--auto-start", "--stats-period", "1",
                          "--total-num-mbufs=8192"],
                         stdout=log, stderr=subprocess.STDOUT, restore_signals=False)
        wait_for(lambda: os.path.exists(sock), f"round {rnd}: the memif server", [tp])
        cfg = sluice_config(
            [{"name": "in", "vdev": f"net_memif0,role=client,{args}"}],
            [{"name": "sink", "vdev": "net_null0,no-rx=1"}],
            [tenant("acme", 7, [pool("p", ["sink"])], match={"untagged": True})],
            stats={"interval": 0.1})
        d = os.path.join(tmp, f"round{rnd}")
        os.makedirs(d)
        sl = peers.sluice(cfg, workdir=d)

        def flooded():
            st = sl.last()
            return st is not None and st["ledger"]["received"] > 100000
        wait_for(flooded, f"round {rnd}: the flood to reach sluice", [sl.proc, tp])
        tp.send_signal(signal.SIGKILL)
        tp.wait()
        got = sl.last()["ledger"]["received"]
        wait_for(lambda: sl.last()["ledger"]["received"] == got or sl.proc.poll() is not None,
                 f"round {rnd}: the input to go quiet", [sl.proc])
        assert sl.proc.poll() is None, sl.stderr()
        final = sl.finish()
        lg = final["ledger"]
        assert lg["balanced"] and lg["received"] > 100000, lg


def memif_server(peers, args, log):
    """dpdk-testpmd as a memif server flooding its client (txonly), CPU 0."""
    return peers.start([TESTPMD, "--lcores=0@0,1@0", "--no-pci",
                        f"--file-prefix={peers.prefix('sl-test-churn')}", "--in-memory",
                        "--log-level=lib.eal:error", "--vdev", f"net_memif0,role=server,{args}",
                        "--", "--forward-mode=txonly", "--auto-start", "--stats-period", "1",
                        "--total-num-mbufs=8192"],
                       stdout=log, stderr=subprocess.STDOUT, restore_signals=False)


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd is not installed")
def test_memif_client_input_reconnects_to_a_restarted_server(tmp, peers):
    """A second-tier sluice reads a memif input as client. DPDK's memif
    client connects only when its port starts; sluice restarts the port
    while the input is down, so when the server comes back (a first tier
    restarted) the input is fed again, without restarting sluice. The
    input's state, its changes and the reconnects are in the stats and the
    log; the ledger balances."""
    n = uid()[:8]
    sock = peers.path(f"/tmp/sl-recon-{n}.sock")
    args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
    tp = memif_server(peers, args, peers.open("testpmd-a.log", "w"))
    wait_for(lambda: os.path.exists(sock), "the memif server", [tp])
    cfg = sluice_config(
        [{"name": "in", "vdev": f"net_memif0,role=client,{args}"}],
        [{"name": "sink", "vdev": "net_null0,no-rx=1"}],
        [tenant("acme", 7, [pool("p", ["sink"])], match={"untagged": True})],
        stats={"interval": 0.1})
    sl = peers.sluice(cfg)

    def inp():
        st = sl.last()
        return st["inputs"][0] if st else None
    wait_for(lambda: inp() is not None and inp()["received"] > 10000, "the first feed",
             [sl.proc, tp])
    assert inp()["state"] == "up" and inp()["reconnects"] == 0
    tp.send_signal(signal.SIGKILL)
    tp.wait()
    wait_for(lambda: inp()["state"] == "down", "the input to go down", [sl.proc])
    assert "memif server" in inp()["why"]
    # a while without a server: sluice keeps trying, and keeps running
    time.sleep(2.5)
    assert sl.proc.poll() is None and inp()["reconnects"] >= 1
    before = inp()["received"]
    # a memif server killed with SIGKILL leaves its socket file, and a new
    # one cannot bind while it is there: what a restart script removes
    os.unlink(sock)
    tp2 = memif_server(peers, args, peers.open("testpmd-b.log", "w"))
    wait_for(lambda: inp()["state"] == "up" and inp()["received"] > before + 10000,
             "the input to be fed again", [sl.proc, tp2])
    tp2.send_signal(signal.SIGKILL)
    tp2.wait()
    final = sl.finish()
    assert final["ledger"]["balanced"], final["ledger"]
    i = final["inputs"][0]
    # down, up again (and up at the start when the first connection came
    # after the first look)
    assert i["state_changes"] >= 2 and i["reconnects"] >= 2, i
    err = sl.stderr()
    assert "input 'in' is down: link down (memif server not connected); reconnecting" in err
    assert "input 'in' is up" in err


def memif_analyzer(peers, args, log):
    """dpdk-testpmd as the analyzer: a memif server that only receives, CPU 0."""
    return peers.start([TESTPMD, "--lcores=0@0,1@0", "--no-pci",
                        f"--file-prefix={peers.prefix('sl-test-churn')}", "--in-memory",
                        "--log-level=lib.eal:error", "--vdev", f"net_memif0,role=server,{args}",
                        "--", "--forward-mode=rxonly", "--auto-start", "--no-flush-rx",
                        "--stats-period", "1", "--total-num-mbufs=8192"],
                       stdout=log, stderr=subprocess.STDOUT, restore_signals=False)


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd is not installed")
def test_memif_client_output_reconnects_to_a_restarted_analyzer(tmp, peers):
    """An analyzer that is the memif server, sluice's output the client. When
    the analyzer restarts, the output goes down and sluice restarts its port
    until the new server answers: the member is fed again without
    restarting sluice, under full-speed replay. What the workers had
    buffered while the port restarted is counted as member_down; the
    ledger balances; the output's state, changes and reconnects are in the
    stats, /metrics names and the log."""
    inp, _ = gen(tmp, "in", "--flows", 64, "--packets", 8, "--udp", 30)
    n = uid()[:8]
    sock = peers.path(f"/tmp/sl-orecon-{n}.sock")
    args = f"socket={sock},socket-abstract=no,id=0,zero-copy=no"
    a1 = memif_analyzer(peers, args, peers.open("analyzer-a.log", "w"))
    wait_for(lambda: os.path.exists(sock), "the analyzer's memif server", [a1])
    cfg = sluice_config(
        [pcap_in(inp, infinite=True)],
        [{"name": "ana", "vdev": f"net_memif0,role=client,{args}"}],
        [tenant("acme", 7, [pool("p", ["ana"], on_member_down="drop")],
                match={"vlan": [100]})],
        stats={"interval": 0.1})
    sl = peers.sluice(cfg)

    def out():
        st = sl.last()
        return st["outputs"][0] if st else None
    wait_for(lambda: ana(sl) is not None and ana(sl)["forwarded"] > 10000,
             "the analyzer to take packets", [sl.proc, a1])
    assert out()["state"] == "up" and out()["reconnects"] == 0, out()
    a1.send_signal(signal.SIGKILL)
    a1.wait()
    wait_for(lambda: out()["state"] == "down", "the output to go down", [sl.proc])
    assert "memif peer not connected" in out()["why"], out()
    # a while without an analyzer: sluice keeps trying, and keeps running
    time.sleep(2.5)
    assert sl.proc.poll() is None and out()["reconnects"] >= 1, out()
    before = ana(sl)["forwarded"]
    assert ana(sl)["state"] == "down"
    # the killed server's socket file stays; a restart script removes it
    os.unlink(sock)
    a2 = memif_analyzer(peers, args, peers.open("analyzer-b.log", "w"))
    wait_for(lambda: out()["state"] == "up" and ana(sl)["forwarded"] > before + 10000,
             "the analyzer to be fed again", [sl.proc, a2])
    final = sl.finish()
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0, lg
    o = final["outputs"][0]
    assert o["state_changes"] >= 2 and o["reconnects"] >= 2, o
    m = members(final)[0]
    assert m["link_down"] > 0 and final["drops"]["member_down"] > 0, m
    err = sl.stderr()
    assert ("output 'ana' is down: link down (memif peer not connected); reconnecting"
            in err), err
    assert "output 'ana' is up" in err
    a2.send_signal(signal.SIGKILL)
    a2.wait()

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: telemetry pages and errors, read with DPDK's own client
(dpdk-telemetry.py). A pool of 40 members (and one of 120) is read whole
through its pages and matches the final stats line; bad parameters get an
error message instead of a bare null."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import gen, null_out, pcap_in, pool, sluice_config, stats_lines, tenant, wait_for

CLIENT = shutil.which("dpdk-telemetry.py")


def config(inp, infinite=False):
    # 2 x 20 queue members (pool "big") and 3 x 40 (pool "huge") on net_null
    # ports: DPDK's Debian build has 32 ports at most
    big = [{"output": f"o{q % 2}", "queue": q // 2} for q in range(40)]
    huge = [{"output": f"h{q % 3}", "queue": q // 3} for q in range(120)]
    outs = [dict(null_out(f"o{i}", i), queues=20) for i in range(2)]
    outs += [dict(null_out(f"h{i}", i + 2), queues=40) for i in range(3)]
    return sluice_config([pcap_in(inp, infinite=infinite)], outs,
                         [tenant("acme", 7, [pool("big", big), pool("huge", huge)],
                                 match={"vlan": [100]})],
                         stats={"interval": 0.2})


def client(prefix, *cmds):
    """Run dpdk-telemetry.py non-interactively: one JSON reply per line."""
    r = subprocess.run([CLIENT, "-f", prefix], input="\n".join(cmds) + "\n",
                       capture_output=True, text=True, timeout=60)
    replies = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert len(replies) == len(cmds), r.stdout + r.stderr
    return [next(iter(x.values())) for x in replies]


def all_pages(prefix, cmd):
    """Follow "next" from offset 0; return (items by index, pages)."""
    items, pages, off = {}, 0, 0
    while True:
        (page,) = client(prefix, f"{cmd},{off}")
        assert page is not None and "error" not in page, page
        pages += 1
        for k, v in page.items():
            if k.isdigit():
                assert k not in items
                items[int(k)] = v
        if "next" not in page:
            return items, pages, page
        assert page["next"] > off
        off = page["next"]


@pytest.mark.skipif(CLIENT is None, reason="dpdk-telemetry.py (Debian dpdk) not installed")
def test_pages_and_errors_with_dpdk_client(tmp, peers):
    inp, _ = gen(tmp, "p", "--flows", 2000, "--vlan-base", 100)
    sl = peers.sluice(config(inp), in_memory=False)
    # the pcap is read once; then the counters stand still
    def settled():
        ls = stats_lines(sl.stats)
        return len(ls) >= 3 and ls[-1]["ledger"]["received"] == 4000 and \
            ls[-3]["ledger"]["forwarded"] == ls[-1]["ledger"]["forwarded"]
    wait_for(settled, "all 4000 packets handled", [sl.proc])
    big, big_pages, last = all_pages(sl.prefix, "/sluice/members,7,big")
    huge, huge_pages, _ = all_pages(sl.prefix, "/sluice/members,7,1")
    (tj, tenants, bad_id, bad_name, no_param, bad_pool, bad_off, bad_stats,
     outs) = client(
        sl.prefix, "/sluice/tenant,7", "/sluice/tenants", "/sluice/tenant,999",
        "/sluice/tenant,acme", "/sluice/tenant", "/sluice/members,7,nope",
        "/sluice/members,7,big,x", "/sluice/stats,1", "/sluice/outputs")
    final = sl.finish()

    # every member, in order, with the configured output and queue
    assert sorted(big) == list(range(40))
    assert [(m["output"], m["queue"]) for _, m in sorted(big.items())] == \
        [(f"o{q % 2}", q // 2) for q in range(40)]
    assert last["total"] == 40 and last["pool"] == "big" and last["tenant"] == 7
    assert sorted(huge) == list(range(120)) and huge_pages > 1
    # the same numbers as the final stats line (nothing moved since)
    pools = final["tenants"][0]["pools"]
    for items, ps in ((big, pools[0]), (huge, pools[1])):
        for i, m in enumerate(ps["members"]):
            for k in ("forwarded", "bytes", "flows", "tx_refused", "link_down"):
                assert items[i][k] == m[k], (ps["name"], i, k)
            assert items[i]["state"] == m["state"] == "up"
    assert sum(m["forwarded"] for m in big.values()) == 4000
    assert tj["pools"]["0_n_members"] == 40 and tj["pools"]["1_n_members"] == 120
    assert tj["pools"]["0_forwarded"] == 4000 and tj["forwarded"] == 4000
    assert tenants == {"7": "acme"}
    # errors say what is wrong
    assert bad_id == {"error": "no tenant has id 999 (see /sluice/tenants)"}
    assert "tenant 'acme' has id 7" in bad_name["error"]
    assert "usage" in no_param["error"]
    assert "no pool 'nope'" in bad_pool["error"]
    assert "page offset" in bad_off["error"]
    assert "no parameter" in bad_stats["error"]
    assert [outs[str(i)]["name"] for i in range(5)] == ["o0", "o1", "h0", "h1", "h2"]
    assert outs["total"] == 5 and "next" not in outs
    print(f"pages: big {big_pages}, huge {huge_pages}")


def test_clients_polling_while_sluice_stops(tmp, peers):
    """Telemetry clients that keep asking while sluice shuts down (sl-top
    does) get answers or errors, never a crash: DPDK's telemetry thread
    outlives sluice's teardown. Before the fix, every run here crashed."""
    inp, _ = gen(tmp, "s", "--flows", 100, "--vlan-base", 100)
    cmds = ["/sluice/stats", "/sluice/tenants", "/sluice/tenant,7", "/sluice/members,7,0",
            "/sluice/outputs", "/sluice/inputs", "/sluice/workers"]
    for run in range(3):
        if os.path.exists(os.path.join(tmp, "stats.json")):
            os.unlink(os.path.join(tmp, "stats.json"))  # the previous run's
        sl = peers.sluice(config(inp, infinite=True))
        sock = f"/var/run/dpdk/{sl.prefix}/dpdk_telemetry.v2"
        done = threading.Event()
        answers = []

        def poll():
            while not done.is_set():
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                    s.connect(sock)
                    s.recv(1024)
                    while not done.is_set():
                        for c in cmds:
                            s.send(c.encode())
                            reply = s.recv(65536)
                            if not reply:
                                raise OSError("closed")
                            answers.append(json.loads(reply))
                except OSError:
                    time.sleep(0.001)
        threads = [threading.Thread(target=poll) for _ in range(3)]
        try:
            wait_for(lambda: len(stats_lines(sl.stats)) >= 2, "stats lines", [sl.proc])
            for t in threads:
                t.start()
            wait_for(lambda: len(answers) > 20, "telemetry answers", [sl.proc])
            final = sl.finish()   # SIGINT while the clients poll; asserts exit 0
        finally:
            done.set()
            for t in threads:
                if t.is_alive():
                    t.join()
        assert final["final"] and final["ledger"]["balanced"]
        assert all(isinstance(next(iter(a.values())), dict) for a in answers)


@pytest.mark.skipif(CLIENT is None, reason="dpdk-telemetry.py (Debian dpdk) not installed")
def test_inputs_page_shows_the_kernels_counters(tmp, peers):
    """A kernel-backed input (a TAP) in /sluice/inputs carries what the
    kernel counted for it, as the stats lines do: its interface and the
    packets the kernel put on it, at least every frame the test sent."""
    from conftest import read_pcap, tap_in, uid
    from test_outputs import link_up, send_frames
    inp, _ = gen(tmp, "k", "--flows", 20, "--vlan-base", 100, "--packets", 2)
    frames = read_pcap(inp)
    iface = "sltel" + uid()[:8]
    sl = peers.sluice(sluice_config([tap_in(iface)], [null_out("o", 1)],
                                    [tenant("acme", 7, [pool("p", ["o"])],
                                            match={"vlan": [100]})],
                                    stats={"interval": 0.2}))
    wait_for(lambda: link_up(iface) and stats_lines(sl.stats), "sluice to start", [sl.proc])
    send_frames(iface, frames)
    wait_for(lambda: stats_lines(sl.stats)[-1]["ledger"]["received"] >= len(frames),
             "sluice to count every frame", [sl.proc])
    (page,) = client(sl.prefix, "/sluice/inputs,0")
    final = sl.finish()
    item = page["0"]
    assert item["kernel_interface"] == iface, item
    assert "kernel_dropped" in item and "kernel_rx_dropped" in item, item
    assert item["kernel_packets"] >= len(frames), item
    assert final["inputs"][0]["kernel"]["interface"] == iface
    assert final["inputs"][0]["kernel"]["packets"] >= item["kernel_packets"]

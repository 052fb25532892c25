# SPDX-License-Identifier: BSD-3-Clause
"""End to end: `distribution: rss` on a multi-queue port, the bare-metal
sensor's mode, on the one vdev here that has several RX queues filled by
someone else: net_tap.

The kernel picks the TAP queue of each frame it transmits to the PMD with
the tun driver's automatic steering, a symmetric flow hash
(__skb_get_hash_symmetric), so both directions of a flow reach one queue,
as a NIC's symmetric Toeplitz RSS does. Two facts of this machine, checked
while writing the test: (1) net_tap's own RSS (an rte_flow RSS action,
done in BPF) needs the multiq qdisc, which this kernel lacks
(CONFIG_NET_SCH_MULTIQ unset; the PMD logs "Disabling rte flow support"),
and sluice configures RSS through rte_eth_conf, which net_tap ignores; (2)
frames written to the TAP through a packet socket (tcpreplay -i tap) all
land in queue 0, while frames the kernel forwards are spread. So the
traffic comes the way a Linux host mirrors a port into a TAP: tcpreplay on
a veth whose ingress is redirected to the TAP (tc u32 + mirred).

Checked: every queue (worker) got traffic, every flow was created on one
worker only (both directions on one queue), every flow is whole on one
member, and the counts reconcile from tcpreplay through the TAP's kernel
counters to the members' captures.
"""
import collections
import os
import shutil
import subprocess

import pytest

from conftest import (SLUICE, gen, pcap_outs, pool, read_pcap, sluice_config, stats_lines, stop,
                      tenant, uid, wait_for)
from test_rig import flow_of


def why_skip():
    if os.geteuid() != 0:
        return "needs root (network namespaces, TAP)"
    if shutil.which("tcpreplay") is None or shutil.which("tc") is None:
        return "tcpreplay or tc not installed (tools/setup.sh installs them)"
    return None


pytestmark = pytest.mark.skipif(why_skip() is not None, reason=str(why_skip()))


def sh(*cmd, check=True):
    return subprocess.run(list(map(str, cmd)), check=check, capture_output=True, text=True,
                          timeout=60)


def test_rss_on_multiqueue_tap(tmp, peers):
    pcap, flows = gen(tmp, "rss", "--flows", 300, "--tenants", 2, "--vlan-base", 10,
                      "--ipv6", 30, "--udp", 30, "--icmp", 10, "--packets", 6, "--seed", 44)
    frames = read_pcap(pcap)
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    members = ["m0", "m1", "m2"]
    cfg = os.path.join(tmp, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(sluice_config(
            [{"name": "tap", "vdev": "net_tap0,iface=sl-rss0", "distribution": "rss"}],
            pcap_outs(out, members),
            [tenant("all", 1, [pool("p", members, hash="5-tuple")],
                    match={"untagged": True, "vlan": ["1-4094"]})],
            eal={"main_lcore": 0, "worker_lcores": [1, 2]},
            flow_table={"size": 65536}, stats={"interval": 0.2}))
    stats = os.path.join(tmp, "stats.json")
    ns = "slrss-" + uid()
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", ns, "link", "add", "mirror", "type", "veth", "peer", "name", "feed")
        for i in ("mirror", "feed"):
            sh("ip", "-n", ns, "link", "set", i, "up")
        # two workers on CPU 1: the test needs two queues, not speed
        sl = peers.start(["ip", "netns", "exec", ns, SLUICE, "--config", cfg, "--stats-path",
                          stats, "--", f"--file-prefix={peers.prefix()}", "--in-memory",
                          "--lcores=0@0,1@1,2@1", "--log-level=lib.eal:error"],
                         stdout=subprocess.DEVNULL, stderr=peers.open("sluice.err"))
        wait_for(lambda: stats_lines(stats), "sluice running", [sl])
        # each TAP queue holds every frame: nothing depends on sluice's pace
        sh("ip", "-n", ns, "link", "set", "sl-rss0", "txqueuelen", 4096)
        sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "mirror", "ingress")
        sh("ip", "netns", "exec", ns, "tc", "filter", "add", "dev", "mirror", "parent", "ffff:",
           "protocol", "all", "u32", "match", "u32", 0, 0, "action", "mirred", "egress",
           "redirect", "dev", "sl-rss0")
        sh("ip", "netns", "exec", ns, "tcpreplay", "-i", "feed", "--pps", 4000, pcap)
        wait_for(lambda: stats_lines(stats)[-1]["ledger"]["received"] >= len(frames),
                 "sluice to receive every frame", [sl])
        stop(sl)
    finally:
        sh("ip", "netns", "del", ns, check=False)
    assert sl.returncode == 0
    s = stats_lines(stats)[-1]
    assert s["final"]
    lg, inp = s["ledger"], s["inputs"][0]
    assert inp["distribution"] == "rss" and inp["queues"] == 2
    # the kernel handed every frame to the TAP's queues, and sluice took them
    assert inp["kernel"]["packets"] == len(frames) and inp["kernel"]["dropped"] == 0, inp
    assert lg["received"] == len(frames) and lg["inputs_lossless"], lg
    assert lg["balanced"] and lg["forwarded"] == lg["received"], lg
    # both queues were used, and no flow was seen by two workers
    per_worker = [w["rx_packets"] for w in s["workers"]]
    assert len(per_worker) == 2 and all(per_worker), per_worker
    assert s["flows"]["created"] == len(flows), (s["flows"], len(flows))
    # every flow whole on one member
    got = {m: read_pcap(os.path.join(out, f"{m}.pcap")) for m in members}
    assert collections.Counter(f for v in got.values() for f in v) == collections.Counter(frames)
    where = collections.defaultdict(set)
    for m, fr in got.items():
        for f in fr:
            where[flow_of(f)].add(m)
    assert len(where) == len(flows)
    assert all(len(ms) == 1 for ms in where.values())

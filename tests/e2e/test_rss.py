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
import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from conftest import SLUICE, cleanup_prefix, gen, read_pcap
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


def config(out, members):
    outs = "\n".join(f'  - {{name: m{i}, vdev: "net_pcap{i + 1},tx_pcap={out}/m{i}.pcap"}}'
                     for i in range(members))
    return f"""eal: {{main_lcore: 0, worker_lcores: [1, 2]}}
inputs:
  - {{name: tap, vdev: "net_tap0,iface=sl-rss0", distribution: rss}}
outputs:
{outs}
tenants:
  - name: all
    id: 1
    match: {{untagged: true, vlan: ["1-4094"]}}
    pools: [{{name: p, hash: 5-tuple, members: [{", ".join(f"m{i}" for i in range(members))}]}}]
flow_table: {{size: 65536}}
stats: {{interval: 0.2}}
"""


def test_rss_on_multiqueue_tap(tmp):
    pcap, flows = gen(tmp, "rss", "--flows", 300, "--tenants", 2, "--vlan-base", 10,
                      "--ipv6", 30, "--udp", 30, "--icmp", 10, "--packets", 6, "--seed", 44)
    frames = read_pcap(pcap)
    ns = "slrss-" + uuid.uuid4().hex[:8]
    prefix = "sl-test-rss-" + uuid.uuid4().hex[:8]
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    cfg, stats, log = (os.path.join(tmp, n) for n in ("sluice.yaml", "stats.json", "sluice.log"))
    with open(cfg, "w") as f:
        f.write(config(out, 3))
    sh("ip", "netns", "add", ns)
    sl = None
    try:
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", ns, "link", "add", "mirror", "type", "veth", "peer", "name", "feed")
        for i in ("mirror", "feed"):
            sh("ip", "-n", ns, "link", "set", i, "up")
        with open(log, "w") as logf:
            # two workers on CPU 1: the test needs two queues, not speed
            sl = subprocess.Popen(["ip", "netns", "exec", ns, SLUICE, "--config", cfg,
                                   "--stats-path", stats, "--", f"--file-prefix={prefix}",
                                   "--in-memory", "--lcores=0@0,1@1,2@1",
                                   "--log-level=lib.eal:error"], stdout=logf,
                                  stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while "running:" not in open(log).read():
            assert sl.poll() is None and time.time() < deadline, open(log).read()
            time.sleep(0.1)
        sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "mirror", "ingress")
        sh("ip", "netns", "exec", ns, "tc", "filter", "add", "dev", "mirror", "parent", "ffff:",
           "protocol", "all", "u32", "match", "u32", 0, 0, "action", "mirred", "egress",
           "redirect", "dev", "sl-rss0")
        sh("ip", "netns", "exec", ns, "tcpreplay", "-i", "feed", "--pps", 4000, pcap)
        # until the TAP's counters and sluice's stop moving
        seen, same, deadline = None, 0, time.time() + 60
        while same < 5 and time.time() < deadline:
            time.sleep(0.2)
            try:
                s = json.loads([l for l in open(stats) if l.strip()][-1])["stats"]
                cur = (s["ledger"]["received"], s["inputs"][0]["kernel"]["packets"])
            except (OSError, IndexError, ValueError, KeyError):
                cur = None
            same = same + 1 if cur == seen and cur is not None else 0
            seen = cur
    finally:
        if sl is not None:
            sl.send_signal(signal.SIGINT)
            try:
                sl.wait(timeout=60)
            except subprocess.TimeoutExpired:
                sl.kill()
                sl.wait()
        sh("ip", "netns", "del", ns, check=False)
        cleanup_prefix(prefix)
    assert sl.returncode == 0, open(log).read()
    s = [json.loads(l)["stats"] for l in open(stats) if l.strip()][-1]
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
    got = {f"m{i}": read_pcap(os.path.join(out, f"m{i}.pcap")) for i in range(3)}
    assert collections.Counter(f for v in got.values() for f in v) == collections.Counter(frames)
    where = collections.defaultdict(set)
    for m, fr in got.items():
        for f in fr:
            where[flow_of(f)].add(m)
    assert len(where) == len(flows)
    assert all(len(ms) == 1 for ms in where.values())

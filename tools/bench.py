#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice benchmark: replay an in-memory input (net_pcap, infinite_rx=1) into
net_null outputs with one worker for a fixed time, and run dpdk-testpmd
(--forward-mode=io) on the same input in the same run as the reference.

Prints a table and one JSON line per case:
  case, flows, frame, mpps, cycles_per_pkt, testpmd_mpps, ratio,
  ledger_balanced, flow_table_mib, table_full

Inputs come in flow order (packet j of every flow, then j + 1), so the
worker reads its flow table in address order; the *-shuffled cases are
the same packets in a seeded random order.

Output cases (memif-*, ring-*) send the same kind of input to one pool
member whose output is a real consumer on this machine: a memif port in
copy mode read by dpdk-testpmd (--forward-mode=rxonly), or a shared-memory
ring (lib/shmring) read by sl-ringcat --discard; null-* is their baseline,
the same member on net_null. The consumer runs on CPU 0, next to sluice's
main lcore; the worker has CPU 1. Rates come from the stats intervals once
the consumer is attached (the first such interval skipped).
One JSON line per case:
  case, flows, frame, output, mpps (received), delivered_mpps (the member's
  "forwarded" rate), refused_pct (tx_refused + link_down over received, in
  the same intervals), cycles_per_pkt (worker, same intervals),
  consumer_mpps (testpmd Rx-pps; null for rings), consumer_packets (what
  sl-ringcat counted; null for memif), delivered_packets (the member's
  "forwarded" at the end), ledger_balanced

Special cases (only when named): noisy-1m (a tenant flooding next to a
quiet one), 1m-64-reload (reloads every second under traffic),
shutdown-2m (2M active flows when the input ends: the seconds from
"stopping" to the process gone, records written, how many the worker
formatted itself).

--instructions runs each chosen case (of the first kind) once under
valgrind's callgrind instead, without hugepages and without testpmd, and
reports what the worker executes: its thread's instructions over the
packets it received (start-up and shutdown included), the top functions
with their own instructions a packet, inlined code counted in the
function it was inlined into. Work paced by the clock runs about 50 times
as often a packet under valgrind: the flow timeouts are set to their
longest so that the aging sweep stays out, and the TX buffers' drain
deadline flushes smaller bursts than natively. So the figures compare
builds (the same binary and packets give the same count to a fraction of
a percent, where the cycle figures vary by 5-15 % on a noisy host); they
say nothing of cache misses. Needs valgrind; loading a 2M-packet pcap
under it takes about three minutes.
One JSON line per case:
  case, flows, frame, instructions_per_pkt, rx_packets, flows_created,
  ledger_balanced, top (a list of [function, instructions a packet])
Each flow's creation is in the count: run long enough that it is spread
over a hundred packets or more (--seconds 60 at 100k flows).
With --branches, callgrind also simulates branch prediction and the line
adds mispredicts_per_pkt: the worker's mispredicted conditional and
indirect branches over its packets. Its predictor is 16384 2-bit
counters indexed by the branch's address and the last few branches'
outcomes, far less than a core's, so it overcounts branches with a
pattern that a real core learns (and branches whose counters collide);
what it does find is the data-dependent branch (a
coin toss a packet, such as which endpoint is lower or TCP against UDP),
which no predictor learns and which costs about 15 cycles each time. No
PMU is needed (this machine has none).

    tools/bench.py                      # all cases, 10 s each
    tools/bench.py --seconds 5 --cases 1k-64,1m-64
    tools/bench.py --instructions --seconds 15 --cases 1k-64,vxlan-100k-64
    tools/bench.py --instructions --branches --seconds 20 --cases 1k-64
    tools/bench.py --seconds 5 --cases memif-64,memif-1500,ring-64,ring-1500
Benchmarks report numbers; nothing here asserts a threshold.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("SL_BUILD", os.path.join(ROOT, "build"))
SLUICE = os.path.join(BUILD, "app", "sluice", "sluice")
SL_GEN = os.path.join(BUILD, "tools", "sl-gen", "sl-gen")
SL_RINGCAT = os.path.join(BUILD, "tools", "sl-ringcat", "sl-ringcat")

CASES = [  # name, flows, frame, extra sl-gen arguments
    ("1k-64", 1_000, "64", []),
    ("100k-64", 100_000, "64", []),
    ("1m-64", 1_000_000, "64", []),
    # ten million flows, one packet each (the in-memory input holds every
    # packet: 10M mbufs), for the flow-count scaling
    ("10m-64", 10_000_000, "64", ["--packets", "1"]),
    ("1k-imix", 1_000, "imix", []),
    ("100k-imix", 100_000, "imix", []),
    ("1m-imix", 1_000_000, "imix", []),
    # an AWS-style mirror: every frame in VXLAN with identical outer headers
    ("vxlan-100k-64", 100_000, "64", ["--vxlan", "100"]),
    # 1400-byte datagrams cut at 576: every packet is a fragment, in order
    ("frag-10k-1400", 10_000, "1400", ["--fragment", "576"]),
    # as 100k-64, with a 1000-rule policy (rte_acl) that no flow matches:
    # every new flow is classified in both directions and falls through
    ("100k-64-rules1000", 100_000, "64", ["--rules", "1000"]),
    # as 100k-64, the tenant with dedup (window 1 ms, the default table):
    # every packet pays its signature and a table lookup; the replay loops
    # far slower than the window, so none is a copy
    ("dedup-100k-64", 100_000, "64", ["--dedup", "1000"]),
    # as 100k-64, every member remote: each packet put in VXLAN (50 bytes
    # prepended, IPv4 checksum, UDP source port from the flow hash)
    ("remote-vxlan-100k", 100_000, "64", ["--remote", "vxlan"]),
    # as 100k-64 and 1m-64, the same packets in a random order: sl-gen
    # writes packet j of every flow in flow order, so the worker creates
    # entries in that order and reads them in address order on every pass,
    # a stream the hardware prefetcher follows; mirrored traffic does not
    ("100k-64-shuffled", 100_000, "64", ["--shuffle"]),
    ("1m-64-shuffled", 1_000_000, "64", ["--shuffle"]),
]


def split_rules(extra):
    """(sl-gen arguments, rule count) of a case's extra arguments."""
    if "--rules" in extra:
        i = extra.index("--rules")
        return extra[:i] + extra[i + 2:], int(extra[i + 1])
    return extra, 0


def split_dedup(extra):
    """(sl-gen arguments, dedup window in us or 0) of a case's arguments."""
    if "--dedup" in extra:
        i = extra.index("--dedup")
        return extra[:i] + extra[i + 2:], int(extra[i + 1])
    return extra, 0


def split_shuffle(extra):
    """(sl-gen arguments, whether the packets are shuffled) of a case's arguments."""
    if "--shuffle" in extra:
        return [x for x in extra if x != "--shuffle"], True
    return extra, False


def shuffle_pcap(src, dst, seed=7):
    """Copy pcap src to dst with its records in a random (seeded) order."""
    with open(src, "rb") as f:
        hdr = f.read(24)
        recs = []
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            recs.append(h + f.read(int.from_bytes(h[8:12], "little")))
    random.Random(seed).shuffle(recs)
    with open(dst + ".tmp", "wb") as f:
        f.write(hdr)
        f.writelines(recs)
    os.rename(dst + ".tmp", dst)


def split_remote(extra):
    """(sl-gen arguments, the members' tunnel or None) of a case's extra arguments."""
    if "--remote" in extra:
        i = extra.index("--remote")
        return extra[:i] + extra[i + 2:], extra[i + 1]
    return extra, None


def remote_member(name, encap):
    """A remote member on output NAME (docs/configuration.md "Remote members")."""
    return (f'{{output: {name}, remote: {{encap: {encap}, vni: 5001, src: 192.0.2.1, '
            f'dst: 192.0.2.10, dst_mac: "02:00:00:00:00:10"}}}}')


def rules_yaml(n):
    # 198.18.0.0/15 (benchmarking range) is never generated by sl-gen
    rows = [f"      - {{match: {{src: 198.18.{i // 256}.{i % 256}/32, dport: {1 + i % 60000}}},"
            f" action: bypass}}" for i in range(n)]
    return "    max_rules: %d\n    rules:\n%s\n" % (n, "\n".join(rows)) if n else ""
MEMBERS = 4

OUTPUT_CASES = [  # name, flows, frame, output kind: one member, a real consumer
    # the baseline: the same single member on net_null (no consumer)
    ("null-64", 1_000, "64", "null"),
    ("null-1500", 1_000, "1500", "null"),
    ("memif-64", 1_000, "64", "memif"),
    ("memif-1500", 1_000, "1500", "memif"),
    ("ring-64", 1_000, "64", "ring"),
    ("ring-1500", 1_000, "1500", "ring"),
]
# The consumer's CPU: the one of sluice's main lcore (it sleeps), not the
# worker's. testpmd puts both its lcores there; sl-ringcat is pinned to it.
CONSUMER_CPU = 0
RING_FRAME_SIZE = 2048  # a 1500-byte frame fits
# frames per ring region (SL_BENCH_RING_FRAMES), and where regions go: tmpfs,
# or SL_BENCH_RING_DIR=/dev/hugepages (hugetlbfs)
RING_FRAMES = int(os.environ.get("SL_BENCH_RING_FRAMES", "4096"))
RING_DIR = os.environ.get("SL_BENCH_RING_DIR", "/dev/shm")
# seconds sluice runs beyond --seconds: start-up, the consumer's start-up
# and attach, and the skipped first interval
OUTPUT_SLACK = 4


def mbuf_size(frame):
    # data room incl. 128 B headroom: 64 B frames (+50 B VXLAN) fit 320
    return 320 if frame == "64" else 2176


def gen(tmp, name, flows, frame, extra):
    path = os.path.join(tmp, f"in-{name}.pcap")
    extra, shuffled = split_shuffle(extra)
    if shuffled and not os.path.exists(path):
        plain, _ = gen(tmp, name.replace("-shuffled", ""), flows, frame, extra)
        shuffle_pcap(plain, path)
    if not os.path.exists(path):
        vlan = [] if "--vxlan" in extra else ["--vlan-base", "100"]
        packets = [] if "--packets" in extra else ["--packets", "2"]
        subprocess.run([SL_GEN, "-o", path, "--flows", str(flows), "--frame", frame,
                        "--tenants", "4", "--udp", "30", "--ipv6", "20",
                        "--seed", "11"] + packets + vlan + extra, check=True)
    return path, count_packets(path)


def count_packets(path):
    n = 0
    with open(path, "rb") as f:
        f.read(24)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return n
            f.seek(int.from_bytes(rec[8:12], "little"), 1)
            n += 1


def sluice_config(pcap, pkts, flows, frame, vxlan, rules, outs, members, dedup_us=0,
                  timeouts=None):
    """The benchmark configuration: OUTS is the YAML list of outputs (one
    line each, indented), MEMBERS the pool's member names, comma-separated;
    DEDUP_US the tenant's dedup window (0: off); TIMEOUTS every flow
    timeout, in seconds (None: the defaults)."""
    # flow table: sized for the flows (lib/flow takes its whole capacity),
    # with 1.5 % to spare
    size = max(65536, flows + flows // 64)
    match = '{vni: ["100-103"]}' if vxlan else '{vlan: ["100-103"]}'
    dedup = f"    dedup: {{window_us: {dedup_us}}}\n" if dedup_us else ""
    tmo = "" if timeouts is None else ", timeouts: {" + ", ".join(
        f"{k}: {timeouts}" for k in ("tcp", "udp", "icmp", "other", "tcp_closed", "bypassed")) + "}"
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap},infinite_rx=1", distribution: software}}]
outputs:
{outs}
tenants:
  - name: t
    id: 1
    match: {match}
    pools: [{{name: p, hash: 5-tuple, members: [{members}]}}]
{rules_yaml(rules)}{dedup}flow_table: {{size: {size}{tmo}}}
stats: {{interval: 1}}
tuning: {{mbufs: {pkts + 65536}, mbuf_size: {mbuf_size(frame)}}}
"""


def replay_config(pcap, pkts, flows, frame, vxlan, rules, dedup_us, remote, timeouts=None):
    """A replay case's configuration: its members on net_null outputs (or
    remote members over them)."""
    outs = "\n".join(f'  - {{name: n{i}, vdev: "net_null{i},no-rx=1"}}' for i in range(MEMBERS))
    members = ", ".join(remote_member(f"n{i}", remote) if remote else f"n{i}"
                        for i in range(MEMBERS))
    return sluice_config(pcap, pkts, flows, frame, vxlan, rules, outs, members, dedup_us,
                         timeouts)


def replay_cases(tmp, wanted):
    """The replay cases named in WANTED, in table order, their pcap made:
    (name, flows, frame, pcap, packets, vxlan, rules, dedup_us, remote)."""
    for name, flows, frame, extra in CASES:
        if name not in wanted:
            continue
        extra, rules = split_rules(extra)
        extra, dedup_us = split_dedup(extra)
        extra, remote = split_remote(extra)
        pcap, pkts = gen(tmp, name, flows, frame, extra)
        yield name, flows, frame, pcap, pkts, "--vxlan" in extra, rules, dedup_us, remote


def replay_stats(head, cfgp, stats, duration, eal, timeout, what):
    """Run sluice (behind the command head, e.g. valgrind's, if any) on the
    config at cfgp for duration seconds with a DPDK file prefix of its own,
    removed afterwards; its stats lines, the final one last."""
    if os.path.exists(stats):
        os.unlink(stats)
    prefix = "sl-bench-" + uuid.uuid4().hex[:8]
    try:
        r = subprocess.run(head + [SLUICE, "--config", cfgp, "--stats-path", stats,
                                   "--duration", str(duration), "--", f"--file-prefix={prefix}"]
                           + eal + ["--log-level=lib.eal:error"],
                           capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    if r.returncode != 0:
        sys.exit(f"{what} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return [json.loads(l)["stats"] for l in open(stats)]


def run_sluice(tmp, pcap, pkts, flows, frame, seconds, vxlan, rules=0, dedup_us=0,
                remote=None):
    cfg = replay_config(pcap, pkts, flows, frame, vxlan, rules, dedup_us, remote)
    cfgp = os.path.join(tmp, "bench.yaml")
    with open(cfgp, "w") as f:
        f.write(cfg)
    lines = replay_stats([], cfgp, os.path.join(tmp, "stats.json"), seconds + 2, ["--in-memory"],
                         seconds + 300, "sluice")
    final = lines[-1]
    periodic = [l for l in lines if not l["final"]]
    # rate from interval lines after warm-up (the first second holds start-up)
    rates = []
    for a, b in zip(periodic[1:], periodic[2:]):
        dt = b["uptime"] - a["uptime"]
        if dt > 0:
            rates.append((b["ledger"]["received"] - a["ledger"]["received"]) / dt)
    mpps = statistics.median(rates) / 1e6 if rates else 0.0
    w = final["workers"][0]
    cpp = w["busy_cycles"] / max(1, w["rx_packets"])
    return {
        "mpps": round(mpps, 3),
        "cycles_per_pkt": round(cpp, 1),
        "ledger_balanced": final["ledger"]["balanced"],
        "flow_table_mib": round(w["flow_table_memory"] / 2**20, 1),
        "table_full": final["flows"]["table_full"],
        "flows_created": final["flows"]["created"],
        "duplicates": final["drops"]["duplicate"],
    }


def callgrind_functions(path):
    """Own instructions by function in one callgrind output file: what
    callgrind_annotate lists by file:function, summed by function (inlined
    code is listed under the file it came from)."""
    # --auto=no: with debug information, callgrind_annotate would append
    # the annotated sources, whose call lines match the pattern below
    r = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", "--show-percs=no",
                        "--show=Ir", "--sort=Ir", path],
                       capture_output=True, text=True, check=True)
    fns = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([0-9,]+)\s+(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        where = m.group(2)
        obj = re.search(r"\[(\S+)\]$", where)
        where = re.sub(r"\s*\[\S+\]$", "", where)
        name = where.rsplit(":", 1)[-1]
        if name.startswith("0x") and obj:  # no symbol: the object and address
            name = os.path.basename(obj.group(1)).split(".so")[0] + ":" + name
        fns[name] = fns.get(name, 0) + int(m.group(1).replace(",", ""))
    return fns


def callgrind_totals(text):
    """{event: count} of a callgrind output's totals (or summary) line."""
    ev = re.search(r"^events: (.*)$", text, re.M)
    m = re.search(r"^totals: (.*)$", text, re.M) or re.search(r"^summary: (.*)$", text, re.M)
    if not ev or not m:
        return {}
    return dict(zip(ev.group(1).split(), (int(x) for x in m.group(1).split())))


def run_instructions(tmp, pcap, pkts, flows, frame, seconds, vxlan, rules=0, dedup_us=0,
                     remote=None, branches=False):
    """The worker's instructions a packet under callgrind (see --instructions)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        sys.exit("bench: --instructions needs valgrind (apt-get install valgrind)")
    # the longest timeouts: the aging sweep is paced by the clock, which
    # valgrind slows about 50-fold, so at the default timeouts it would
    # count 50 times its share a packet (at 100k flows, 92 of 1016
    # instructions a packet; 11 of 935 with these)
    cfg = replay_config(pcap, pkts, flows, frame, vxlan, rules, dedup_us, remote, timeouts=86400)
    cfgp = os.path.join(tmp, "bench-cg.yaml")
    with open(cfgp, "w") as f:
        f.write(cfg)
    stats = os.path.join(tmp, "stats-cg.json")
    out = os.path.join(tmp, "callgrind.out")
    for old in [out] + [os.path.join(tmp, f) for f in os.listdir(tmp)
                        if f.startswith("callgrind.out-")]:
        if os.path.exists(old):
            os.unlink(old)
    # no hugepages under valgrind: the mbufs (the pcap's packets and the
    # working set) in ordinary memory, with room for the flow table
    mem_mb = int((pkts + 65536) * (mbuf_size(frame) + 640) / 2**20) + 256 + flows // 4096
    final = replay_stats(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                          "--fair-sched=yes", f"--callgrind-out-file={out}"]
                         + (["--branch-sim=yes"] if branches else []),
                         cfgp, stats, seconds, ["--no-huge", "-m", str(mem_mb)], seconds + 1800,
                         "sluice under callgrind")[-1]
    rx = final["workers"][0]["rx_packets"]
    # the worker's thread: the output file that holds its loop (the
    # largest, should another name it)
    worker, total, tot = None, 0, {}
    for f in sorted(os.listdir(tmp)):
        if not f.startswith("callgrind.out-"):
            continue
        with open(os.path.join(tmp, f), errors="replace") as fh:
            text = fh.read()
        t = callgrind_totals(text)
        if "sl_worker_main" in text and t.get("Ir", 0) > total:
            worker, total, tot = os.path.join(tmp, f), t["Ir"], t
    if worker is None or rx == 0:
        sys.exit("bench: no worker thread in callgrind's output, or no packet received")
    fns = callgrind_functions(worker)
    top = sorted(fns.items(), key=lambda kv: -kv[1])[:15]
    res = {
        "instructions_per_pkt": round(total / rx, 1),
        "rx_packets": rx,
        "flows_created": final["flows"]["created"],
        "ledger_balanced": final["ledger"]["balanced"],
        "top": [[n, round(v / rx, 1)] for n, v in top],
    }
    if branches:
        res["mispredicts_per_pkt"] = round((tot.get("Bcm", 0) + tot.get("Bim", 0)) / rx, 2)
    return res


def run_testpmd(pcap, pkts, frame, seconds):
    prefix = "sl-bench-tp-" + uuid.uuid4().hex[:8]
    cmd = ["dpdk-testpmd", "-l", "0,1", "--no-pci", "--in-memory", f"--file-prefix={prefix}",
           "--log-level=lib.eal:error",
           "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--vdev", "net_null0,no-rx=1",
           "--", "--forward-mode=io", "--auto-start", "--stats-period", "1",
           f"--total-num-mbufs={pkts + 65536}", f"--mbuf-size={mbuf_size(frame)}"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    try:
        time.sleep(seconds + 3)
    finally:
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=120)
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    # every stats block prints port 0 first; keep its Rx-pps samples
    blocks = out.split("NIC statistics for port 0")[1:]
    samples = []
    for b in blocks:
        m = re.search(r"Rx-pps:\s+(\d+)", b)
        if m:
            samples.append(int(m.group(1)))
    samples = samples[2:] or samples
    return round(statistics.median(samples) / 1e6, 3) if samples else 0.0


def member0(line):
    return line["tenants"][0]["pools"][0]["members"][0]


def output_rates(lines):
    """Rates of a one-member run over the stats intervals once the consumer
    is attached (the member forwarded something), the first one skipped."""
    periodic = [l for l in lines if not l["final"]]
    attached = [l for l in periodic if member0(l).get("forwarded", 0) > 0]
    window = attached[1:]
    rx, fwd = [], []
    d_rx = d_refused = d_busy = d_wrx = 0
    for a, b in zip(window, window[1:]):
        dt = b["uptime"] - a["uptime"]
        if dt <= 0:
            continue
        ma, mb = member0(a), member0(b)
        rx.append((b["ledger"]["received"] - a["ledger"]["received"]) / dt)
        fwd.append((mb["forwarded"] - ma["forwarded"]) / dt)
        d_rx += b["ledger"]["received"] - a["ledger"]["received"]
        d_refused += sum(mb.get(k, 0) - ma.get(k, 0) for k in ("tx_refused", "link_down"))
        d_busy += b["workers"][0]["busy_cycles"] - a["workers"][0]["busy_cycles"]
        d_wrx += b["workers"][0]["rx_packets"] - a["workers"][0]["rx_packets"]
    return {
        "mpps": round(statistics.median(rx) / 1e6, 3) if rx else 0.0,
        "delivered_mpps": round(statistics.median(fwd) / 1e6, 3) if fwd else 0.0,
        "refused_pct": round(100 * d_refused / d_rx, 2) if d_rx else None,
        "cycles_per_pkt": round(d_busy / d_wrx, 1) if d_wrx else 0.0,
        "intervals": len(rx),
    }


def testpmd_rx_mpps(out):
    """Median Rx-pps (Mpps) of a testpmd rxonly run: the samples after the
    memif link came up, the first one (partial) skipped. (Its totals are
    not used: the memif PMD zeroes them when sluice, the server, goes.)"""
    samples = []
    for b in out.split("NIC statistics for port 0")[1:]:
        m = re.search(r"Rx-pps:\s+(\d+)", b)
        if m and int(m.group(1)) > 0:
            samples.append(int(m.group(1)))
    samples = samples[1:] or samples
    return round(statistics.median(samples) / 1e6, 3) if samples else None


def run_output_case(tmp, pcap, pkts, flows, frame, kind, seconds):
    """sluice into one member with a real consumer: a memif server port read
    by testpmd, or a shared-memory ring read by sl-ringcat --discard (or
    net_null, no consumer, for "null"). Starts sluice, waits for the socket
    or region file, starts the consumer, and stops the consumer (SIGINT) once
    sluice has ended."""
    tag = uuid.uuid4().hex[:8]
    prefix = "sl-bench-" + tag
    path, consumer_cmd = None, None
    if kind == "null":
        outs = '  - {name: n0, vdev: "net_null0,no-rx=1"}'
        member = "n0"
    elif kind == "memif":
        path = f"/tmp/sl-bench-{tag}.sock"
        memif = f"net_memif0,socket={path},socket-abstract=no,id=0,zero-copy=no"
        outs = f'  - {{name: m0, vdev: "{memif},role=server"}}'
        member = "m0"
        consumer_cmd = ["dpdk-testpmd", f"--lcores=0@{CONSUMER_CPU},1@{CONSUMER_CPU}",
                        "--no-pci", "--in-memory", f"--file-prefix={prefix}-tp",
                        "--log-level=lib.eal:error", "--vdev", f"{memif},role=client", "--",
                        "--forward-mode=rxonly", "--auto-start", "--stats-period", "1",
                        "--no-flush-rx"]
    else:
        path = os.path.join(RING_DIR, f"sl-bench-{tag}")
        outs = (f"  - name: r0\n    ring: {{path: {path}, frame_size: {RING_FRAME_SIZE}, "
                f"frames: {RING_FRAMES}}}")
        member = "r0"
        consumer_cmd = [SL_RINGCAT, "--discard", path]
    cfgp = os.path.join(tmp, "bench-output.yaml")
    with open(cfgp, "w") as f:
        f.write(sluice_config(pcap, pkts, flows, frame, False, 0, outs, member))
    stats = os.path.join(tmp, "stats.json")
    if os.path.exists(stats):
        os.unlink(stats)
    sl_log = open(os.path.join(tmp, "sluice.log"), "w+")
    co_log = open(os.path.join(tmp, "consumer.log"), "w+")
    consumer = None
    sl = subprocess.Popen([SLUICE, "--config", cfgp, "--stats-path", stats, "--duration",
                           str(seconds + OUTPUT_SLACK), "--", f"--file-prefix={prefix}",
                           "--in-memory", "--log-level=lib.eal:error"],
                          stdout=sl_log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while (path is not None and not os.path.exists(path) and sl.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.05)
        if path is not None and sl.poll() is None and os.path.exists(path):
            consumer = subprocess.Popen(
                consumer_cmd, stdout=co_log, stderr=subprocess.STDOUT, text=True,
                start_new_session=True,
                preexec_fn=lambda: os.sched_setaffinity(0, {CONSUMER_CPU}))
        sl.wait(timeout=seconds + 300)
    finally:
        for p in (sl, consumer):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=120)
        for d in (prefix, prefix + "-tp"):
            shutil.rmtree(f"/var/run/dpdk/{d}", ignore_errors=True)
        if path is not None and os.path.exists(path):
            os.unlink(path)
    sl_log.seek(0)
    co_log.seek(0)
    sl_out, co_out = sl_log.read(), co_log.read()
    sl_log.close()
    co_log.close()
    if sl.returncode != 0:
        sys.exit(f"sluice failed ({sl.returncode}):\n{sl_out[-2000:]}")
    if consumer is None and path is not None:
        sys.exit(f"sluice did not create {path}:\n{sl_out[-2000:]}")
    lines = [json.loads(l)["stats"] for l in open(stats)]
    final = lines[-1]
    res = output_rates(lines)
    if res["intervals"] == 0:
        print(f"bench: the {kind} consumer delivered nothing; sluice:\n{sl_out[-1000:]}\n"
              f"consumer:\n{co_out[-1000:]}", file=sys.stderr)
    if kind == "null":
        res["consumer_mpps"], res["consumer_packets"] = None, None
    elif kind == "memif":
        res["consumer_mpps"], res["consumer_packets"] = testpmd_rx_mpps(co_out), None
    else:
        m = re.search(r"sl-ringcat: (\d+) packets", co_out)
        res["consumer_mpps"] = None
        res["consumer_packets"] = int(m.group(1)) if m else None
    res["delivered_packets"] = member0(final)["forwarded"]
    res["ledger_balanced"] = final["ledger"]["balanced"]
    return res


# ---- special cases: a noisy neighbour, reloads during traffic ----------------

SPECIAL_CASES = ["noisy-1m", "1m-64-reload", "shutdown-2m", "appid-100k"]


def run_plain(tmp, cfg, seconds, name, reload_every=None, admin=None, alt_cfg=None):
    """sluice on cfg for seconds (+2): its stats lines. With reload_every, the
    configuration file alternates between cfg and alt_cfg and is reloaded
    over the admin socket every reload_every seconds."""
    cfgp = os.path.join(tmp, f"{name}.yaml")
    with open(cfgp, "w") as f:
        f.write(cfg)
    stats = os.path.join(tmp, f"{name}.stats.json")
    if os.path.exists(stats):
        os.unlink(stats)
    prefix = "sl-bench-" + uuid.uuid4().hex[:8]
    p = subprocess.Popen([SLUICE, "--config", cfgp, "--stats-path", stats, "--duration",
                          str(seconds + 2), "--", f"--file-prefix={prefix}", "--in-memory",
                          "--log-level=lib.eal:error"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reloads = 0
    try:
        if reload_every:
            import socket as sk
            deadline = time.monotonic() + 120
            while not os.path.exists(admin) and time.monotonic() < deadline and p.poll() is None:
                time.sleep(0.05)
            time.sleep(1.5)  # a steady second before the first reload
            while p.poll() is None:
                reloads += 1
                with open(cfgp, "w") as f:
                    f.write(alt_cfg if reloads % 2 else cfg)
                try:
                    with sk.socket(sk.AF_UNIX, sk.SOCK_STREAM) as c:
                        c.settimeout(30)
                        c.connect(admin)
                        c.sendall(b'{"cmd":"reload"}\n')
                        rep = json.loads(c.makefile().readline())
                        if not rep.get("ok"):
                            sys.exit(f"bench: reload refused: {rep}")
                except OSError:
                    break  # sluice has ended
                time.sleep(reload_every)
        err = p.communicate(timeout=seconds + 300)[1]
    finally:
        if p.poll() is None:
            p.kill()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    if p.returncode != 0:
        sys.exit(f"sluice failed ({p.returncode}):\n{err[-2000:]}")
    return [json.loads(l)["stats"] for l in open(stats)], reloads


def interval_rates(lines, key):
    """Per-interval rates of key(line) after the first interval."""
    periodic = [l for l in lines if not l["final"]]
    out = []
    for a, b in zip(periodic[1:], periodic[2:]):
        dt = b["uptime"] - a["uptime"]
        if dt > 0:
            out.append((key(b) - key(a)) / dt)
    return out


def tenant_of(line, name):
    return next(t for t in line["tenants"] if t["name"] == name)


def noisy_config(pcap, pkts, flows, with_rules):
    a_rules = ("    max_rules: 4096\n    rules:\n" + "".join(
        f"      - {{match: {{src: 198.18.{i // 256}.{i % 256}/32, dport: {1 + i}}}, "
        f"action: bypass}}\n" for i in range(4096))) if with_rules else ""
    size = flows + flows // 64 + 65536
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap},infinite_rx=1", distribution: software}}]
outputs:
  - {{name: a0, vdev: "net_null4,no-rx=1"}}
{chr(10).join(f'  - {{name: n{i}, vdev: "net_null{i},no-rx=1"}}' for i in range(MEMBERS))}
tenants:
  - name: a
    id: 1
    match: {{vlan: [300]}}
    pools: [{{name: p, members: [a0]}}]
    max_flows: 65536
    rate: {{pps: 10000}}
{a_rules}  - name: b
    id: 2
    match: {{vlan: [200]}}
    pools: [{{name: p, hash: 5-tuple, members: [{", ".join(f"n{i}" for i in range(MEMBERS))}]}}]
    max_flows: {flows + flows // 64}
flow_table: {{size: {size}}}
stats: {{interval: 1}}
tuning: {{mbufs: {pkts + 65536}, mbuf_size: {mbuf_size("64")}}}
"""


def run_noisy(tmp, seconds):
    """noisy-1m: tenant B, 1M flows of 64 B, alone; then beside tenant A's
    flood of new flows (1M random tuples, as many packets as B's) metered
    at 10 kpps, with 4096 rules; then A alone: what one packet of A dropped
    by its meter costs. B's cycles per packet beside A are the worker's
    cycles less A's packets at that cost, over B's packets."""
    b = os.path.join(tmp, "noisy-b.pcap")
    a = os.path.join(tmp, "noisy-a.pcap")
    mixed = os.path.join(tmp, "noisy-ab.pcap")
    if not os.path.exists(b):
        subprocess.run([SL_GEN, "-o", b, "--flows", "1000000", "--tenants", "1", "--vlan-base",
                        "200", "--udp", "30", "--ipv6", "20", "--packets", "2", "--seed", "11"],
                       check=True)
        subprocess.run([SL_GEN, "-o", a, "--flows", "2000000", "--tenants", "1", "--vlan-base",
                        "300", "--udp", "50", "--packets", "1", "--seed", "99"], check=True)
        subprocess.run(["mergecap", "-F", "pcap", "-w", mixed, a, b], check=True)
    res = {}
    for label, pcap in (("b_alone", b), ("b_beside_a", mixed), ("a_alone", a)):
        pkts = count_packets(pcap)
        lines, _ = run_plain(tmp, noisy_config(pcap, pkts, 1_000_000, True), seconds, label)
        final = lines[-1]
        w = final["workers"][0]
        rx = interval_rates(lines, lambda l: l["ledger"]["received"])
        bfwd = interval_rates(lines, lambda l: tenant_of(l, "b")["forwarded"])
        res[label] = {
            "mpps": round(statistics.median(rx) / 1e6, 3) if rx else 0.0,
            "b_delivered_mpps": round(statistics.median(bfwd) / 1e6, 3) if bfwd else 0.0,
            "cycles_per_pkt": round(w["busy_cycles"] / max(1, w["rx_packets"]), 1),
            "busy_cycles": w["busy_cycles"],
            "a_packets": tenant_of(final, "a")["packets"],
            "a_rate_exceeded": tenant_of(final, "a")["rate_exceeded"],
            "b_packets": tenant_of(final, "b")["packets"],
            "b_dropped": tenant_of(final, "b")["dropped"],
            "ledger_balanced": final["ledger"]["balanced"],
        }
    cost_a = res["a_alone"]["cycles_per_pkt"]
    ba = res["b_beside_a"]
    b_cpp = (ba["busy_cycles"] - ba["a_packets"] * cost_a) / max(1, ba["b_packets"])
    return {"case": "noisy-1m",
            "b_alone_delivered_mpps": res["b_alone"]["b_delivered_mpps"],
            "b_alone_cycles_per_pkt": res["b_alone"]["cycles_per_pkt"],
            "b_beside_a_delivered_mpps": ba["b_delivered_mpps"],
            "b_beside_a_cycles_per_pkt": round(b_cpp, 1),
            "a_share_of_packets": round(ba["a_packets"] / max(1, ba["a_packets"] +
                                                              ba["b_packets"]), 3),
            "a_metered_drop_cycles": cost_a,
            "a_dropped_by_meter": ba["a_rate_exceeded"],
            "b_dropped": ba["b_dropped"],
            "ledger_balanced": all(r["ledger_balanced"] for r in res.values())}


def run_reloads(tmp, seconds):
    """1m-64-reload: the 1m-64 case reloaded every second over the admin
    socket (alternating configurations: a rule and a pool member of the
    tenant change): the lowest one-second rate against the median, drops."""
    pcap, pkts = gen(tmp, "1m-64", 1_000_000, "64", [])
    admin = os.path.join(tmp, "admin.sock")
    outs = "\n".join(f'  - {{name: n{i}, vdev: "net_null{i},no-rx=1"}}' for i in range(MEMBERS))
    base = sluice_config(pcap, pkts, 1_000_000, "64", False, 0, outs,
                         ", ".join(f"n{i}" for i in range(MEMBERS)))
    base = base.replace("stats: {interval: 1}", f"stats: {{interval: 1}}\nadmin: {{socket: {admin}}}")
    alt = base.replace("members: [n0, n1, n2, n3]", "members: [n0, n1, n2]")
    alt = alt.replace("flow_table:", "    rules: [{match: {proto: udp, dport: 9}, action: drop}]\n"
                      "flow_table:")
    lines, reloads = run_plain(tmp, base, seconds, "reload", reload_every=1.0, admin=admin,
                               alt_cfg=alt)
    rx = interval_rates(lines, lambda l: l["ledger"]["received"])
    final = lines[-1]
    return {"case": "1m-64-reload", "reloads": final["config"]["ok"],
            "reloads_failed": final["config"]["failed"],
            "median_mpps": round(statistics.median(rx) / 1e6, 3) if rx else 0.0,
            "lowest_mpps": round(min(rx) / 1e6, 3) if rx else 0.0,
            "lowest_vs_median": round(min(rx) / statistics.median(rx), 3) if rx else None,
            "dropped": final["ledger"]["dropped"],
            "ledger_balanced": final["ledger"]["balanced"]}


def run_shutdown(tmp):
    """shutdown-2m: 2M active flows (one packet each, four tenants, every
    tenant writing flow records to a file) when the input ends: the seconds
    from sluice's "stopping" to the process gone, and the records written."""
    pcap, pkts = gen(tmp, "2m-shutdown", 2_000_000, "64", ["--packets", "1"])
    recs = [os.path.join(tmp, f"rec{t}.json") for t in range(4)]
    for r in recs:
        if os.path.exists(r):
            os.unlink(r)
    cfg = f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap}"}}]
outputs: [{{name: o, vdev: "net_null0,no-rx=1"}}]
flow_table: {{size: 4194304, timeouts: {{tcp: 3600, udp: 3600, icmp: 3600, other: 3600}}}}
tuning: {{mbufs: 65535, mbuf_size: {mbuf_size("64")}}}
tenants:
""" + "".join(f"""  - {{name: t{t}, id: {t + 1}, match: {{vlan: [{100 + t}]}},
     pools: [{{name: p, members: [o]}}], flow_records: {{file: {recs[t]}}}}}
""" for t in range(4))
    cfgp = os.path.join(tmp, "shutdown.yaml")
    with open(cfgp, "w") as f:
        f.write(cfg)
    stats = os.path.join(tmp, "shutdown.stats.json")
    prefix = "sl-bench-" + uuid.uuid4().hex[:8]
    p = subprocess.Popen([SLUICE, "--config", cfgp, "--stats-path", stats, "--exit-on-idle",
                          "500", "--", f"--file-prefix={prefix}", "--in-memory",
                          "--log-level=lib.eal:error"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stopping = None
    try:
        for line in p.stderr:
            if "stopping" in line:
                stopping = time.monotonic()
        p.wait(timeout=600)
        gone = time.monotonic()
    finally:
        if p.poll() is None:
            p.kill()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    if p.returncode != 0 or stopping is None:
        sys.exit(f"sluice failed ({p.returncode})")
    final = [json.loads(l)["stats"] for l in open(stats)][-1]
    written = sum(sum(1 for _ in open(r)) for r in recs)
    w = final["workers"][0]
    return {"case": "shutdown-2m", "flows": final["flows"]["created"],
            "shutdown_s": round(gone - stopping, 2), "records_written": written,
            "formatted_by_worker": w["flow_records_formatted"],
            "records_lost": w["flow_records_lost"],
            "ledger_balanced": final["ledger"]["balanced"]}


# ---- application detection (issue 18) -----------------------------------------

CORPUS = os.environ.get("SL_CORPUS") or os.path.join(os.path.dirname(ROOT), "shared", "corpus",
                                                     "suricata-verify")
# real flows of the corpus, copied with other addresses into a 100k-flow mix:
# DNS, TLS 1.2 and 1.3, QUIC, SSH, HTTP
APPID_TEMPLATES = ["dns_dns-single-request_input.pcap", "dns-eve-type-filtering_test.pcap",
                   "tls_tls-certs-alert_input.pcap", "tls_tls-random_input.pcap",
                   "quic-ietf_input.pcap", "ssh-hassh-only_input.pcap",
                   "http-chunked_input.pcap", "ja4-sv-handshake_input.pcap",
                   "quic-cyu_input.pcap", "http-connection-toclient_input.pcap"]
APPID_FLOWS = 100_000
APPID_BLOCK = 4096  # copies whose packets interleave: flows in detection at once


def pcap_records(path):
    """(header, [(record header, frame)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        incl = int.from_bytes(data[off + 8:off + 12], "little" if e == "<" else "big")
        out.append((data[off:off + 16], data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], out


def readdress(frame, i):
    """The frame with both its addresses (Ethernet, IPv4 or IPv6) changed
    by copy number i the same way: a copy of a flow is another flow, whose
    packets still pair up. The IPv4 header checksum is redone."""
    b = bytearray(frame)
    et = int.from_bytes(b[12:14], "big")
    l3 = 14
    if et == 0x8100:
        et, l3 = int.from_bytes(b[16:18], "big"), 18
    x = (i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff)
    if et == 0x0800 and len(b) >= l3 + 20:
        for a in (l3 + 12, l3 + 16):
            b[a + 1] ^= x[0]
            b[a + 2] ^= x[1]
            b[a + 3] ^= x[2]
        ihl = (b[l3] & 0xf) * 4
        b[l3 + 10:l3 + 12] = b"\0\0"
        s = sum(int.from_bytes(b[l3 + k:l3 + k + 2], "big") for k in range(0, ihl, 2))
        s = (s & 0xffff) + (s >> 16)
        s = (s & 0xffff) + (s >> 16)
        b[l3 + 10:l3 + 12] = (~s & 0xffff).to_bytes(2, "big")
    elif et == 0x86dd and len(b) >= l3 + 40:
        for a in (l3 + 8, l3 + 24):
            b[a + 13] ^= x[0]
            b[a + 14] ^= x[1]
            b[a + 15] ^= x[2]
    return bytes(b)


def gen_appid_mix(tmp):
    """A mix of real flows (APPID_TEMPLATES copied with other addresses) of
    100k address pairs (about 120k flows: some pairs hold several),
    blocks of APPID_BLOCK copies interleaved packet by packet: (path,
    packets, address pairs)."""
    path = os.path.join(tmp, "appid-100k.pcap")
    templates = []
    for name in APPID_TEMPLATES:
        src = os.path.join(CORPUS, name)
        if not os.path.exists(src):
            sys.exit(f"bench: appid-100k needs the corpus ({src} absent; set SL_CORPUS)")
        hdr, recs = pcap_records(src)
        flows = len({tuple(sorted((fr[26:30], fr[30:34]))) if fr[12:14] == b"\x08\x00"
                     else tuple(sorted((fr[22:38], fr[38:54]))) for _, fr in recs})
        templates.append((hdr, recs, flows))
    header = templates[0][0]
    copies, flows = [], 0
    while flows < APPID_FLOWS:
        t = templates[len(copies) % len(templates)]
        copies.append(t)
        flows += t[2]
    packets = 0
    with open(path, "wb") as f:
        f.write(header)
        for start in range(0, len(copies), APPID_BLOCK):
            block = list(enumerate(copies[start:start + APPID_BLOCK], start + 1))
            for j in range(max(len(t[1]) for _, t in block)):
                for i, t in block:
                    if j < len(t[1]):
                        rh, fr = t[1][j]
                        f.write(rh)
                        f.write(readdress(fr, i))
                        packets += 1
    return path, packets, flows


def appid_config(pcap, rules, appid):
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap}"}}]
outputs:
{chr(10).join(f'  - {{name: n{i}, vdev: "net_null{i + 1},no-rx=1"}}' for i in range(MEMBERS))}
tenants:
  - name: t
    id: 1
    match: {{untagged: true}}
    pools: [{{name: p, members: [n0, n1]}}, {{name: dns, members: [n2]}}, {{name: web, members: [n3]}}]
{rules}flow_table: {{size: 262144}}
stats: {{interval: 1}}
{appid}"""


def run_appid(tmp, seconds, repeats=3):
    """appid-100k: the mix read once from its file (not in memory: the
    whole flow's life, detection included, is in the run), three ways, each
    with one port rule every flow matches: alone, detection off (off); after
    four app rules, every flow detected (on); before them, none detected
    (port_rule_first: what a configured detector costs a flow no app rule
    can claim).
    cycles_per_pkt is the worker's busy cycles over its packets, the
    median of the repeats; detect_cycles_per_app_pkt is what on costs more
    than off, over the packets detection read (app_packets)."""
    pcap, pkts, flows = gen_appid_mix(tmp)
    app_rules = ("    rules:\n"
                 "      - {name: dns, match: {app: dns}, action: steer, pools: dns}\n"
                 "      - {name: http, match: {app: http}, action: steer, pools: web}\n"
                 "      - {name: enc, match: {app: [tls, quic]}, action: bypass-after-handshake}\n"
                 "      - {name: video, match: {category: video}, action: bypass}\n")
    # the same port rule (every flow) in all three, alone, after the app
    # rules or before them: the classifier costs the same
    port = "      - {name: all, action: forward}\n"
    last = app_rules + port
    first = app_rules.replace("    rules:\n", "    rules:\n" + port)
    # room for every flow of the mix: the flows are cut short (a capture's
    # first packets), so many stay in detection until the run ends
    sizes = "appid: {flows: 131072, detecting: 131072, memory_mb: 256}\n"
    ways = {"off": ("    rules:\n" + port, ""), "on": (last, sizes),
            "port_rule_first": (first, sizes)}
    res = {"case": "appid-100k", "address_pairs": flows, "packets": pkts}
    for way, (rules, appid) in ways.items():
        runs = []
        for k in range(repeats):
            cfgp = os.path.join(tmp, f"appid-{way}.yaml")
            with open(cfgp, "w") as f:
                f.write(appid_config(pcap, rules, appid))
            stats = os.path.join(tmp, f"appid-{way}.stats.json")
            if os.path.exists(stats):
                os.unlink(stats)
            prefix = "sl-bench-" + uuid.uuid4().hex[:8]
            try:
                r = subprocess.run([SLUICE, "--config", cfgp, "--stats-path", stats,
                                    "--exit-on-idle", "1000", "--", f"--file-prefix={prefix}",
                                    "--in-memory", "--log-level=lib.eal:error"],
                                   capture_output=True, text=True, timeout=seconds * 60 + 600)
            finally:
                shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
            if r.returncode != 0:
                sys.exit(f"sluice failed ({r.returncode}):\n{r.stderr[-2000:]}")
            final = [json.loads(l)["stats"] for l in open(stats)][-1]
            w, t = final["workers"][0], final["tenants"][0]
            runs.append({"cycles_per_pkt": w["busy_cycles"] / max(1, w["rx_packets"]),
                         "flows": final["flows"]["created"],
                         "app_packets": w["app_packets"], "rx": w["rx_packets"],
                         "detected": t["app_detected"], "given_up": t["app_given_up"],
                         "no_state": t["app_no_state"], "steered": t["app_steered"],
                         "hs_bypassed": t["app_handshake_bypassed"],
                         "balanced": final["ledger"]["balanced"]})
        runs.sort(key=lambda x: x["cycles_per_pkt"])
        m = runs[len(runs) // 2]
        res[way] = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in m.items()}
        res[way]["cycles_per_pkt_all"] = [round(x["cycles_per_pkt"], 1) for x in runs]
    on, off = res["on"], res["off"]
    res["detect_cycles_per_app_pkt"] = round(
        (on["cycles_per_pkt"] - off["cycles_per_pkt"]) * on["rx"] / max(1, on["app_packets"]), 1)
    res["app_packet_share"] = round(on["app_packets"] / max(1, on["rx"]), 3)
    return res


def ensure_hugepages(pages):
    """The 1M-flow IMIX case holds 2M frames in memory, twice (sluice, then
    testpmd, one after the other): reserve enough 2 MiB pages."""
    nr = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    try:
        if int(open(nr).read()) < pages:
            with open(nr, "w") as f:
                f.write(str(pages))
    except OSError as e:
        print(f"bench: cannot reserve {pages} hugepages: {e}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--cases", default=",".join(c[0] for c in CASES + OUTPUT_CASES
                                                if c[0] != "10m-64"),
                    help="comma-separated; also 10m-64, noisy-1m, 1m-64-reload, "
                         "shutdown-2m, appid-100k")
    ap.add_argument("--workdir", default=None, help="keep generated pcaps here")
    ap.add_argument("--instructions", action="store_true",
                    help="the worker's instructions a packet under callgrind, not the rate")
    ap.add_argument("--branches", action="store_true",
                    help="with --instructions: also the mispredicted branches a packet "
                         "(callgrind's branch simulation)")
    a = ap.parse_args()
    wanted = a.cases.split(",")
    known = [c[0] for c in CASES] + [c[0] for c in OUTPUT_CASES] + SPECIAL_CASES
    unknown = [w for w in wanted if w not in known]
    if unknown:
        sys.exit(f"bench: unknown cases {','.join(unknown)}; known: {','.join(known)}")
    if a.branches and not a.instructions:
        sys.exit("bench: --branches goes with --instructions")
    if a.instructions:
        instructions(a, wanted)
        return
    # 10m-64 holds 10M mbufs and a 10M-flow table
    ensure_hugepages(int(os.environ.get("SL_HUGEPAGES", "6144" if "10m-64" in wanted else "4096")))
    tmp = a.workdir or tempfile.mkdtemp(prefix="sl-bench-")
    os.makedirs(tmp, exist_ok=True)
    results = []
    for name, flows, frame, pcap, pkts, vxlan, rules, dedup_us, remote in replay_cases(tmp, wanted):
        s = run_sluice(tmp, pcap, pkts, flows, frame, a.seconds, vxlan, rules, dedup_us, remote)
        tp = run_testpmd(pcap, pkts, frame, a.seconds)
        res = {"case": name, "flows": flows, "frame": frame, "mpps": s["mpps"],
               "cycles_per_pkt": s["cycles_per_pkt"], "testpmd_mpps": tp,
               "ratio": round(s["mpps"] / tp, 3) if tp else None,
               "ledger_balanced": s["ledger_balanced"], "flow_table_mib": s["flow_table_mib"],
               "table_full": s["table_full"]}
        if dedup_us:
            res["duplicates"] = s["duplicates"]
        results.append(res)
        print(json.dumps(res), flush=True)
    out_results = []
    for name, flows, frame, kind in OUTPUT_CASES:
        if name not in wanted:
            continue
        pcap, pkts = gen(tmp, name, flows, frame, [])
        o = run_output_case(tmp, pcap, pkts, flows, frame, kind, a.seconds)
        res = {"case": name, "flows": flows, "frame": frame, "output": kind,
               "mpps": o["mpps"], "delivered_mpps": o["delivered_mpps"],
               "refused_pct": o["refused_pct"], "cycles_per_pkt": o["cycles_per_pkt"],
               "consumer_mpps": o["consumer_mpps"], "consumer_packets": o["consumer_packets"],
               "delivered_packets": o["delivered_packets"],
               "ledger_balanced": o["ledger_balanced"]}
        out_results.append(res)
        print(json.dumps(res), flush=True)
    for name in SPECIAL_CASES:
        if name in wanted:
            res = (run_noisy(tmp, a.seconds) if name == "noisy-1m" else
                   run_appid(tmp, a.seconds) if name == "appid-100k" else
                   run_reloads(tmp, a.seconds) if name == "1m-64-reload" else run_shutdown(tmp))
            print(json.dumps(res), flush=True)
    if results:
        print_table(results)
    if out_results:
        print_output_table(out_results)
    if not a.workdir:
        shutil.rmtree(tmp, ignore_errors=True)


def instructions(a, wanted):
    """--instructions: each chosen case of the first kind under callgrind."""
    others = [w for w in wanted if w not in [c[0] for c in CASES]]
    if others:
        sys.exit(f"bench: --instructions runs the replay cases only, not {','.join(others)}")
    tmp = a.workdir or tempfile.mkdtemp(prefix="sl-bench-")
    os.makedirs(tmp, exist_ok=True)
    results = []
    for name, flows, frame, pcap, pkts, vxlan, rules, dedup_us, remote in replay_cases(tmp, wanted):
        s = run_instructions(tmp, pcap, pkts, flows, frame, a.seconds, vxlan, rules, dedup_us,
                             remote, a.branches)
        res = {"case": name, "flows": flows, "frame": frame, **s}
        results.append(res)
        print(json.dumps(res), flush=True)
    for r in results:
        print()
        mis = (f", {r['mispredicts_per_pkt']:.2f} mispredicted branches"
               if "mispredicts_per_pkt" in r else "")
        print(f"{r['case']}: {r['instructions_per_pkt']:.1f} instructions a packet{mis} "
              f"({r['rx_packets']} packets, {r['flows_created']} flows, "
              f"ledger {'ok' if r['ledger_balanced'] else 'BAD'})")
        for n, v in r["top"]:
            print(f"  {v:>8.1f}  {n}")
    if not a.workdir:
        shutil.rmtree(tmp, ignore_errors=True)


def print_table(results):
    print()
    print(f"{'case':<15}{'flows':>9}{'frame':>6}{'Mpps':>8}{'cyc/pkt':>9}{'testpmd':>9}"
          f"{'ratio':>7}{'ledger':>8}{'ft MiB':>8}{'tbl full':>10}")
    for r in results:
        print(f"{r['case']:<15}{r['flows']:>9}{r['frame']:>6}{r['mpps']:>8.2f}"
              f"{r['cycles_per_pkt']:>9.0f}{r['testpmd_mpps']:>9.2f}"
              f"{(r['ratio'] or 0):>7.2f}{'ok' if r['ledger_balanced'] else 'BAD':>8}"
              f"{r['flow_table_mib']:>8.1f}{r['table_full']:>10}")


def print_output_table(results):
    """Mpps: received; delivered: the member's forwarded rate; refused: % of
    received the member refused (ring or queue full, consumer down);
    consumer: testpmd's Rx-pps for memif."""
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)
    print()
    print(f"{'case':<15}{'flows':>9}{'frame':>6}{'Mpps':>8}{'deliv':>8}{'refused%':>10}"
          f"{'cyc/pkt':>9}{'consumer':>10}{'ledger':>8}")
    for r in results:
        print(f"{r['case']:<15}{r['flows']:>9}{r['frame']:>6}{r['mpps']:>8.2f}"
              f"{r['delivered_mpps']:>8.2f}{num(r['refused_pct'], '.2f'):>10}"
              f"{r['cycles_per_pkt']:>9.0f}{num(r['consumer_mpps'], '.2f'):>10}"
              f"{'ok' if r['ledger_balanced'] else 'BAD':>8}")


if __name__ == "__main__":
    main()

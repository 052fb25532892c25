#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice benchmark: replay an in-memory input (net_pcap, infinite_rx=1) into
net_null outputs with one worker for a fixed time, and run dpdk-testpmd
(--forward-mode=io) on the same input in the same run as the reference.

Prints a table and one JSON line per case:
  case, flows, frame, mpps, cycles_per_pkt, testpmd_mpps, ratio,
  ledger_balanced, flow_table_mib, table_full

    tools/bench.py                      # all cases, 10 s each
    tools/bench.py --seconds 5 --cases 1k-64,1m-64
Benchmarks report numbers; nothing here asserts a threshold.
"""
import argparse
import json
import os
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

CASES = [  # name, flows, frame, extra sl-gen arguments
    ("1k-64", 1_000, "64", []),
    ("100k-64", 100_000, "64", []),
    ("1m-64", 1_000_000, "64", []),
    ("1k-imix", 1_000, "imix", []),
    ("100k-imix", 100_000, "imix", []),
    ("1m-imix", 1_000_000, "imix", []),
    # an AWS-style mirror: every frame in VXLAN with identical outer headers
    ("vxlan-100k-64", 100_000, "64", ["--vxlan", "100"]),
    # 1400-byte datagrams cut at 576: every packet is a fragment, in order
    ("frag-10k-1400", 10_000, "1400", ["--fragment", "576"]),
]
MEMBERS = 4


def mbuf_size(frame):
    # data room incl. 128 B headroom: 64 B frames (+50 B VXLAN) fit 512
    return 512 if frame == "64" else 2176


def gen(tmp, name, flows, frame, extra):
    path = os.path.join(tmp, f"in-{name}.pcap")
    if not os.path.exists(path):
        vlan = [] if "--vxlan" in extra else ["--vlan-base", "100"]
        subprocess.run([SL_GEN, "-o", path, "--flows", str(flows), "--frame", frame,
                        "--tenants", "4", "--udp", "30", "--ipv6", "20",
                        "--packets", "2", "--seed", "11"] + vlan + extra, check=True)
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


def run_sluice(tmp, pcap, pkts, flows, frame, seconds, vxlan):
    outs = "\n".join(f'  - {{name: n{i}, vdev: "net_null{i},no-rx=1"}}' for i in range(MEMBERS))
    members = ", ".join(f"n{i}" for i in range(MEMBERS))
    # flow table: room for every flow at cuckoo load < 90 %
    size = max(65536, int(flows * 1.15))
    match = '{vni: ["100-103"]}' if vxlan else '{vlan: ["100-103"]}'
    cfg = f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap},infinite_rx=1", distribution: software}}]
outputs:
{outs}
tenants:
  - name: t
    id: 1
    match: {match}
    pools: [{{name: p, hash: 5-tuple, members: [{members}]}}]
flow_table: {{size: {size}}}
stats: {{interval: 1}}
tuning: {{mbufs: {pkts + 65536}, mbuf_size: {mbuf_size(frame)}}}
"""
    cfgp = os.path.join(tmp, "bench.yaml")
    with open(cfgp, "w") as f:
        f.write(cfg)
    stats = os.path.join(tmp, "stats.json")
    if os.path.exists(stats):
        os.unlink(stats)
    prefix = "sl-bench-" + uuid.uuid4().hex[:8]
    try:
        r = subprocess.run([SLUICE, "--config", cfgp, "--stats-path", stats, "--duration",
                            str(seconds + 2), "--", f"--file-prefix={prefix}", "--in-memory",
                            "--log-level=lib.eal:error"],
                           capture_output=True, text=True, timeout=seconds + 300)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    if r.returncode != 0:
        sys.exit(f"sluice failed ({r.returncode}):\n{r.stderr[-2000:]}")
    lines = [json.loads(l)["stats"] for l in open(stats)]
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
    }


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
    ap.add_argument("--cases", default=",".join(c[0] for c in CASES))
    ap.add_argument("--workdir", default=None, help="keep generated pcaps here")
    a = ap.parse_args()
    wanted = a.cases.split(",")
    ensure_hugepages(int(os.environ.get("SL_HUGEPAGES", "4096")))
    tmp = a.workdir or tempfile.mkdtemp(prefix="sl-bench-")
    os.makedirs(tmp, exist_ok=True)
    results = []
    for name, flows, frame, extra in CASES:
        if name not in wanted:
            continue
        pcap, pkts = gen(tmp, name, flows, frame, extra)
        s = run_sluice(tmp, pcap, pkts, flows, frame, a.seconds, "--vxlan" in extra)
        tp = run_testpmd(pcap, pkts, frame, a.seconds)
        res = {"case": name, "flows": flows, "frame": frame, "mpps": s["mpps"],
               "cycles_per_pkt": s["cycles_per_pkt"], "testpmd_mpps": tp,
               "ratio": round(s["mpps"] / tp, 3) if tp else None,
               "ledger_balanced": s["ledger_balanced"], "flow_table_mib": s["flow_table_mib"],
               "table_full": s["table_full"]}
        results.append(res)
        print(json.dumps(res), flush=True)
    print()
    print(f"{'case':<15}{'flows':>9}{'frame':>6}{'Mpps':>8}{'cyc/pkt':>9}{'testpmd':>9}"
          f"{'ratio':>7}{'ledger':>8}{'ft MiB':>8}{'tbl full':>10}")
    for r in results:
        print(f"{r['case']:<15}{r['flows']:>9}{r['frame']:>6}{r['mpps']:>8.2f}"
              f"{r['cycles_per_pkt']:>9.0f}{r['testpmd_mpps']:>9.2f}"
              f"{(r['ratio'] or 0):>7.2f}{'ok' if r['ledger_balanced'] else 'BAD':>8}"
              f"{r['flow_table_mib']:>8.1f}{r['table_full']:>10}")
    if not a.workdir:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

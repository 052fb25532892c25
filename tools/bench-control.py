#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Control-loop benchmark: how regular the stats lines are and how fast
SIGTERM starts the shutdown while the control plane is abused (issue 13).

Loads (each runs sluice for --seconds with a stats interval of --interval,
then sends SIGTERM):
  flood   four clients flood tenant a's control socket with bypass requests
          (never reading an answer); tenant b's analyzer pings every 100 ms
  tap     frames sent as fast as a raw socket can into a TAP input (the TAP
          PMD raises SIGIO for each), no control socket
  churn   tcpreplay --unique-ip --topspeed into an AF_PACKET input on a veth
          pair (new flows each loop, UDP timeout 1 s), every flow record to a
          file, plus tenant b pinging as in flood
  idle    no load (the reference)

Per load, one JSON line and a table row:
  stats_lines, interval_s, gap_min_s, gap_max_s, worst_dev_pct (the largest
  |gap - interval| / interval over consecutive stats lines), sigterm_ms
  (SIGTERM sent to "signal 15, stopping" read on sluice's stderr),
  exit_ms (SIGTERM to the process gone, shutdown included),
  sigterm_wait_states (the control thread's state and wait channel,
  sampled every 5 ms until it acted on SIGTERM), b_ping_ms_max
  and b_ping_ms_p50 (flood, churn), a_requests (flood), records_written and
  records_lost (churn), received.

    sudo tools/bench-control.py                     # every load, 10 s each
    sudo tools/bench-control.py --loads flood,tap --seconds 20
Needs root (TAP, veth). Reports numbers; asserts nothing.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("SL_BUILD", os.path.join(ROOT, "build"))
SLUICE = os.path.join(BUILD, "app", "sluice", "sluice")
SL_GEN = os.path.join(BUILD, "tools", "sl-gen", "sl-gen")

FLOODER = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
reqs = b"".join((json.dumps({"cmd": "bypass", "proto": "udp", "src_ip": "10.9.%d.%d" % (i // 250, i % 250),
                             "dest_ip": "10.8.0.1", "src_port": i, "dest_port": 53}) + "\n").encode()
                for i in range(2000))
while True:
    s.sendall(reqs)
"""

TAP_FEEDER = r"""
import socket, sys, time
for _ in range(400):
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((sys.argv[1], 0))
        break
    except OSError:
        time.sleep(0.05)
frames = [bytes.fromhex("ffffffffffff02000000000108004500001c0001000040110000") +
          bytes([10, 0, 0, 1, 10, 0, 0, i % 250 + 1]) + bytes.fromhex("04d2003500080000")
          for i in range(64)]
while True:
    for f in frames:
        try:
            s.send(f)
        except OSError:
            time.sleep(0.0005)
"""


def tenants(tmp, inp_tenant_b_records=None):
    rec = f"\n    flow_records: {{file: {inp_tenant_b_records}}}" if inp_tenant_b_records else ""
    return f"""tenants:
  - name: a
    id: 1
    match: {{vlan: [100]}}
    pools: [{{name: p, members: [o0]}}]
    control: {{socket: {tmp}/a.sock}}
  - name: b
    id: 2
    match: {{untagged: true}}
    pools: [{{name: p, members: [o0]}}]
    control: {{socket: {tmp}/b.sock}}{rec}
"""


def config(load, tmp, interval, iface=None, pcap=None):
    head = "eal: {main_lcore: 0, worker_lcores: [1]}\n"
    outs = 'outputs: [{name: o0, vdev: "net_null0,no-rx=1"}]\n'
    tail = f"stats: {{interval: {interval}}}\n"
    if load in ("flood", "idle"):
        return (head + f'inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap},infinite_rx=1"}}]\n'
                + outs + tenants(tmp) + tail)
    if load == "tap":
        return (head + f'inputs: [{{name: in, vdev: "net_tap0,iface={iface}"}}]\n' + outs +
                "tenants:\n  - {name: t, id: 1, match: {untagged: true}, "
                "pools: [{name: p, members: [o0]}]}\n" + tail)
    if load == "churn":
        return (head + f'inputs: [{{name: in, vdev: "net_af_packet0,iface={iface}"}}]\n' + outs +
                tenants(tmp, f"{tmp}/b.json") + "flow_table: {timeouts: {udp: 1}}\n" + tail)
    raise ValueError(load)


class Stderr(threading.Thread):
    """sluice's stderr, each line with the monotonic time it was read."""

    def __init__(self, f):
        super().__init__(daemon=True)
        self.f, self.lines = f, []
        self.start()

    def run(self):
        for line in self.f:
            self.lines.append((time.monotonic(), line))

    def when(self, text):
        return next((t for t, l in self.lines if text in l), None)


def pinger(path, stop, out):
    while not stop.is_set():
        t = time.monotonic()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(30)
                s.connect(path)
                s.sendall(b'{"cmd":"ping"}\n')
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
            out.append(time.monotonic() - t)
        except OSError:
            out.append(float("inf"))
        stop.wait(0.1)


def wait_for(cond, limit=60):
    deadline = time.monotonic() + limit
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.05)


def run_load(load, seconds, interval):
    tmp = tempfile.mkdtemp(prefix=f"sl-bench-ctl-{load}-")
    prefix = f"sl-bench-ctl-{uuid.uuid4().hex[:8]}"
    helpers, cleanup = [], []
    iface = None
    pcap = os.path.join(tmp, "in.pcap")
    stop = threading.Event()
    pings = []
    res = {"load": load}
    try:
        if load in ("flood", "idle"):
            subprocess.run([SL_GEN, "-o", pcap, "--flows", "2000", "--tenants", "1",
                            "--vlan-base", "100"], check=True, capture_output=True)
        if load == "tap":
            iface = "slbt" + uuid.uuid4().hex[:6]
        if load == "churn":
            subprocess.run([SL_GEN, "-o", pcap, "--flows", "20000", "--udp", "100", "--vlan-base",
                            "0", "--packets", "1"], check=True, capture_output=True)
            iface, peer = "slbva" + uuid.uuid4().hex[:5], "slbvb" + uuid.uuid4().hex[:5]
            subprocess.run(["ip", "link", "add", iface, "type", "veth", "peer", "name", peer],
                           check=True)
            cleanup.append(["ip", "link", "del", iface])
            for i in (iface, peer):
                subprocess.run(["ip", "link", "set", i, "up"], check=True)
        cfg = os.path.join(tmp, "sluice.yaml")
        with open(cfg, "w") as f:
            f.write(config(load, tmp, interval, iface, pcap))
        stats = os.path.join(tmp, "stats.json")
        proc = subprocess.Popen([SLUICE, "--config", cfg, "--stats-path", stats, "--",
                                 f"--file-prefix={prefix}", "--in-memory",
                                 "--log-level=lib.eal:error"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        err = Stderr(proc.stderr)
        wait_for(lambda: os.path.exists(stats) and os.path.getsize(stats) > 0)
        if load in ("flood", "churn"):
            wait_for(lambda: os.path.exists(f"{tmp}/a.sock") and os.path.exists(f"{tmp}/b.sock"))
            threading.Thread(target=pinger, args=(f"{tmp}/b.sock", stop, pings),
                             daemon=True).start()
        if load == "flood":
            helpers += [subprocess.Popen([sys.executable, "-c", FLOODER, f"{tmp}/a.sock"],
                                         stderr=subprocess.DEVNULL) for _ in range(4)]
        if load == "tap":
            helpers.append(subprocess.Popen([sys.executable, "-c", TAP_FEEDER, iface],
                                            stderr=subprocess.DEVNULL))
        if load == "churn":
            helpers.append(subprocess.Popen(["tcpreplay", "-q", "-i", peer, "--loop=0",
                                             "--unique-ip", "--topspeed", pcap],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        t_load = time.time()
        time.sleep(seconds)
        stop.set()  # the pinger stops before sluice does
        time.sleep(0.3)
        t_kill = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # where the control thread is until it acts on the signal
        where = {}
        task = f"/proc/{proc.pid}/task/{proc.pid}"
        while err.when("signal 15, stopping") is None and proc.poll() is None:
            try:
                st = open(f"{task}/stat").read().split()[2]
                wchan = open(f"{task}/wchan").read().strip()
                where[f"{st} {wchan}"] = where.get(f"{st} {wchan}", 0) + 1
            except OSError:
                break
            time.sleep(0.005)
        proc.wait(timeout=600)
        t_gone = time.monotonic()
        stop.set()
        err.join(timeout=5)
        t_sig = err.when("signal 15, stopping")
        lines = [json.loads(l) for l in open(stats) if l.endswith("\n")]
        ts = [datetime.strptime(l["timestamp"][:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
              for l in lines if not l["stats"].get("final")]
        ts = [t for t in ts if t >= t_load]  # lines written under load
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        final = lines[-1]["stats"]
        res.update({
            "seconds": seconds, "stats_lines": len(ts), "interval_s": interval,
            "gap_min_s": round(min(gaps), 4) if gaps else None,
            "gap_max_s": round(max(gaps), 4) if gaps else None,
            "worst_dev_pct": round(max(abs(g - interval) for g in gaps) / interval * 100, 1)
            if gaps else None,
            "sigterm_ms": round((t_sig - t_kill) * 1000, 1) if t_sig else None,
            "exit_ms": round((t_gone - t_kill) * 1000, 1),
            "received": final["ledger"]["received"], "exit_status": proc.returncode,
            "sigterm_wait_states": where,
        })
        if pings:
            fin = [p for p in pings if p != float("inf")]
            res.update({"b_pings": len(pings), "b_ping_failed": len(pings) - len(fin),
                        "b_ping_ms_max": round(max(fin) * 1000, 1) if fin else None,
                        "b_ping_ms_p50": round(statistics.median(fin) * 1000, 2) if fin else None})
        if load == "flood":
            res["a_requests"] = final["tenants"][0]["control"]["requests"]
        if load == "churn":
            t = final["tenants"][1]
            res.update({"records_written": t["flow_records_out"]["written"],
                        "records_lost": t["flow_records_lost"],
                        "sink_errors": t["flow_records_out"]["sink_errors"],
                        "flows_expired": final["flows"]["expired"]})
    finally:
        stop.set()
        for h in helpers:
            h.kill()
            h.wait()
        for c in cleanup:
            subprocess.run(c, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loads", default="idle,flood,tap,churn")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--interval", type=float, default=1.0)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-control: needs root (TAP, veth, AF_PACKET)")
    rows = []
    for load in a.loads.split(","):
        r = run_load(load, a.seconds, a.interval)
        print(json.dumps(r), flush=True)
        rows.append(r)
    print(f"\n{'load':7} {'lines':>5} {'gap min':>8} {'gap max':>8} {'worst %':>8} "
          f"{'SIGTERM ms':>10} {'exit ms':>8} {'b ping max ms':>13}")
    for r in rows:
        print(f"{r['load']:7} {r['stats_lines']:>5} {r['gap_min_s']!s:>8} {r['gap_max_s']!s:>8} "
              f"{r['worst_dev_pct']!s:>8} {r['sigterm_ms']!s:>10} {r['exit_ms']!s:>8} "
              f"{r.get('b_ping_ms_max', '-')!s:>13}")


if __name__ == "__main__":
    main()

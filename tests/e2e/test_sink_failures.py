# SPDX-License-Identifier: BSD-3-Clause
"""End to end: destinations that fail (issue 13).

Every record-sink failure is counted and logged with its errno, once per
kind and then at most every 10 s; a record file never keeps a cut JSON line;
a stats file that fails is logged, and a lost final stats line makes the
exit status 4. Full disks are a small tmpfs (root) or /dev/full.
"""
import json
import os
import re
import socket
import subprocess
import uuid

import pytest

from conftest import SLUICE, cleanup_prefix, eal_args, gen, run_sluice


def config(inp, records, extra=""):
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={inp}"}}]
outputs: [{{name: o, vdev: "net_null0,no-rx=1"}}]
tenants:
  - name: t
    id: 1
    match: {{untagged: true}}
    pools: [{{name: p, members: [o]}}]
    flow_records: {records}
stats: {{interval: 0.2}}
{extra}"""


@pytest.fixture
def small_tmpfs(tmp):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    d = os.path.join(tmp, "small")
    os.mkdir(d)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", d],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", "-l", d], capture_output=True)


def log_lines(stderr, what):
    return [l for l in stderr.splitlines() if what in l]


def test_record_file_on_a_full_disk(tmp, small_tmpfs):
    """30000 records (about 15 MB) into 256 kB: the file holds whole lines
    only, every record is written or counted, ENOSPC is logged once."""
    inp, _ = gen(tmp, "in", "--flows", 30000, "--packets", 1, "--udp", 100, "--vlan-base", 0)
    rec = os.path.join(small_tmpfs, "rec.json")
    r = run_sluice(tmp, config(inp, f"{{file: {rec}}}"))
    assert r.rc == 0, r.stderr
    t = r.final["tenants"][0]
    out = t["flow_records_out"]
    assert t["flow_records"] == 30000
    assert out["sink_errors"] > 0 and out["written"] > 0
    assert out["written"] + out["sink_errors"] == 30000
    data = open(rec, "rb").read()
    assert data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]
    assert len(lines) == out["written"]
    for l in lines:
        json.loads(l)  # no cut line
    msgs = log_lines(r.stderr, f"tenant 't': flow records to '{rec}':")
    assert msgs and "(sink_errors): No space left on device (ENOSPC)" in msgs[0], r.stderr
    assert len(msgs) <= 2  # once, then at most every 10 s over a short run
    n = int(re.search(r": (\d+) lost", msgs[0]).group(1))
    assert 0 < n <= out["sink_errors"]


def test_record_file_dev_full(tmp):
    inp, _ = gen(tmp, "in", "--flows", 2000, "--packets", 1, "--udp", 100, "--vlan-base", 0)
    r = run_sluice(tmp, config(inp, "{file: /dev/full}"))
    assert r.rc == 0, r.stderr
    out = r.final["tenants"][0]["flow_records_out"]
    assert out["written"] == 0 and out["sink_errors"] == 2000
    msgs = log_lines(r.stderr, "tenant 't': flow records to '/dev/full':")
    assert len(msgs) == 1 and "No space left on device (ENOSPC)" in msgs[0], r.stderr


def test_datagram_socket_nobody_reads(tmp):
    inp, _ = gen(tmp, "in", "--flows", 30000, "--packets", 1, "--udp", 100, "--vlan-base", 0)
    sock = os.path.join(tmp, "rec.sock")
    rd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rd.bind(sock)
    try:
        r = run_sluice(tmp, config(inp, f"{{unix: {sock}}}"))
        got = 0
        rd.setblocking(False)
        while True:
            try:
                rd.recv(65536)
                got += 1
            except BlockingIOError:
                break
    finally:
        rd.close()
    assert r.rc == 0, r.stderr
    out = r.final["tenants"][0]["flow_records_out"]
    assert out["sink_errors"] > 0 and out["written"] == got
    assert out["written"] + out["sink_errors"] == 30000
    msgs = log_lines(r.stderr, f"tenant 't': flow records to '{sock}':")
    assert msgs and "Resource temporarily unavailable (EAGAIN)" in msgs[0], r.stderr
    assert len(msgs) <= 2


def test_syslog_without_a_daemon(tmp):
    if os.path.exists("/dev/log"):
        pytest.skip("/dev/log exists here: a syslog daemon takes the records")
    inp, _ = gen(tmp, "in", "--flows", 500, "--packets", 1, "--udp", 100, "--vlan-base", 0)
    r = run_sluice(tmp, config(inp, "{syslog: local0}"))
    assert r.rc == 0, r.stderr
    out = r.final["tenants"][0]["flow_records_out"]
    assert out["sink_errors"] == 500
    msgs = log_lines(r.stderr, "tenant 't': flow records to 'syslog':")
    assert len(msgs) == 1 and "No such file or directory (ENOENT)" in msgs[0], r.stderr


def run_direct(tmp, cfg_text, *opts):
    """sluice with the configuration's own stats.path (run_sluice sets one)."""
    cfg = os.path.join(tmp, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    prefix = "sl-test-sink-" + uuid.uuid4().hex[:8]
    try:
        return subprocess.run([SLUICE, "--config", cfg, *opts, *eal_args(prefix)],
                              capture_output=True, text=True, timeout=120, cwd=tmp)
    finally:
        cleanup_prefix(prefix)


def test_stats_file_on_a_full_disk(tmp, small_tmpfs):
    """The disk fills while sluice runs: the stats failures are logged, no
    cut line stays in the file, and the lost final line makes the exit
    status 4."""
    inp, _ = gen(tmp, "in", "--flows", 100, "--vlan-base", 0)
    stats = os.path.join(small_tmpfs, "stats.json")
    # leave room for a few lines only
    with open(os.path.join(small_tmpfs, "filler"), "wb") as f:
        f.write(b"\0" * (256 * 1024 - 16 * 1024))
    cfg = config(inp, "{file: /dev/null}").replace(
        f"rx_pcap={inp}", f"rx_pcap={inp},infinite_rx=1").replace(
        "stats: {interval: 0.2}", f"stats: {{interval: 0.2, path: {stats}}}")
    p = run_direct(tmp, cfg, "--duration", "3")
    assert p.returncode == 4, p.stderr
    assert f"stats: the final line could not be written to '{stats}'" in p.stderr
    warn = log_lines(p.stderr, "line(s) could not be written to")
    assert warn and "No space left on device (ENOSPC)" in warn[0], p.stderr
    assert len(warn) <= 2
    data = open(stats, "rb").read()
    assert data and data.endswith(b"\n")
    for l in data.split(b"\n")[:-1]:
        json.loads(l)


def test_stats_to_dev_full_exit_status(tmp):
    """stats.path on /dev/full: every line fails, logged once, exit 4."""
    inp, _ = gen(tmp, "in", "--flows", 100, "--vlan-base", 0)
    p = run_direct(tmp, config(inp, "{file: /dev/null}").replace(
        "stats: {interval: 0.2}", "stats: {interval: 0.2, path: /dev/full}"),
        "--exit-on-idle", "1000")
    assert p.returncode == 4, p.stderr
    assert "stats: the final line could not be written to '/dev/full': No space left on " \
           "device; exit status 4" in p.stderr
    assert len(log_lines(p.stderr, "line(s) could not be written to '/dev/full'")) == 1

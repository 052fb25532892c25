# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for sluice's end-to-end tests.

Every test runs the real sluice binary on DPDK vdevs (net_pcap, net_null) with
a unique --file-prefix and --in-memory, reads what it wrote with independent
readers (scapy, tshark) and removes its DPDK run-time directory afterwards.
"""
import json
import os
import struct
import shutil
import subprocess
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SL_BUILD", os.path.join(ROOT, "build"))
SLUICE = os.path.join(BUILD, "app", "sluice", "sluice")
SL_GEN = os.path.join(BUILD, "tools", "sl-gen", "sl-gen")
# real captures: $SL_CORPUS, else ../shared/corpus/suricata-verify next to the checkout
CORPUS = os.environ.get("SL_CORPUS") or os.path.join(os.path.dirname(ROOT), "shared", "corpus",
                                                      "suricata-verify")
os.environ.setdefault("SL_GEN", SL_GEN)


def gen(tmp, name, *args):
    """Run sl-gen; return (pcap path, list of flow dicts)."""
    pcap = os.path.join(tmp, name + ".pcap")
    tsv = os.path.join(tmp, name + ".tsv")
    subprocess.run([SL_GEN, "-o", pcap, "--flow-list", tsv, *map(str, args)],
                   check=True, capture_output=True)
    with open(tsv) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        flows = [dict(zip(hdr, line.rstrip("\n").split("\t"))) for line in f]
    return pcap, flows


class Run:
    def __init__(self, proc, stats_path, prefix):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.prefix = prefix
        self.lines = []
        if stats_path and os.path.exists(stats_path):
            with open(stats_path) as f:
                self.lines = [json.loads(line) for line in f if line.strip()]

    @property
    def final(self):
        finals = [l for l in self.lines if l["stats"].get("final")]
        assert finals, f"no final stats line (rc={self.rc}):\n{self.stderr}"
        return finals[-1]["stats"]


def eal_args(prefix, lcores=None):
    args = ["--", f"--file-prefix={prefix}", "--in-memory", "--log-level=lib.eal:error",
            "--log-level=pmd.net.pcap:error"]
    if lcores:
        args.append(f"--lcores={lcores}")
    return args


def cleanup_prefix(prefix):
    shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)


def run_sluice(tmp, config_text, *opts, lcores=None, timeout=120, idle_ms=400,
               eal_extra=()):
    """Write config_text to tmp/sluice.yaml and run sluice until its inputs
    are idle. Returns a Run with the parsed stats lines."""
    cfg = os.path.join(tmp, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(config_text)
    stats = os.path.join(tmp, "stats.json")
    prefix = "sl-test-" + uuid.uuid4().hex[:12]
    cmd = [SLUICE, "--config", cfg, "--stats-path", stats]
    if idle_ms:
        cmd += ["--exit-on-idle", str(idle_ms)]
    cmd += list(opts) + eal_args(prefix, lcores) + list(eal_extra)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp)
    finally:
        cleanup_prefix(prefix)
    return Run(proc, stats, prefix)


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def read_pcap(path):
    """Frames of a pcap file (classic format, µs or ns time stamps), as libpcap
    (and so net_pcap) reads them: a record claiming more than 262144 bytes is
    rejected after its header was consumed, and reading goes on from there;
    a truncated last record ends the file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "IIII", data[off:off + 16])[2]
        off += 16
        if incl > 262144:
            continue
        if off + incl > len(data):
            break
        out.append(data[off:off + incl])
        off += incl
    return out


def pcap_count(path):
    """Packets libpcap (and so net_pcap) reads from a pcap file."""
    return len(read_pcap(path))


def write_pcap(path, frames, linktype=1, snaplen=262144):
    """A classic little-endian pcap of raw frames (bytes) with the given
    link type; time stamps 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(fr), len(fr)))
            f.write(fr)


def pcap_linktype(path):
    """Link type in a classic pcap's file header (None for other formats)."""
    with open(path, "rb") as f:
        hdr = f.read(24)
    if len(hdr) < 24:
        return None
    magic = struct.unpack("<I", hdr[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        return struct.unpack("<I", hdr[20:24])[0]
    if magic in (0xd4c3b2a1, 0x4d3cb2a1):
        return struct.unpack(">I", hdr[20:24])[0]
    return None


def pcap_first_bad_record(path):
    """Byte offset of the first record of a classic pcap that claims more
    than the snapshot length (0 or above 262144 counting as 262144) or runs
    past the end of the file; None when every record is whole."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    snap = struct.unpack(e + "I", data[16:20])[0]
    snap = 262144 if snap == 0 or snap > 262144 else snap
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            return off
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        if incl > snap or off + 16 + incl > len(data):
            return off
        off += 16 + incl
    return None

# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for sluice's end-to-end tests.

Every test runs the real sluice binary on DPDK vdevs (net_pcap, net_null, TAP,
memif, vhost, rings) with a unique --file-prefix, reads what it wrote with
independent readers (scapy, tshark, tcpdump, testpmd) and removes what it
leaves behind.

- sluice_config() renders a configuration from Python data (inputs, outputs,
  tenants with their pools, ...); pcap_in(), tap_in(), pcap_out(), null_out(),
  tenant() and pool() spell the common pieces.
- run_sluice() runs sluice in the foreground until its inputs are idle.
- The `peers` fixture owns everything a test starts in the background (sluice,
  testpmd, tcpdump, sl-ringcat, ...), their DPDK prefixes, sockets, ring files
  and logs, and tears all of it down after the test, passed or failed.
"""
import glob
import json
import os
import re
import signal
import struct
import shutil
import subprocess
import time
import uuid

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SL_BUILD", os.path.join(ROOT, "build"))
SLUICE = os.path.join(BUILD, "app", "sluice", "sluice")
SL_GEN = os.path.join(BUILD, "tools", "sl-gen", "sl-gen")
# Real captures: $SL_CORPUS, else ../shared/corpus/suricata-verify beside the
# checkout (a git worktree elsewhere sets SL_CORPUS).
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
    """Remove what a DPDK process with --file-prefix=prefix may leave: its
    run-time directory and, without --in-memory, its hugepage files."""
    shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    for f in glob.glob(f"/dev/hugepages/{prefix}map_*"):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass


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


# ---- configuration ---------------------------------------------------------


def sluice_config(inputs, outputs, tenants, eal=None, **sections):
    """sluice's YAML configuration (docs/configuration.md) from Python data.

    inputs, outputs and tenants are lists of dicts with the keys of the file;
    eal defaults to main lcore 0 and one worker on lcore 1; further top-level
    sections (stats, flow_table, tuning, default_tenant, ...) are keyword
    arguments, in the order given, None leaving a section out."""
    doc = {"eal": eal if eal is not None else {"main_lcore": 0, "worker_lcores": [1]},
           "inputs": inputs, "outputs": outputs, "tenants": tenants}
    doc.update((k, v) for k, v in sections.items() if v is not None)
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=1 << 20)


def pcap_in(path, name="in", port=0, infinite=False, **keys):
    """A net_pcap input reading path (over and over with infinite)."""
    vdev = f"net_pcap{port},rx_pcap={path}" + (",infinite_rx=1" if infinite else "")
    return {"name": name, "vdev": vdev, **keys}


def tap_in(iface, name="in", port=0):
    """A TAP input: sluice creates iface, the test sends frames into it."""
    return {"name": name, "vdev": f"net_tap{port},iface={iface}"}


def pcap_out(name, path, port):
    """An output writing what it is sent to the pcap file path."""
    return {"name": name, "vdev": f"net_pcap{port},tx_pcap={path}"}


def pcap_outs(outdir, names, first_port=1):
    """One pcap_out per name, written to outdir/<name>.pcap."""
    return [pcap_out(n, f"{outdir}/{n}.pcap", first_port + i) for i, n in enumerate(names)]


def null_out(name, port):
    """An output that discards what it is sent (net_null)."""
    return {"name": name, "vdev": f"net_null{port},no-rx=1"}


def tenant(name, id, pools, match=None, **keys):
    """A tenant; match None leaves the key out (a default tenant)."""
    t = {"name": name, "id": id}
    if match is not None:
        t["match"] = match
    t["pools"] = pools
    t.update(keys)
    return t


def pool(name, members, **keys):
    """A pool of members (output names, or {output:, queue:} dicts)."""
    return {"name": name, "members": members, **keys}


# ---- background processes ----------------------------------------------------

WAIT = 30  # upper bound of every wait for a peer or sluice, seconds


def uid():
    return uuid.uuid4().hex[:10]


def stats_lines(path):
    """The stats objects of a --stats-path file, complete lines only."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line)["stats"])
    except FileNotFoundError:
        pass
    return out


def wait_for(cond, what, procs=(), timeout=None):
    """Poll cond() until it is true; fail after timeout (default WAIT) s or
    if a process died."""
    deadline = time.monotonic() + (WAIT if timeout is None else timeout)
    while True:
        v = cond()
        if v:
            return v
        for p in procs:
            if p.poll() is not None:
                pytest.fail(f"{what}: process {p.args[0]} exited with {p.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}, last {v!r}")
        time.sleep(0.05)


def stop(proc, sig=signal.SIGINT, timeout=WAIT):
    """Signal proc, reap it; kill it if it does not exit in time."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Peers:
    """What one test runs in the background and what that leaves behind.

    Use it through the `peers` fixture: start() processes, ask for DPDK
    prefixes with prefix(), files with open(), and name sockets or ring files
    with path(). After the test, passed or failed, teardown() kills and reaps
    every process still running (the last started first), closes the files,
    removes each prefix's DPDK directory and hugepage files and unlinks the
    paths. A test stops what it needs stopped gracefully (stop(), finish())
    itself, before it looks at the results."""

    def __init__(self, tmp):
        self.tmp = tmp
        self._procs, self._files, self._prefixes, self._paths = [], [], [], []

    def prefix(self, kind="sl-test"):
        """A new unique --file-prefix, cleaned up after the test."""
        p = f"{kind}-{uid()}"
        self._prefixes.append(p)
        return p

    def path(self, path):
        """Remove path (a socket, a ring file) after the test; returns it."""
        self._paths.append(path)
        return path

    def open(self, name, mode="w+"):
        """tmp/name opened with mode, closed after the test."""
        f = open(os.path.join(self.tmp, name), mode)
        self._files.append(f)
        return f

    def start(self, cmd, **popen):
        """subprocess.Popen(cmd, **popen), stdin /dev/null unless given;
        killed after the test if still running."""
        popen.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(cmd, **popen)
        self._procs.append(p)
        return p

    def sluice(self, cfg_text, in_memory=True, extra=(), workdir=None):
        """sluice in the background on cfg_text: a SluiceProc (its files in
        workdir, default the test's tmp)."""
        return SluiceProc(self, cfg_text, in_memory=in_memory, extra=extra, workdir=workdir)

    def testpmd(self, vdev, in_memory=True):
        """dpdk-testpmd receiving on vdev: a PmdPeer."""
        return PmdPeer(self, vdev, in_memory=in_memory)

    def teardown(self):
        for p in reversed(self._procs):
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                pass
            for pipe in (p.stdout, p.stderr):
                if pipe:
                    pipe.close()
        for f in self._files:
            f.close()
        for prefix in self._prefixes:
            cleanup_prefix(prefix)
        for path in self._paths:
            if os.path.lexists(path):
                os.unlink(path)


@pytest.fixture
def peers(tmp):
    pe = Peers(tmp)
    yield pe
    pe.teardown()


class SluiceProc:
    """sluice in the background: configuration tmp/sluice.yaml, stats to
    tmp/stats.json, stderr to tmp/sluice.err, a unique DPDK prefix; stopped
    by finish() (SIGINT), else killed by the Peers that started it."""

    def __init__(self, peers, cfg_text, in_memory=True, extra=(), workdir=None):
        tmp = workdir or peers.tmp
        self.cfg = os.path.join(tmp, "sluice.yaml")
        with open(self.cfg, "w") as f:
            f.write(cfg_text)
        self.stats = os.path.join(tmp, "stats.json")
        self.prefix = peers.prefix("sl-test-bg")
        self.err = open(os.path.join(tmp, "sluice.err"), "w+")
        peers._files.append(self.err)
        cmd = [SLUICE, "--config", self.cfg, "--stats-path", self.stats, *extra, "--",
               f"--file-prefix={self.prefix}", "--log-level=lib.eal:error",
               "--log-level=pmd.net.pcap:error"]
        if in_memory:
            cmd.append("--in-memory")
        self.proc = peers.start(cmd, stdout=subprocess.DEVNULL, stderr=self.err, cwd=tmp)

    def lines(self):
        """Every stats line written so far."""
        return stats_lines(self.stats)

    def last(self):
        """The latest stats line, None before the first."""
        lines = self.lines()
        return lines[-1] if lines else None

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def wait(self, cond, what):
        """wait_for(cond), failing early if sluice exits."""
        return wait_for(cond, what, [self.proc])

    def finish(self, timeout=60):
        """SIGINT, wait, return the final stats."""
        stop(self.proc, timeout=timeout)
        return self.final()

    def final(self):
        err = self.stderr()
        assert self.proc.returncode == 0, err
        lines = self.lines()
        assert lines and lines[-1].get("final"), err
        return lines[-1]


TESTPMD = shutil.which("dpdk-testpmd")


class PmdPeer:
    """dpdk-testpmd receiving on one vdev (port 0) and forwarding what it
    got to a pcap file (port 1), so what it received is known even after
    sluice has gone (memif and vhost reset their RX counters then)."""

    def __init__(self, peers, vdev, in_memory=True):
        self.prefix = peers.prefix("sl-test-pmd")
        self.log = os.path.join(peers.tmp, "testpmd.log")
        self.pcap = os.path.join(peers.tmp, "peer.pcap")
        self.out = peers.open("testpmd.log", "w")
        cmd = [TESTPMD, "-l", "0,1", "--no-pci", f"--file-prefix={self.prefix}",
               "--log-level=lib.eal:error", "--vdev", vdev,
               "--vdev", f"net_pcap_peer0,tx_pcap={self.pcap}"]
        # virtio-user hands its memory to the vhost backend, one region per
        # file: a few are allowed, so one file per memory segment list
        cmd.append("--in-memory" if in_memory else "--single-file-segments")
        cmd += ["--", "--forward-mode=io", "--stats-period", "1", "--auto-start",
                "--no-flush-rx", "--total-num-mbufs=8192"]
        # SIGPIPE stays ignored (as in Python): virtio-user writes to the
        # vhost-user socket sluice has closed when testpmd closes its port
        self.proc = peers.start(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                restore_signals=False)

    def received(self):
        """SIGINT testpmd; the frames it received (as written to the pcap)."""
        stop(self.proc)
        text = open(self.log).read()
        assert self.proc.returncode == 0, text[-3000:]
        m = re.findall(r"Forward statistics for port 1 .*?\n.*\n\s*TX-packets:\s*(\d+)",
                       text)
        assert m, text[-3000:]
        frames = read_pcap(self.pcap)
        assert len(frames) == int(m[-1])
        return frames


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

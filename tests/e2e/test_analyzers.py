# SPDX-License-Identifier: BSD-3-Clause
"""End to end: analyzers that really reassemble and meter, reading what
sluice delivered.

tcpflow reassembles every TCP stream (one file per direction, named by
addresses, ports, VLAN and connection number); argus meters flows (ra
prints each record's protocol, endpoints, packets and bytes). Each reads
the input capture once and every member's capture once: the streams (name
and content digest) and the flows (packets and bytes per flow, both
directions summed, so that how argus splits or orients records cannot
differ) reported over all members together must equal what they report on
the input. A flow split over two members, a lost, duplicated or altered
packet, a stream with a hole: any of them changes what the analyzers see.

Sources: a sample of the shared corpus (one sluice run, one tenant and two
members per file), and sl-gen traffic inside VXLAN or GRE with fragmented
inner datagrams, delivered with `strip: outer` so that the analyzers see
the inner flows; their reference is the input with the envelope cut off.
"""
import collections
import hashlib
import os
import shutil
import struct
import subprocess

import pytest

from conftest import (CORPUS, gen, pcap_in, pcap_out, pcap_outs, pool, read_pcap, run_sluice,
                      sluice_config, tenant)

TOOLS = ("tcpflow", "argus", "ra")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="tcpflow or argus (argus-server, argus-client) not installed; tools/setup.sh "
           "installs them")

SAMPLE = 8          # corpus files
MAX_FRAMES = 20000  # per file, to keep the run short


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)


def tcpflow_streams(pcap, outdir):
    """Counter of (stream file name, sha256 of its content)."""
    os.makedirs(outdir)
    subprocess.run(["tcpflow", "-Z", "-E", "tcpdemux", "-r", pcap, "-o", outdir],
                   check=True, capture_output=True, timeout=120)
    res = collections.Counter()
    for name in os.listdir(outdir):
        if name.endswith(".xml") or name == "alerts.txt":
            continue
        with open(os.path.join(outdir, name), "rb") as f:
            res[(name, hashlib.sha256(f.read()).hexdigest())] += 1
    return res


def argus_flows(jobs):
    """For each (pcap, scratch file): {flow with endpoints sorted: [packets,
    bytes]} from argus, summed over its records. argus idles about a second
    before it exits on a file: the runs go in parallel."""
    procs = [subprocess.Popen(["argus", "-r", pcap, "-w", out], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for pcap, out in jobs]
    for p in procs:
        assert p.wait(timeout=120) == 0
    results = []
    for _, out in jobs:
        text = subprocess.run(["ra", "-r", out, "-n", "-u", "-c", ",", "-s", "proto", "saddr",
                               "sport", "daddr", "dport", "pkts", "bytes"], check=True,
                              capture_output=True, text=True, timeout=120).stdout
        res = collections.defaultdict(lambda: [0, 0])
        for line in text.splitlines():
            f = [x.strip() for x in line.split(",")]
            if len(f) != 7 or f[0] in ("Proto", "man"):
                continue
            key = (f[0],) + tuple(sorted([(f[1], f[2]), (f[3], f[4])]))
            res[key][0] += int(f[5])
            res[key][1] += int(f[6])
        results.append(dict(res))
    return results


def compare(tmp, cases):
    """cases: [(tag, reference capture, member captures)]. For each, tcpflow
    and argus over the members together must report what they report on
    the reference. Returns (streams, flows) counted on the references."""
    jobs = []  # (case, side, capture), argus runs all at once
    for c, (tag, ref, members) in enumerate(cases):
        jobs += [(c, "ref", ref)] + [(c, "got", m) for m in members if read_pcap(m)]
    flows = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    streams = collections.defaultdict(collections.Counter)
    for j, (c, side, pcap) in enumerate(jobs):
        streams[(c, side)] += tcpflow_streams(pcap, os.path.join(tmp, f"tcpflow-{j}"))
    for (c, side, _), one in zip(jobs, argus_flows(
            [(pcap, os.path.join(tmp, f"argus-{j}.out")) for j, (_, _, pcap) in enumerate(jobs)])):
        for k, (n, b) in one.items():
            flows[(c, side)][k][0] += n
            flows[(c, side)][k][1] += b
    n_streams = n_flows = 0
    for c, (tag, _, _) in enumerate(cases):
        rs, gs = streams[(c, "ref")], streams[(c, "got")]
        assert gs == rs, (f"{tag}: tcpflow streams differ: missing {list(rs - gs)[:3]}, "
                          f"extra {list(gs - rs)[:3]}")
        rf, gf = dict(flows[(c, "ref")]), dict(flows[(c, "got")])
        diff = [(k, rf.get(k), gf.get(k)) for k in set(rf) | set(gf) if rf.get(k) != gf.get(k)]
        assert not diff, f"{tag}: argus flows differ: {diff[:3]}"
        n_streams += len(rs)
        n_flows += len(rf)
    return n_streams, n_flows


def corpus_sample():
    """Every k-th Ethernet capture of the corpus that carries TCP."""
    if not os.path.isdir(CORPUS):
        return []
    picks = []
    for name in sorted(os.listdir(CORPUS)):
        if not name.endswith(".pcap"):
            continue
        path = os.path.join(CORPUS, name)
        with open(path, "rb") as f:
            hdr = f.read(24)
        if len(hdr) < 24 or struct.unpack("<I", hdr[:4])[0] != 0xa1b2c3d4 or \
                struct.unpack("<I", hdr[20:24])[0] != 1:
            continue
        frames = read_pcap(path)
        tcp = sum(1 for fr in frames if len(fr) > 23 and fr[12:14] == b"\x08\x00" and fr[23] == 6)
        if 20 <= len(frames) <= MAX_FRAMES and tcp >= 10:
            picks.append(path)
    step = max(1, len(picks) // SAMPLE)
    return picks[::step][:SAMPLE]


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason=f"corpus not found at {CORPUS}")
def test_corpus_sample_streams_and_flows_unchanged(tmp):
    files = corpus_sample()
    assert len(files) == SAMPLE, files
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    inputs, outputs, tenants = [], [], []
    for i, path in enumerate(files):
        inputs.append(pcap_in(path, name=f"in{i}", port=i))
        names = [f"o{i}m{m}" for m in range(2)]
        outputs += [pcap_out(n, f"{out}/{i}-{m}.pcap", len(files) + 2 * i + m)
                    for m, n in enumerate(names)]
        tenants.append(tenant(f"t{i}", i + 1, [pool("p", names, hash="5-tuple")],
                              match={"untagged": True, "vlan": ["1-4094"],
                                     "inputs": [f"in{i}"]}))
    cfg = sluice_config(inputs, outputs, tenants, flow_table={"size": 131072},
                        tuning={"mbufs": 32767})
    r = run_sluice(tmp, cfg, timeout=300)
    assert r.rc == 0, r.stderr[-3000:]
    lg = r.final["ledger"]
    assert lg["balanced"] and lg["dropped"] == 0 and lg["forwarded"] == lg["received"], lg
    n_streams, n_flows = compare(tmp, [(os.path.basename(path), path,
                                        [os.path.join(out, f"{i}-{m}.pcap") for m in range(2)])
                                       for i, path in enumerate(files)])
    assert n_streams > 0 and n_flows > 0


@pytest.mark.parametrize("tunnel,envelope", [("--vxlan", 50), ("--gre", 42)])
def test_tunnelled_fragmented_inner_flows_unchanged(tmp, tunnel, envelope):
    """VXLAN or GRE mirror sessions (two tenants by VNI or key), inner IPv4
    and IPv6 datagrams over 1000 bytes fragmented; members get the inner
    frames (strip: outer)."""
    pcap, flows = gen(tmp, "tun", tunnel, 5000, "--tenants", 2, "--fragment", 1000,
                      "--frame", "imix", "--flows", 200, "--packets", 8, "--ipv6", 30,
                      "--udp", 30, "--icmp", 5, "--seed", 33)
    frames = read_pcap(pcap)
    inner = os.path.join(tmp, "inner.pcap")
    write_pcap(inner, [f[envelope:] for f in frames])
    assert sum(int(f["fragments"]) for f in flows) > 0, "no fragments generated"
    key = "vni" if tunnel == "--vxlan" else "gre_key"
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    members = ["m0", "m1", "m2"]
    cfg = sluice_config(
        [pcap_in(pcap, name="mirror")], pcap_outs(out, members),
        [tenant(f"s{t}", t + 1, [pool("p", members, hash="5-tuple", strip="outer")],
                match={key: [5000 + t]}) for t in range(2)],
        flow_table={"size": 65536})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr[-3000:]
    s = r.final
    assert s["ledger"]["balanced"] and s["ledger"]["forwarded"] == len(frames), s["ledger"]
    # every non-first fragment followed its first to the flow's member
    fr = s["fragments"]
    assert fr["sent"] > 0 and fr["released_unmatched"] == 0 and fr["unmatched_limit"] == 0, fr
    paths = [os.path.join(out, f"{m}.pcap") for m in members]
    assert sum(len(read_pcap(m)) for m in paths) == len(frames)
    n_streams, n_flows = compare(tmp, [(tunnel.strip("-"), inner, paths)])
    assert n_streams > 0 and n_flows >= len(flows)

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: Debian's dpdk-dumpcap, a secondary DPDK process, captures
what sluice's input receives and what it sends to an output while sluice
runs (sluice calls rte_pdump_init; it runs without --in-memory here, which
forbids secondary processes). tshark reads the pcapng files; the frames are
the ones the test sent and sluice's counters say the same."""
import json
import os
import re
import shutil
import subprocess
from collections import Counter

import pytest

from conftest import (gen, null_out, pool, read_pcap, sluice_config, stats_lines, stop, tap_in,
                      tenant, uid, wait_for)
from test_outputs import link_up, send_frames

DUMPCAP = shutil.which("dpdk-dumpcap")
TSHARK = shutil.which("tshark")


def config(iface_in):
    # net_null outputs: dpdk-dumpcap's exit closes its view of every vdev,
    # and DPDK 22.11's net_pcap then marks the shared port link down
    return sluice_config([tap_in(iface_in)], [null_out("o0", 1), null_out("o1", 2)],
                         [tenant("acme", 7, [pool("p", ["o0", "o1"])], match={"vlan": [100]})],
                         stats={"interval": 0.2})


class Dumpcap:
    """dpdk-dumpcap on one of sluice's ports, writing a pcapng."""

    def __init__(self, peers, prefix, port):
        self.out = os.path.join(peers.tmp, port + ".pcapng")
        self.log = peers.open(port + ".dumpcap")
        self.proc = peers.start([DUMPCAP, f"--file-prefix={prefix}", "-i", port, "-w", self.out],
                                stdout=self.log, stderr=subprocess.STDOUT)

    def text(self):
        self.log.seek(0)
        return self.log.read()


def tshark_frames(path):
    """Frames of a pcapng as tshark reads them: (interface name, bytes)."""
    r = subprocess.run([TSHARK, "-r", path, "-T", "json", "-x"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = []
    for p in json.loads(r.stdout or "[]"):
        layers = p["_source"]["layers"]
        name = layers["frame"]["frame.interface_id_tree"]["frame.interface_name"]
        out.append((name, bytes.fromhex(layers["frame_raw"][0])))
    return out


@pytest.mark.skipif(DUMPCAP is None or TSHARK is None,
                    reason="dpdk-dumpcap (Debian dpdk) or tshark not installed")
def test_dpdk_dumpcap_captures_input_and_output(tmp, peers):
    inp, _ = gen(tmp, "c", "--flows", 40, "--tenants", 2, "--vlan-base", 100, "--packets", 3,
                 "--udp", 50, "--frame", "imix")
    frames = read_pcap(inp)
    acme = Counter(f for f in frames if f[14:16] == b"\x00\x64")   # VLAN 100
    iface = "slcap" + uid()[:8]
    sl = peers.sluice(config(iface), in_memory=False)
    wait_for(lambda: link_up(iface) and stats_lines(sl.stats), "sluice to start", [sl.proc])
    caps = [Dumpcap(peers, sl.prefix, "net_tap0"), Dumpcap(peers, sl.prefix, "net_null1")]
    # "Packets captured:" on stderr comes once dumpcap's capture is enabled
    for c in caps:
        wait_for(lambda: "Packets captured:" in c.text(), "dpdk-dumpcap to attach",
                 [c.proc, sl.proc])
    send_frames(iface, frames)
    want = sum(acme.values())

    def delivered():
        ls = stats_lines(sl.stats)
        return ls and ls[-1]["ledger"]["forwarded"] >= want and \
            ls[-1]["ledger"]["in_flight"] == 0
    wait_for(delivered, "sluice to deliver acme's frames", [sl.proc])
    # dumpcap writes what it has on SIGINT
    for c in caps:
        stop(c.proc)
    final = sl.finish()

    for c in caps:
        assert c.proc.returncode == 0, c.text()
        # nothing dropped between the worker and dumpcap
        m = re.search(r"Packets received/dropped on interface '[^']+': (\d+)/(\d+)", c.text())
        assert m and int(m.group(2)) == 0, c.text()
    got_in = tshark_frames(caps[0].out)
    got_out = tshark_frames(caps[1].out)
    # one interface per file, named by the driver (TAP: its kernel name)
    # or by dpdk-dumpcap after the DPDK port id
    assert {n for n, _ in got_in} <= {iface, f"dpdk:{final['inputs'][0]['port']}"}
    assert {n for n, _ in got_out} == {f"dpdk:{final['outputs'][0]['port']}"}
    # the input capture: every frame sent, as sent (plus any frame the
    # kernel itself put on the TAP, untagged, which sluice received too)
    tagged = Counter(d for _, d in got_in if d[12:14] == b"\x81\x00")
    assert tagged == Counter(frames)
    assert len(got_in) <= final["inputs"][0]["received"]
    # the output capture: exactly what sluice says it delivered to o0, and
    # those are acme's frames, unchanged
    members = final["tenants"][0]["pools"][0]["members"]
    assert members[0]["output"] == "o0"
    assert len(got_out) == members[0]["forwarded"] > 0
    out = Counter(d for _, d in got_out)
    assert all(acme[f] >= n for f, n in out.items())
    assert members[0]["forwarded"] + members[1]["forwarded"] == want

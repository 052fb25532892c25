# SPDX-License-Identifier: BSD-3-Clause
"""(d) Each bad configuration makes sluice exit non-zero with a message that
names FILE:LINE:COLUMN, the key and the reason, and forwards nothing: the
data path never starts. Also: --check accepts a good configuration."""
import os
import re
import subprocess

import pytest

from conftest import SLUICE, gen

GOOD = """eal:
  main_lcore: 0
  worker_lcores: [1]
inputs:
  - name: in
    vdev: "net_pcap0,rx_pcap={inp}"
outputs:
  - name: out0
    vdev: "net_pcap1,tx_pcap={out}"
tenants:
  - name: acme
    id: 1
    match:
      vlan: [100, "200-210"]
    pools:
      - name: p
        members: [out0]
"""

# The configuration stays text, not sluice_config(): every expected message
# names a line and column of it.
# (name, text replaced -> replacement, expected message regex after "FILE:")
CASES = [
    ("unknown_top_key", ("eal:\n", "eel: 1\neal:\n"), r"1:1: eel: unknown key 'eel'"),
    ("unknown_nested_key", ("    id: 1\n", "    id: 1\n    colour: red\n"),
     r"13:5: tenants\[0\]\.colour: unknown key 'colour'"),
    ("vlan_out_of_range", ("[100, \"200-210\"]", "[100, 5000]"),
     r"14:19: tenants\[0\]\.match\.vlan\[1\]: .*4094"),
    ("vlan_overlap", ("        members: [out0]\n",
                      "        members: [out0]\n  - name: b\n    id: 2\n    match: {vlan: [205]}\n"
                      "    pools: [{name: p, members: [out0]}]\n"),
     r"20:20: tenants\[1\]\.match\.vlan\[0\]: VLAN 205 overlaps tenant 'acme' \(.*:14:\d+\)"),
    ("duplicate_tenant_id", ("        members: [out0]\n",
                             "        members: [out0]\n  - name: b\n    id: 1\n"
                             "    pools: [{name: p, members: [out0]}]\n"),
     r"19:9: tenants\[1\]\.id: .*(duplicate|already)"),
    ("unknown_member_output", ("members: [out0]", "members: [out9]"),
     r"17:19: tenants\[0\]\.pools\[0\]\.members\[0\]: .*out9"),
    ("missing_pci_device", ("    vdev: \"net_pcap0,rx_pcap={inp}\"", "    pci: \"0000:7f:1f.7\""),
     r"6:10: inputs\[0\]\.pci: no such PCI device"),
    ("unknown_vdev_driver", ("net_pcap1,tx_pcap={out}", "net_bogus1"),
     r"9:11: outputs\[0\]\.vdev: unknown vdev driver 'net_bogus'"),
    ("lcore_does_not_exist", ("worker_lcores: [1]", "worker_lcores: [1, 77]"),
     r"3:\d+: eal\.worker_lcores.*: lcore 77 does not exist"),
    ("main_lcore_is_worker", ("worker_lcores: [1]", "worker_lcores: [0, 1]"),
     r"3:\d+: eal\.worker_lcores.*main"),
    ("bad_distribution", ("    vdev: \"net_pcap0,rx_pcap={inp}\"\n",
                          "    vdev: \"net_pcap0,rx_pcap={inp}\"\n    distribution: magic\n"),
     r"7:19: inputs\[0\]\.distribution: .*(rss|software)"),
    ("yaml_syntax", ("    id: 1\n", "    id: [1\n"), r"\d+:\d+: .*(syntax|YAML|expected)"),
    ("wrong_type", ("    id: 1\n", "    id: {a: 1}\n"), r"12:9: tenants\[0\]\.id: .*"),
]


def fill(text, inp, out):
    return text.replace("{inp}", inp).replace("{out}", out)


def write_cfg(tmp, text):
    path = os.path.join(tmp, "sluice.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


@pytest.fixture
def paths(tmp):
    inp, _ = gen(tmp, "in", "--flows", 20, "--vlan-base", 100)
    return inp, os.path.join(tmp, "out0.pcap")


def run(cfg, prefix, *extra):
    """sluice on cfg in the foreground; prefix from the peers fixture, which
    removes what DPDK left under it after the test."""
    return subprocess.run([SLUICE, "--config", cfg, "--exit-on-idle", "300", *extra,
                           "--", f"--file-prefix={prefix}", "--in-memory",
                           "--log-level=lib.eal:error"],
                          capture_output=True, text=True, timeout=60)


def test_check_accepts_good_config(tmp, paths):
    inp, out = paths
    cfg = write_cfg(tmp, fill(GOOD, inp, out))
    r = subprocess.run([SLUICE, "--config", cfg, "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stdout
    assert not os.path.exists(out)  # --check never starts ports


@pytest.mark.parametrize("name,edit,msg", CASES, ids=[c[0] for c in CASES])
def test_bad_config(tmp, paths, peers, name, edit, msg):
    inp, out = paths
    old, new = edit
    text = GOOD.replace(old, new)
    assert text != GOOD, "edit did not apply"
    cfg = write_cfg(tmp, fill(text, inp, out))
    for extra in (["--check"], []):
        r = run(cfg, peers.prefix("sl-test-cfg"), *extra)
        assert r.returncode != 0
        first = r.stderr.strip().splitlines()[-1]
        assert first.startswith(cfg + ":"), r.stderr
        assert re.search(msg, first), f"{first!r} !~ {msg!r}"
        # nothing was forwarded: the output was never even opened
        assert not os.path.exists(out)


def test_runtime_port_error_names_the_config_line(tmp, paths, peers):
    """A check that needs the probed port (queue counts) still names the
    configuration line, and nothing is forwarded."""
    inp, out = paths
    text = GOOD.replace("    vdev: \"net_pcap1,tx_pcap={out}\"\n",
                        "    vdev: \"net_pcap1,tx_pcap={out}\"\n    queues: 4\n")
    text = text.replace("members: [out0]", "members: [{output: out0, queue: 3}]")
    cfg = write_cfg(tmp, fill(text, inp, out))
    r = run(cfg, peers.prefix("sl-test-cfg"))
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert re.search(r":8:5: outputs(\.queues)?: port 'out0' has at most 1 TX queues, 4 needed",
                     last), r.stderr
    # the port was probed (the PMD may create the file) but nothing was sent
    assert not os.path.exists(out) or os.path.getsize(out) <= 24


def test_missing_config_file(tmp):
    r = subprocess.run([SLUICE, "--config", os.path.join(tmp, "nope.yaml"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "nope.yaml" in r.stderr and re.search(r"No such file|cannot", r.stderr)


def test_bad_command_line():
    r = subprocess.run([SLUICE, "--duration", "-1", "--config", "x"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "--duration" in r.stderr
    r = subprocess.run([SLUICE], capture_output=True, text=True)
    assert r.returncode == 2 and "--config" in r.stderr


def test_ring_that_cannot_be_created(tmp, paths, peers):
    """A ring whose region cannot be created (no such directory) stops
    start-up with the configuration line and the reason; --check, which
    creates nothing, accepts the file."""
    inp, out = paths
    text = GOOD.replace("    vdev: \"net_pcap1,tx_pcap={out}\"\n",
                        "    ring: {path: /nonexistent-sl-dir/r0, frames: 64}\n")
    assert text != GOOD
    cfg = write_cfg(tmp, fill(text, inp, out))
    r = subprocess.run([SLUICE, "--config", cfg, "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = run(cfg, peers.prefix("sl-test-cfg"))
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert re.search(r":8:5: outputs\.ring: creating ring '/nonexistent-sl-dir/r0' for output "
                     r"'out0' \(64 frames of 2048 bytes\) failed: No such file or directory",
                     last), r.stderr

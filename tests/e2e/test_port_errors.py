# SPDX-License-Identifier: BSD-3-Clause
"""End to end: a port that cannot be set up is a clear error, never a crash.

Each vdev's common mistakes: sluice exits 1 with a message that names the
configuration line of the port (file:line:column) and what to change, dumps
no core, writes no stats line and leaves no file behind (no stats file, no
ring region, no socket).

net_pcap with infinite_rx and too few mbufs used to crash (SIGSEGV in
net_pcap's close, dpdk-patches/0001-*): sluice now counts the file's
packets before the driver sees it.
"""
import os
import subprocess
import uuid

import pytest

from conftest import SLUICE, cleanup_prefix, gen, run_sluice


def config(inp, out, extra=""):
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "{inp}"}}]
outputs: [{out}]
tenants:
  - {{name: acme, id: 7, match: {{vlan: [100]}}, pools: [{{name: p, members: [o]}}]}}
stats: {{interval: 0.2}}
{extra}"""


NULL_OUT = '{name: o, vdev: "net_null0,no-rx=1"}'


def files_under(d):
    return sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs)


def assert_clean_failure(tmp, r, before, line, key, *words):
    assert r.rc == 1, f"rc={r.rc}\n{r.stderr}"
    assert f"sluice.yaml:{line}: {key}: " in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert "Segmentation fault" not in r.stderr and "Cannot free ring" not in r.stderr
    assert not r.lines  # no stats line, and no stats file
    after = [f for f in files_under(tmp) if not f.endswith("sluice.yaml")]
    assert after == before, set(after) ^ set(before)


@pytest.fixture
def pcap_in(tmp):
    inp, _ = gen(tmp, "in", "--flows", 800, "--packets", 4, "--vlan-base", 100)
    return inp


def run_case(tmp, cfg):
    before = files_under(tmp)
    return run_sluice(tmp, cfg, "--duration", "1", idle_ms=0, timeout=60), before


def test_pcap_missing_file(tmp):
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={tmp}/nope.pcap", NULL_OUT))
    assert_clean_failure(tmp, r, before, "2:10", "inputs.vdev",
                         f"input 'in': cannot read capture '{tmp}/nope.pcap'",
                         "No such file or directory")


def test_pcap_infinite_rx_with_too_few_mbufs(tmp, pcap_in):
    """The issue's crash: 3200 packets, 1023 mbufs."""
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={pcap_in},infinite_rx=1", NULL_OUT,
                                     "tuning: {mbufs: 1023}"))
    assert_clean_failure(tmp, r, before, "2:10", "tuning.mbufs",
                         "infinite_rx keeps every packet of its captures in mbufs: 3200 packets",
                         "tuning.mbufs must be at least 5248", "it is 1023")
    # the value it asks for works
    r2 = run_sluice(tmp, config(f"net_pcap0,rx_pcap={pcap_in},infinite_rx=1", NULL_OUT,
                                "tuning: {mbufs: 5248}"), "--duration", "0.5", idle_ms=0)
    assert r2.rc == 0, r2.stderr
    assert r2.final["ledger"]["received"] > 0


def test_pcap_infinite_rx_packet_larger_than_an_mbuf(tmp, pcap_in):
    big, _ = gen(tmp, "big", "--flows", 4, "--vlan-base", 100, "--frame", "9000")
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={big},infinite_rx=1", NULL_OUT))
    assert_clean_failure(tmp, r, before, "2:10", "tuning.mbuf_size",
                         "infinite_rx needs each packet of", "its largest is 9000 bytes",
                         "tuning.mbuf_size must be at least 9128")


def test_pcap_unknown_argument(tmp, pcap_in):
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={pcap_in},bogus=1", NULL_OUT))
    assert_clean_failure(tmp, r, before, "2:10", "inputs.vdev",
                         f"input 'in': DPDK's net_pcap driver refused 'net_pcap0,rx_pcap={pcap_in},"
                         "bogus=1' (its reason is logged above)")


def test_pcap_output_in_a_missing_directory(tmp, pcap_in):
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={pcap_in}",
                                     f'{{name: o, vdev: "net_pcap1,tx_pcap={tmp}/no/dir/o.pcap"}}'))
    assert_clean_failure(tmp, r, before, "3:11", "outputs.vdev",
                         "output 'o': DPDK's net_pcap driver refused")


def test_memif_socket_in_a_missing_directory(tmp, pcap_in):
    r, before = run_case(tmp, config(
        f"net_pcap0,rx_pcap={pcap_in}",
        f'{{name: o, vdev: "net_memif0,role=server,socket={tmp}/no/dir/m.sock,socket-abstract=no"}}'))
    assert_clean_failure(tmp, r, before, "3:11", "outputs.vdev",
                         "output 'o': DPDK's net_memif driver refused")


def test_tap_bad_interface_name(tmp, pcap_in):
    if os.geteuid() != 0:
        pytest.skip("net_tap needs root (CAP_NET_ADMIN)")
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={pcap_in}",
                                     '{name: o, vdev: "net_tap0,iface=name-longer-than-fifteen"}'))
    assert_clean_failure(tmp, r, before, "3:11", "outputs.vdev",
                         "output 'o': DPDK's net_tap driver refused")


def test_af_packet_missing_interface(tmp, pcap_in):
    if os.geteuid() != 0:
        pytest.skip("net_af_packet needs root (CAP_NET_RAW)")
    r, before = run_case(tmp, config("net_af_packet0,iface=slnosuch0", NULL_OUT))
    assert_clean_failure(tmp, r, before, "2:10", "inputs.vdev",
                         "input 'in': DPDK's net_af_packet driver refused")


def test_ring_in_a_missing_directory(tmp, pcap_in):
    r, before = run_case(tmp, config(f"net_pcap0,rx_pcap={pcap_in}",
                                     f"{{name: o, ring: {{path: {tmp}/no/dir/ring}}}}"))
    assert_clean_failure(tmp, r, before, "3:11", "outputs.ring",
                         f"creating ring '{tmp}/no/dir/ring' for output 'o'",
                         "No such file or directory")


def test_ring_region_removed_when_a_later_port_fails(tmp, pcap_in):
    """A ring region made before a later output fails is removed again
    (net_pcap on an interface has one TX queue, two are asked)."""
    if os.geteuid() != 0:
        pytest.skip("net_pcap on an interface needs root (CAP_NET_RAW)")
    cfg = f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={pcap_in}"}}]
outputs:
  - {{name: o, ring: {{path: {tmp}/ring}}}}
  - {{name: o2, vdev: "net_pcap1,tx_iface=lo", queues: 2}}
tenants:
  - {{name: acme, id: 7, match: {{vlan: [100]}},
      pools: [{{name: p, members: [o, {{output: o2, queue: 1}}]}}]}}
"""
    r, before = run_case(tmp, cfg)
    assert_clean_failure(tmp, r, before, "5:5", "outputs.queues",
                         "port 'o2' has at most 1 TX queues, 2 needed")
    assert not os.path.exists(f"{tmp}/ring")


def test_crash_case_exits_without_a_signal(tmp, pcap_in):
    """The issue's crash, run directly: the process ends by exit(1), not by
    a signal, and leaves no core file."""
    cfg = os.path.join(tmp, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(config(f"net_pcap0,rx_pcap={pcap_in},infinite_rx=1", NULL_OUT,
                       "tuning: {mbufs: 1023}"))
    prefix = "sl-test-core-" + uuid.uuid4().hex[:8]
    try:
        p = subprocess.run([SLUICE, "--config", cfg, "--duration", "1", "--", "--in-memory",
                            f"--file-prefix={prefix}"], capture_output=True, text=True,
                           timeout=60, cwd=tmp)
    finally:
        cleanup_prefix(prefix)
    assert p.returncode == 1, p.stderr
    assert not [f for f in os.listdir(tmp) if f.startswith("core")]

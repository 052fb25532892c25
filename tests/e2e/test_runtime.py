# SPDX-License-Identifier: BSD-3-Clause
"""End to end: telemetry, signals, flow expiry and a full flow table."""
import json
import os
import signal
import socket
import subprocess
import time

from scapy.all import Raw, TCP, UDP, rdpcap

from conftest import (SLUICE, gen, null_out, pcap_count, pcap_in, pcap_out, pool, run_sluice,
                      sluice_config, tenant)

for _l4 in (TCP, UDP):
    _l4.guess_payload_class = lambda self, payload: Raw


def one_tenant(inp, out, members=2, infinite=False, distribution=None, **sections):
    """Tenant acme (VLAN 100) with one pool of members o0.. writing to
    out/o<i>.pcap, or discarding them when out is None."""
    keys = {"distribution": distribution} if distribution else {}
    outs = [pcap_out(f"o{i}", f"{out}/o{i}.pcap", i + 1) if out else null_out(f"o{i}", i)
            for i in range(members)]
    return sluice_config(
        [pcap_in(inp, infinite=infinite, **keys)], outs,
        [tenant("acme", 7, [pool("p", [o["name"] for o in outs])], match={"vlan": [100]})],
        stats={"interval": 0.2}, **sections)


def telemetry(sock_path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock_path)
    s.recv(4096)  # greeting
    s.send(cmd.encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        data += chunk
        try:
            reply = json.loads(data)
            break
        except ValueError:
            if not chunk:
                raise
    s.close()
    return reply


def test_telemetry_and_sigint(tmp, peers):
    inp, _ = gen(tmp, "t", "--flows", 200, "--vlan-base", 100)
    cfg = os.path.join(tmp, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(one_tenant(inp, None, infinite=True))
    # not --in-memory: the telemetry socket is in the prefix's directory
    prefix = peers.prefix("sl-test-tel")
    stats = os.path.join(tmp, "stats.json")
    proc = peers.start([SLUICE, "--config", cfg, "--stats-path", stats, "--",
                        f"--file-prefix={prefix}", "--log-level=lib.eal:error"],
                       stdin=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sock = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    for _ in range(100):
        if os.path.exists(sock) and os.path.exists(stats) and os.path.getsize(stats):
            break
        time.sleep(0.1)
    st = telemetry(sock, "/sluice/stats")["/sluice/stats"]
    assert st["ledger"]["balanced"] == 1
    assert st["ledger"]["received"] > 0
    assert "no_tenant" in st["drops"]
    ws = telemetry(sock, "/sluice/workers")["/sluice/workers"]
    assert ws["0"]["lcore"] == 1 and ws["0"]["rx_packets"] > 0
    ts = telemetry(sock, "/sluice/tenants")["/sluice/tenants"]
    assert ts == {"7": "acme"}
    t = telemetry(sock, "/sluice/tenant,7")["/sluice/tenant"]
    assert t["name"] == "acme" and t["packets"] > 0
    assert t["pools"]["0_name"] == "p" and t["pools"]["0_n_members"] == 2
    m = telemetry(sock, "/sluice/members,7,p")["/sluice/members"]
    assert m["1"]["output"] == "o1"
    # member health (net_null outputs are up once started)
    assert m["1"]["state"] == "up"
    assert m["1"]["state_changes"] == 0
    assert "link_down" in m["1"]
    # bad parameters are refused with a reason, not crashed on
    assert "error" in telemetry(sock, "/sluice/tenant,99")["/sluice/tenant"]
    assert "error" in telemetry(sock, "/sluice/tenant,x")["/sluice/tenant"]
    assert "error" in telemetry(sock, "/sluice/tenant")["/sluice/tenant"]
    # the stock client reads it too
    r = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input="/sluice/tenants\n",
                       capture_output=True, text=True, timeout=30)
    assert '"acme"' in r.stdout, r.stdout + r.stderr
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = [json.loads(l) for l in open(stats)]
    final = lines[-1]["stats"]
    assert final["final"] is True
    lg = final["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0
    assert lg["received"] > 0 and lg["received"] == lg["forwarded"]
    assert final["inputs"][0]["ipackets"] == lg["received"]


def test_flows_expire_on_idle_timeout(tmp):
    inp, flows = gen(tmp, "e", "--flows", 50, "--vlan-base", 100, "--udp", 50)
    r = run_sluice(tmp, one_tenant(inp, None, flow_table={"timeouts": {"tcp": 1, "udp": 1}}),
                   idle_ms=2500)
    assert r.rc == 0, r.stderr
    f = r.final["flows"]
    assert f["created"] == 50
    assert f["expired"] == 50 and f["active"] == 0


def test_full_flow_table_still_forwards_every_packet_by_hash(tmp):
    inp, flows = gen(tmp, "full", "--flows", 4000, "--vlan-base", 100, "--packets", 4)
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run_sluice(tmp, one_tenant(inp, out, members=3, flow_table={"size": 1024}))
    assert r.rc == 0, r.stderr
    s = r.final
    assert s["flows"]["table_full"] > 0
    assert s["flows"]["created"] <= 1024
    assert s["ledger"]["balanced"] and s["ledger"]["forwarded"] == pcap_count(inp)
    # flows without an entry are still whole: hashing picks the same member
    where = {}
    for i in range(3):
        for p in rdpcap(os.path.join(out, f"o{i}.pcap")):
            ip = p.payload.payload
            key = frozenset(((ip.src, ip.payload.sport), (ip.dst, ip.payload.dport)))
            assert where.setdefault(key, i) == i
    assert len(where) == 4000


def test_duration_stops_and_balances(tmp):
    inp, _ = gen(tmp, "d", "--flows", 100, "--vlan-base", 100)
    r = run_sluice(tmp, one_tenant(inp, None, infinite=True), "--duration", "1.5", idle_ms=0)
    assert r.rc == 0, r.stderr
    lg = r.final["ledger"]
    assert lg["balanced"] and lg["received"] > 200 and lg["in_flight"] == 0
    assert len(r.lines) >= 3  # interval lines every 0.2 s, then the final one


def test_rss_on_a_port_without_rss_is_a_clear_error(tmp):
    inp, _ = gen(tmp, "r", "--flows", 10, "--vlan-base", 100)
    cfg = one_tenant(inp, None, distribution="rss")
    assert "distribution: rss" in cfg
    r = run_sluice(tmp, cfg)
    assert r.rc == 1
    assert "inputs.distribution: port 'in' (net_pcap) cannot do symmetric RSS" in r.stderr

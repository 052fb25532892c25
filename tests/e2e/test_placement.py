# SPDX-License-Identifier: BSD-3-Clause
"""End to end: consistent placement across a fleet.

Two sluice processes with the same configuration and hash seed read the
same capture: one with one worker, the other with two workers in software
distribution (so the hand-off is crossed), its tenants and outputs listed
in another order (so its tenant slots and port ids differ, as after a
history of reloads). Every member (tenant, pool, output) must receive
exactly the same flows, the same packets in the same order, from both:
sensors behind an upstream hash then behave as one. A tenant that samples
its flows must sample the same ones.
"""
import collections
import os

from conftest import gen, pcap_in, pcap_outs, pool, read_pcap, run_sluice, sluice_config, tenant
from test_dedup import l3_offset

TENANTS = [  # name, id, vlan, pool hash, members, extra keys
    ("acme", 100, 100, "5-tuple", 3, {}),
    ("globex", 4000, 101, "3-tuple", 2, {}),
    ("initech", 7, 102, "2-tuple", 4,
     {"rules": [{"match": {"proto": "udp"}, "action": "sample", "sample": 3}]}),
]


def config(inp, outdir, workers, reverse):
    order = list(reversed(TENANTS)) if reverse else TENANTS
    names = [f"{n}{i}" for n, _, _, _, k, _ in order for i in range(k)]
    outs = pcap_outs(outdir, names)
    tenants = [tenant(n, tid, [pool("p", [f"{n}{i}" for i in range(k)], hash=h)],
                      match={"vlan": [vlan]}, **extra)
               for n, tid, vlan, h, k, extra in order]
    return sluice_config(
        [pcap_in(inp, name="mirror", distribution="software")], outs, tenants,
        eal={"main_lcore": 0, "worker_lcores": list(workers)},
        flow_table={"size": 65536}, tuning={"hash_seed": 0x1234abcd})


def flow_of(fr):
    """A canonical flow of a frame (VLAN, the two endpoints unordered,
    protocol), read from its bytes."""
    off = l3_offset(fr)
    vlan = int.from_bytes(fr[14:16], "big") & 0xfff
    if fr[off] >> 4 == 4:
        proto, a, b, l4 = fr[off + 9], fr[off + 12:off + 16], fr[off + 16:off + 20], \
            off + (fr[off] & 0xf) * 4
    else:
        proto, a, b, l4 = fr[off + 6], fr[off + 8:off + 24], fr[off + 24:off + 40], off + 40
    ports = (fr[l4:l4 + 2], fr[l4 + 2:l4 + 4]) if proto in (6, 17) else (b"", b"")
    return vlan, frozenset(((a, ports[0]), (b, ports[1]))), proto


def members(outdir):
    """member -> {flow: [frames in order]}"""
    res = {}
    for n, _, _, _, k, _ in TENANTS:
        for i in range(k):
            flows = collections.defaultdict(list)
            p = os.path.join(outdir, f"{n}{i}.pcap")
            for fr in read_pcap(p) if os.path.exists(p) else []:
                flows[flow_of(fr)].append(fr)
            res[f"{n}{i}"] = flows
    return res


def test_two_sluices_place_flows_alike(tmp):
    pcap, flows = gen(tmp, "mix", "--flows", 800, "--tenants", 3, "--vlan-base", 100,
                      "--ipv6", 40, "--udp", 40, "--icmp", 10, "--packets", 4, "--seed", 21)
    runs = []
    for workers, lcores, reverse in (((1,), None, False), ((1, 2), "0@0,1@1,2@1", True)):
        out = os.path.join(tmp, f"out{len(workers)}")
        os.mkdir(out)
        r = run_sluice(tmp, config(pcap, out, workers, reverse), lcores=lcores)
        assert r.rc == 0, r.stderr
        assert r.final["ledger"]["balanced"] is True
        runs.append((r.final, members(out)))
    (s1, m1), (s2, m2) = runs
    assert len(s2["workers"]) == 2 and s2["workers"][0]["handed_off"] > 0
    # the second process really numbered its tenants otherwise: its first
    # tenant in the file is initech
    assert [t["name"] for t in s2["tenants"]][0] != [t["name"] for t in s1["tenants"]][0]
    for m in m1:
        assert set(m1[m]) == set(m2[m]), f"member {m} holds other flows in the other sluice"
        for f in m1[m]:
            assert m1[m][f] == m2[m][f], f"member {m}: flow {f} differs"
    # every member got a share, so the comparison says something
    assert all(len(fl) > 0 for fl in m1.values())
    # sampling agreed too: the same flows sampled out, and some were
    t1 = {t["name"]: t for t in s1["tenants"]}
    t2 = {t["name"]: t for t in s2["tenants"]}
    assert t1["initech"]["sampled_out"] == t2["initech"]["sampled_out"] > 0
    assert sum(len(fl) for fl in m1.values()) == sum(len(fl) for fl in m2.values())

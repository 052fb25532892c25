# SPDX-License-Identifier: BSD-3-Clause
"""End to end: the flow table past the size where its lookups are pipelined.

A worker whose table holds 32,768 flows or more prefetches each packet's
bucket in the RX stage and the entries of the packet four places on in the
flow stage, and looks each packet up as it handles it (flows.c,
docs/architecture.md "The flow table"). Smaller tests never reach that
size; here 40,000 flows of five packets each, interleaved (packet j of every
flow, then j + 1) so that every flow comes back in later bursts, go through
the real binary, and each flow must end as one entry that counted all of
its packets, per direction, with its tenant's record."""
import collections
import json
import os

from conftest import gen, null_out, pcap_in, pool, run_sluice, sluice_config, tenant

FLOWS = 40000
PACKETS = 5  # client, server, client, server, client


def test_every_packet_of_a_flow_counts_in_its_one_entry(tmp):
    inp, flows = gen(tmp, "in", "--flows", FLOWS, "--packets", PACKETS, "--tenants", 2,
                     "--vlan-base", 100, "--udp", 30, "--ipv6", 25, "--order", "interleave")
    rec = {t: os.path.join(tmp, f"{t}.json") for t in ("a", "b")}
    cfg = sluice_config(
        [pcap_in(inp)], [null_out("o", 1)],
        [tenant("a", 1, [pool("p", ["o"])], match={"vlan": [100]},
                flow_records={"file": rec["a"]}),
         tenant("b", 2, [pool("p", ["o"])], match={"vlan": [101]},
                flow_records={"file": rec["b"]})],
        flow_table={"size": 131072, "timeouts": {"tcp": 3600, "udp": 3600}},
        tuning={"mbufs": 32767})
    r = run_sluice(tmp, cfg, timeout=300)
    assert r.rc == 0, r.stderr
    st = r.final
    lg = st["ledger"]
    assert lg["balanced"] and lg["received"] == FLOWS * PACKETS
    assert lg["forwarded"] == FLOWS * PACKETS
    # one entry a flow: a lookup that missed a flow it held would make a
    # second one, a lookup that found another flow's entry would make none
    assert st["flows"]["created"] == FLOWS
    w = st["workers"][0]
    assert w["flow_table_full"] == 0
    for i, t in enumerate(("a", "b")):
        with open(rec[t]) as f:
            lines = [json.loads(line) for line in f.read().splitlines()]
        made = {(fl["src"], int(fl["sport"]), fl["dst"], int(fl["dport"]), fl["proto"])
                for fl in flows if fl["tenant"] == str(i)}
        assert len(lines) == len(made), t
        got = collections.Counter((x["src_ip"], x.get("src_port"), x["dest_ip"],
                                   x.get("dest_port")) for x in lines)
        assert max(got.values()) == 1, t
        assert set(got) == {m[:4] for m in made}, t
        # every packet counted in its flow's entry, in its direction: the
        # client sent packets 1, 3 and 5, the server 2 and 4
        bad = [x for x in lines
               if (x["flow"]["pkts_toserver"], x["flow"]["pkts_toclient"]) != (3, 2)]
        assert not bad, (t, len(bad), bad[:3])

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: flow records written in bulk at shutdown (issue 13).

At shutdown every active flow ends with a record. The worker, its data path
over, puts what the control lcore's ring takes on the ring and formats the
rest itself into chunks of one tenant's lines, which the control lcore
writes. Whichever way a record went, each flow has exactly one, in its
tenant's file, whole and well formed, and the counts add up."""
import collections
import json
import os

from conftest import gen, null_out, pcap_in, pool, run_sluice, sluice_config, tenant

FLOWS = 150000


def test_every_flow_has_one_record_at_shutdown(tmp):
    inp, flows = gen(tmp, "in", "--flows", FLOWS, "--packets", 1, "--tenants", 3,
                     "--vlan-base", 100, "--udp", 40, "--ipv6", 20)
    rec = {t: os.path.join(tmp, f"{t}.json") for t in ("a", "b")}
    cfg = sluice_config(
        [pcap_in(inp)], [null_out("o", 1)],
        [tenant("a", 1, [pool("p", ["o"])], match={"vlan": [100]},
                flow_records={"file": rec["a"]}),
         tenant("b", 2, [pool("p", ["o"])], match={"vlan": [101]},
                flow_records={"file": rec["b"]}),
         tenant("c", 3, [pool("p", ["o"])], match={"vlan": [102]})],
        flow_table={"size": 262144, "timeouts": {"tcp": 3600, "udp": 3600}},
        tuning={"mbufs": 32767})
    r = run_sluice(tmp, cfg, timeout=300)
    assert r.rc == 0, r.stderr
    st = r.final
    assert st["ledger"]["balanced"]
    w = st["workers"][0]
    # nothing lost, and the workers formatted some of them (else this
    # test would not reach the bulk path)
    assert w["flow_records_lost"] == 0
    assert 0 < w["flow_records_formatted"] < w["flow_records"]
    want = collections.Counter(f["tenant"] for f in flows)
    for i, t in enumerate(("a", "b")):
        with open(rec[t]) as f:
            text = f.read()
        assert text.endswith("\n")
        lines = [json.loads(line) for line in text.splitlines()]
        assert len(lines) == want[str(i)], t
        ts = next(x for x in st["tenants"] if x["name"] == t)
        assert ts["flow_records"] == len(lines)
        assert ts["flow_records_out"]["written"] == len(lines)
        assert ts["flow_records_out"]["sink_errors"] == 0
        assert ts["flow_records_out"]["format_errors"] == 0
        assert all(x["tenant"] == t and x["flow"]["reason"] == "shutdown" for x in lines)
        # one record per flow: the 5-tuples are those sl-gen made, once each
        got = collections.Counter((x["src_ip"], x.get("src_port"), x["dest_ip"],
                                   x.get("dest_port"), x["proto"]) for x in lines)
        assert max(got.values()) == 1
        made = {(fl["src"], int(fl["sport"]), fl["dst"], int(fl["dport"]))
                for fl in flows if fl["tenant"] == str(i)}
        assert {k[:4] for k in got} == made
    # tenant c asked for no records and got none
    c = next(x for x in st["tenants"] if x["name"] == "c")
    assert c["flow_records"] == 0 and "flow_records_out" not in c

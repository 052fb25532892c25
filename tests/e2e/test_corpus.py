# SPDX-License-Identifier: BSD-3-Clause
"""(e) Every pcap of ../shared/corpus/suricata-verify passes through sluice
with no crash and a balanced ledger, and each input's count equals the
file's packet count. Files go 30 to a run, one net_pcap input each, into
one catch-all tenant forwarding to net_null."""
import os

import pytest

from conftest import (CORPUS, null_out, pcap_count, pcap_in, pool, run_sluice, sluice_config,
                      tenant)

BATCH = 30  # + 2 outputs = RTE_MAX_ETHPORTS (32) in Debian's DPDK


def corpus_files():
    if not os.path.isdir(CORPUS):
        return []
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith(".pcap"))


FILES = corpus_files()
BATCHES = [FILES[i:i + BATCH] for i in range(0, len(FILES), BATCH)]


def config(files):
    sinks = ["sink0", "sink1"]
    return sluice_config(
        [pcap_in(f, name=f"in{i}", port=i) for i, f in enumerate(files)],
        [null_out(n, i) for i, n in enumerate(sinks)],
        [tenant("tagged", 1, [pool("p", sinks, hash="5-tuple")], match={"vlan": ["1-4094"]}),
         tenant("rest", 2, [pool("p", sinks, hash="2-tuple")], match={"untagged": True})],
        flow_table={"size": 65536}, tuning={"mbufs": 32767})


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS} (../shared absent)")
@pytest.mark.parametrize("batch", range(len(BATCHES)) if BATCHES else [0])
def test_corpus_batch(tmp, batch):
    files = BATCHES[batch]
    r = run_sluice(tmp, config(files), timeout=300)
    assert r.rc == 0, f"rc={r.rc}\n{r.stderr[-3000:]}"
    s = r.final
    lg = s["ledger"]
    assert lg["balanced"] is True, lg
    assert lg["in_flight"] == 0
    expected = [pcap_count(f) for f in files]
    got = [i["received"] for i in s["inputs"]]
    assert got == expected, [(os.path.basename(f), e, g)
                             for f, e, g in zip(files, expected, got) if e != g]
    assert lg["received"] == sum(expected)
    assert lg["received"] == lg["forwarded"] + lg["filtered"] + lg["dropped"]

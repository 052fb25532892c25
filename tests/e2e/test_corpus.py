# SPDX-License-Identifier: BSD-3-Clause
"""(e) Every pcap of ../shared/corpus/suricata-verify that sluice reads
(Ethernet, or a link type with an Ethernet equivalent, and no damaged
record) passes through sluice with no crash and a balanced ledger, and each
input's count equals the file's packet count. Files go 30 to a run, one
net_pcap input each, into one catch-all tenant forwarding to net_null. The
others are refused at start-up with their link type or the offset of the
first bad record named. Both tenants have an app rule
first: every flow also goes through application detection (nDPI, the
handshake tracker, the DNS check), whose forward changes nothing of where
packets go."""
import os
import re
import subprocess

import pytest

from conftest import (CORPUS, SLUICE, null_out, pcap_count, pcap_first_bad_record, pcap_in,
                      pcap_linktype, pool, run_sluice, sluice_config, tenant)

# Ethernet, NULL, LOOP, RAW (101), LINUX_SLL, IPV4, IPV6, LINUX_SLL2
READ_LINKTYPES = {1, 0, 108, 101, 113, 228, 229, 276}

BATCH = 30  # + 2 outputs = RTE_MAX_ETHPORTS (32) in Debian's DPDK
APP_RULES = [{"match": {"app": ["tls", "quic"]}, "action": "bypass-after-handshake",
              "pools": "p"}]


def corpus_files():
    if not os.path.isdir(CORPUS):
        return []
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith(".pcap"))


def refused(path):
    return pcap_linktype(path) not in READ_LINKTYPES or pcap_first_bad_record(path) is not None


ALL = corpus_files()
FILES = [f for f in ALL if not refused(f)]
REFUSED = [f for f in ALL if refused(f)]
BATCHES = [FILES[i:i + BATCH] for i in range(0, len(FILES), BATCH)]


def config(files):
    sinks = ["sink0", "sink1"]
    return sluice_config(
        [pcap_in(f, name=f"in{i}", port=i) for i, f in enumerate(files)],
        [null_out(n, i) for i, n in enumerate(sinks)],
        [tenant("tagged", 1, [pool("p", sinks, hash="5-tuple")], match={"vlan": ["1-4094"]},
                rules=APP_RULES),
         tenant("rest", 2, [pool("p", sinks, hash="2-tuple")], match={"untagged": True},
                rules=APP_RULES)],
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
    assert lg["received"] == lg["forwarded"] + lg["filtered"] + lg["dropped"] + lg["bypassed"]
    assert sum(t["app_detected"] + t["app_given_up"] for t in s["tenants"]) > 0


@pytest.mark.skipif(not REFUSED, reason=f"corpus not found at {CORPUS} (../shared absent)")
def test_corpus_refused_files_are_named(tmp):
    """--check runs the same start-up inspection as a run, without the EAL."""
    for f in REFUSED:
        cfg = os.path.join(tmp, "sluice.yaml")
        with open(cfg, "w") as fh:
            fh.write(config([f]))
        r = subprocess.run([SLUICE, "--config", cfg, "--check"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1, (f, r.stdout, r.stderr)
        # the input's own line and column in the file
        text = config([f])
        line = next(n for n, t in enumerate(text.splitlines(), 1) if "name: in0" in t)
        assert re.search(rf"sluice\.yaml:{line}:\d+: inputs\.vdev: input 'in0': capture "
                         rf"'{re.escape(f)}'", r.stderr), r.stderr
        bad = pcap_first_bad_record(f)
        if pcap_linktype(f) not in READ_LINKTYPES:
            assert "has link type" in r.stderr and "which sluice does not read" in r.stderr
        else:
            assert f"is damaged: the record at byte {bad} " in r.stderr, r.stderr

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: rates (pps, bps) per input, output, tenant, pool, member and
drop reason, in the stats lines (over the time since the previous line) and
in telemetry (over the last second). A line's rate times its interval must be
the growth of the same counter since the previous line."""
import pytest

from conftest import gen, null_out, pcap_in, pool, sluice_config, stats_lines, tenant, wait_for
from test_runtime import telemetry


def config(inp):
    return sluice_config([pcap_in(inp, infinite=True)], [null_out("o0", 0), null_out("o1", 1)],
                         [tenant("acme", 7, [pool("p", ["o0", "o1"])], match={"vlan": [100]})],
                         stats={"interval": 0.3})


def close(rate, delta, secs, what):
    # rates are written with three decimals
    assert rate == pytest.approx(delta / secs, rel=1e-6, abs=6e-4), what


def check_pair(a, b):
    """Every rate of line b against the counters of lines a and b."""
    secs = b["rates"]["interval"]
    assert secs > 0
    rb = b["rates"]
    la, lb = a["ledger"], b["ledger"]
    close(rb["received_pps"], lb["received"] - la["received"], secs, "received_pps")
    close(rb["forwarded_pps"], lb["forwarded"] - la["forwarded"], secs, "forwarded_pps")
    close(rb["dropped_pps"], lb["dropped"] - la["dropped"], secs, "dropped_pps")
    close(rb["drops_pps"].get("no_tenant", 0), b["drops"]["no_tenant"] - a["drops"]["no_tenant"],
          secs, "drops_pps.no_tenant")
    assert set(rb["drops_pps"]) <= {k for k, v in b["drops"].items() if v > a["drops"][k]}
    for ia, ib in zip(a["inputs"], b["inputs"]):
        close(ib["pps"], ib["received"] - ia["received"], secs, "input pps")
        close(ib["bps"], 8 * (ib["bytes"] - ia["bytes"]), secs, "input bps")
    for oa, ob in zip(a["outputs"], b["outputs"]):
        close(ob["pps"], ob["forwarded"] - oa["forwarded"], secs, "output pps")
        close(ob["bps"], 8 * (ob["forwarded_bytes"] - oa["forwarded_bytes"]), secs, "output bps")
    ta, tb = a["tenants"][0], b["tenants"][0]
    close(tb["pps"], tb["packets"] - ta["packets"], secs, "tenant pps")
    close(tb["bps"], 8 * (tb["bytes"] - ta["bytes"]), secs, "tenant bps")
    close(tb["forwarded_pps"], tb["forwarded"] - ta["forwarded"], secs, "tenant forwarded_pps")
    pa, pb = ta["pools"][0], tb["pools"][0]
    close(pb["pps"], pb["forwarded"] - pa["forwarded"], secs, "pool pps")
    for ma, mb in zip(pa["members"], pb["members"]):
        close(mb["pps"], mb["forwarded"] - ma["forwarded"], secs, "member pps")
        close(mb["bps"], 8 * (mb["bytes"] - ma["bytes"]), secs, "member bps")
    return rb["received_pps"] > 0 and rb["drops_pps"].get("no_tenant", 0) > 0


def test_rates_in_stats_lines_and_telemetry(tmp, peers):
    # two VLANs: 100 is acme's, 101 has no tenant (drops.no_tenant)
    inp, _ = gen(tmp, "r", "--flows", 64, "--tenants", 2, "--vlan-base", 100, "--frame", 200)
    sl = peers.sluice(config(inp), in_memory=False)
    wait_for(lambda: len(stats_lines(sl.stats)) >= 4, "four stats lines", [sl.proc])
    sock = f"/var/run/dpdk/{sl.prefix}/dpdk_telemetry.v2"
    st = telemetry(sock, "/sluice/stats")["/sluice/stats"]
    # the live window closes after at least one second
    assert st["rates"]["interval_ms"] >= 1000
    assert st["rates"]["received_pps"] > 0 and st["rates"]["drops_pps_no_tenant"] > 0
    ins = telemetry(sock, "/sluice/inputs")["/sluice/inputs"]
    assert ins["0"]["pps"] > 0 and ins["0"]["bps"] > 0
    outs = telemetry(sock, "/sluice/outputs")["/sluice/outputs"]
    assert outs["0"]["pps"] > 0 and outs["1"]["bps"] > 0
    ms = telemetry(sock, "/sluice/members,7,p")["/sluice/members"]
    assert ms["0"]["pps"] > 0 and ms["1"]["pps"] > 0
    t = telemetry(sock, "/sluice/tenant,7")["/sluice/tenant"]
    assert t["pps"] > 0 and t["bps"] > 0
    final = sl.finish()
    lines = stats_lines(sl.stats)
    assert lines[-1] is not None and final["final"]
    moving = [check_pair(a, b) for a, b in zip(lines, lines[1:])]
    # traffic was flowing while the lines were written
    assert any(moving)
    # the first line's window starts when the workers start
    first = lines[0]
    assert first["rates"]["received_pps"] == pytest.approx(
        first["ledger"]["received"] / first["rates"]["interval"], rel=1e-6, abs=6e-4)

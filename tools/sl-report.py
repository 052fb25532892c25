#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print a readable summary of a sluice stats JSON-lines file (the last line,
normally the final one): per tenant packets, flows and each member's share,
drops by reason, the ledger, and where each member's output went.

    tools/sl-report.py out/demo/stats.json [--config config/demo.yaml]
"""
import argparse
import json
import re
import sys


def outputs_from_config(path):
    """output name -> file, read from the vdev strings (tx_pcap=, iface=...)."""
    res = {}
    if not path:
        return res
    try:
        text = open(path).read()
    except OSError:
        return res
    for m in re.finditer(r"name:\s*([\w.-]+),\s*vdev:\s*\"([^\"]+)\"", text):
        kv = dict(p.split("=", 1) for p in m.group(2).split(",")[1:] if "=" in p)
        res[m.group(1)] = kv.get("tx_pcap") or kv.get("iface") or m.group(2)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stats")
    ap.add_argument("--config")
    a = ap.parse_args()
    lines = [l for l in open(a.stats) if l.strip()]
    if not lines:
        sys.exit("no stats lines in " + a.stats)
    s = json.loads(lines[-1])["stats"]
    files = outputs_from_config(a.config)

    print(f"\n{'tenant':<12}{'id':>6}{'packets':>10}{'flows':>8}{'forwarded':>11}"
          f"{'filtered':>10}{'dropped':>9}")
    print("-" * 66)
    for t in s["tenants"]:
        print(f"{t['name']:<12}{t['id']:>6}{t['packets']:>10}{t['flows']:>8}"
              f"{t['forwarded']:>11}{t['filtered']:>10}{t['dropped']:>9}")
        # isolation: the tenant's bounds, what it uses, what they refused
        b = t.get("bounds", {})
        use = [f"flows now {t.get('flows_active', 0)}"
               + (f" of {b['max_flows']}" if "max_flows" in b else "")]
        if "rate_pps" in b or "rate_mbps" in b:
            use.append("rate " + " and ".join(
                x for x in (f"{b['rate_pps']} pps" if "rate_pps" in b else "",
                            f"{b['rate_mbps']:g} Mbit/s" if "rate_mbps" in b else "") if x))
        refused = {k: t[k] for k in ("flow_quota", "no_entry", "rate_exceeded",
                                     "flow_records_lost") if t.get(k)}
        print("  bounds: " + ", ".join(use) +
              ("; refused: " + ", ".join(f"{k}={v}" for k, v in refused.items())
               if refused else ""))
        for p in t["pools"]:
            tot_p = sum(m["forwarded"] for m in p["members"]) or 1
            tot_f = sum(m["flows"] for m in p["members"]) or 1
            print(f"  pool {p['name']} (hash {p['hash']}):")
            for i, m in enumerate(p["members"]):
                where = files.get(m["output"], "")
                print(f"    member {i} {m['output']:<14} {m['forwarded']:>8} pkts "
                      f"{100.0 * m['forwarded'] / tot_p:5.1f}%  {m['flows']:>6} flows "
                      f"{100.0 * m['flows'] / tot_f:5.1f}%  -> {where}"
                      + (f"  [{m['state']}]" if m.get("state") == "down" else ""))
                lost = {k: m[k] for k in ("tx_refused", "link_down", "flows_resteered",
                                          "encap_oversize", "encap_truncated")
                        if m.get(k)}
                if lost:
                    print("      " + ", ".join(f"{k}={v}" for k, v in lost.items()))
    drops = {k: v for k, v in s["drops"].items() if v}
    filt = {k: v for k, v in s["filtered"].items() if v}
    anomalies = {k: v for k, v in s["anomalies"].items() if v}
    print("\ndrops by reason:    ", ", ".join(f"{k}={v}" for k, v in drops.items()) or "none")
    print("filtered by reason: ", ", ".join(f"{k}={v}" for k, v in filt.items()) or "none")
    print("parse anomalies:    ", ", ".join(f"{k}={v}" for k, v in anomalies.items()) or "none")
    for title, key in (("tunnels:            ", "tunnels"), ("tunnel errors:      ", "tunnel_errors"),
                       ("fragments:          ", "fragments")):
        vals = {k: v for k, v in s.get(key, {}).items() if v}
        if vals:
            print(title, ", ".join(f"{k}={v}" for k, v in vals.items()))
    lg = s["ledger"]
    print(f"\nledger: received {lg['received']} + mirror copies {lg.get('mirror_copies', 0)} = "
          f"forwarded {lg['forwarded']} + filtered {lg['filtered']} + dropped {lg['dropped']} + "
          f"bypassed {lg.get('bypassed', 0)} + in flight {lg['in_flight']}  -> "
          f"{'BALANCED' if lg['balanced'] else 'NOT BALANCED'}")
    if "inputs_lossless" in lg:
        print(f"before sluice: imissed {lg['imissed']}, kernel dropped {lg['kernel_dropped']}  -> "
              f"{'inputs LOSSLESS' if lg['inputs_lossless'] else 'FRAMES LOST BEFORE SLUICE'}")
    for i in s["inputs"]:
        print(f"input {i['name']}: port ipackets {i['ipackets']}, imissed {i['imissed']}, "
              f"ierrors {i['ierrors']}, rx_nombuf {i['rx_nombuf']}, sluice received "
              f"{i['received']} ({i['distribution']} distribution)")
        k = i.get("kernel")
        if k:
            sock = k.get("socket", {})
            extra = ", ".join(f"{k2}={v}" for k2, v in sock.items() if k2 not in ("kind", "count"))
            print(f"  kernel {k['interface']}: packets {k['packets']}, dropped {k['dropped']}"
                  + (f"; {sock['kind']} sockets x{sock['count']}: {extra}" if sock else "")
                  + (f"; {k['error']}" if k.get("error") else ""))
    print(f"flows: created {s['flows']['created']}, expired {s['flows']['expired']}, "
          f"active {s['flows']['active']}, table full {s['flows']['table_full']}")
    return 0 if lg["balanced"] else 1


if __name__ == "__main__":
    sys.exit(main())

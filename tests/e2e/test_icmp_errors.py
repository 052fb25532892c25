# SPDX-License-Identifier: BSD-3-Clause
"""End to end: an ICMP or ICMPv6 error (destination unreachable, packet too
big, time exceeded, parameter problem, source quench, redirect) reaches the
member of the flow whose packet it embeds, as Suricata ties it to that flow;
an error whose embedded packet is cut too short is steered as any ICMP
message. Frames are made with scapy; the members' captures are read back."""
import collections
import os

from scapy.all import (ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6ParamProblem, ICMPv6TimeExceeded, IPerror, IPv6, IPerror6, TCPerror,
                       UDPerror, Raw, rdpcap, wrpcap)

from conftest import pcap_in, pcap_outs, pool, run_sluice, sluice_config, tenant

MEMBERS = ["m0", "m1", "m2", "m3"]
V4_ERRORS = [(3, 3), (3, 4), (4, 0), (5, 1), (11, 0), (12, 0)]
V6_ERRORS = [ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded, ICMPv6ParamProblem]


def frames():
    """60 flows (TCP and UDP, v4 and v6), each: two packets, then every
    error type about its first packet from a router; plus errors cut too
    short to carry ports. Returns (packets, {tag: flow id})."""
    out, tags = [], {}
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=100)
    for i in range(60):
        v6 = i % 3 == 2
        l4 = TCP if i % 2 == 0 else UDP
        a, b = (f"2001:db8::{i + 1:x}", f"2001:db8:1::{i + 1:x}") if v6 else \
            (f"10.0.{i}.1", f"10.1.{i}.2")
        ip = IPv6 if v6 else IP
        sp, dp = 40000 + i, 30000 + i  # clear of ports scapy decodes (123: NTP)
        first = ip(src=a, dst=b) / l4(sport=sp, dport=dp) / Raw(b"x" * 16)
        out.append(eth / first)
        out.append(eth / ip(src=b, dst=a) / l4(sport=dp, dport=sp) / Raw(b"y" * 16))
        router = "2001:db8:ff::1" if v6 else "192.0.2.254"
        if v6:
            for k, err in enumerate(V6_ERRORS):
                tag = f"E6-{i}-{k}".encode()
                tags[tag] = i
                out.append(eth / IPv6(src=router, dst=a) / err() /
                           bytes(first)[:48 + 8] / Raw(tag))
        else:
            for k, (t, c) in enumerate(V4_ERRORS):
                tag = f"E4-{i}-{k}".encode()
                tags[tag] = i
                err = ICMP(type=t, code=c) / bytes(first)[:28]
                out.append(eth / IP(src=router, dst=a) / err / Raw(tag))
    return out, tags


def test_icmp_errors_follow_their_flow(tmp):
    pkts, tags = frames()
    # an error cut too short: IP header and 2 bytes of UDP
    short = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=100) /
             IP(src="192.0.2.254", dst="10.0.0.1") / ICMP(type=3, code=3) /
             bytes(IP(src="10.0.0.1", dst="10.1.0.2") / UDP(sport=1, dport=2))[:22])
    pkts.append(short)
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, pkts)
    cfg = sluice_config([pcap_in(inp)], pcap_outs(tmp, MEMBERS),
                        [tenant("t", 1, [pool("p", MEMBERS)], match={"vlan": [100]})],
                        stats={"interval": 0.2})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    st = r.final
    assert st["ledger"]["balanced"] and st["ledger"]["forwarded"] == len(pkts)
    n_err = len(tags)
    assert st["workers"][0]["icmp_errors_in_flow"] == n_err
    # where each flow went (its data packets), where each error went
    flow_member, err_member = {}, {}
    for m in MEMBERS:
        for p in rdpcap(os.path.join(tmp, m + ".pcap")):
            raw = bytes(p)
            for tag, i in tags.items():
                if raw.endswith(tag):
                    err_member[tag] = m
            if (TCP in p or UDP in p) and ICMP not in p and p.haslayer(Raw) and \
                    bytes(p[Raw]).strip(b"xy") == b"":
                ip = p[IP] if IP in p else p[IPv6]
                l4 = p[TCP] if TCP in p else p[UDP]
                i = min(l4.sport, l4.dport) - 30000
                flow_member.setdefault(i, set()).add(m)
    assert len(flow_member) == 60, sorted(set(range(60)) - set(flow_member))
    assert all(len(v) == 1 for v in flow_member.values())
    assert len(err_member) == n_err
    wrong = {t: (m, flow_member[tags[t]]) for t, m in err_member.items()
             if {m} != flow_member[tags[t]]}
    assert not wrong, wrong
    # the flows spread over the members, so landing together means something
    assert len(set().union(*flow_member.values())) == 4
    # each flow has one entry: errors add packets to it, no flow of their own
    assert st["flows"]["created"] == 60 + 1  # + the cut error's own flow

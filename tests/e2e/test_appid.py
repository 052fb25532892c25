# SPDX-License-Identifier: BSD-3-Clause
"""End to end: application detection (nDPI) and the app rules (issue 18),
through the real binary on real captures of the shared corpus:

- the protocol, category and server name of every flow of a set of
  captures equal what Debian's ndpiReader reports for the same captures
  (run here, flow by flow);
- TLS and QUIC flows with bypass-after-handshake: the member got every
  packet up to the one that ends the handshake and nothing after, checked
  packet by packet against the input (tshark reads the TLS records and
  QUIC headers: ClientHello, ServerHello and certificates are there,
  application data is not);
- DNS on a non-standard port reaches the DNS pool; an HTTP flow steered
  once HTTP is known splits exactly as documented, nothing duplicated;
- a tenant without app rules is untouched, a flow whose port rule comes
  first is not detected, and a full state pool refuses flows, counted,
  without losing a packet.
"""
import collections
import ipaddress
import json
import os
import re
import shutil
import subprocess

import pytest
from scapy.all import IP, TCP, UDP, Ether, Raw, rdpcap, wrpcap

from conftest import (CORPUS, gen, pcap_in, pcap_out, pool, read_pcap, run_sluice,
                      sluice_config, tenant)

for _l4 in (TCP, UDP):
    _l4.guess_payload_class = lambda self, payload: Raw

NDPI_READER = shutil.which("ndpiReader")
TSHARK = shutil.which("tshark")
MAX_PACKETS = 32


def corpus(name):
    path = os.path.join(CORPUS, name)
    if not os.path.exists(path):
        pytest.skip(f"corpus not found at {CORPUS} (../shared absent): {name}")
    return path


def records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def addr(a):
    return ipaddress.ip_address(a).compressed


def rec_key(x):
    """A record's flow, direction-free: protocols without ports (ICMP) by
    their addresses."""
    if "src_port" in x:
        return x["proto"], frozenset([(addr(x["src_ip"]), x["src_port"]),
                                      (addr(x["dest_ip"]), x["dest_port"])])
    return x["proto"], frozenset([addr(x["src_ip"]), addr(x["dest_ip"])])


# ndpiReader's protocol names as the records write them
RECORD_PROTO = {"ICMP": "ICMP", "ICMPV6": "IPv6-ICMP", "IGMP": "2", "TCP": "TCP", "UDP": "UDP",
                "SCTP": "SCTP"}


NDPI_LINE = re.compile(
    r"^\s+\d+\s+(\S+)\s+(\S+):(\d+)\s+<?->\s+(\S+):(\d+)\s+.*?"
    r"\[proto: (?:\S+:)?[\d.]+/([^\]]+)\]"
    r"(?:.*?\[cat: ([^/\]]+)/\d+\])?"
    r"(?:.*?\[Hostname/SNI: ([^\]]*)\])?")


def ndpireader(path, max_packets):
    """{flow: (protocol, category or None, server name or "")} as Debian's
    ndpiReader reports them: -d (DPI only, no guessing by port), giving up
    after the same number of packets as sluice (its -T/-U N reads N + 1)."""
    out = subprocess.run([NDPI_READER, "-d", "-T", str(max_packets - 1), "-U",
                          str(max_packets - 1), "-i", path, "-v", "2", "-q"],
                         capture_output=True, timeout=120).stdout.decode("utf-8", "replace")
    flows = {}
    for line in out.splitlines():
        m = NDPI_LINE.match(line)
        if not m:
            continue
        proto, a, pa, b, pb, name, cat, sni = m.groups()
        a, b = addr(a.strip("[]")), addr(b.strip("[]"))
        proto = RECORD_PROTO.get(proto, proto)
        if proto in ("TCP", "UDP", "SCTP"):
            key = (proto, frozenset([(a, int(pa)), (b, int(pb))]))
        else:
            key = (proto, frozenset([a, b]))
        flows[key] = (name, cat or None, sni or "")
    return flows


def per_input_config(files, outdir, rules, appid=None, records_dir=None, sinks=False):
    """One input and one tenant per capture (flows of two captures never
    meet), each tenant's records in records_dir/t<i>.json and, with sinks,
    its member writing outdir/o<i>.pcap (else all to one net_null)."""
    ins, outs, tens = [], [], []
    for i, f in enumerate(files):
        ins.append(pcap_in(f, name=f"in{i}", port=i))
        out = f"o{i}" if sinks else "sink"
        if sinks:
            outs.append(pcap_out(out, os.path.join(outdir, f"o{i}.pcap"), len(files) + i))
        keys = {"rules": rules}
        if records_dir:
            keys["flow_records"] = {"file": os.path.join(records_dir, f"t{i}.json")}
        tens.append(tenant(f"t{i}", i + 1, [pool("p", [out])],
                           match={"inputs": [f"in{i}"], "untagged": True,
                                  "vlan": ["1-4094"]}, **keys))
    if not sinks:
        outs = [{"name": "sink", "vdev": f"net_null{len(files)}"}]
    return sluice_config(ins, outs, tens, stats={"interval": 0.2},
                         appid=appid or {"max_packets": MAX_PACKETS},
                         flow_table={"size": 65536})


# Captures of the corpus (Ethernet) with DNS (UDP and TCP), TLS (1.2 and
# 1.3 drafts, on 443 and 4433), QUIC, SSH, HTTP, SMTPS on 465 and ICMP.
COMPARED = [
    "dns_dns-single-request_input.pcap",
    "dns_dns-eve_input.pcap",
    "dns_dns-tcp-www-google-com_dns.pcap",
    "dns-eve-type-filtering_test.pcap",
    "tls_tls-certs-alert_input.pcap",
    "ja4-sv-handshake_input.pcap",
    "tls_tls13-draft22_tls13_draft22.pcap",
    "tls_tls-random_input.pcap",
    "tls_tls-glupteba-mb_input.pcap",
    "tls_tls-fin-close-data-01_debug-s13.pcap",
    "quic-ietf_input.pcap",
    "quic-cyu_input.pcap",
    "ja4-quic_input.pcap",
    "ssh-hassh-only_input.pcap",
    "ssh-banner-only_input.pcap",
    "bug-4663-03_icmp_and_ssh.pcap",
    "http-chunked_input.pcap",
    "http-connection-toclient_input.pcap",
    "smtp-tls-protodetect_input.pcap",
]


@pytest.mark.skipif(NDPI_READER is None, reason="ndpiReader absent (libndpi-bin)")
def test_protocols_equal_ndpireader(tmp):
    files = [corpus(f) for f in COMPARED]
    # an app rule first: every flow of every tenant goes through detection
    rules = [{"name": "ssh", "match": {"app": "ssh"}, "action": "forward"}]
    r = run_sluice(tmp, per_input_config(files, tmp, rules, records_dir=tmp), timeout=300)
    assert r.rc == 0, r.stderr[-3000:]
    assert r.final["ledger"]["balanced"]
    compared = protocols = 0
    seen = set()
    for i, f in enumerate(files):
        want = ndpireader(f, MAX_PACKETS)
        got = {rec_key(x): x for x in records(os.path.join(tmp, f"t{i}.json"))}
        assert want and set(got) == set(want), (os.path.basename(f), set(got) ^ set(want))
        for k, (name, cat, sni) in want.items():
            x = got[k]
            assert (x.get("app_proto"), x.get("app_category")) == (name, cat), \
                (os.path.basename(f), sorted(k[1], key=str), x, name, cat)
            if name.split(".")[0] in ("TLS", "QUIC"):
                assert x.get("sni", "") == sni, (os.path.basename(f), x, sni)
            compared += 1
            protocols += name != "Unknown"
            seen.add(name.split(".")[0])
        t = r.final["tenants"][i]
        assert t["app_detected"] + t["app_given_up"] == len(want), t
    # what the set is for: each of these protocols was compared
    assert {"DNS", "TLS", "QUIC", "SSH", "HTTP", "ICMP"} <= seen, seen
    assert compared >= len(COMPARED) and protocols >= len(COMPARED)


def tls_records(path):
    """(frame number, [content types], [handshake types]) of every frame of
    a capture, as tshark's TLS dissector reads them (on any port)."""
    out = subprocess.run([TSHARK, "-r", path, "-d", "tcp.port==4433,tls", "-T", "fields",
                          "-e", "frame.number", "-e", "tls.record.content_type",
                          "-e", "tls.handshake.type"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        no, ct, hs = (line.split("\t") + ["", ""])[:3]
        rows.append((int(no), [int(v) for v in ct.split(",") if v],
                     [int(v) for v in hs.split(",") if v]))
    return rows


def quic_headers(path):
    """(frame number, UDP source port, the first packet's header form: 1
    long, 0 short) of every frame of a QUIC capture, as tshark reads it."""
    out = subprocess.run([TSHARK, "-r", path, "-T", "fields", "-e", "frame.number",
                          "-e", "udp.srcport", "-e", "quic.header_form"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        no, port, form = (line.split("\t") + ["", ""])[:3]
        rows.append((int(no), int(port), int(form.split(",")[0]) if form else None))
    return rows


def tls_handshake_end(path):
    """The last frame carrying a handshake or ChangeCipherSpec record: the
    server's Finished (TLS 1.2)."""
    return max(no for no, ct, _ in tls_records(path) if {20, 22} & set(ct))


def quic_handshake_end(path):
    """The frame by which both sides have sent a datagram that starts with a
    short header (1-RTT)."""
    short = set()
    for no, port, form in quic_headers(path):
        if form == 0:
            short.add(port)
            if len(short) == 2:
                return no
    return None


@pytest.mark.skipif(TSHARK is None, reason="tshark absent")
def test_bypass_after_handshake(tmp):
    tls = [corpus("tls_tls-certs-alert_input.pcap"), corpus("ja4-sv-handshake_input.pcap")]
    quic = [corpus("quic-ietf_input.pcap")]
    files = tls + quic
    rules = [{"name": "enc", "match": {"app": ["tls", "quic"]},
              "action": "bypass-after-handshake"}]
    r = run_sluice(tmp, per_input_config(files, tmp, rules, records_dir=tmp, sinks=True))
    assert r.rc == 0, r.stderr[-3000:]
    f = r.final
    assert f["ledger"]["balanced"]
    for i, path in enumerate(files):
        sent = read_pcap(path)
        got = read_pcap(os.path.join(tmp, f"o{i}.pcap"))
        end = quic_handshake_end(path) if path in quic else tls_handshake_end(path)
        # there is something after the handshake to bypass
        assert end is not None and 0 < end < len(sent), (path, end)
        # packet by packet: the member got the input up to the handshake's
        # end, in order, and nothing after it
        assert got == sent[:end], (os.path.basename(path), len(got), end)
        t = f["tenants"][i]
        assert t["app_handshake_bypassed"] == 1 and t["app_handshake_failed"] == 0, t
        assert t["bypassed"] == len(sent) - end and t["forwarded"] == end, t
        rec = records(os.path.join(tmp, f"t{i}.json"))
        assert len(rec) == 1
        x = rec[0]
        assert x["sluice"]["action"] == "bypass-after-handshake" and x["sluice"]["rule"] == "enc"
        assert x["sluice"]["forwarded"]["pkts"] == end
        assert x["sluice"]["bypassed"]["pkts"] == len(sent) - end and x["flow"]["bypassed"]
    # what the analyzer has of the TLS flows: every handshake record of the
    # input, and no application data
    for i, path in enumerate(tls):
        member = os.path.join(tmp, f"o{i}.pcap")
        hs_in = sorted(h for _, _, hs in tls_records(path) for h in hs)
        hs_got = sorted(h for _, _, hs in tls_records(member) for h in hs)
        assert {1, 2, 11} <= set(hs_got), hs_got  # ClientHello, ServerHello, Certificate
        assert hs_got == [h for h in hs_in if h in hs_got] and len(hs_got) == len(hs_in)
        assert not any(23 in ct for _, ct, _ in tls_records(member))
        assert any(23 in ct for _, ct, _ in tls_records(path))
    # the QUIC flow: all its long-header (handshake) datagrams, and short
    # headers from both sides, the last datagram being one
    path = quic[0]
    got = quic_headers(os.path.join(tmp, f"o{len(tls)}.pcap"))
    assert [f for _, _, f in got].count(1) == [f for _, _, f in quic_headers(path)].count(1)
    assert got[-1][2] == 0 and len({port for _, port, f in got if f == 0}) == 2


def rewrite_port(pkts, old, new):
    out = []
    for p in pkts:
        p = p.copy()
        if UDP in p:
            u = p[UDP]
            u.sport = new if u.sport == old else u.sport
            u.dport = new if u.dport == old else u.dport
            del u.chksum
        out.append(p)
    return out


def where(outdir, names):
    """{flow: Counter(output: packets)} over the outputs' pcaps."""
    w = collections.defaultdict(collections.Counter)
    for n in names:
        for p in rdpcap(os.path.join(outdir, n + ".pcap")):
            l4 = p[TCP] if TCP in p else p[UDP]
            w[frozenset([(p[IP].src, l4.sport), (p[IP].dst, l4.dport)])][n] += 1
    return w


def fkey(p):
    l4 = p[TCP] if TCP in p else p[UDP]
    return frozenset([(p[IP].src, l4.sport), (p[IP].dst, l4.dport)])


def test_dns_on_other_port_and_http_steered(tmp):
    """DNS queries on UDP 5300 (real ones from the corpus, port rewritten),
    on 53, and a UDP flow on 5300 that is not DNS; an HTTP flow steered to
    the web pool once HTTP is known. Port rules send all of it to zeek
    first."""
    dns53 = [p for p in rdpcap(corpus("dns_dns-eve_input.pcap")) if UDP in p and IP in p]
    dns_other = rewrite_port(list(rdpcap(corpus("lua-output-dns_test.pcap"))) +
                             list(rdpcap(corpus("dns_v2_dns-udp-eve-txt_input.pcap"))), 53, 5300)
    dns_other = [p for p in dns_other if UDP in p and IP in p]
    http = [p for p in rdpcap(corpus("http-chunked_input.pcap")) if TCP in p and IP in p]
    junk = []
    for i in range(4):
        a, b = ("10.9.9.1", "10.9.9.2") if i % 2 == 0 else ("10.9.9.2", "10.9.9.1")
        pa, pb = (40000, 5300) if i % 2 == 0 else (5300, 40000)
        junk.append(Ether() / IP(src=a, dst=b) / UDP(sport=pa, dport=pb) /
                    Raw(b"not a DNS message, just some bytes %d" % i))
    allp = dns53 + dns_other + http + junk
    for n, p in enumerate(allp):
        p.time = 1700000000 + n * 1e-3
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, allp)
    assert all(5300 in (p[UDP].sport, p[UDP].dport) for p in dns_other) and dns_other
    names = ["z0", "d0", "w0"]
    rec = os.path.join(tmp, "flows.json")
    cfg = sluice_config(
        [pcap_in(inp)], [pcap_out(n, os.path.join(tmp, n + ".pcap"), i + 1)
                         for i, n in enumerate(names)],
        [tenant("acme", 1, [pool("zeek", ["z0"]), pool("dns", ["d0"]), pool("web", ["w0"])],
                match={"untagged": True},
                rules=[{"name": "dns", "match": {"app": "dns"}, "action": "steer",
                        "pools": "dns"},
                       {"name": "http", "match": {"app": "http", "proto": "tcp"},
                        "action": "steer", "pools": "web"}],
                flow_records={"file": rec})],
        stats={"interval": 0.2})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    f = r.final
    assert f["ledger"]["balanced"] and f["ledger"]["forwarded"] == len(allp)
    w = where(tmp, names)
    dns_flows = {fkey(p) for p in dns53 + dns_other}
    for k in dns_flows:
        n = sum(1 for p in dns53 + dns_other if fkey(p) == k)
        assert w[k] == {"d0": n}, (sorted(k), w[k])
    assert w[fkey(junk[0])] == {"z0": len(junk)}
    # HTTP: the packets before the first one with a payload (the request
    # nDPI reads HTTP in) went where the port rules send them, the request
    # and everything after it to the web pool; nothing twice
    first = next(i for i, p in enumerate(http) if len(p[TCP].payload) > 0)
    hk = fkey(http[0])
    assert w[hk] == {"z0": first, "w0": len(http) - first}, w[hk]
    assert [bytes(p) for p in rdpcap(os.path.join(tmp, "w0.pcap"))] == \
        [bytes(p) for p in http[first:]]
    t = f["tenants"][0]
    assert t["app_steered"] == len(dns_flows) + 1, t
    assert t["app_detected"] == len(dns_flows) + 1 and t["app_given_up"] == 1, t
    by = {rec_key(x): x for x in records(rec)}
    for k in dns_flows:
        x = by[("UDP", k)]
        # DNS, or DNS.<the service it asks for> (nDPI reads the name)
        assert x["app_proto"].split(".")[0] == "DNS", x
        assert x["sluice"]["pool"] == "dns" and x["sluice"]["action"] == "steer"
        assert x["sluice"]["rule"] == "dns" and "sni" not in x
    x = by[("TCP", hk)]
    assert x["app_proto"] == "HTTP" and x["sluice"]["pool"] == "web"
    x = by[("UDP", fkey(junk[0]))]
    assert x["app_proto"] == "Unknown" and x["sluice"]["pool"] == "zeek"
    assert "rule" not in x["sluice"]


def test_tenant_without_app_rules_and_port_rule_first(tmp):
    """Tenant a has app rules; tenant b (the same TLS and DNS traffic on
    another VLAN) has none: b's flows are not detected, cost no detection
    packet and carry no app keys. In a, a flow whose port rule comes before
    every app rule is not detected either."""
    src = [p for p in rdpcap(corpus("tls_tls-certs-alert_input.pcap"))] + \
          [p for p in rdpcap(corpus("dns_dns-eve_input.pcap")) if UDP in p]
    ssh = list(rdpcap(corpus("ssh-hassh-only_input.pcap")))
    from scapy.all import Dot1Q

    def tag(pkts, vlan):
        out = []
        for p in pkts:
            e = p[Ether]
            q = Ether(src=e.src, dst=e.dst) / Dot1Q(vlan=vlan, type=e.type) / e.payload
            q.time = p.time
            out.append(q)
        return out
    a_pkts, b_pkts = tag(src + ssh, 100), tag(src + ssh, 200)
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, a_pkts + b_pkts)
    rec_a, rec_b = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
    cfg = sluice_config(
        [pcap_in(inp)], [{"name": "sink", "vdev": "net_null1"}],
        [tenant("a", 1, [pool("p", ["sink"])], match={"vlan": [100]},
                rules=[{"name": "ssh22", "match": {"dport": 22}, "action": "forward"},
                       {"name": "enc", "match": {"app": ["tls", "dns", "ssh"]},
                        "action": "forward"}],
                flow_records={"file": rec_a}),
         tenant("b", 2, [pool("p", ["sink"])], match={"vlan": [200]},
                rules=[{"name": "ssh22", "match": {"dport": 22}, "action": "forward"}],
                flow_records={"file": rec_b})],
        stats={"interval": 0.2})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    f = r.final
    ta, tb = f["tenants"]
    ra, rb = records(rec_a), records(rec_b)
    assert len(ra) == len(rb) > 2
    for x in rb:
        assert not {"app_proto", "app_category", "sni"} & set(x), x
    assert all(v == 0 for k, v in tb.items() if k.startswith("app_")), tb
    # in a: TLS and DNS detected, the SSH flow (port rule first) not
    detected = [x for x in ra if "app_proto" in x]
    ssh_rec = [x for x in ra if x.get("dest_port") == 22 or x.get("src_port") == 22]
    assert ssh_rec and all("app_proto" not in x for x in ssh_rec)
    assert len(detected) == len(ra) - len(ssh_rec) == ta["app_detected"] + ta["app_given_up"]
    assert {"TLS", "DNS"} <= {x["app_proto"].split(".")[0] for x in detected}
    # detection read packets of a's detected flows only, and not all of them
    # (it ends once nDPI has what it wants)
    w = f["workers"][0]
    a_detected_pkts = sum(x["flow"]["pkts_toserver"] + x["flow"]["pkts_toclient"]
                          for x in detected)
    assert 0 < w["app_packets"] < a_detected_pkts, (w["app_packets"], a_detected_pkts)


def test_state_pool_full(tmp):
    """64 concurrent flows (sl-gen, interleaved) and room for 16: 48 are
    refused a state, counted, and forwarded like the others; the 16 with a
    state end detected or given up (sl-gen's payloads are not a protocol,
    but nDPI takes some for one)."""
    pcap, flows = gen(tmp, "flows", "--flows", 64, "--packets", 4, "--udp", 50)
    rec = os.path.join(tmp, "flows.json")
    cfg = sluice_config(
        [pcap_in(pcap)], [{"name": "sink", "vdev": "net_null1"}],
        [tenant("t", 1, [pool("p", ["sink"])], match={"untagged": True, "vlan": ["1-4094"]},
                rules=[{"match": {"app": "tls"}, "action": "bypass-after-handshake"}],
                flow_records={"file": rec})],
        stats={"interval": 0.2},
        appid={"flows": 16, "detecting": 16, "max_packets": 32, "memory_mb": 32})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    f = r.final
    t = f["tenants"][0]
    assert f["ledger"]["balanced"] and f["ledger"]["forwarded"] == len(flows) * 4
    assert t["app_no_state"] == 48 and t["app_no_memory"] == 0, t
    assert t["app_given_up"] + t["app_detected"] == 16, t
    recs = records(rec)
    assert len(recs) == 64
    assert sum(1 for x in recs if "app_proto" in x) == 16
    assert sum(1 for x in recs if "app_proto" not in x) == 48
    w = f["workers"][0]
    assert w["app_flows"] == 0 and w["app_detecting"] == 0  # all ended
    assert w["app_memory"] > 0


def test_tenants_share_the_detection_state(tmp):
    """The flow and detection states are shared by the tenants with app
    rules in equal parts: tenant a's 64 new flows, all before tenant b's 8,
    take a's half (8) and no more; b's 8 flows all get one."""
    a_pcap, a_flows = gen(tmp, "a", "--flows", 64, "--packets", 2, "--vlan-base", 100,
                          "--seed", 3)
    b_pcap, b_flows = gen(tmp, "b", "--flows", 8, "--packets", 2, "--vlan-base", 200,
                          "--seed", 4)
    inp = os.path.join(tmp, "ab.pcap")
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", inp, a_pcap, b_pcap], check=True)
    rules = [{"match": {"app": "tls"}, "action": "bypass-after-handshake"}]
    cfg = sluice_config(
        [pcap_in(inp)], [{"name": "sink", "vdev": "net_null1"}],
        [tenant("a", 1, [pool("p", ["sink"])], match={"vlan": [100]}, rules=rules),
         tenant("b", 2, [pool("p", ["sink"])], match={"vlan": [200]}, rules=rules)],
        stats={"interval": 0.2}, appid={"flows": 16, "detecting": 16})
    r = run_sluice(tmp, cfg)
    assert r.rc == 0, r.stderr
    f = r.final
    ta, tb = f["tenants"]
    assert f["ledger"]["balanced"] and f["ledger"]["forwarded"] == 2 * (64 + 8)
    assert ta["app_no_state"] == 64 - 8, ta
    assert ta["app_detected"] + ta["app_given_up"] == 8, ta
    assert tb["app_no_state"] == 0 and tb["app_detected"] + tb["app_given_up"] == 8, tb


def dns_query_frame(vlan, sport, dport):
    """A real DNS query (from the corpus) in a VLAN-tagged IPv4/UDP frame
    10.0.0.1:sport -> 10.0.0.2:dport."""
    q = next(bytes(p[UDP].payload) for p in rdpcap(corpus("dns_dns-single-request_input.pcap"))
             if UDP in p and p[UDP].dport == 53)
    from scapy.all import Dot1Q
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=vlan) /
                 IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=sport, dport=dport) / Raw(q))


def test_reload_decides_again(tmp, peers):
    """A running flow detected as DNS and steered: a reload that takes the
    app rule away sends its next packets by the port rules; one that puts
    it back steers them again, from what detection found (no new
    detection). Changing the appid: section is refused."""
    from test_outputs import send_frames
    from test_reload import OUTS, admin, captures, marked, start, tenant_stats, where

    def cfg(rules, appid=None):
        b = tenant("b", 2, [pool("p", ["o3"]), pool("dns", ["o4"])], match={"vlan": [101]},
                   rules=rules)
        a = tenant("a", 1, [pool("p", ["o1", "o2"])], match={"vlan": [100]})
        return sluice_config([{"name": "in", "vdev": "net_tap0,iface=IFACE"}],
                             [pcap_out(o, os.path.join(tmp, o + ".pcap"), i + 1)
                              for i, o in enumerate(OUTS)], [a, b],
                             admin={"socket": os.path.join(tmp, "admin.sock")},
                             stats={"interval": 0.2}, appid=appid or {})
    steer = cfg([{"name": "dns", "match": {"app": "dns"}, "action": "steer", "pools": "dns"}])
    plain = cfg([{"name": "port", "match": {"dport": 5300}, "action": "forward", "pools": "p"}])
    sl, iface, sock = start(tmp, peers, steer)

    def reload(text):
        with open(sl.cfg, "w") as f:
            f.write(text.replace("IFACE", iface))
        rc, rep = admin(sock, "reload")
        # two stats lines after it: every worker has run a loop with the
        # new tables (each line needs every worker to answer twice)
        n = len(sl.lines())
        sl.wait(lambda: len(sl.lines()) >= n + 2, "two stats lines after the reload")
        return rc, rep

    def send(frames, total):
        send_frames(iface, frames)
        sl.wait(lambda: tenant_stats(sl.last(), "b")["forwarded"] >= total, f"{total} handled")

    send([dns_query_frame(101, 40000, 5300)] + marked(101, 40000, 5300, b"PHASE1", 6, 17), 7)
    rc, rep = reload(plain)
    assert rc == 0, rep
    send(marked(101, 40000, 5300, b"PHASE2", 6, 17), 13)
    rc, rep = reload(steer)
    assert rc == 0, rep
    send(marked(101, 40000, 5300, b"PHASE3", 6, 17), 19)
    rc, rep = reload(cfg([{"match": {"app": "dns"}, "action": "steer", "pools": "dns"}],
                         appid={"max_packets": 8}))
    assert rc != 0 and "appid: changed; this needs a restart" in rep.get("error", ""), rep
    st = sl.finish()
    b = tenant_stats(st, "b")
    assert b["flows"] == 1 and b["app_detected"] == 1, b  # one flow, detected once
    assert b["app_steered"] == 2, b                        # at detection, after the reload
    caps = captures(tmp)
    assert where(caps, b"PHASE1") == {"o4": 6}
    assert where(caps, b"PHASE2") == {"o3": 6}
    assert where(caps, b"PHASE3") == {"o4": 6}
    assert sum(1 for f in caps["o4"] if f.endswith(dns_query_frame(101, 40000, 5300)[-20:])) == 1

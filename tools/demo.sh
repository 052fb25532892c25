#!/usr/bin/env bash
# The sluice demo: set up, build, generate mirrored traffic for three tenants
# (VLANs 100-103, plus 104 that no tenant owns), run sluice with config/demo.yaml delivering each tenant to
# its own pool of pcap "analyzers", and print where every packet went.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
out=out/demo
rm -rf "$out"; mkdir -p "$out"
echo "demo: generating 4000 bidirectional flows over VLANs 100-104; 104 belongs to no tenant (IPv4/IPv6, TCP/UDP/ICMP, IMIX)"
build/tools/sl-gen/sl-gen -o "$out/traffic.pcap" --flow-list "$out/flows.tsv" \
    --flows 5000 --tenants 5 --vlan-base 100 --ipv6 30 --udp 25 --icmp 5 \
    --packets 6 --frame imix --seed 42
echo "demo: running sluice --config config/demo.yaml"
build/app/sluice/sluice --config config/demo.yaml --exit-on-idle 500 -- --in-memory \
    --log-level=lib.eal:error 2> "$out/sluice.log" || { cat "$out/sluice.log"; exit 1; }
/usr/bin/python3 tools/sl-report.py "$out/stats.json" --config config/demo.yaml
echo
echo "stats JSON lines: $out/stats.json    sluice log: $out/sluice.log"
echo "read a member:    tcpdump -nn -e -r $out/acme-zeek0.pcap | head"

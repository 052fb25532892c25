#!/usr/bin/env bash
# The live demo: the demo's three tenants (config/demo.yaml) with the mirror
# replayed in a loop and the analyzers replaced by net_null ports, watched
# with tools/sl-top until you press q (sluice stops after SL_DEMO_SECONDS,
# default 300, or when sl-top quits).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
out=out/demo-live
rm -rf "$out"; mkdir -p "$out"
build/tools/sl-gen/sl-gen -o "$out/traffic.pcap" --flows 5000 --tenants 5 --vlan-base 100 \
    --ipv6 30 --udp 25 --icmp 5 --packets 6 --frame imix --seed 42 >/dev/null
# the same tenants and pools; the input loops (net_pcap keeps the whole
# file in mbufs: more of them), outputs discard
sed -e "s|rx_pcap=out/demo/traffic.pcap|rx_pcap=$out/traffic.pcap,infinite_rx=1|" \
    -e 's|net_pcap\([0-9]*\),tx_pcap=[^"]*|net_null\1,no-rx=1|' \
    -e 's|--file-prefix=sluice-demo|--file-prefix=sluice-live|' \
    -e "s|out/demo/stats.json|$out/stats.json|" \
    -e 's|mbufs: 16383|mbufs: 65535|' config/demo.yaml > "$out/live.yaml"
build/app/sluice/sluice --config "$out/live.yaml" --duration "${SL_DEMO_SECONDS:-300}" \
    -- --in-memory 2> "$out/sluice.log" &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf /var/run/dpdk/sluice-live' EXIT
/usr/bin/python3 tools/sl-top -f sluice-live

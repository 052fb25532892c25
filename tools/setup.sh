#!/usr/bin/env bash
# Set up a Debian bookworm machine for sluice: install every package the
# project needs (idempotent), reserve hugepages and mount hugetlbfs when
# missing, then build. Safe to run again; does only what is missing.
#
#   tools/setup.sh            # packages, hugepages, build
#   SL_HUGEPAGES=4096 tools/setup.sh   # reserve more 2 MiB pages (benchmark)
#   SL_SKIP_BUILD=1 tools/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential pkg-config meson ninja-build
      dpdk dpdk-dev libdpdk-dev libnuma-dev libjansson-dev libyaml-dev libpcap-dev libssl-dev
      libcmocka-dev python3 python3-pytest python3-scapy python3-yaml
      tshark wireshark-common tcpdump tcpreplay clang libclang-rt-14-dev iproute2 procps
      yamllint python3-kubernetes
      openvswitch-switch-dpdk tcpflow argus-server argus-client
      libsystemd-dev systemd pandoc man-db logrotate
      libmicrohttpd-dev prometheus python3-prometheus-client tmux
      libndpi-dev libndpi-bin)

SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root (or install sudo)" >&2; exit 1; }
    SUDO=sudo
fi

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    # tshark asks whether non-root users may capture: keep the default (no)
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Open vSwitch: the DPDK build of ovs-vswitchd (tests/e2e/test_ovs.py runs
# it from a private directory; the system service, if any, is left alone)
ovs_dpdk=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
if [ -x "$ovs_dpdk" ] && [ "$(readlink -f /usr/sbin/ovs-vswitchd)" != "$ovs_dpdk" ]; then
    $SUDO update-alternatives --set ovs-vswitchd "$ovs_dpdk" >/dev/null
fi

# Hugepages: 2 MiB pages, SL_HUGEPAGES of them (default 1024 = 2 GiB).
want=${SL_HUGEPAGES:-1024}
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
have=$(cat "$nr")
if [ "$have" -lt "$want" ]; then
    echo "$want" | $SUDO tee "$nr" >/dev/null
    have=$(cat "$nr")
    [ "$have" -ge "$want" ] || echo "setup: warning: only $have of $want hugepages could be reserved" >&2
fi
if ! grep -qs " /dev/hugepages hugetlbfs " /proc/mounts; then
    $SUDO mkdir -p /dev/hugepages
    $SUDO mount -t hugetlbfs nodev /dev/hugepages
fi

if [ -z "${SL_SKIP_BUILD:-}" ]; then
    # quiet when it works; meson and ninja report errors on stdout
    if [ ! -f build/build.ninja ]; then
        if ! log=$(meson setup build -Dtests=enabled 2>&1); then
            echo "$log" | tail -20 >&2
            exit 1
        fi
    fi
    if ! log=$(ninja -C build 2>&1); then
        echo "$log" | tail -40 >&2
        exit 1
    fi
    echo "setup: built build/app/sluice/sluice"
fi

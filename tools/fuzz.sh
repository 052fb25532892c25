#!/usr/bin/env bash
# Build the parser's libFuzzer harness with clang (ASan + UBSan), replay the
# regression inputs, then fuzz for SL_FUZZ_SECONDS (default 60) from seeds
# made of the corpus' frames and sl-gen traffic. Exit non-zero on a crash;
# the crashing input is left in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${SL_FUZZ_SECONDS:-60}
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled -Db_lto=false >/dev/null
fi
ninja -C build-fuzz tests/fuzz/fuzz_parse >/dev/null
fz=build-fuzz/tests/fuzz/fuzz_parse
regs=$(find tests/fuzz/regressions -type f ! -name README.md | sort)
if [ -n "$regs" ]; then
    # shellcheck disable=SC2086
    "$fz" $regs >/dev/null 2>&1 || { echo "fuzz: a regression input fails again"; exit 1; }
fi
seeds=build-fuzz/seeds
if [ ! -d "$seeds" ]; then
    mkdir -p "$seeds"
    if [ -x build/tools/sl-gen/sl-gen ]; then
        build/tools/sl-gen/sl-gen -o build-fuzz/gen.pcap --flows 200 --tenants 2 --qinq 300 \
            --ipv6 50 --udp 30 --icmp 10 --packets 3 --frame imix >/dev/null
        /usr/bin/python3 tools/fuzz-seeds.py "$seeds" build-fuzz/gen.pcap
    else
        /usr/bin/python3 tools/fuzz-seeds.py "$seeds"
    fi
fi
mkdir -p build-fuzz/crashes build-fuzz/work
cp -rn "$seeds"/. build-fuzz/work/ 2>/dev/null || true
rc=0
"$fz" build-fuzz/work -max_total_time="$secs" -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1 > build-fuzz/fuzz.log 2>&1 || rc=$?
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/fuzz.log || true
if [ $rc -ne 0 ]; then
    tail -40 build-fuzz/fuzz.log
    echo "fuzz: crash, input in build-fuzz/crashes/"
fi
exit $rc

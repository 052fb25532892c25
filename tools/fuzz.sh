#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and, for each one:
# replay its regression inputs (tests/fuzz/regressions/<target>/), then fuzz
# for SL_FUZZ_SECONDS (default 25) from its committed corpus
# (tests/fuzz/corpus/<target>/; for fuzz_parse also seeds made from the
# shared pcap corpus and sl-gen traffic by tools/fuzz-seeds.py).
#
#   tools/fuzz.sh                          # every target
#   SL_FUZZ_TARGETS="fuzz_config" SL_FUZZ_SECONDS=300 tools/fuzz.sh
#
# One line per target ("fuzz: <target> ok|FAIL ..."); each target's exit
# status goes to build-fuzz/results/<target>.rc (tools/test.sh counts them).
# A crashing input is left in build-fuzz/crashes/<target>/: once the bug is
# fixed, add it to tests/fuzz/regressions/<target>/ so it stays fixed.
# Exit status: non-zero when any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${SL_FUZZ_SECONDS:-25}
targets=${SL_FUZZ_TARGETS:-"fuzz_parse fuzz_config fuzz_ctlproto fuzz_shmring"}
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled -Db_lto=false >/dev/null || exit 1
fi
rm -rf build-fuzz/results
mkdir -p build-fuzz/results
status=0
for t in $targets; do
    rcfile=build-fuzz/results/$t.rc
    if ! ninja -C build-fuzz "tests/fuzz/$t" >build-fuzz/$t.build.log 2>&1; then
        tail -20 build-fuzz/$t.build.log
        echo "fuzz: $t FAIL (build)"
        echo 1 >"$rcfile"; status=1; continue
    fi
    fz=build-fuzz/tests/fuzz/$t
    regs=$(find "tests/fuzz/regressions/$t" -type f ! -name README.md ! -name .keep 2>/dev/null | sort)
    if [ -n "$regs" ]; then
        # shellcheck disable=SC2086
        if ! "$fz" $regs >build-fuzz/$t.regressions.log 2>&1; then
            tail -30 build-fuzz/$t.regressions.log
            echo "fuzz: $t FAIL (a regression input fails again)"
            echo 1 >"$rcfile"; status=1; continue
        fi
    fi
    dirs=("tests/fuzz/corpus/$t")
    if [ "$t" = fuzz_parse ]; then
        seeds=build-fuzz/seeds/fuzz_parse
        if [ ! -d "$seeds" ]; then
            mkdir -p "$seeds"
            extra=()
            if [ -x build/tools/sl-gen/sl-gen ]; then
                build/tools/sl-gen/sl-gen -o build-fuzz/gen.pcap --flows 200 --tenants 2 \
                    --qinq 300 --ipv6 50 --udp 30 --icmp 10 --packets 3 --frame imix >/dev/null
                extra=(build-fuzz/gen.pcap)
            fi
            /usr/bin/python3 tools/fuzz-seeds.py "$seeds" "${extra[@]}" >/dev/null
        fi
        dirs+=("$seeds")
    fi
    work=build-fuzz/work/$t
    mkdir -p "$work" "build-fuzz/crashes/$t"
    rc=0
    "$fz" "$work" "${dirs[@]}" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
        -timeout=20 -artifact_prefix="build-fuzz/crashes/$t/" -print_final_stats=1 \
        >build-fuzz/$t.log 2>&1 || rc=$?
    echo $rc >"$rcfile"
    runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" build-fuzz/$t.log | grep -oE "[0-9]+$")
    cov=$(grep -oE "DONE +cov: [0-9]+" build-fuzz/$t.log | grep -oE "[0-9]+$")
    if [ $rc -ne 0 ]; then
        tail -40 build-fuzz/$t.log
        echo "fuzz: $t FAIL (crash; input in build-fuzz/crashes/$t/)"
        status=1
    else
        echo "fuzz: $t ok (${runs:-?} runs in ${secs} s, ${cov:-?} edges)"
    fi
done
exit $status

#!/usr/bin/env bash
# Set up (packages, hugepages, build) and run every test: the cmocka unit
# tests through meson, the same under ASan+UBSan, a clang build (warnings as
# errors) and its unit tests, each libFuzzer target (tools/fuzz.sh: parser,
# config loader, control requests, shared-ring consumer) for SL_FUZZ_SECONDS
# each (default 25), then the end-to-end tests (pytest, Debian's python3).
# The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

out=build/test-results
rm -rf "$out"; mkdir -p "$out"
# cmocka speaks TAP, so meson counts every unit test case
meson test -C build --suite unit --print-errorlogs > "$out/unit.log" 2>&1
grep -E "^ *[0-9]+/[0-9]+ |^Ok:|^Fail:" "$out/unit.log" || true

# the same unit tests under AddressSanitizer and UBSan
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lto=false -Dtests=enabled >/dev/null
fi
if ninja -C build-asan >/dev/null 2>&1; then
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --suite unit --print-errorlogs > "$out/unit-asan.log" 2>&1
    grep -E "^ *[0-9]+/[0-9]+ " "$out/unit-asan.log" | sed 's/^/asan: /' || true
else
    echo "asan: build failed" | tee "$out/unit-asan.log"
    mkdir -p build-asan/meson-logs
    echo '{"name": "asan-build", "result": "FAIL"}' > build-asan/meson-logs/testlog.json
fi

# the same code built with clang, warnings as errors (no LTO: clang's needs
# lld); its unit tests run too
if [ ! -f build-clang/build.ninja ]; then
    CC=clang meson setup build-clang -Dtests=enabled -Db_lto=false >/dev/null 2>&1
fi
rm -f build-clang/meson-logs/testlog.json
if ninja -C build-clang > "$out/clang-build.log" 2>&1; then
    echo 0 > "$out/clang.rc"
    meson test -C build-clang --suite unit --print-errorlogs > "$out/unit-clang.log" 2>&1
    grep -E "^ *[0-9]+/[0-9]+ " "$out/unit-clang.log" | sed 's/^/clang: /' || true
else
    echo 1 > "$out/clang.rc"
    echo "clang: build failed"; grep -E "error|warning" "$out/clang-build.log" | head -20
fi

# every libFuzzer target (clang, ASan+UBSan) for a fixed time each
SL_FUZZ_SECONDS=${SL_FUZZ_SECONDS:-25} bash tools/fuzz.sh > "$out/fuzz.log" 2>&1
grep "^fuzz: " "$out/fuzz.log" || tail -5 "$out/fuzz.log"

/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e --junitxml="$out/e2e.xml" "$@"

/usr/bin/python3 - "$out" <<'PY'
import json, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
passed = failed = skipped = 0


def tap_counts(t):
    """cmocka speaks TAP: count every test case, not every binary."""
    tap = [l for l in (t.get("stdout") or "").splitlines()
           if l.startswith("ok ") or l.startswith("not ok ")]
    ok = sum(1 for l in tap if l.startswith("ok ") and "# SKIP" not in l)
    skip = sum(1 for l in tap if "# SKIP" in l)
    fail = len(tap) - ok - skip
    if t["result"] not in ("OK", "SKIP") and fail == 0:
        fail = 1  # crashed or timed out before reporting
    if not tap and t["result"] == "OK":
        ok = 1
    return ok, fail, skip


for log in ("build/meson-logs/testlog.json", "build-asan/meson-logs/testlog.json",
            "build-clang/meson-logs/testlog.json"):
    try:
        lines = open(log).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        ok, fail, skip = tap_counts(json.loads(line))
        passed, failed, skipped = passed + ok, failed + fail, skipped + skip
# the clang build itself
if open(f"{out}/clang.rc").read().strip() == "0":
    passed += 1
else:
    failed += 1
# one result per fuzz target (tools/fuzz.sh); none at all is a failure
import glob
rcs = sorted(glob.glob("build-fuzz/results/*.rc"))
if not rcs:
    failed += 1
for rc in rcs:
    if open(rc).read().strip() == "0":
        passed += 1
    else:
        failed += 1
try:
    r = ET.parse(f"{out}/e2e.xml").getroot()
    for ts in r.iter("testsuite"):
        n, f_, e, s = (int(ts.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        passed += n - f_ - e - s
        failed += f_ + e
        skipped += s
except (OSError, ET.ParseError):
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY

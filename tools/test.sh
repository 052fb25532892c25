#!/usr/bin/env bash
# Set up (packages, hugepages, build) and run every test: the cmocka unit
# tests through meson, then the end-to-end tests (pytest, Debian's python3).
# The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

out=build/test-results
rm -rf "$out"; mkdir -p "$out"
# cmocka speaks TAP, so meson counts every unit test case
meson test -C build --suite unit --print-errorlogs > "$out/unit.log" 2>&1
unit_rc=$?
cat "$out/unit.log" | grep -E "^ *[0-9]+/[0-9]+ |Ok:|Fail:|Skipped:" || true

/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e --junitxml="$out/e2e.xml" "$@"
e2e_rc=$?
[ $e2e_rc -eq 5 ] && e2e_rc=0   # no tests collected is reported, not fatal

/usr/bin/python3 - "$out" <<'PY'
import json, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
passed = failed = skipped = 0
with open("build/meson-logs/testlog.json") as f:
    for line in f:
        t = json.loads(line)
        if t.get("suite") and "unit" not in t["suite"][0] and "unit" not in str(t["suite"]):
            continue
        subs = t.get("subtests") or []  # not written by every meson version
        res = t["result"]
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
try:
    r = ET.parse(f"{out}/e2e.xml").getroot()
    for ts in (r.iter("testsuite")):
        n, f_, e, s = (int(ts.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        passed += n - f_ - e - s
        failed += f_ + e
        skipped += s
except (OSError, ET.ParseError):
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY

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
grep -E "^ *[0-9]+/[0-9]+ |^Ok:|^Fail:" "$out/unit.log" || true

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
        # cmocka speaks TAP: count every test case, not every binary
        tap = [l for l in (t.get("stdout") or "").splitlines()
               if l.startswith("ok ") or l.startswith("not ok ")]
        cases_ok = sum(1 for l in tap if l.startswith("ok ") and "# SKIP" not in l)
        cases_skip = sum(1 for l in tap if "# SKIP" in l)
        cases_fail = len(tap) - cases_ok - cases_skip
        if t["result"] not in ("OK", "SKIP") and cases_fail == 0:
            cases_fail = 1  # crashed or timed out before reporting
        if not tap and t["result"] == "OK":
            cases_ok = 1
        passed += cases_ok
        failed += cases_fail
        skipped += cases_skip
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

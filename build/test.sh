#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: build with warnings as errors, publish the
# release layout the end-to-end tests drive, run every test project (one at a time: the lab
# tests share namespaces and ports), then print the real counts from the TRX files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash build/setup.sh
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build tunmux.sln -c Release -nologo -v quiet -warnaserror
# The release layout the end-to-end tests drive (where the unprivileged proxies can run it).
export TUNMUX_DIST=$(bash build/dist.sh)
export TUNMUX_TEST_HOST="$TUNMUX_DIST/tunmux.dll"

# Leftovers of an interrupted earlier run must not trip this one.
[ -x build/lab/lab.sh ] && bash build/lab/lab.sh down >/dev/null 2>&1 || true

status=0
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=minimal" || status=1
done

[ -x build/lab/lab.sh ] && bash build/lab/lab.sh down >/dev/null 2>&1 || true

# Counted from each test's own outcome: NUnit's ignored tests appear only there, as NotExecuted.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    for r in ET.parse(f).getroot().iterfind("t:Results/t:UnitTestResult", ns):
        outcome = r.get("outcome")
        if outcome == "Passed": passed += 1
        elif outcome in ("NotExecuted", "Inconclusive", "Warning"): skipped += 1
        else: failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status

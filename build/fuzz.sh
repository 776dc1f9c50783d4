#!/usr/bin/env bash
# The long, coverage-guided fuzz run of the proxies' request parsers (tests/Tunmux.Proxy.Tests/Fuzz):
# installs AFL++ and the SharpFuzz instrumenter when missing, instruments Tunmux.Privileged.dll, runs
# afl-fuzz for SECONDS (default 600) and prints executions and crashes. The suite runs the same target
# in process on every run (FuzzTargetTests); this is the run that finds what random mutation does not.
# Usage: sudo build/fuzz.sh [seconds]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
out="$root/artifacts/fuzz/proxy"
build="$root/artifacts/fuzz/proxy-build"

if ! command -v afl-fuzz >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
tools="$root/artifacts/fuzz/tools"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

rm -rf "$build" "$out"
mkdir -p "$out"
dotnet publish "$root/tests/Tunmux.Proxy.Tests/Fuzz/Tunmux.Proxy.Fuzz.csproj" -c Release -o "$build" -nologo -v quiet
"$tools/sharpfuzz" "$build/Tunmux.Privileged.dll" >/dev/null

# No core dumps to wait for, no CPU governor to ask about: this is a shared test machine, not a fuzz farm.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
timeout --preserve-status $((seconds + 30)) afl-fuzz -V "$seconds" -t 5000 -m none \
  -i "$root/tests/Tunmux.Proxy.Tests/Fuzz/corpus" -o "$out" -- dotnet "$build/Tunmux.Proxy.Fuzz.dll" --afl >"$out/afl.log" 2>&1 || true

stats=$(find "$out" -name fuzzer_stats | head -1)
if [ -z "$stats" ]; then
  echo "error: afl-fuzz produced no statistics; see $out/afl.log" >&2
  tail -5 "$out/afl.log" >&2
  exit 1
fi
execs=$(awk -F': *' '$1 ~ /^execs_done/ {print $2}' "$stats")
crashes=$(awk -F': *' '$1 ~ /^(saved_crashes|unique_crashes)/ {print $2; exit}' "$stats")
paths=$(awk -F': *' '$1 ~ /^(corpus_count|paths_total)/ {print $2; exit}' "$stats")
echo "fuzz: $execs executions in ${seconds} s, $paths inputs in the corpus, $crashes crashes (findings in $out)"
[ "${crashes:-0}" -eq 0 ]

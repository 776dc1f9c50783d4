#!/usr/bin/env bash
# Start-up cost of the CLI against a trivial .NET console app built the same way (framework-
# dependent, ReadyToRun, Release), measured in one run with hyperfine: median of N runs each. The
# commands take turns (N rounds, each running every command once after one warm-up run), so a
# machine that speeds up or slows down during the run moves all of them alike instead of skewing
# the ratios (on a shared 2-core VM, consecutive blocks of 20 runs varied by up to 20 %).
# Targets: `tunmux status` at most 2.0x the trivial app; a provider verb's help (which loads the
# plugin through McMaster.NETCore.Plugins and renders CommandLineParser's help for it) at most 3.0x.
# Usage: build/bench/startup.sh [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
work=$(mktemp -d /tmp/tunmux-bench-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT

dist=${TUNMUX_DIST:-$root/dist}
[ -x "$dist/tunmux" ] || bash "$root/build/publish.sh" "$dist" >/dev/null

# The trivial peer: prints a line, like --help does.
mkdir -p "$work/trivial"
cat > "$work/trivial/trivial.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <InvariantGlobalization>true</InvariantGlobalization>
    <UseSystemResourceKeys>true</UseSystemResourceKeys>
  </PropertyGroup>
</Project>
XML
echo 'System.Console.WriteLine("hello");' > "$work/trivial/Program.cs"
dotnet publish "$work/trivial/trivial.csproj" -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$work/trivial/out" -nologo -v quiet >/dev/null

export TUNMUX_CONFIG_DIR="$work/config"
for round in $(seq "$runs"); do
  hyperfine -N --warmup 1 --runs 1 --export-json "$work/round-$round.json" \
    -n trivial "$work/trivial/out/trivial" \
    -n "tunmux --help" "$dist/tunmux --help" \
    -n "tunmux status" "$dist/tunmux status" \
    -n "tunmux proton servers --help" "$dist/tunmux proton servers --help" \
    -n "tunmux airvpn ports add --help" "$dist/tunmux airvpn ports add --help" >/dev/null
done

python3 - "$work" "$runs" <<'PY'
import glob, json, statistics, sys
times = {}
for f in sorted(glob.glob(sys.argv[1] + "/round-*.json")):
    for r in json.load(open(f))["results"]:
        times.setdefault(r["command"], []).extend(r["times"])
results = {name: statistics.median(t) * 1000 for name, t in times.items()}
base = results["trivial"]
print(f"median of {sys.argv[2]} runs each (ms)")
targets = {"tunmux status": 2.0, "tunmux proton servers --help": 3.0, "tunmux airvpn ports add --help": 3.0}
print(f"| command | median ms | ratio to trivial app | target |")
print(f"|---|---|---|---|")
for name, ms in results.items():
    target = targets.get(name)
    verdict = "" if target is None else f"≤ {target:.1f}x: {'met' if ms / base <= target else 'missed'}"
    print(f"| {name} | {ms:.1f} | {ms / base:.2f}x | {verdict} |")
PY

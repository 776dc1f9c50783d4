#!/usr/bin/env bash
# Benchmark of the Proton server listing on a cached manifest of 15,000 logicals, in one run:
#   1. `tunmux proton servers --country US --json` (when TUNMUX names the command) against
#      jq doing the same filter and ordering on the same file, both timed by hyperfine;
#   2. the provider's own path in-process (read manifest, parse, filter, sort, serialize).
# Target: tunmux at most 1.0x jq.
#
# Variables:
#   TUNMUX       the tunmux command, e.g. "dotnet /opt/tunmux/tunmux.dll" or /usr/local/bin/tunmux
#                (unset: only the in-process measurement and jq run)
#   COUNT        logicals in the manifest (15000)     COUNTRY  country filter (US)
#   RUNS         timed runs per command (10)          OUT      also write the summary to this file
#   CACHE_SUBDIR where the host keeps proton's cache, relative to TUNMUX_CONFIG_DIR (proton)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${COUNT:-15000}
country=${COUNTRY:-US}
runs=${RUNS:-10}
cache_subdir=${CACHE_SUBDIR:-proton}

work=$(mktemp -d /tmp/tunmux-bench-proton.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "building the fake Proton tools (Release)..." >&2
dotnet build -c Release -v quiet -nologo "$root/tests/Tunmux.Fakes.Proton/Tunmux.Fakes.Proton.csproj" -o "$work/fake" >&2
fake=(dotnet "$work/fake/Tunmux.Fakes.Proton.dll")

manifest="$work/manifest.json"
"${fake[@]}" generate-logicals --count "$count" --out "$manifest" >&2

summary="$work/summary.txt"
{
  echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "manifest: $count logicals, $(du -h "$manifest" | cut -f1)"
} > "$summary"

# The same work in jq: filter by exit country, best first (score, then load).
jq_filter='[.LogicalServers[] | select(.ExitCountry == $c)] | sort_by(.Score, .Load)'
jq_cmd="jq --arg c $country '$jq_filter' $manifest"

"${fake[@]}" bench-servers --manifest "$manifest" --country "$country" --iterations "$runs" >> "$summary"
# The provider's path as a fresh process each time (runtime start, JIT, one cold run): what the CLI
# pays on top of the host's own start-up.
cold_cmd="${fake[*]} bench-servers --manifest $manifest --country $country --iterations 1"

if [[ -n "${TUNMUX:-}" ]]; then
  config="$work/config"
  mkdir -p -m 0700 "$config/$cache_subdir"
  cp "$manifest" "$config/$cache_subdir/manifest.json"
  # Never reach the network: the API is a closed loopback port; the fresh manifest is used as the cache.
  printf '[proton]\napi_url = "http://127.0.0.1:9"\n' > "$config/config.toml"
  export TUNMUX_CONFIG_DIR="$config" TUNMUX_PROTON_API_URL="http://127.0.0.1:9"
  tunmux_cmd="$TUNMUX proton servers --country $country --json"
  # One checked run first: a failing command must not be timed.
  rows=$($tunmux_cmd | jq '.servers | length')
  echo "tunmux rows: $rows" >> "$summary"
  hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$work/hyperfine.json" \
    --command-name jq "$jq_cmd" --command-name provider-cold-process "$cold_cmd" --command-name tunmux "$tunmux_cmd" >&2
  jq -r '.results[] | "\(.command): mean \(.mean * 1000 | floor) ms, median \(.median * 1000 | floor) ms"' "$work/hyperfine.json" >> "$summary"
  jq -r '(.results | map({(.command): .mean}) | add) as $m | "ratio tunmux/jq: \(($m.tunmux / $m.jq) * 100 | floor / 100)x (target <= 1.0x)"' "$work/hyperfine.json" >> "$summary"
else
  hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$work/hyperfine.json" \
    --command-name jq "$jq_cmd" --command-name provider-cold-process "$cold_cmd" >&2
  jq -r '.results[] | "\(.command): mean \(.mean * 1000 | floor) ms, median \(.median * 1000 | floor) ms"' "$work/hyperfine.json" >> "$summary"
  jq -r '(.results | map({(.command): .mean}) | add) as $m | "ratio provider-cold-process/jq: \(($m["provider-cold-process"] / $m.jq) * 100 | floor / 100)x"' "$work/hyperfine.json" >> "$summary"
  echo "tunmux: TUNMUX not set; the provider was measured without the host" >> "$summary"
fi

cat "$summary"
if [[ -n "${OUT:-}" ]]; then cp "$summary" "$OUT"; fi

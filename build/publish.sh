#!/usr/bin/env bash
# Builds the release layout into dist/ (or $1): the tunmux executable (ReadyToRun), the native
# proxy tunmux-proxy beside it (ahead-of-time compiled), and each provider plugin under
# plugins/<name>/<name>.dll, which is where the host looks for them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
config=${TUNMUX_BUILD_CONFIGURATION:-Release}
rid=${TUNMUX_RID:-linux-x64}
# Self-contained (TUNMUX_SELF_CONTAINED=true) carries its own .NET runtime: what the Debian package
# and build/install.sh ship, since Debian has no .NET 10 runtime package.
self_contained=${TUNMUX_SELF_CONTAINED:-false}

rm -rf "$out"
mkdir -p "$out/plugins"
dotnet publish "$root/host/Tunmux.Host/Tunmux.Host.csproj" -c "$config" -r "$rid" --self-contained "$self_contained" \
  -p:PublishReadyToRun=true -o "$out" -nologo -v quiet
# The runtime's LTTng trace provider is loaded only when present and asked for; shipped, it would make
# liblttng-ust a dependency of every install.
rm -f "$out/libcoreclrtraceptprovider.so"
# The per-instance proxy as a native executable beside tunmux (the launcher prefers it; needs clang).
dotnet publish "$root/privileged/Tunmux.Proxy/Tunmux.Proxy.csproj" -c "$config" -r "$rid" -o "$out/.proxy" -nologo -v quiet
mv "$out/.proxy/tunmux-proxy" "$out/tunmux-proxy"
rm -rf "$out/.proxy"
for csproj in "$root"/plugins/*/*.csproj; do
  name=$(basename "$csproj" .csproj)
  # ReadyToRun compiles against what the plugin publishes, which leaves out the contracts and CommandLineParser
  # (the host's copies serve at run time): without them as references, no method of a type that touches them is
  # compiled and the plugin runs on the JIT. The host's copies, published above, are those references.
  dotnet publish "$csproj" -c "$config" -r "$rid" --self-contained false -p:PublishReadyToRun=true \
    "-p:PublishReadyToRunCrossgen2ExtraArgs=-r:$out/Tunmux.Contracts.dll%3B-r:$out/CommandLine.dll" \
    -o "$out/plugins/$name" -nologo -v quiet
  # The host provides the contracts and CommandLineParser; a private copy would split the plugin API into two types.
  rm -f "$out/plugins/$name/Tunmux.Contracts.dll" "$out/plugins/$name/CommandLine.dll"
done
echo "$out"

#!/usr/bin/env bash
# Installs what tunmux, its tests, its lab and its benchmarks need on a Debian machine, then
# restores NuGet packages. Safe to run again: it installs only what is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  ca-certificates iproute2 nftables procps util-linux passwd systemd
  wireguard-tools wireguard-go
  passt slirp4netns          # rootless exits: pasta (the default way out) and its fallback
  sudo curl jq python3 dnsmasq socat bind9-dnsutils   # dig: the kill-switch tests ask resolvers directly
  microsocks iperf3 hyperfine
  dbus gnome-keyring libsecret-tools
  clang zlib1g-dev          # the native (ahead-of-time) build of tunmux-proxy
  dpkg-dev lintian man-db bsdextrautils   # build/package.sh and its test: dpkg-shlibdeps, lintian, man -l, col
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: packages missing (${missing[*]}) and not root; run this script with sudo" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is not installed; install it (https://dot.net) and run again" >&2
  exit 1
fi

dotnet restore "$root/tunmux.sln" -nologo -v quiet

#!/usr/bin/env bash
# Installs tunmux under a prefix with the layout of the Debian package (build/layout.sh):
# <prefix>/lib/tunmux (tunmux self-contained, tunmux-proxy, plugins/<name>/), the command as
# <prefix>/bin/tunmux, the systemd units in <prefix>/lib/systemd/{system,user}, the man page,
# the bash, zsh and fish completions, and the AppArmor profile for rootless exits in
# <prefix>/share/tunmux/apparmor. Usage: sudo build/install.sh [prefix]   (default /usr/local)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-/usr/local}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Self-contained: the daemon is started through sudo and by systemd, whose clean environments
# would not find a .NET runtime installed anywhere but the default place.
TUNMUX_SELF_CONTAINED=true bash "$root/build/publish.sh" "$tmp/dist" >/dev/null
bash "$root/build/layout.sh" "$tmp/dist" "" "$prefix"
echo "installed: $prefix/bin/tunmux -> $prefix/lib/tunmux/tunmux"
echo "next: sudo groupadd -f tunmux && sudo usermod -aG tunmux \"\$USER\"  (see docs/privileged.md for sudoers or systemd)"
echo "      where AppArmor restricts user namespaces (Ubuntu): install -m 644 $prefix/share/tunmux/apparmor/tunmux /etc/apparmor.d/ && apparmor_parser -r /etc/apparmor.d/tunmux"
echo "then: tunmux doctor"

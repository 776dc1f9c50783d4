#!/usr/bin/env bash
# Installs tunmux under a prefix: the release layout in <prefix>/lib/tunmux (tunmux and
# plugins/<name>/), the command as <prefix>/bin/tunmux, the systemd units in
# <prefix>/lib/systemd/system and the user units (daily credential renewal) in
# <prefix>/lib/systemd/user. Usage: sudo build/install.sh [prefix]   (default /usr/local)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-/usr/local}
lib="$prefix/lib/tunmux"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$root/build/publish.sh" "$tmp/dist" >/dev/null
rm -rf "$lib"
mkdir -p "$lib" "$prefix/bin" "$prefix/lib/systemd/system" "$prefix/lib/systemd/user"
cp -a "$tmp/dist/." "$lib/"
chmod -R u=rwX,go=rX "$lib"
ln -sfn "$lib/tunmux" "$prefix/bin/tunmux"
for unit in "$root"/build/systemd/*; do
  sed "s|/usr/bin/tunmux|$prefix/bin/tunmux|g" "$unit" > "$prefix/lib/systemd/system/$(basename "$unit")"
done
for unit in "$root"/build/systemd-user/*; do
  sed "s|/usr/bin/tunmux|$prefix/bin/tunmux|g" "$unit" > "$prefix/lib/systemd/user/$(basename "$unit")"
done
echo "installed: $prefix/bin/tunmux -> $lib/tunmux"
echo "next: sudo groupadd -f tunmux && sudo usermod -aG tunmux \"\$USER\"  (see docs/privileged.md for sudoers or systemd)"

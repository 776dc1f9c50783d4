#!/usr/bin/env bash
# Publishes tunmux (build/publish.sh) where the unprivileged proxy processes can run it, and
# prints that folder. Proxies drop to 'nobody', which must be able to reach the executable:
# dist/ in the checkout when every parent folder lets others through, else a folder under /tmp
# (named after the checkout, replaced on each run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${TUNMUX_DIST:-$root/dist}
bash "$root/build/publish.sh" "$dist" >/dev/null
if [[ $EUID -eq 0 ]] && ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$dist/tunmux"; then
  alt="/tmp/tunmux-dist-$(printf %s "$root" | md5sum | cut -c1-8)"
  rm -rf "$alt"
  cp -a "$dist" "$alt"
  chmod -R go+rX "$alt"
  dist=$alt
fi
echo "$dist"

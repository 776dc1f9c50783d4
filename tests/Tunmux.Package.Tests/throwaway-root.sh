#!/usr/bin/env bash
# Runs one command as root inside a throwaway Debian root made of this machine's own root file
# system seen through an overlay whose only writable layer is <dir>/upper. What a package does
# there (its files, dpkg's records, the group its postinst makes, the links deb-systemd-helper
# writes) lands in <dir> and never in this machine's /usr, /etc or /var. The overlay exists only
# in a mount namespace of this command: it is gone when the command ends, and deleting <dir>
# removes everything else. /run and /tmp are folders of <dir> too, so a daemon started by one
# command is still found by the next.
# Usage: throwaway-root.sh <dir> <folder shown read-only at /mnt/package> <command> [args...]
set -euo pipefail
dir=$1
packages=$2
shift 2
if [ -z "${TUNMUX_THROWAWAY_NAMESPACE:-}" ]; then
  mkdir -p "$dir/upper" "$dir/work" "$dir/root" "$dir/run" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  TUNMUX_THROWAWAY_NAMESPACE=1 exec unshare --mount --propagation private -- "$0" "$dir" "$packages" "$@"
fi

root=$dir/root
mount -t overlay tunmux-throwaway -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount --bind "$dir/run" "$root/run"
mount --bind "$dir/tmp" "$root/tmp"
mkdir -p "$root/mnt/package"
mount --bind "$packages" "$root/mnt/package"
mount -o remount,bind,ro "$root/mnt/package"
# A clean environment: no DOTNET_ROOT, no PATH entry of the build machine's.
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"

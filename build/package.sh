#!/usr/bin/env bash
# Builds the Debian package dist/tunmux_<version>_<arch>.deb (or into $1) with dpkg-deb alone:
# the layout of build/install.sh under /usr (build/layout.sh), self-contained because Debian has
# no .NET 10 runtime package, plus what only a package carries: the sudoers drop-in (0440, checked
# with visudo), the AppArmor profile in /etc/apparmor.d, the documentation, and the maintainer
# scripts (group, socket unit, daemon handover on upgrade). No network beyond NuGet's restore.
# TUNMUX_PACKAGE_VERSION overrides the version (default: the projects' <Version>).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
rid=${TUNMUX_RID:-linux-x64}
case "$rid" in
  linux-x64) arch=amd64 ;;
  linux-arm64) arch=arm64 ;;
  *) echo "error: no Debian architecture for runtime '$rid'; use linux-x64 or linux-arm64" >&2; exit 1 ;;
esac
version=${TUNMUX_PACKAGE_VERSION:-$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$root/Directory.Build.props" | head -n 1)}
maintainer=${TUNMUX_PACKAGE_MAINTAINER:-tunmux maintainers <maintainers@users.noreply.b-seed-780f2e74.example>}
for tool in dpkg-deb visudo dpkg-shlibdeps gzip; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing; run build/setup.sh (as root)" >&2; exit 1; }
done
# Reproducible: every file dated at the last commit (or SOURCE_DATE_EPOCH).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}

work=$(mktemp -d /tmp/tunmux-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
pkg="$work/tunmux"
deb="$root/build/debian"

TUNMUX_SELF_CONTAINED=true bash "$root/build/publish.sh" "$work/publish" >/dev/null
bash "$root/build/layout.sh" "$work/publish" "$pkg" /usr
install -m 0755 "$deb/daemon-handover" "$pkg/usr/lib/tunmux/daemon-handover"

# /etc: the sudoers drop-in and the AppArmor profile, both conffiles.
install -d -m 0755 "$pkg/etc/sudoers.d"
install -m 0440 "$deb/sudoers" "$pkg/etc/sudoers.d/tunmux"
visudo -cf "$pkg/etc/sudoers.d/tunmux" >/dev/null
conffiles=(/etc/sudoers.d/tunmux)
if [ -f "$pkg/usr/share/tunmux/apparmor/tunmux" ]; then
  install -d -m 0755 "$pkg/etc/apparmor.d"
  mv "$pkg/usr/share/tunmux/apparmor/tunmux" "$pkg/etc/apparmor.d/tunmux"
  chmod 0644 "$pkg/etc/apparmor.d/tunmux"
  rm -rf "$pkg/usr/share/tunmux"
  conffiles+=(/etc/apparmor.d/tunmux)
fi

# Documentation; Debian wants the man page and changelog compressed, without a timestamp.
doc="$pkg/usr/share/doc/tunmux"
install -d -m 0755 "$doc"
install -m 0644 "$deb/copyright" "$doc/copyright"
install -m 0644 "$root/README.md" "$root/docs/privileged.md" "$doc/"
for f in security.md plugins.md credentials.md; do
  [ -f "$root/docs/$f" ] && install -m 0644 "$root/docs/$f" "$doc/"
done
gzip -9n "$pkg/usr/share/man/man1/tunmux.1"
{
  echo "tunmux ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version: see /usr/share/doc/tunmux/README.md."
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"
install -d -m 0755 "$pkg/usr/share/lintian/overrides"
install -m 0644 "$deb/lintian-overrides" "$pkg/usr/share/lintian/overrides/tunmux"

# Control: the libraries the ELF files link (dpkg-shlibdeps), plus what .NET opens at run time.
install -d -m 0755 "$pkg/DEBIAN"
mkdir -p "$work/shlibs/debian"
printf 'Source: tunmux\n\nPackage: tunmux\nArchitecture: any\n' > "$work/shlibs/debian/control"
mapfile -t elves < <(find "$pkg/usr/lib/tunmux" -type f \( -name '*.so' -o -perm -u+x \) -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O -xtunmux "${elves[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "error: dpkg-shlibdeps found no library dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@SIZE@|$size|" -e "s|@SHLIBS@|$shlibs|" "$deb/control.in" > "$pkg/DEBIAN/control"
printf '%s\n' "${conffiles[@]}" > "$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "$deb/$script" "$pkg/DEBIAN/$script"
done
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's|  \./|  |') > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

find "$pkg" -type d -exec chmod 0755 {} +
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$out"
file="$out/tunmux_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$file" >/dev/null
echo "$file"

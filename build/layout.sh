#!/usr/bin/env bash
# Lays out an installed tunmux from a publish folder (build/publish.sh) under <destdir><prefix>.
# build/install.sh and build/package.sh both use it, so an install and the Debian package put
# every file in the same place:
#   <prefix>/lib/tunmux/                 tunmux, its libraries, tunmux-proxy, plugins/<name>/
#   <prefix>/bin/tunmux                  a relative link to lib/tunmux/tunmux
#   <prefix>/lib/systemd/system/         the daemon's socket and service units
#   <prefix>/lib/systemd/user/           tunmux-refresh@<provider>.timer (daily credential renewal)
#   <prefix>/share/man/man1/tunmux.1     written by the built tunmux from its verb definitions
#   bash, zsh and fish completions       where each shell looks for them under <prefix>
#   <prefix>/share/tunmux/apparmor/tunmux  the rootless profile (the package installs it in /etc/apparmor.d)
# The folder and not /usr/bin holds the executable: the .NET host finds its libraries beside the
# file a link resolves to, the host looks for plugins/ there too, and /usr/bin takes no libraries.
# Usage: build/layout.sh <publish-dir> <destdir> <prefix>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pub=$(cd "$1" && pwd)
dest=$2
prefix=$3
lib="$dest$prefix/lib/tunmux"

rm -rf "$lib"
mkdir -p "$lib" "$dest$prefix/bin" "$dest$prefix/lib/systemd/system" "$dest$prefix/lib/systemd/user"
cp -a "$pub/." "$lib/"
# Programs 0755, everything else (assemblies, the runtime's shared libraries, data) 0644.
find "$lib" -type d -exec chmod 0755 {} +
find "$lib" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/tunmux"
for program in tunmux-proxy createdump; do
  [ ! -f "$lib/$program" ] || chmod 0755 "$lib/$program"
done
ln -sfn "../lib/tunmux/tunmux" "$dest$prefix/bin/tunmux"

for unit in "$root"/build/systemd/*; do
  sed "s|/usr/bin/tunmux|$prefix/bin/tunmux|g" "$unit" > "$dest$prefix/lib/systemd/system/$(basename "$unit")"
done
for unit in "$root"/build/systemd-user/*; do
  sed "s|/usr/bin/tunmux|$prefix/bin/tunmux|g" "$unit" > "$dest$prefix/lib/systemd/user/$(basename "$unit")"
done
if [ -f "$root/build/apparmor/tunmux" ]; then
  mkdir -p "$dest$prefix/share/tunmux/apparmor"
  sed "s|/usr/{,local/}lib/tunmux/tunmux|$prefix/lib/tunmux/tunmux|" "$root/build/apparmor/tunmux" \
    > "$dest$prefix/share/tunmux/apparmor/tunmux"
fi

# The man page and the completion scripts come from the built tunmux itself, with only the plugins
# shipped beside it (never the builder's own) and an empty configuration.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
generate() {
  env -u TUNMUX_PLUGIN_PATH HOME="$scratch" XDG_CONFIG_HOME="$scratch/config" TUNMUX_CONFIG_DIR="$scratch/config" \
    XDG_DATA_HOME="$scratch/data" SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-}" "$lib/tunmux" "$@"
}
mkdir -p "$dest$prefix/share/man/man1"
generate manpage > "$dest$prefix/share/man/man1/tunmux.1"

# zsh: Debian's zsh reads vendor-completions for packages and site-functions under /usr/local.
zsh_dir=$([ "$prefix" = /usr ] && echo share/zsh/vendor-completions || echo share/zsh/site-functions)
mkdir -p "$dest$prefix/share/bash-completion/completions" "$dest$prefix/$zsh_dir" "$dest$prefix/share/fish/vendor_completions.d"
generate completion bash > "$dest$prefix/share/bash-completion/completions/tunmux"
generate completion zsh > "$dest$prefix/$zsh_dir/_tunmux"
generate completion fish > "$dest$prefix/share/fish/vendor_completions.d/tunmux.fish"

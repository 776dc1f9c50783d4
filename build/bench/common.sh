# shellcheck shell=bash
# The preamble the lab benchmarks share; sourced by them (bash, set -euo pipefail already on).
#
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
#   bench_lab labname          # the lab this benchmark brings up (TUNMUX_LAB_NAME overrides)
#   bench_needs_root "uses the lab"
#   bench_needs_tools curl wg ...
#
# Sets ROOT (the repository), LAB (build/lab/lab.sh), HOST_NS and INET_NS (the lab's host stand-in
# and internet namespaces) and URL (the lab's what-is-my-IP server).

# LAB, URL and INET_NS are read by the benchmark that sources this file.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck disable=SC2034
LAB="$ROOT/build/lab/lab.sh"
# shellcheck disable=SC2034
URL=http://198.18.100.1/

# The lab's name and folder (each benchmark its own, so one never tears down another's), and its namespaces.
bench_lab() {
    export TUNMUX_LAB_NAME="${TUNMUX_LAB_NAME:-$1}"
    export TUNMUX_LAB_DIR="${TUNMUX_LAB_DIR:-/tmp/tunmux-$TUNMUX_LAB_NAME}"
    HOST_NS="$TUNMUX_LAB_NAME-host"
    # shellcheck disable=SC2034
    INET_NS="$TUNMUX_LAB_NAME-inet"
}

# Stops with one line unless run as root; $1 says why root is needed.
bench_needs_root() {
    [[ $EUID -eq 0 ]] || { echo "bench: needs root ($1)" >&2; exit 1; }
}

# Stops with one line naming the first command that is not installed.
bench_needs_tools() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null || { echo "bench: '$c' not found" >&2; exit 1; }; done
}

# Runs a command in the lab's host stand-in namespace (bench_lab first).
in_host() { nsenter --net="/run/netns/$HOST_NS" "$@"; }
now_ms() { date +%s%3N; }
# The median of the numbers on standard input, one a line.
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

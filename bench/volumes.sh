#!/usr/bin/env bash
# Times creating 200 named volumes (one `berth volume create` each) and then starting one
# container that mounts all 200 (`berth run --rm` with 200 -v flags). Needs root.
# Usage: bench/volumes.sh [path/to/berth]   (default: build/berth)
set -euo pipefail
berth=${1:-$(dirname "$0")/../build/berth}
count=${COUNT:-200}
work=$(mktemp -d /tmp/berth-bench-volumes-XXXXXX)
cleanup() {
  # Deepest first: the shim's read-only binary mount lives below the state root.
  awk -v dir="$work" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
b() { BERTH_CGROUP_PARENT=berth-bench "$berth" --root "$work/root" "$@"; }

mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"
ln -s busybox "$work/rootfs/bin/ls"
tar -C "$work/rootfs" -cf "$work/image.tar" .
b import "$work/image.tar" bench >/dev/null

start=$(date +%s%N)
for i in $(seq 1 "$count"); do b volume create "vol$i" >/dev/null; done
created=$(date +%s%N)
args=()
for i in $(seq 1 "$count"); do args+=(-v "vol$i:/v/$i"); done
b run --rm "${args[@]}" bench /bin/sh -c 'ls /v | wc -l' >"$work/out"
mounted=$(date +%s%N)
[[ "$(tr -d ' \n' <"$work/out")" == "$count" ]] || { echo "expected $count mounts, saw: $(cat "$work/out")"; exit 1; }

echo "create $count volumes: $(( (created - start) / 1000000 )) ms ($(( (created - start) / count / 1000 )) us each)"
echo "run one container mounting $count volumes: $(( (mounted - created) / 1000000 )) ms"
rmdir /sys/fs/cgroup/*/berth-bench 2>/dev/null || true

#!/usr/bin/env bash
# Run-to-exit latency of `berth run --rm IMG true` against crun, runc and docker on the same
# busybox rootfs, in one run; prints medians and ratios. Needs root and scripts/install-deps.sh
# --bench (hyperfine, crun, runc, docker.io). Everything it starts it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
# crun refuses hybrid hosts (v1 controllers plus a cgroup2 mount with any controller): the
# whole comparison runs in a private mount namespace without the cgroup2 mount, where every
# runtime sees the same pure v1 layout.
if [[ -z ${BENCH_PRIVATE_NS:-} ]] && mountpoint -q /sys/fs/cgroup/unified; then
  exec env BENCH_PRIVATE_NS=1 unshare -m --propagation private \
    sh -c 'umount /sys/fs/cgroup/unified && exec "$0" "$@"' "$0" "$@"
fi
runs=${RUNS:-50}
berth=${BERTH:-build/berth}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
dockerd_pid=""
cleanup() {
  [[ -n $dockerd_pid ]] && kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null || true
  "$berth" --root "$work/root" rm -f $("$berth" --root "$work/root" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  umount -R "$work/docker" 2>/dev/null || true
  umount "$work/root/runtime/berth-shim" 2>/dev/null || true
  for h in /sys/fs/cgroup/*/; do rmdir "$h$BERTH_CGROUP_PARENT" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# berth's containers get their own cgroup parent, removed with everything else.
export BERTH_CGROUP_PARENT=berth-bench-$$

scripts/busybox-rootfs.sh "$work/bb.tar"
"$berth" --root "$work/root" import "$work/bb.tar" bench:latest >/dev/null

# OCI bundles for crun and runc: the same rootfs, `true`, no terminal, no network namespace
# setup beyond a fresh one (as berth's default).
mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$work/bb.tar"
(cd "$work/bundle" && crun spec && python3 - <<'PY'
import json
c = json.load(open('config.json'))
c['process']['terminal'] = False
c['process']['args'] = ['true']
json.dump(c, open('config.json', 'w'))
PY
)

# crun twice: with cgroups as berth, runc and docker use them, and without any (the floor).
# Every engine runs with an empty network namespace (crun's and runc's bundle has no network;
# berth and docker are given --network none): this measures the runtime, not bridge set-up.
commands=(
  "$berth --root $work/root run --rm --network none bench true"
  "crun --cgroup-manager=cgroupfs run --bundle $work/bundle bench-crun"
  "crun --cgroup-manager=disabled run --bundle $work/bundle bench-crun"
  "runc run --bundle $work/bundle bench-runc"
)
names=(berth crun crun-nocg runc)
if command -v dockerd >/dev/null; then
  dockerd --data-root "$work/docker" --exec-root "$work/docker-exec" -H "unix://$work/docker.sock" \
    --pidfile "$work/docker.pid" --iptables=false --ip6tables=false --bridge=none \
    >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 100); do [[ -S $work/docker.sock ]] && break; sleep 0.1; done
  DOCKER_HOST="unix://$work/docker.sock" docker import "$work/bb.tar" bench:latest >/dev/null
  commands+=("env DOCKER_HOST=unix://$work/docker.sock docker run --rm --network none bench true")
  names+=(docker)
fi

hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/result.json" "${commands[@]}" >/dev/null
python3 - "$work/result.json" "${names[@]}" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
names = sys.argv[2:]
medians = {n: statistics.median(r["times"]) * 1000 for n, r in zip(names, results)}
print(f"{'runtime':<10} {'median ms':>10} {'berth is':>12}")
for n in names:
    ratio = medians[n] / medians["berth"]
    print(f"{n:<10} {medians[n]:>10.2f} {ratio:>11.2f}x" + ("  (faster)" if ratio > 1 else ""))
PY

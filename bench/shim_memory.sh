#!/usr/bin/env bash
# Memory of the per-container process that keeps a container alive (berth-shim, dockerd's
# containerd-shim-runc-v2, podman's conmon) with N idle containers each, in one run; prints RSS
# and PSS per container from /proc/PID/smaps_rollup. Needs root; cleans up what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-50}
berth=${BERTH:-build/berth}
work=$(mktemp -d /tmp/berth-shimmem.XXXXXX)
dockerd_pid=""
cleanup() {
  "$berth" --root "$work/root" rm -f $("$berth" --root "$work/root" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  if [[ -n $dockerd_pid ]]; then
    DOCKER_HOST="unix://$work/docker.sock" docker rm -f $(DOCKER_HOST="unix://$work/docker.sock" docker ps -aq) >/dev/null 2>&1 || true
    kill "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null || true
  fi
  if command -v podman >/dev/null; then podman --root "$work/podman" --runroot "$work/podman-run" rm -af -t 0 >/dev/null 2>&1 || true; fi
  umount -R "$work/docker" "$work/podman" 2>/dev/null || true
  umount "$work/root/runtime/berth-shim" 2>/dev/null || true
  for h in /sys/fs/cgroup/*/; do rmdir "$h$BERTH_CGROUP_PARENT" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# berth's containers get their own cgroup parent, removed with everything else.
export BERTH_CGROUP_PARENT=berth-bench-$$

# Sums Rss and Pss (kB) over the pids given on stdin; prints "rss_kib pss_kib count".
sum_memory() {
  awk 'FNR==1{n++} /^Rss:/{r+=$2} /^Pss:/{p+=$2} END{print r, p, n}' \
    $(while read -r pid; do echo "/proc/$pid/smaps_rollup"; done)
}
report() {
  read -r rss pss count
  printf '%-26s %3d processes  RSS %7.2f MiB/ctr  PSS %6.2f MiB/ctr\n' "$1" "$count" \
    "$(echo "$rss / 1024 / $n" | bc -l)" "$(echo "$pss / 1024 / $n" | bc -l)"
}

scripts/busybox-rootfs.sh "$work/bb.tar"
"$berth" --root "$work/root" import "$work/bb.tar" bench:latest >/dev/null
for i in $(seq "$n"); do "$berth" --root "$work/root" run -d bench sleep 100000 >/dev/null; done
sleep 1
pgrep -x berth-shim | sum_memory | report "berth-shim"

if command -v dockerd >/dev/null; then
  dockerd --data-root "$work/docker" --exec-root "$work/docker-exec" -H "unix://$work/docker.sock" \
    --pidfile "$work/docker.pid" --iptables=false --ip6tables=false --bridge=none >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 100); do [[ -S $work/docker.sock ]] && break; sleep 0.1; done
  export DOCKER_HOST="unix://$work/docker.sock"
  docker import "$work/bb.tar" bench:latest >/dev/null
  for i in $(seq "$n"); do docker run -d --network none bench sleep 100000 >/dev/null; done
  sleep 1
  pgrep -f "containerd-shim-runc-v2 .*-address $work" | sum_memory | report "containerd-shim-runc-v2"
  unset DOCKER_HOST
fi
if command -v podman >/dev/null; then
  # runc: crun refuses hybrid cgroup hosts.
  p=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --runtime runc)
  "${p[@]}" import "$work/bb.tar" bench:latest >/dev/null
  # podman raises nofile and nproc by default, which a host without CAP_SYS_RESOURCE refuses.
  for i in $(seq "$n"); do "${p[@]}" run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 bench sleep 100000 >/dev/null; done
  sleep 1
  pgrep -f "conmon .*$work/podman" | sum_memory | report "conmon"
fi

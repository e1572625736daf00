#!/usr/bin/env bash
# Builds the loader's libFuzzer target with clang and runs it for a bounded time (default 60 s)
# from the seeds in tests/data/fuzz-seeds; a crash, leak, hang or sanitizer report fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBERTH_FUZZ=ON >/dev/null
fi
cmake --build "$build_dir" --target berth_loader_fuzz --parallel "$(nproc)"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp tests/data/fuzz-seeds/* samples/*/compose.yaml "$corpus"/ 2>/dev/null || true
"$build_dir/tests/berth_loader_fuzz" "$corpus" -max_total_time="$seconds" -timeout=10 \
  -artifact_prefix="$build_dir/" \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 | tail -n 15
echo "fuzz smoke: ${seconds}s without a crash"

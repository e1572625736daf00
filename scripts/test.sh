#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test; the last line is ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/berth-ccache}
scripts/build.sh
# The loader's libFuzzer target for a bounded time: a crash, hang or leak fails the run.
scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-60}"
cd "${BUILD_DIR:-build}"
ctest --output-on-failure

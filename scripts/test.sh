#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test; the last line is ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/berth-ccache}
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure

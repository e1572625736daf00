#!/usr/bin/env bash
# The main job: installs what is missing, builds, and resolves a sample stack.
# (A later milestone turns this into `berth compose up`.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/berth-ccache}
scripts/build.sh >/dev/null
sample=${1:-samples/webstack}
"${BUILD_DIR:-build}/berth" compose --project-directory "$sample" -f "$sample/compose.yaml" config

#!/usr/bin/env bash
# Median latency of the embedded DNS server per query over UDP on loopback, answered from its
# table and forwarded to a fake upstream, from the integration test's 1000-query loop (no root).
set -euo pipefail
cd "$(dirname "$0")/.."
tests=${TESTS:-build/tests/berth_integration_tests}
runs=${RUNS:-5}
for _ in $(seq "$runs"); do
  "$tests" "dns server: 1000 queries*" 2>&1 |
    grep -o 'dns latency median:.*'
done

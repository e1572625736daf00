#!/usr/bin/env bash
# Times `berth compose config` against `docker-compose config` (Debian's docker-compose, v1)
# on one generated 1000-service project with three -f files, and prints the ratio.
# Usage: bench/config_bench.sh [N_SERVICES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${2:-5}
scripts/install-deps.sh --bench >/dev/null
scripts/build.sh >/dev/null
berth=$PWD/${BUILD_DIR:-build}/berth
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/gen_compose.py "$work" "$n"
cd "$work"
files=(-f compose.yaml -f override-a.yaml -f override-b.yaml)

# Both tools must accept the project before their times mean anything.
"$berth" compose -p bench "${files[@]}" config >berth.yaml
docker-compose -p bench "${files[@]}" config >v1.yaml 2>v1.err || { cat v1.err; exit 1; }

hyperfine --style basic --warmup 1 --runs "$runs" --export-json times.json \
  -n berth "$berth compose -p bench ${files[*]} config" \
  -n docker-compose "docker-compose -p bench ${files[*]} config" >hyperfine.txt
python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("times.json"))["results"]}
b, d = r["berth"]["mean"], r["docker-compose"]["mean"]
print("services: %s" % open("compose.yaml").read().count("\n  svc"))
print("berth compose config:   %8.1f ms (± %.1f)" % (b * 1000, r["berth"]["stddev"] * 1000))
print("docker-compose config:  %8.1f ms (± %.1f)" % (d * 1000, r["docker-compose"]["stddev"] * 1000))
print("ratio: berth is %.1fx faster" % (d / b))
PY

#!/usr/bin/env bash
# mongodump benchmark: coffer restore --from-mongodump (folder, gzipped folder, gzipped archive) next to coffer restore
# of a Coffer backup of the same documents. Usage: e2e/bench/mongodump.sh [documents=300000]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.MongodumpBench exec "$(dirname "$0")/engine.sh" "$@"

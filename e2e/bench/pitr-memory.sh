#!/usr/bin/env bash
# Peak RSS of `coffer oplog-archive` and `coffer restore --until` inside the real image under a container memory limit.
# Usage (as root: it runs the image in mount namespaces): e2e/bench/pitr-memory.sh [writes=200000] [limitMiB=256]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.PitrMemoryBench exec "$(dirname "$0")/engine.sh" "$@"

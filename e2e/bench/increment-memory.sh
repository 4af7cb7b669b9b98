#!/usr/bin/env bash
# The engine's peak RSS for an increment of a large collection of small documents, in the real image under a container
# memory limit (a memory cgroup). Goal: at most 200 MiB in a 256 MiB container.
# Usage (as root: it runs the image in mount namespaces): e2e/bench/increment-memory.sh [documents=10000000] [limitMiB=256]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.IncrementMemoryBench exec "$(dirname "$0")/engine.sh" "$@"

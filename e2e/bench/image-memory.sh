#!/usr/bin/env bash
# The engine's peak RSS inside the real image under a container memory limit (a memory cgroup), never OOM-killed.
# Usage (as root: it runs the image in mount namespaces):
#   e2e/bench/image-memory.sh [fileMiB=700] [documents=1000000] [limitsMiB=256,512] [smallFiles=300000]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.ImageMemoryBench exec "$(dirname "$0")/engine.sh" "$@"

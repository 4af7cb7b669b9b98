#!/usr/bin/env bash
# Incremental benchmark: bytes and time of an increment (1 % changed) next to a full backup.
# Usage: e2e/bench/incremental.sh [documents=300000] [files=2000]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.IncrementalBench exec "$(dirname "$0")/engine.sh" "$@"

#!/usr/bin/env bash
# Operator benchmark: reconcile latency p50/p99 with many Backups and BackupSchedules in the mock API.
# Usage: e2e/bench/operator.sh [backups=1000] [schedules=100]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.OperatorBench exec "$(dirname "$0")/engine.sh" "$@"

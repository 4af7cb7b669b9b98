#!/usr/bin/env bash
# Oplog replay benchmark: how fast a restore replays the oplog entries a point-in-time backup keeps (inserts, updates
# as MongoDB's $v: 2 diffs and as $set, deletes), onto a staged collection of mongo-java-server. Prints figures.
# Usage: e2e/bench/oplog-replay.sh [entries=100000]
set -euo pipefail
BENCH_CLASS=io.coffer.bench.OplogReplayBench exec "$(dirname "$0")/engine.sh" "$@"

#!/usr/bin/env bash
# Oplog archive benchmark: entries archived per second by `coffer oplog-archive` (mongo-java-server's oplog, gzip, age,
# a volume storage) and entries replayed per second by a restore to a moment (`coffer restore --until`). Prints figures.
# Usage: e2e/bench/oplog-archive.sh [writes=100000]   (half as many updates follow the inserts)
set -euo pipefail
BENCH_CLASS=io.coffer.bench.OplogArchiveBench exec "$(dirname "$0")/engine.sh" "$@"

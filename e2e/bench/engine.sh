#!/usr/bin/env bash
# Engine benchmark: prints figures for the performance goals of the engine (see README, "Performance").
# Usage: e2e/bench/engine.sh [documents=1000000] [fileMiB=300]   (fileMiB 0: MongoDB only)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cp_file="$(mktemp)"
# one reactor build (testkit, then operator): the file ends up with the operator's test classpath
mvn -q -B -DskipTests -pl operator -am package dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
cp="operator/target/test-classes:operator/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
mvn -q -B -pl operator test-compile -o >/dev/null 2>&1 || mvn -q -B -pl operator test-compile
exec java -Xmx14g -Dcoffer.jar="$root/operator/target/coffer.jar" -cp "$cp" "${BENCH_CLASS:-io.coffer.bench.EngineBench}" "$@"

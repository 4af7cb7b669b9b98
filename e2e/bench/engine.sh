#!/usr/bin/env bash
# Engine benchmark: prints figures for the performance goals of the engine (see README, "Performance").
# Usage: e2e/bench/engine.sh [documents=1000000] [fileMiB=300]   (fileMiB 0: MongoDB only)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cp_file="$(mktemp)"
# one reactor build (everything e2e needs): the file ends up with e2e's test classpath, where the benchmarks live
mvn -q -B -DskipTests -pl e2e -am package dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
cp="e2e/target/test-classes:$(cat "$cp_file")"
rm -f "$cp_file"
mvn -q -B -pl e2e test-compile -o >/dev/null 2>&1 || mvn -q -B -pl e2e test-compile
exec java -Xmx14g -Dcoffer.jar="$root/cli/target/coffer.jar" -Dcoffer.image.tar="$root/image/target/coffer-image.tar" -cp "$cp" "${BENCH_CLASS:-io.coffer.bench.EngineBench}" "$@"

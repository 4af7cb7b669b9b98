#!/usr/bin/env bash
# Engine benchmark: prints figures for the performance goals of the engine (see README, "Performance").
# Usage: e2e/bench/engine.sh [documents=1000000] [fileMiB=300]   (fileMiB 0: MongoDB only)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cp_file="$(mktemp)"
# one reactor build of everything e2e needs, its test classes (the benchmarks) included: -DskipTests only skips running
# tests. The classpath file ends up with e2e's test classpath, the reactor's own modules as their target/ jars, so a
# fresh clone needs nothing installed in the local Maven repository (a second `mvn -pl e2e` alone would)
if ! mvn -q -B -DskipTests -pl e2e -am package dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >"$cp_file.log" 2>&1; then
  cat "$cp_file.log" >&2
  echo "bench: the build failed (above)" >&2
  exit 1
fi
rm -f "$cp_file.log"
cp="e2e/target/test-classes:$(cat "$cp_file")"
rm -f "$cp_file"
exec java -Xmx14g -Dcoffer.jar="$root/cli/target/coffer.jar" -Dcoffer.image.tar="$root/image/target/coffer-image.tar" -cp "$cp" "${BENCH_CLASS:-io.coffer.bench.EngineBench}" "$@"

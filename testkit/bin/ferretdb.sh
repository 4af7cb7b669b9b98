#!/usr/bin/env bash
# Builds FerretDB (a MongoDB-compatible server in Go; its SQLite backend needs no other server), the second MongoDB
# the engine's tests run against beside mongo-java-server, from the Go module proxy into a cache outside the
# repository (never committed). Builds only when missing.
#
#   testkit/bin/ferretdb.sh          build when missing, print the binary's path
#   testkit/bin/ferretdb.sh --path   print the path only (exit 1 when it is not built)
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that panics at start: the module
# lacks build/version/version.txt, which FerretDB's own build generates. So: the module's source from the proxy
# (`go mod download`), that file written, `go build`.
set -euo pipefail
VERSION=v1.24.2
CACHE=${COFFER_FERRETDB_CACHE:-$HOME/.cache/coffer/ferretdb}
OUT=$CACHE/$VERSION/ferretdb
if [ "${1:-}" = "--path" ]; then
  echo "$OUT"
  [ -x "$OUT" ]
  exit
fi
if [ -x "$OUT" ]; then
  echo "ferretdb $VERSION: cached at $OUT"
  exit 0
fi
command -v go >/dev/null || { echo "ferretdb.sh: go is not on the PATH; install Go 1.26+ to build FerretDB" >&2; exit 3; }
start=$(date +%s)
# one builder at a time (see control-plane.sh); the second finds it built
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
if command -v flock >/dev/null; then flock 9; fi
if [ -x "$OUT" ]; then
  echo "ferretdb $VERSION: built by another run, cached at $OUT"
  exit 0
fi
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "ferretdb.sh: go mod download gave no source folder for FerretDB $VERSION" >&2; exit 1; }
work=$CACHE/work-$VERSION
rm -rf "$work"
mkdir -p "$(dirname "$OUT")"
cp -r "$dir" "$work"
chmod -R u+w "$work"
echo "$VERSION" > "$work/build/version/version.txt"
(cd "$work" && go build -trimpath -o "$OUT.tmp" ./cmd/ferretdb)
mv "$OUT.tmp" "$OUT"
rm -rf "$work"
echo "ferretdb $VERSION: built in $(( $(date +%s) - start )) s at $OUT"

#!/usr/bin/env bash
# Builds versitygw (Versity's S3 gateway, Go; its POSIX backend keeps buckets in a directory and has Object Lock,
# retention, legal holds and conditional writes), the real S3 server the Object Lock and copy tests run against
# beside S3Proxy, from the Go module proxy into a cache outside the repository (never committed). Builds only when
# missing.
#
#   testkit/bin/versitygw.sh          build when missing, print the binary's path
#   testkit/bin/versitygw.sh --path   print the path only (exit 1 when it is not built)
set -euo pipefail
VERSION=v1.8.0
CACHE=${COFFER_VERSITYGW_CACHE:-$HOME/.cache/coffer/versitygw}
OUT=$CACHE/$VERSION/versitygw
if [ "${1:-}" = "--path" ]; then
  echo "$OUT"
  [ -x "$OUT" ]
  exit
fi
if [ -x "$OUT" ]; then
  echo "versitygw $VERSION: cached at $OUT"
  exit 0
fi
command -v go >/dev/null || { echo "versitygw.sh: go is not on the PATH; install Go 1.26+ to build versitygw" >&2; exit 3; }
start=$(date +%s)
# one builder at a time (see control-plane.sh); the second finds it built
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
if command -v flock >/dev/null; then flock 9; fi
if [ -x "$OUT" ]; then
  echo "versitygw $VERSION: built by another run, cached at $OUT"
  exit 0
fi
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/versity/versitygw@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "versitygw.sh: go mod download gave no source folder for versitygw $VERSION" >&2; exit 1; }
work=$CACHE/work-$VERSION
rm -rf "$work"
mkdir -p "$(dirname "$OUT")"
cp -r "$dir" "$work"
chmod -R u+w "$work"
(cd "$work" && go build -trimpath -ldflags "-X main.Version=$VERSION" -o "$OUT.tmp" ./cmd/versitygw)
mv "$OUT.tmp" "$OUT"
rm -rf "$work"
echo "versitygw $VERSION: built in $(( $(date +%s) - start )) s at $OUT"

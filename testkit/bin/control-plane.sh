#!/usr/bin/env bash
# Builds the real Kubernetes control plane the tests run on, from the Go module proxy, into a cache outside the
# repository (never committed): kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from
# k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3. Builds only what is missing; prints how long it took.
#
#   testkit/bin/control-plane.sh          build what is missing, print the folder
#   testkit/bin/control-plane.sh --dir    print the folder only (exit 1 when something is missing)
#
# k8s.io/kubernetes' go.mod replaces its staging modules (k8s.io/api, ...) with local paths, so `go install` refuses
# it. The known way round (kubernetes/kubernetes#79384): a wrapper module of our own that requires
# k8s.io/kubernetes vX.Y.Z and replaces each staging module with its published v0.Y.Z; etcd's server module is
# built the same way. The list of staging modules is read from the downloaded go.mod, not typed here.
set -euo pipefail
K8S_VERSION=1.37.2
ETCD_VERSION=3.6.16
CACHE=${COFFER_K8S_CACHE:-$HOME/.cache/coffer/k8s}
OUT=$CACHE/v$K8S_VERSION
BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)
# the version a release build stamps into the binaries (/version, kubectl version, Helm's kubeVersion); binaries built
# before this script stamped it (no marker) are built again
STAMP=$OUT/.stamped-v$K8S_VERSION
if [ -d "$OUT" ] && [ ! -f "$STAMP" ] && [ "${1:-}" != "--dir" ]; then
  rm -f "$OUT/kube-apiserver" "$OUT/kube-controller-manager" "$OUT/kube-scheduler" "$OUT/kubectl"
fi

missing=()
for b in "${BINARIES[@]}"; do [ -x "$OUT/$b" ] || missing+=("$b"); done
if [ "${1:-}" = "--dir" ]; then
  echo "$OUT"
  [ ${#missing[@]} -eq 0 ]
  exit
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "control plane v$K8S_VERSION (etcd v$ETCD_VERSION): cached in $OUT"
  exit 0
fi
command -v go >/dev/null || { echo "control-plane.sh: go is not on the PATH; install Go 1.26+ to build ${missing[*]}" >&2; exit 3; }
start=$(date +%s)
mkdir -p "$OUT" "$CACHE/work"
# one builder at a time: two builds at once (two Maven runs, a demo beside a test run) would move each other's
# half-written binaries; the second waits, then finds them built
exec 9>"$CACHE/.build.lock"
if command -v flock >/dev/null; then flock 9; fi
missing=()
for b in "${BINARIES[@]}"; do [ -x "$OUT/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "control plane v$K8S_VERSION (etcd v$ETCD_VERSION): built by another run, cached in $OUT"
  exit 0
fi
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
log() { echo "[control-plane $(( $(date +%s) - start ))s] $*"; }

build_k8s() {
  local w=$CACHE/work/kubernetes-$K8S_VERSION
  mkdir -p "$w"
  cd "$w"
  if [ ! -f go.mod ]; then
    go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" >/dev/null
    local mod
    mod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$K8S_VERSION.mod
    local staging minor=${K8S_VERSION#1.}
    staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$mod")
    {
      echo "module coffer.io/control-plane"
      echo
      grep -E '^go [0-9]' "$mod"
      echo
      echo "require k8s.io/kubernetes v$K8S_VERSION"
      echo
      for m in $staging; do echo "replace $m => $m v0.$minor"; done
    } > go.mod.new
    mv go.mod.new go.mod
    log "wrapper module for k8s.io/kubernetes v$K8S_VERSION: $(echo "$staging" | wc -w) staging modules replaced by v0.$minor"
  fi
  # what hack/lib/version.sh stamps in a release build
  local v=k8s.io/component-base/version minor=${K8S_VERSION#1.}
  minor=${minor%%.*}
  local stamp="-X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
  stamp+=" -X $v.gitTreeState=clean -X $v.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  stamp+=" -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  stamp+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$OUT/$b" ] && continue
    log "building $b"
    go build -trimpath -ldflags="-s -w $stamp" -o "$OUT/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$OUT/$b.tmp" "$OUT/$b"
  done
  echo "v$K8S_VERSION" > "$STAMP"
}

build_etcd() {
  local w=$CACHE/work/etcd-$ETCD_VERSION
  mkdir -p "$w"
  cd "$w"
  if [ ! -f go.mod ]; then
    go mod download -json "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null
    local mod
    mod=$(go env GOMODCACHE)/cache/download/go.etcd.io/etcd/server/v3/@v/v$ETCD_VERSION.mod
    {
      echo "module coffer.io/etcd"
      echo
      grep -E '^go [0-9]' "$mod"
      echo
      echo "require go.etcd.io/etcd/server/v3 v$ETCD_VERSION"
      echo
      sed -n 's#^[[:space:]]*\(go.etcd.io/etcd/[a-z0-9/]*\) => \.\./.*#\1#p' "$mod" | while read -r m; do echo "replace $m => $m v$ETCD_VERSION"; done
    } > go.mod.new
    mv go.mod.new go.mod
  fi
  log "building etcd v$ETCD_VERSION"
  go build -trimpath -ldflags="-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
}

[ -x "$OUT/etcd" ] || build_etcd
build_k8s
end=$(date +%s)
log "done: ${missing[*]} built in $(( end - start )) s into $OUT ($(du -sh "$OUT" | cut -f1))"

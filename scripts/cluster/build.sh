#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy, once: the binaries are
# cached outside the repo (see lib.sh), and a warm run only checks that they exist.
#
#   scripts/cluster/build.sh          build if missing; prints the binary directory
#   scripts/cluster/build.sh --force  rebuild
#
# Env: CLUSTER_BUILD_JOBS (go build -p, default 2), CI_REMEDIATOR_CACHE_DIR, CLUSTER_BIN_DIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

force=0
[[ ${1:-} == --force ]] && force=1

have_bins() { [[ -x $CLUSTER_BIN/kube-apiserver && -x $CLUSTER_BIN/etcd ]]; }

if [[ $force == 0 ]] && have_bins; then
  echo "$CLUSTER_BIN"
  exit 0
fi

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || die "go is not installed (needed once, to build kube-apiserver and etcd)"

mkdir -p "$CLUSTER_CACHE"
# One build at a time per cache, even across clones and concurrent test runs.
exec 9>"$CLUSTER_CACHE/.build.lock"
if ! flock -n 9; then
  log "another build holds $CLUSTER_CACHE/.build.lock; waiting"
  flock 9
fi
if [[ $force == 0 ]] && have_bins; then
  echo "$CLUSTER_BIN"
  exit 0
fi

tmp=$(mktemp -d "$CLUSTER_CACHE/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# The go.mod files name no toolchain newer than this machine's Go; never fetch another.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false -p=${CLUSTER_BUILD_JOBS:-2}"
export CGO_ENABLED=0

start=$(now_ms)
log "building kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION from the Go module proxy (once per machine, about 6 minutes; cached in $CLUSTER_BIN)"

t=$(now_ms)
(cd "$CLUSTER_SRC/etcd" && nice -n 19 go build -o "$tmp/etcd" \
  -ldflags "-s -w" .)
log "etcd built in $(elapsed "$t")"

t=$(now_ms)
v=${K8S_VERSION#v}
ver=k8s.io/component-base/version
(cd "$CLUSTER_SRC/kube-apiserver" && nice -n 19 go build -o "$tmp/kube-apiserver" \
  -ldflags "-s -w -X $ver.gitVersion=$K8S_VERSION -X $ver.gitMajor=${v%%.*} -X $ver.gitMinor=$(cut -d. -f2 <<<"$v") -X $ver.gitTreeState=clean" \
  k8s.io/kubernetes/cmd/kube-apiserver)
log "kube-apiserver built in $(elapsed "$t")"

"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version 2>&1 | sed -n 1p >&2

rm -rf "$CLUSTER_BIN"
mv "$tmp" "$CLUSTER_BIN"
trap - EXIT
echo "$(date -u +%FT%TZ) $(( ($(now_ms) - start) / 1000 ))s $(nproc)cpu" >"$CLUSTER_BIN/build-time"
log "build done in $(elapsed "$start"): $CLUSTER_BIN"
echo "$CLUSTER_BIN"

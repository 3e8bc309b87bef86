# shellcheck shell=bash
# Shared settings for scripts/cluster/*.sh. Sourced, not run.
# Everything here can be overridden from the environment; see docs/cluster.md.

CLUSTER_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_SRC/../.." && pwd)

# Runtime state (pids, logs, certs, etcd data, kubeconfig). Gitignored.
CLUSTER_STATE=${CLUSTER_STATE_DIR:-$REPO_ROOT/.cluster}

# Pinned versions come from the two Go modules, so go.mod is the one place to bump them.
mod_version() { grep -oE "^[[:space:]]*(require[[:space:]]+)?$1 v[^[:space:]]+" "$2" | awk '{print $NF}'; }
K8S_VERSION=$(mod_version k8s.io/kubernetes "$CLUSTER_SRC/kube-apiserver/go.mod")
ETCD_VERSION=$(mod_version go.etcd.io/etcd/server/v3 "$CLUSTER_SRC/etcd/go.mod")

# Bump when the build recipe (flags, ldflags) changes so cached binaries are rebuilt.
CLUSTER_RECIPE=1

cluster_build_key() {
  {
    echo "recipe $CLUSTER_RECIPE"
    cat "$CLUSTER_SRC/kube-apiserver/go.mod" "$CLUSTER_SRC/kube-apiserver/go.sum" \
        "$CLUSTER_SRC/etcd/go.mod" "$CLUSTER_SRC/etcd/go.sum" "$CLUSTER_SRC/etcd/main.go"
  } | sha256sum | cut -c1-12
}

# Binaries live outside the repo, keyed by versions and a hash of the module files,
# so clean clones reuse them and a version bump builds anew.
CLUSTER_CACHE=${CI_REMEDIATOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ci-remediator}/cluster
CLUSTER_BIN=${CLUSTER_BIN_DIR:-$CLUSTER_CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-$(cluster_build_key)}

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch, for timings.
now_ms() { date +%s%3N; }
elapsed() { awk -v ms=$(( $(now_ms) - $1 )) 'BEGIN { printf "%.1fs", ms / 1000 }'; }

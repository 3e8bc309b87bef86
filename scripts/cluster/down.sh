#!/usr/bin/env bash
# Stops the control plane started by up.sh: SIGTERM, then SIGKILL after
# CLUSTER_STOP_TIMEOUT seconds (default 15).
#
#   scripts/cluster/down.sh          stop; keep etcd data, certificates and kubeconfig
#   scripts/cluster/down.sh --purge  stop and remove .cluster/ (data, certs, logs)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

purge=0
for arg in "$@"; do
  case $arg in
    --purge) purge=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

[[ -d $CLUSTER_STATE ]] || { log "not running"; exit 0; }
exec 8>"$CLUSTER_STATE/.lock"
flock -w "${CLUSTER_LOCK_TIMEOUT:-900}" 8 || die "$CLUSTER_STATE/.lock is held by another up/down"
# shellcheck source=proc.sh
. "$CLUSTER_SRC/proc.sh"

if ! running kube-apiserver && ! running etcd; then
  log "not running"
fi
stop_all
rm -f "$CLUSTER_STATE/cluster.json" "$CLUSTER_STATE/cluster.env"
if [[ $purge == 1 ]]; then
  rm -rf "$CLUSTER_STATE"
  log "removed $CLUSTER_STATE"
fi

#!/usr/bin/env bash
# Starts a real control plane (etcd + kube-apiserver, no scheduler or controller-manager)
# on loopback and writes an admin kubeconfig to .cluster/kubeconfig. See docs/cluster.md.
#
#   scripts/cluster/up.sh           build if needed (cached), start, wait for /readyz
#   scripts/cluster/up.sh --fresh   wipe etcd data first (an empty cluster)
#
# Idempotent: when the control plane is already running and ready it only says so.
# Writes .cluster/cluster.json and .cluster/cluster.env for test harnesses.
#
# Env: CLUSTER_APISERVER_PORT, CLUSTER_ETCD_PORT, CLUSTER_ETCD_PEER_PORT (default: free ports
# chosen once and kept in .cluster/ports.env), CLUSTER_READY_TIMEOUT (seconds, default 120),
# CLUSTER_APISERVER_ARGS (extra kube-apiserver flags, space-separated).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

fresh=0
for arg in "$@"; do
  case $arg in
    --fresh) fresh=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

t0=$(now_ms)
command -v openssl >/dev/null || die "openssl is not installed (needed for the control plane's certificates)"
mkdir -p "$CLUSTER_STATE"
# One up/down at a time for this state directory.
exec 8>"$CLUSTER_STATE/.lock"
flock -w "${CLUSTER_LOCK_TIMEOUT:-900}" 8 || die "$CLUSTER_STATE/.lock is held by another up/down"

# shellcheck source=proc.sh
. "$CLUSTER_SRC/proc.sh"

pki=$CLUSTER_STATE/pki
kubeconfig=$CLUSTER_STATE/kubeconfig

# ---------------------------------------------------------------- already up?
# (Reused only if it runs the binaries of the pinned versions: after a bump it is restarted.)
if [[ $fresh == 0 ]] && running etcd && running kube-apiserver && [[ -f $CLUSTER_STATE/ports.env ]] &&
  [[ $(readlink "/proc/$(daemon_pid kube-apiserver)/exe") == "$CLUSTER_BIN/kube-apiserver" ]]; then
  # shellcheck disable=SC1091
  . "$CLUSTER_STATE/ports.env"
  if wait_ready "$APISERVER_PORT" "${CLUSTER_READY_TIMEOUT:-120}"; then
    log "already running: https://127.0.0.1:$APISERVER_PORT (kubeconfig: $kubeconfig)"
    write_info reused
    exit 0
  fi
  log "running but not ready; restarting"
fi
stop_all

# ---------------------------------------------------------------- binaries
bin=$("$CLUSTER_SRC/build.sh")

# ---------------------------------------------------------------- ports
if [[ $fresh == 1 ]]; then
  rm -rf "$CLUSTER_STATE/etcd" "$CLUSTER_STATE/ports.env"
fi
if [[ -f $CLUSTER_STATE/ports.env ]]; then
  # shellcheck disable=SC1091
  . "$CLUSTER_STATE/ports.env"
fi
APISERVER_PORT=${CLUSTER_APISERVER_PORT:-${APISERVER_PORT:-}}
ETCD_PORT=${CLUSTER_ETCD_PORT:-${ETCD_PORT:-}}
ETCD_PEER_PORT=${CLUSTER_ETCD_PEER_PORT:-${ETCD_PEER_PORT:-}}
# A kept port that something else took since is replaced.
read -r -a spare <<<"$(free_ports 3)"
i=0
for v in APISERVER_PORT ETCD_PORT ETCD_PEER_PORT; do
  if [[ -z ${!v} ]] || ! port_free "${!v}"; then
    printf -v "$v" '%s' "${spare[i]}"
  fi
  i=$((i + 1))
done
[[ $APISERVER_PORT != "$ETCD_PORT" && $ETCD_PORT != "$ETCD_PEER_PORT" && $APISERVER_PORT != "$ETCD_PEER_PORT" ]] \
  || die "port clash: $APISERVER_PORT $ETCD_PORT $ETCD_PEER_PORT"
printf 'APISERVER_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\n' \
  "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" >"$CLUSTER_STATE/ports.env"

# ---------------------------------------------------------------- certificates
"$CLUSTER_SRC/certs.sh" "$pki"

# ---------------------------------------------------------------- etcd
log "starting etcd $ETCD_VERSION on 127.0.0.1:$ETCD_PORT"
start_daemon etcd "$bin/etcd" \
  --name=ci-remediator \
  --data-dir="$CLUSTER_STATE/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="ci-remediator=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --quota-backend-bytes=$((2 * 1024 * 1024 * 1024)) \
  --log-level=warn
wait_http "http://127.0.0.1:$ETCD_PORT/health" etcd 60

# ---------------------------------------------------------------- kube-apiserver
log "starting kube-apiserver $K8S_VERSION on https://127.0.0.1:$APISERVER_PORT"
# shellcheck disable=SC2086
start_daemon kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$APISERVER_PORT" \
  --cert-dir="$pki" \
  --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --disable-admission-plugins=ServiceAccount \
  --endpoint-reconciler-type=none \
  --allow-privileged=true \
  --profiling=false \
  --v=0 \
  ${CLUSTER_APISERVER_ARGS:-}
t1=$(now_ms)

# Admin kubeconfig: client certificate in group system:masters, embedded so the file
# works on its own (copied elsewhere, or read by a client library).
b64() { base64 -w0 <"$1"; }
cat >"$kubeconfig.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: ci-remediator
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: ci-remediator
  context:
    cluster: ci-remediator
    user: admin
current-context: ci-remediator
KUBECONFIG
chmod 600 "$kubeconfig.tmp"
mv "$kubeconfig.tmp" "$kubeconfig"

if ! wait_ready "$APISERVER_PORT" "${CLUSTER_READY_TIMEOUT:-120}"; then
  tail -n 40 "$CLUSTER_STATE/kube-apiserver.log" >&2 || true
  die "kube-apiserver not ready after ${CLUSTER_READY_TIMEOUT:-120}s (log: $CLUSTER_STATE/kube-apiserver.log)"
fi
log "kube-apiserver ready in $(elapsed "$t1") (up took $(elapsed "$t0")); kubeconfig: $kubeconfig"
write_info started

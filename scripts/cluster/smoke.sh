#!/usr/bin/env bash
# Checks a running control plane (scripts/cluster/up.sh) end to end with kubectl:
#   /readyz; a namespace; a ServiceAccount token from the TokenRequest API and RBAC
#   allowing and denying with it; a CRD whose CEL rule (x-kubernetes-validations) is enforced.
# Prints 'N passed, N failed' last and exits non-zero on any failure.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export KUBECONFIG=$CLUSTER_STATE/kubeconfig
command -v kubectl >/dev/null || die "kubectl is required"
[[ -f $CLUSTER_STATE/cluster.json ]] || die "not running (scripts/cluster/up.sh)"

pass=0 fail=0
check() { # check DESCRIPTION COMMAND...: the command must succeed
  local d=$1; shift
  if out=$("$@" 2>&1); then pass=$((pass + 1)); log "ok   $d"
  else fail=$((fail + 1)); log "FAIL $d: $out"; fi
}
refuse() { # refuse DESCRIPTION PATTERN COMMAND...: the command must fail with PATTERN in its output
  local d=$1 p=$2; shift 2
  if out=$("$@" 2>&1); then fail=$((fail + 1)); log "FAIL $d: unexpectedly succeeded: $out"
  elif grep -qi -- "$p" <<<"$out"; then pass=$((pass + 1)); log "ok   $d"
  else fail=$((fail + 1)); log "FAIL $d: $out"; fi
}

ns=smoke-$(date +%s)-$RANDOM
group=smoke.ci-remediator.dev
crd=widgets.$group
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
cleanup() {
  kubectl delete ns "$ns" --wait=false >/dev/null 2>&1
  kubectl delete crd "$crd" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT

check "/readyz" bash -c '[[ $(kubectl get --raw /readyz) == ok ]]'
check "namespace $ns" kubectl create namespace "$ns"

# ServiceAccount token (TokenRequest API; no controller-manager needed) and RBAC.
check "serviceaccount" kubectl -n "$ns" create serviceaccount reader
check "role" kubectl -n "$ns" create role cm-reader --verb=get,list,watch --resource=configmaps
check "rolebinding" kubectl -n "$ns" create rolebinding reader --role=cm-reader --serviceaccount="$ns:reader"
token=$(kubectl -n "$ns" create token reader --duration=10m) || { fail=$((fail + 1)); log "FAIL create token"; }
sa() { kubectl --kubeconfig=/dev/null --server="$server" --certificate-authority="$CLUSTER_STATE/pki/ca.crt" --token="$token" "$@"; }
check "token authenticates as the ServiceAccount" bash -c "$(declare -f sa); $(declare -p server token CLUSTER_STATE); sa auth whoami -o jsonpath='{.status.userInfo.username}' | grep -qx 'system:serviceaccount:$ns:reader'"
check "RBAC allows list configmaps" sa -n "$ns" get configmaps
refuse "RBAC denies create configmaps" Forbidden sa -n "$ns" create configmap x --from-literal=a=b
refuse "RBAC denies list secrets" Forbidden sa -n "$ns" get secrets
refuse "RBAC denies configmaps in another namespace" Forbidden sa -n default get configmaps
refuse "a forged token is rejected" Unauthorized kubectl --kubeconfig=/dev/null --server="$server" \
  --certificate-authority="$CLUSTER_STATE/pki/ca.crt" --token="${token%?????}AAAAA" get --raw /api

# CRD with a CEL rule.
check "CRD with x-kubernetes-validations" kubectl apply -f - <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: $crd
spec:
  group: $group
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.min <= self.max
              message: min must not exceed max
            - rule: self.name == oldSelf.name
              message: name is immutable
            properties:
              name: {type: string}
              min: {type: integer}
              max: {type: integer}
YAML
check "CRD established" kubectl wait --for=condition=Established --timeout=30s "crd/$crd"
widget() { printf 'apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w, namespace: %s}\nspec: {name: %s, min: %s, max: %s}\n' "$group" "$ns" "$@"; }
check "valid custom resource accepted" bash -c "$(declare -f widget); $(declare -p group ns); widget a 1 2 | kubectl create -f -"
refuse "CEL rule rejects min > max" "min must not exceed max" bash -c "$(declare -f widget); $(declare -p group ns); widget a 3 2 | kubectl apply -f -"
refuse "CEL transition rule rejects a changed name" "name is immutable" bash -c "$(declare -f widget); $(declare -p group ns); widget b 1 2 | kubectl apply -f -"

echo "cluster-smoke: $pass passed, $fail failed"
[[ $fail == 0 ]]

#!/usr/bin/env bash
# Helm v4 (https://helm.sh), built once from the Go module proxy at a pinned version and cached outside the
# repository (see go-tool.sh).
#
#   scripts/tools/helm.sh --path      build if missing, print the binary's path
#   scripts/tools/helm.sh ARGS...     run helm with ARGS
#
# Env: HELM_VERSION (default below), CI_REMEDIATOR_CACHE_DIR.
set -euo pipefail
# shellcheck source=go-tool.sh
. "$(dirname "$0")/go-tool.sh"

version=${HELM_VERSION:-v4.3.2}
# helm prints this version (`helm version`) and checks charts' kubeVersion against the cluster, not this.
bin=$(go_tool_bin helm "$version" helm.sh/helm/v4 ./cmd/helm "-X helm.sh/helm/v4/internal/version.version=$version")

if [[ ${1:-} == --path ]]; then
  echo "$bin"
  exit 0
fi
exec "$bin" "$@"

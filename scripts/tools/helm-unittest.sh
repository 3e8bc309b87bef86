#!/usr/bin/env bash
# helm-unittest (https://github.com/helm-unittest/helm-unittest), the template unit-test runner, built once from
# the Go module proxy at a pinned version and cached outside the repository (see go-tool.sh). Its go.mod has a
# replace directive, so it is built inside the downloaded module rather than with `go install pkg@version`.
# It runs as a standalone command (it renders with its own embedded Helm library, not the helm binary).
#
#   scripts/tools/helm-unittest.sh --path    build if missing, print the binary's path
#   scripts/tools/helm-unittest.sh ARGS...   run it with ARGS (e.g. charts/ci-remediator)
#
# Env: HELM_UNITTEST_VERSION (default below), CI_REMEDIATOR_CACHE_DIR.
set -euo pipefail
# shellcheck source=go-tool.sh
. "$(dirname "$0")/go-tool.sh"

version=${HELM_UNITTEST_VERSION:-v1.1.2}
bin=$(go_tool_bin helm-unittest "$version" github.com/helm-unittest/helm-unittest ./cmd/helm-unittest)

if [[ ${1:-} == --path ]]; then
  echo "$bin"
  exit 0
fi
exec "$bin" "$@"

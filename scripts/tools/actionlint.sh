#!/usr/bin/env bash
# Lints workflow files with actionlint (https://github.com/rhysd/actionlint), built once from the Go module proxy
# at a pinned version and cached outside the repository; a warm run only checks that the binary exists.
#
#   scripts/tools/actionlint.sh                 lint docs/examples/*.yml
#   scripts/tools/actionlint.sh FILE...         lint these files
#   scripts/tools/actionlint.sh --path          build if missing, print the binary's path
#
# Env: CI_REMEDIATOR_CACHE_DIR (default ~/.cache/ci-remediator), ACTIONLINT_VERSION.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=${ACTIONLINT_VERSION:-v1.7.12}
cache=${CI_REMEDIATOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ci-remediator}/tools
bin="$cache/actionlint-$version"
# Scratch directories (the build's, the lint's), removed however the script ends: one trap, as a second
# `trap ... EXIT` would replace the first.
tmp='' stage=''
trap 'rm -rf ${tmp:+"$tmp"} ${stage:+"$stage"}' EXIT

if [[ ! -x $bin ]]; then
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || { echo "actionlint.sh: go is not installed (needed once, to build actionlint $version)" >&2; exit 1; }
  mkdir -p "$cache"
  # One build at a time per cache, even across concurrent CI jobs on one machine.
  exec 9>"$cache/.actionlint.lock"
  flock 9
  if [[ ! -x $bin ]]; then
    echo "actionlint.sh: building actionlint $version (once; cached in $cache)" >&2
    tmp=$(mktemp -d "$cache/.build.XXXXXX")
    # Never fetch a newer Go toolchain; the module proxy serves the pinned module and its go.sum-checked deps.
    GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="-trimpath -buildvcs=false" \
      nice -n 19 go install -ldflags "-s -w" "github.com/rhysd/actionlint/cmd/actionlint@$version"
    mv "$tmp/actionlint" "$bin"
  fi
fi

if [[ ${1:-} == --path ]]; then
  echo "$bin"
  exit 0
fi

if [[ $# -eq 0 ]]; then
  shopt -s nullglob
  set -- docs/examples/*.yml docs/examples/*.yaml
  [[ $# -gt 0 ]] || { echo "actionlint.sh: no workflows in docs/examples/" >&2; exit 1; }
fi

# The examples use the action by its published name, which actionlint cannot look up. Linted as workflows of a
# scratch project whose root action is this repository's (`uses: ./`), every `with:` key is checked against
# action.yml's inputs, and `runs.main` must exist. The rewrite keeps line numbers; paths are reported as given.
stage=$(mktemp -d)
mkdir -p "$stage/.git" "$stage/.github/workflows" "$stage/action/dist"
cp action.yml "$stage/action.yml"
: >"$stage/action/dist/index.js"
declare -A origin=()
for file in "$@"; do
  name=$(basename "$file")
  sed -E 's#uses:([[:space:]]*)ci-remediator/ci-remediator@[^[:space:]]+#uses:\1./#' "$file" >"$stage/.github/workflows/$name"
  origin[$name]=$file
done
set +e
output=$(cd "$stage" && "$bin" -no-color -shellcheck= -pyflakes= .github/workflows/*)
status=$?
set -e
for name in "${!origin[@]}"; do output=${output//.github\/workflows\/$name/${origin[$name]}}; done
# shellcheck and pyflakes are off even when installed: the examples' run: lines are illustrations, and the
# result must not depend on what else the machine has.
[[ -n $output ]] && printf '%s\n' "$output"
if [[ $status -ne 0 ]]; then
  echo "actionlint $version: problems in the workflows above" >&2
  exit "$status"
fi
echo "actionlint $version: $# workflow file(s) OK (inputs checked against action.yml)"

#!/usr/bin/env bash
# Shared by the tool scripts here: builds one Go command from the Go module proxy at a pinned version, once, into
# the machine's cache (like the control plane, see scripts/cluster/build.sh); a warm run only checks that the
# binary exists. Source it, then call:
#
#   go_tool_bin NAME VERSION MODULE PACKAGE [LDFLAGS]   prints the cached binary's path, building it if missing
#
# PACKAGE is relative to the module root (./cmd/x). The module is downloaded with `go mod download` and built
# inside its own directory, so its go.mod (replace directives included, which `go install pkg@version` refuses)
# and its go.sum decide every dependency.
#
# Env: CI_REMEDIATOR_CACHE_DIR (default ~/.cache/ci-remediator), TOOLS_BUILD_JOBS (go build -p, default 2).

tools_cache=${CI_REMEDIATOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ci-remediator}/tools

now_ms() { date +%s%3N; }

go_tool_bin() {
  local name=$1 version=$2 module=$3 package=$4 ldflags=${5:-}
  local bin="$tools_cache/$name-$version"
  if [[ ! -x $bin ]]; then
    command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
    command -v go >/dev/null || { echo "$name: go is not installed (needed once, to build $name $version)" >&2; return 1; }
    mkdir -p "$tools_cache"
    # One build at a time per tool and cache, even across concurrent CI jobs and test files on one machine; the
    # lock is held on a file descriptor of this shell until the binary is in place.
    local lock="$tools_cache/.$name.lock"
    exec {lockfd}>"$lock"
    flock "$lockfd"
    if [[ ! -x $bin ]]; then
      echo "$name: building $name $version from the Go module proxy (once; cached in $tools_cache)" >&2
      local start dir tmp
      start=$(now_ms)
      # Never fetch a newer Go toolchain; GOFLAGS from the environment could turn on -mod=vendor or the like.
      dir=$(GOTOOLCHAIN=local GOFLAGS= go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      [[ -n $dir && -f $dir/go.mod ]] || { echo "$name: go mod download $module@$version gave no module directory" >&2; return 1; }
      tmp=$(mktemp -d "$tools_cache/.build.XXXXXX")
      # The module cache is read-only; the build writes only its output (into the scratch directory).
      if ! (cd "$dir" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath -buildvcs=false -p=${TOOLS_BUILD_JOBS:-2}" \
        nice -n 10 go build -ldflags "-s -w $ldflags" -o "$tmp/$name" "$package"); then
        rm -rf "$tmp"
        echo "$name: build of $module@$version failed" >&2
        return 1
      fi
      mv "$tmp/$name" "$bin"
      rm -rf "$tmp"
      echo "$(date -u +%FT%TZ) $(( ($(now_ms) - start) / 1000 ))s $(nproc)cpu" >"$bin.build-time"
      echo "$name: built in $(( ($(now_ms) - start) / 1000 ))s: $bin" >&2
    fi
    exec {lockfd}>&-
  fi
  echo "$bin"
}

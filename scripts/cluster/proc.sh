# shellcheck shell=bash
# Process helpers for up.sh and down.sh. Sourced after lib.sh; needs CLUSTER_STATE.

pidfile() { echo "$CLUSTER_STATE/$1.pid"; }

# Prints the pid of a running daemon we started, or fails. The pid must still be
# the same binary, so a recycled pid is never signalled.
daemon_pid() {
  local f pid
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1 | grep -q "/$1\$" || return 1
  echo "$pid"
}

running() { daemon_pid "$1" >/dev/null; }

start_daemon() {
  local name=$1
  shift
  # setsid: its own session, so it outlives this script and a terminal's Ctrl-C.
  # Lock descriptors (8, 9) are closed so that the daemon does not hold the locks.
  setsid "$@" >>"$CLUSTER_STATE/$name.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$(pidfile "$name")"
}

# stop_daemon NAME [TIMEOUT]: SIGTERM, then SIGKILL after TIMEOUT seconds.
stop_daemon() {
  local name=$1 timeout=${2:-${CLUSTER_STOP_TIMEOUT:-15}} pid i
  if pid=$(daemon_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      [[ -d /proc/$pid ]] || break
      sleep 0.1
    done
    if [[ -d /proc/$pid ]]; then
      log "$name (pid $pid) did not stop in ${timeout}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while [[ -d /proc/$pid ]]; do sleep 0.1; done
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$(pidfile "$name")"
}

stop_all() {
  stop_daemon kube-apiserver
  stop_daemon etcd
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_ports N: N distinct ports the kernel hands out now (all held open at once,
# then released); free for the moment we start the daemons.
free_ports() {
  if ! command -v node >/dev/null; then
    python3 -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
    return
  fi
  node -e '
    const net = require("net");
    const n = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer();
      servers.push(s);
      s.listen(0, "127.0.0.1", next);
    };
    next();' "$1"
}

wait_http() {
  local url=$1 name=$2 timeout=$3 deadline
  deadline=$(($(date +%s) + timeout))
  until curl -sf -o /dev/null --max-time 2 "$url"; do
    running "$name" || { tail -n 40 "$CLUSTER_STATE/$name.log" >&2; die "$name exited (log: $CLUSTER_STATE/$name.log)"; }
    (($(date +%s) < deadline)) || die "$name not healthy after ${timeout}s (log: $CLUSTER_STATE/$name.log)"
    sleep 0.2
  done
}

# wait_ready PORT TIMEOUT: until kube-apiserver's /readyz says ok, or it exits.
wait_ready() {
  local port=$1 timeout=$2 deadline pki=$CLUSTER_STATE/pki
  deadline=$(($(date +%s) + timeout))
  until [[ $(curl -s --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$port/readyz" 2>/dev/null) == ok ]]; do
    running kube-apiserver || { tail -n 40 "$CLUSTER_STATE/kube-apiserver.log" >&2; return 1; }
    running etcd || { tail -n 40 "$CLUSTER_STATE/etcd.log" >&2; return 1; }
    (($(date +%s) < deadline)) || return 1
    sleep 0.25
  done
}

# write_info started|reused: .cluster/cluster.json and .cluster/cluster.env for harnesses.
write_info() {
  local pki=$CLUSTER_STATE/pki server="https://127.0.0.1:$APISERVER_PORT"
  cat >"$CLUSTER_STATE/cluster.json" <<JSON
{
  "state": "$1",
  "server": "$server",
  "kubeconfig": "$CLUSTER_STATE/kubeconfig",
  "caFile": "$pki/ca.crt",
  "clientCertFile": "$pki/admin.crt",
  "clientKeyFile": "$pki/admin.key",
  "serviceAccountIssuer": "https://kubernetes.default.svc.cluster.local",
  "kubernetesVersion": "$K8S_VERSION",
  "etcdVersion": "$ETCD_VERSION",
  "etcdEndpoint": "http://127.0.0.1:$ETCD_PORT",
  "apiserverPid": $(daemon_pid kube-apiserver || echo null),
  "etcdPid": $(daemon_pid etcd || echo null)
}
JSON
  cat >"$CLUSTER_STATE/cluster.env" <<ENV
KUBECONFIG=$CLUSTER_STATE/kubeconfig
CLUSTER_SERVER=$server
CLUSTER_CA_FILE=$pki/ca.crt
ENV
}

# Shared by the bench scripts: pinning, a temp work dir whose processes are
# stopped by PID on exit, config templates, CPU and memory accounting (proc_tree.py). Source it after setting
# $here (bench/) and $python, then call bench_setup PREFIX.

# bench_setup PREFIX: decides pinning, makes $work, and installs the cleanup traps.
bench_setup() {
  pin=1
  if (( $(nproc) < 2 )); then
    echo "bench: fewer than 2 CPUs; running unpinned (proxy and load share the CPU)" >&2
    pin=0
  fi
  work="$(mktemp -d "/tmp/$1.XXXXXX")"
  chmod 755 "$work"   # nginx workers run as an unprivileged user when started as root
  pids=()
  declare -gA server_pid=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP:-0}" == 1 ]]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}

# Prints N free TCP ports on 127.0.0.1 (bound together, so they differ, then released).
free_ports() {
  "$python" - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# render TEMPLATE OUT KEY=VALUE...: copies a conf/ template, replacing each @KEY@.
render() {
  local template="$1" out="$2" pair
  shift 2
  cp "$here/conf/$template" "$out"
  for pair in "$@"; do
    sed -i "s|@${pair%%=*}@|${pair#*=}|g" "$out"
  done
}

# on_cpu CPU CMD...: runs CMD pinned to CPU when pinning is on.
on_cpu() {
  local cpu="$1"
  shift
  if (( pin )); then taskset -c "$cpu" "$@"; else "$@"; fi
}

# start NAME CPU CMD...: starts CMD in the background, output to $work/NAME/out.log.
start() {
  local name="$1" cpu="$2"
  shift 2
  # Not through on_cpu: a backgrounded function is a subshell, and $! must be the server itself
  # (taskset execs it) so that cleanup stops it by PID.
  if (( pin )); then
    taskset -c "$cpu" "$@" >"$work/$name/out.log" 2>&1 &
  else
    "$@" >"$work/$name/out.log" 2>&1 &
  fi
  pids+=("$!")
  server_pid[$name]="$!"
}

# cpu_seconds PID: user+system CPU time of PID and its children (nginx: master + worker).
cpu_seconds() { "$python" "$here/proc_tree.py" cpu "$1"; }

# memory_kib PID: "PSS RSS" in KiB, each summed over PID and its descendants.
memory_kib() { "$python" "$here/proc_tree.py" memory "$1"; }

# serves PORT [TRIES]: true once GET /1k.bin on 127.0.0.1:PORT returns 200 with 1024 bytes
# (TRIES x 0.1 s, default 100).
serves() {
  local port="$1" tries="${2:-100}" i
  for i in $(seq "$tries"); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$port/1k.bin")" == "200 1024" ]]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Shared by bench/run.sh and bench/tls_h2.sh: pinning, a temp work dir whose processes are
# stopped by PID on exit, config templates, and CPU accounting. Source it after setting
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
cpu_seconds() {
  "$python" - "$1" <<'PY'
import os, sys
def tree(pid):
    yield pid
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            kids = []
        for kid in kids:
            yield from tree(int(kid))
ticks = 0
for pid in tree(int(sys.argv[1])):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    ticks += int(fields[11]) + int(fields[12])  # utime, stime
print(ticks / os.sysconf("SC_CLK_TCK"))
PY
}

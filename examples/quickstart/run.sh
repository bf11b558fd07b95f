#!/usr/bin/env bash
# Quickstart: two demo app instances (127.0.0.1:8001, :8002) behind gatehouse (127.0.0.1:8080).
# Runs gatehouse in the foreground; Ctrl-C stops it gracefully, and the apps are stopped by PID.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# $GATEHOUSE_BIN, else the build tree's binary, else an installed gatehouse (the .deb ships this
# script under /usr/share/doc/gatehouse/examples).
bin="${GATEHOUSE_BIN:-$repo/build/gatehouse}"
if [[ -z "${GATEHOUSE_BIN:-}" && ! -x "$bin" ]] && command -v gatehouse >/dev/null; then
  bin="$(command -v gatehouse)"
fi
python="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"
config="$here/gatehouse.yaml"

if [[ ! -x "$bin" ]]; then
  echo "gatehouse binary not found at $bin" >&2
  echo "build it (cmake -B build && cmake --build build --target gatehouse) or set GATEHOUSE_BIN" >&2
  exit 1
fi

app_pids=()
cleanup() {
  local pid
  for pid in "${app_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${app_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until something accepts connections on 127.0.0.1:$1, for at most 5 seconds.
wait_for_port() {
  "$python" - "$1" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

for spec in app1:8001 app2:8002; do
  name="${spec%%:*}" port="${spec##*:}"
  "$python" "$here/demo_app.py" --port "$port" --name "$name" &
  app_pids+=("$!")
  if ! wait_for_port "$port"; then
    echo "demo app $name did not start on 127.0.0.1:$port (port in use?)" >&2
    exit 1
  fi
done

"$bin" check -c "$config"
echo "gatehouse on http://127.0.0.1:8080/  (Ctrl-C to stop)" >&2
# Not exec: the shell stays to stop the apps once gatehouse has exited.
set +e
"$bin" run -c "$config"
status=$?
set -e
exit "$status"

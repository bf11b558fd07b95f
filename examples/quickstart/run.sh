#!/usr/bin/env bash
# Quickstart: two demo app instances (127.0.0.1:8001, :8002) behind gatehouse (127.0.0.1:8080).
# Runs gatehouse in the foreground; Ctrl-C stops it gracefully, and the apps are stopped by PID.
#   ./run.sh          balancing only (gatehouse.yaml)
#   ./run.sh --full   the whole front door (gatehouse-full.yaml): TLS on :8443 with a generated
#                     self-signed certificate, static files, the cache, read-only mode, the admin
#                     API and the status page on :9901. Ports: QS_HTTP, QS_HTTPS, QS_ADMIN,
#                     QS_APP1, QS_APP2; the work folder: QS_WORK (default $TMPDIR/gatehouse-quickstart).
set -euo pipefail
full=false
if [[ "${1:-}" == "--full" ]]; then full=true; fi

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

app1_port="${QS_APP1:-8001}" app2_port="${QS_APP2:-8002}"
if $full; then
  work="${QS_WORK:-${TMPDIR:-/tmp}/gatehouse-quickstart}"
  mkdir -p "$work"
  if [[ ! -s "$work/localhost.pem" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
      -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
      -keyout "$work/localhost.key" -out "$work/localhost.pem" 2>/dev/null
  fi
  if [[ ! -s "$work/admin.token" ]]; then
    (umask 077 && openssl rand -hex 24 >"$work/admin.token")
  fi
  config="$work/gatehouse.yaml"
  sed -e "s|@WORK@|$work|g" -e "s|@HERE@|$here|g" -e "s|@HTTP@|${QS_HTTP:-8080}|g" \
      -e "s|@HTTPS@|${QS_HTTPS:-8443}|g" -e "s|@ADMIN@|${QS_ADMIN:-9901}|g" \
      -e "s|@APP1@|$app1_port|g" -e "s|@APP2@|$app2_port|g" "$here/gatehouse-full.yaml" >"$config"
fi

for spec in "app1:$app1_port" "app2:$app2_port"; do
  name="${spec%%:*}" port="${spec##*:}"
  "$python" "$here/demo_app.py" --port "$port" --name "$name" &
  app_pids+=("$!")
  if ! wait_for_port "$port"; then
    echo "demo app $name did not start on 127.0.0.1:$port (port in use?)" >&2
    exit 1
  fi
done

"$bin" check -c "$config"
if $full; then
  echo "gatehouse on http://127.0.0.1:${QS_HTTP:-8080}/ and https://127.0.0.1:${QS_HTTPS:-8443}/ (self-signed: curl -k)" >&2
  echo "status page: http://127.0.0.1:${QS_ADMIN:-9901}/ (the admin token is in $work/admin.token)" >&2
  echo "ctl: $bin ctl -c $config status   (Ctrl-C to stop)" >&2
else
  echo "gatehouse on http://127.0.0.1:8080/  (Ctrl-C to stop)" >&2
fi
# Not exec: the shell stays to stop the apps once gatehouse has exited.
set +e
"$bin" run -c "$config"
status=$?
set -e
exit "$status"

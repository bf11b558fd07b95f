#!/usr/bin/env bash
# TLS 1.3 and HTTP/2 side by side: gatehouse, haproxy and nginx terminating TLS (the same ECDSA
# P-256 certificate) in front of the same origin (nginx serving a 1 KiB file), one worker each,
# pinned like bench/run.sh. For each proxy:
#   full handshakes/s   `h2load --h1 -n BURST -c BURST` again and again for HANDSHAKE_TIME s:
#                       BURST new clients each time, each one full TLS 1.3 handshake (a new client
#                       has no session to resume) + one request, then close
#   reconnects/s        `h2load --h1 -n 5000 -c 20 -H 'Connection: close'`: a new connection per
#                       request, but h2load resumes its session (TLS 1.3 ticket) on reconnect
#   h2 requests/s       `h2load -c 32 -m 10 -D DURATION` over TLS with ALPN h2
# plus the proxy's CPU (share of one core) and the rate per proxy CPU-second, and
# `openssl speed ecdsap256` sign/s (and X25519) on the proxy core for reference.
# Prints a table with each proxy's ratio to the best peer. Nothing is asserted.
#
#   bench/tls_h2.sh                        # DURATION=10 HANDSHAKE_TIME=10 BURST=200 ROUNDS=1
#   ROUNDS=3 DURATION=5 HANDSHAKE_TIME=5 bench/tls_h2.sh   # best of 3 per proxy and row
#   KEEP=1 bench/tls_h2.sh                 # keep the temp dir (configs, logs, raw tool output)
#
# CPU pinning (2 cores), as in run.sh: the proxy under test alone on PROXY_CPU (0); the origin and
# the load tools share LOAD_CPU (1). A TLS client spends about as much CPU per handshake as the
# server, so the load core is usually the limit of the handshake rows: compare `per CPU-s` there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
gatehouse_bin="${GATEHOUSE_BIN:-$repo/build/gatehouse}"
duration="${DURATION:-10}"            # seconds of the measured h2 run
handshake_time="${HANDSHAKE_TIME:-10}"  # seconds of h2load bursts in the full-handshake row
burst="${BURST:-200}"                 # new clients per h2load run in the full-handshake row
rounds="${ROUNDS:-1}"
keepalive="${KEEPALIVE:-512}"         # idle origin connections kept: above the 320 h2 streams in flight
proxy_cpu="${PROXY_CPU:-0}"
load_cpu="${LOAD_CPU:-1}"
python="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"

for tool in nginx haproxy h2load openssl curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done

source "$here/lib.sh"
bench_setup gatehouse-bench-tls

# serves SCHEME PORT [CURL ARGS]: true once GET /1k.bin returns 200 with 1024 bytes (5 s deadline).
serves() {
  local scheme="$1" port="$2" i
  shift 2
  for i in $(seq 50); do
    if [[ "$(curl -sk "$@" -o /dev/null -w '%{http_code} %{size_download}' "$scheme://127.0.0.1:$port/1k.bin")" == "200 1024" ]]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

now() { date +%s.%N; }

# core_ticks CPU: "busy total" jiffies of one core from /proc/stat (busy = all but idle+iowait).
core_ticks() {
  awk -v cpu="cpu$1" '$1 == cpu { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# --- the certificate: ECDSA P-256 from the tests' PKI helper -------------------------------------
mkdir -p "$work/pki"
PYTHONPATH="$repo/tests/support" "$python" - "$work/pki" >"$work/pki/paths" <<'PY'
import sys
from tls_material import TestPki
pki = TestPki(directory=sys.argv[1])
print(pki.a.cert, pki.a.key)
PY
read -r cert key <"$work/pki/paths"
cat "$cert" "$key" >"$work/pki/haproxy.pem"   # haproxy: chain and key in one file
chmod -R a+rX "$work/pki"

read -r origin_port haproxy_port nginx_port gatehouse_port <<<"$(free_ports 4)"
nofile="$(ulimit -Hn)"

# Origin: nginx, one worker, 1 KiB file (the same template as run.sh).
mkdir -p "$work/origin/www"
head -c 1024 /dev/urandom >"$work/origin/www/1k.bin"
chmod -R a+rX "$work/origin"
render origin-nginx.conf "$work/origin/nginx.conf" DIR="$work/origin" PORT="$origin_port"
start origin "$load_cpu" nginx -p "$work/origin" -c "$work/origin/nginx.conf" -e "$work/origin/error.log"
serves http "$origin_port" || { echo "bench: origin did not start:" >&2; cat "$work/origin/out.log" "$work/origin/error.log" >&2; exit 1; }

proxies=()

mkdir -p "$work/haproxy"
render haproxy-tls.cfg "$work/haproxy/haproxy.cfg" PORT="$haproxy_port" ORIGIN_PORT="$origin_port" \
  MAXCONN=4096 CRT="$work/pki/haproxy.pem"   # haproxy keeps every idle origin connection by default
start haproxy "$proxy_cpu" haproxy -db -f "$work/haproxy/haproxy.cfg"
proxies+=("haproxy:$haproxy_port")

mkdir -p "$work/nginx"
chmod 755 "$work/nginx"
render nginx-tls.conf "$work/nginx/nginx.conf" DIR="$work/nginx" PORT="$nginx_port" \
  ORIGIN_PORT="$origin_port" MAXCONN=4096 NOFILE="$nofile" CERT="$cert" KEY="$key" KEEPALIVE="$keepalive"
start nginx "$proxy_cpu" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
proxies+=("nginx:$nginx_port")

if [[ -x "$gatehouse_bin" ]]; then
  mkdir -p "$work/gatehouse"
  render gatehouse-tls.yaml "$work/gatehouse/gatehouse.yaml" PORT="$gatehouse_port" \
    ORIGIN_PORT="$origin_port" CERT="$cert" KEY="$key" KEEPALIVE="$keepalive"
  if "$gatehouse_bin" check -c "$work/gatehouse/gatehouse.yaml" >"$work/gatehouse/check.log" 2>&1; then
    start gatehouse "$proxy_cpu" "$gatehouse_bin" run -c "$work/gatehouse/gatehouse.yaml"
    proxies+=("gatehouse:$gatehouse_port")
  else
    echo "bench: gatehouse skipped: its config check failed:" >&2
    cat "$work/gatehouse/check.log" >&2
  fi
else
  echo "bench: gatehouse skipped: no binary at $gatehouse_bin (build it, or set GATEHOUSE_BIN)" >&2
fi

mkdir -p "$work/results"
# Reference: the proxy core's raw signing and key-exchange speed.
on_cpu "$proxy_cpu" openssl speed -seconds 3 ecdsap256 >"$work/results/speed-ecdsa.txt" 2>/dev/null || true
on_cpu "$proxy_cpu" openssl speed -seconds 3 ecdhx25519 >"$work/results/speed-x25519.txt" 2>/dev/null || true

echo "bench: origin :$origin_port and load tools on cpu $load_cpu; proxies on cpu $proxy_cpu" \
     "(pinning $( ((pin)) && echo on || echo off )); $rounds round(s) of: h2load bursts of $burst for" \
     "${handshake_time}s, h2load --h1 -n 5000 -c 20, h2load -c 32 -m 10 ${duration}s" >&2

# mark: remembers the proxy's CPU time, the load core's ticks and the time, for cpu_share.
mark() {
  mark_cpu="$(cpu_seconds "$1")" mark_load="$(core_ticks "$load_cpu")" mark_t="$(now)"
}

# cpu_share PREFIX PID: since mark, writes PID's CPU share to PREFIX.cpu, the load core's busy
# share (everything on it: load tools, origin, other users of the machine) to PREFIX.load, and
# the wall time to PREFIX.wall.
cpu_share() {
  local prefix="$1" pid="$2" cpu1 load1 t1
  cpu1="$(cpu_seconds "$pid")" load1="$(core_ticks "$load_cpu")" t1="$(now)"
  "$python" -c "print(($cpu1 - $mark_cpu) / ($t1 - $mark_t))" >"$prefix.cpu"
  "$python" -c "b0, t0 = map(int, '$mark_load'.split()); b1, t1 = map(int, '$load1'.split()); print((b1 - b0) / max(1, t1 - t0))" >"$prefix.load"
  "$python" -c "print($t1 - $mark_t)" >"$prefix.wall"
}

# bench_one NAME PORT ROUND: the three measurements; raw output in
# $work/results/NAME.KIND.ROUND.txt with .cpu, .load and .wall beside it.
bench_one() {
  local name="$1" port="$2" round="$3" url="https://127.0.0.1:$2/1k.bin" pid="${server_pid[$1]}"
  local r="$work/results/$name"
  on_cpu "$load_cpu" h2load -n 5000 -c 32 -m 10 "$url" >/dev/null 2>&1 || true   # warm-up
  # Full handshakes: bursts of BURST fresh h2load clients (sessions are per client, so none
  # resumes), one request each, until HANDSHAKE_TIME has passed.
  local until=$(( $(date +%s) + handshake_time ))
  : >"$r.full.$round.txt"
  mark "$pid"
  while (( $(date +%s) < until )); do
    on_cpu "$load_cpu" h2load --h1 -n "$burst" -c "$burst" "$url" >>"$r.full.$round.txt" 2>&1 || true
  done
  cpu_share "$r.full.$round" "$pid"

  # A new connection per request, resumed by ticket (h2load keeps each client's session).
  mark "$pid"
  on_cpu "$load_cpu" h2load --h1 -n 5000 -c 20 -H 'Connection: close' "$url" \
    >"$r.resumed.$round.txt" 2>&1 || true
  cpu_share "$r.resumed.$round" "$pid"

  # HTTP/2 over TLS: 32 connections x 10 streams.
  mark "$pid"
  on_cpu "$load_cpu" h2load -c 32 -m 10 -D "$duration" --warm-up-time 2 "$url" \
    >"$r.h2.$round.txt" 2>&1 || true
  cpu_share "$r.h2.$round" "$pid"
  echo "bench: $name round $round done" >&2
}

ready=()
for entry in "${proxies[@]}"; do
  name="${entry%%:*}" port="${entry##*:}"
  if ! serves https "$port" --http2; then
    echo "bench: $name is not serving the file over TLS; skipped. Its output:" >&2
    tail -n 20 "$work/$name/out.log" "$work/$name/error.log" 2>/dev/null >&2 || true
    continue
  fi
  ready+=("$entry")
done
# Rounds go across the proxies (1: haproxy nginx gatehouse, 2: ...), so a burst of load from
# another user of the machine does not land on one proxy's rounds only.
for round in $(seq "$rounds"); do
  for entry in "${ready[@]}"; do
    bench_one "${entry%%:*}" "${entry##*:}" "$round"
  done
done

"$python" - "$work/results" <<'PY'
import glob, os, re, sys

d = sys.argv[1]

def read(path, default=None):
    try:
        return open(path).read()
    except OSError:
        return default

def full(prefix):
    """(handshakes/s, errors) over all the bursts: succeeded requests / wall time."""
    text = read(prefix + ".txt")
    ok = errors = 0
    for r in re.finditer(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, "
                         r"(\d+) errored, (\d+) timeout", text):
        ok += int(r.group(1))
        errors += int(r.group(2)) + int(r.group(3)) + int(r.group(4))
    for s in re.finditer(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text):
        errors += sum(int(x) for x in s.groups()[1:])
    return ok / float(read(prefix + ".wall")), errors

def h2load(prefix):
    text = read(prefix + ".txt")
    m = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text)
    r = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", text)
    s = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not m or not r:
        return 0.0, "no summary"
    errors = sum(int(x) for x in r.groups()[1:]) + (sum(int(x) for x in s.groups()[1:]) if s else 0)
    return float(m.group(1)), errors

def best(name, kind):
    """(rate, errors, cpu share) of the best round, or None."""
    runs = []
    for path in glob.glob(os.path.join(d, "%s.%s.*.txt" % (name, kind))):
        prefix = path[:-len(".txt")]
        if not re.search(r"\.\d+$", prefix):
            continue
        rate, errors = (full if kind == "full" else h2load)(prefix)
        cpu, load = read(prefix + ".cpu"), read(prefix + ".load")
        runs.append((rate, errors, float(cpu) if cpu else None, float(load) if load else None))
    return max(runs, key=lambda r: r[0]) if runs else None

rows = {}
for n in ("haproxy", "nginx", "gatehouse"):
    r = {k: best(n, k) for k in ("full", "resumed", "h2")}
    if any(r.values()):
        rows[n] = r

def cpu(name, kind):
    return rows[name][kind][2] if rows.get(name, {}).get(kind) else None

kinds = [("full", "full handshakes/s (h2load --h1 bursts of new clients, 1 request each)"),
         ("resumed", "new conn per request, resumed (h2load --h1 -c 20)"),
         ("h2", "HTTP/2 requests/s (h2load -c 32 -m 10)")]
print()
for kind, title in kinds:
    peers = [rows[n][kind][0] for n in ("haproxy", "nginx") if n in rows and rows[n][kind]]
    peers_cpu = [rows[n][kind][0] / cpu(n, kind) for n in ("haproxy", "nginx")
                 if n in rows and rows[n][kind] and cpu(n, kind)]
    top, top_cpu = (max(peers) if peers else None), (max(peers_cpu) if peers_cpu else None)
    print(title)
    print(f"  {'proxy':<10} {'rate/s':>9} {'vs best':>8} {'proxy CPU':>9} {'per CPU-s':>9} {'vs best':>8} {'load core':>9} {'errors':>6}")
    for n in ("haproxy", "nginx", "gatehouse"):
        if n not in rows:
            if n == "gatehouse":
                print(f"  {n:<10} {'skipped':>9}")
            continue
        if not rows[n][kind]:
            continue
        rate, errors, c, load = rows[n][kind]
        per = rate / c if c else None
        ratio = f"{rate / top:.2f}" if top else "-"
        ratio_cpu = f"{per / top_cpu:.2f}" if per and top_cpu else "-"
        print(f"  {n:<10} {rate:>9.0f} {ratio:>8} {(f'{c * 100:.0f}%' if c else '-'):>9} "
              f"{(f'{per:.0f}' if per else '-'):>9} {ratio_cpu:>8} {(f'{load * 100:.0f}%' if load else '-'):>9} {errors!s:>6}")
    print()

speed = read(os.path.join(d, "speed-ecdsa.txt"), "")
m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", speed)
x = re.search(r"253 bits ecdh \(X25519\)\s+\S+\s+([\d.]+)", read(os.path.join(d, "speed-x25519.txt"), ""))
print("reference, proxy core: openssl speed ecdsap256: %s sign/s, %s verify/s; X25519: %s op/s"
      % (m.group(1) if m else "?", m.group(2) if m else "?", x.group(1) if x else "?"))
print("A full TLS 1.3 handshake costs the server one ECDSA sign plus one X25519 keygen and derive;")
print("'per CPU-s' = rate per second of proxy CPU, the column to compare when the load core is the")
print("limit (proxy CPU well under 100%, load core near 100%). 'load core' counts everything on")
print("that core, other users of the machine included. errors = failed/errored/timeout + non-2xx")
print("(must be 0).")
PY

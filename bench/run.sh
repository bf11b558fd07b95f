#!/usr/bin/env bash
# Side-by-side throughput: gatehouse, haproxy and nginx as reverse proxies in front of the same
# origin (nginx serving a 1 KiB file), one worker each, keep-alive on both sides, driven by wrk.
# Prints requests/s, p99 latency and each proxy's ratio to the best peer (haproxy or nginx).
# Numbers are only comparable within one run on one machine; bench/README.md says how to read them.
#
#   bench/run.sh                          # DURATION=10s WARMUP=3s CONNECTIONS=64 ROUNDS=1
#   DURATION=5s ROUNDS=3 bench/run.sh     # best of 3 measured runs per proxy
#   GATEHOUSE_BIN=/path/to/gatehouse bench/run.sh
#   KEEP=1 bench/run.sh                   # keep the temp dir (configs, logs, raw wrk output)
#
# CPU pinning (2 cores): the proxy under test alone on PROXY_CPU (0); the origin and wrk share
# LOAD_CPU (1). The proxy is what we measure, so it gets a core to itself; the origin and wrk are
# both cheap per request. The "origin direct" row (wrk straight at the origin, same core) is the
# ceiling of the load side: a proxy close to it is limited by the load core, not by itself.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
gatehouse_bin="${GATEHOUSE_BIN:-$repo/build/gatehouse}"
duration="${DURATION:-10s}"
warmup="${WARMUP:-3s}"
connections="${CONNECTIONS:-64}"
rounds="${ROUNDS:-1}"
proxy_cpu="${PROXY_CPU:-0}"
load_cpu="${LOAD_CPU:-1}"
python="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"

for tool in nginx haproxy wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done

source "$here/lib.sh"
bench_setup gatehouse-bench

read -r origin_port haproxy_port nginx_port gatehouse_port <<<"$(free_ports 4)"
nofile="$(ulimit -Hn)"

# Origin: nginx, one worker, 1 KiB file.
mkdir -p "$work/origin/www"
head -c 1024 /dev/urandom >"$work/origin/www/1k.bin"
chmod -R a+rX "$work/origin"
render origin-nginx.conf "$work/origin/nginx.conf" DIR="$work/origin" PORT="$origin_port"
start origin "$load_cpu" nginx -p "$work/origin" -c "$work/origin/nginx.conf" -e "$work/origin/error.log"
serves "$origin_port" || { echo "bench: origin did not start:" >&2; cat "$work/origin/out.log" "$work/origin/error.log" >&2; exit 1; }

proxies=()

mkdir -p "$work/haproxy"
render haproxy.cfg "$work/haproxy/haproxy.cfg" PORT="$haproxy_port" ORIGIN_PORT="$origin_port" MAXCONN=4096
start haproxy "$proxy_cpu" haproxy -db -f "$work/haproxy/haproxy.cfg"
proxies+=("haproxy:$haproxy_port")

mkdir -p "$work/nginx"
chmod 755 "$work/nginx"
render nginx-proxy.conf "$work/nginx/nginx.conf" DIR="$work/nginx" PORT="$nginx_port" \
  ORIGIN_PORT="$origin_port" MAXCONN=4096 NOFILE="$nofile"
start nginx "$proxy_cpu" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
proxies+=("nginx:$nginx_port")

if [[ -x "$gatehouse_bin" ]]; then
  mkdir -p "$work/gatehouse"
  render gatehouse.yaml "$work/gatehouse/gatehouse.yaml" PORT="$gatehouse_port" ORIGIN_PORT="$origin_port"
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

echo "bench: origin :$origin_port on cpu $load_cpu with wrk; proxies on cpu $proxy_cpu" \
     "(pinning $( ((pin)) && echo on || echo off )); -c $connections, warm-up $warmup, $rounds x $duration" >&2

# bench_one NAME PORT: warm-up run, then ROUNDS measured runs into $work/results/NAME.N.txt,
# each with the CPU the server used meanwhile (as a fraction of one core) in NAME.N.cpu.
mkdir -p "$work/results"
bench_one() {
  local name="$1" port="$2" url="http://127.0.0.1:$2/1k.bin" round cpu0 cpu1 t0 t1
  local pid="${server_pid[$name]:-}"
  on_cpu "$load_cpu" wrk -t1 -c "$connections" -d "$warmup" "$url" >/dev/null
  for round in $(seq "$rounds"); do
    [[ -n "$pid" ]] && cpu0="$(cpu_seconds "$pid")"
    t0="$(date +%s.%N)"
    on_cpu "$load_cpu" wrk -t1 -c "$connections" -d "$duration" --latency "$url" \
      >"$work/results/$name.$round.txt"
    t1="$(date +%s.%N)"
    if [[ -n "$pid" ]]; then
      cpu1="$(cpu_seconds "$pid")"
      "$python" -c "print(($cpu1 - $cpu0) / ($t1 - $t0))" >"$work/results/$name.$round.cpu"
    fi
  done
  echo "bench: $name done" >&2
}

bench_one "origin-direct" "$origin_port"   # no server_pid entry: no CPU column
for entry in "${proxies[@]}"; do
  name="${entry%%:*}" port="${entry##*:}"
  if ! serves "$port"; then
    echo "bench: $name is not serving the file through the proxy; skipped. Its output:" >&2
    tail -n 20 "$work/$name/out.log" "$work/$name/error.log" 2>/dev/null >&2 || true
    continue
  fi
  bench_one "$name" "$port"
done

# Table: best of the rounds per proxy; ratio = requests/s / max(haproxy, nginx).
"$python" - "$work/results" <<'PY'
import glob, os, re, sys

def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99_ms = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors += int(m.group(1)) if m else 0
    cpu_path = path[:-len(".txt")] + ".cpu"
    cpu = float(open(cpu_path).read()) if os.path.exists(cpu_path) else None
    return rps, p99_ms, errors, cpu

best = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.txt"))):
    name = os.path.basename(path).rsplit(".", 2)[0]
    run = parse(path)
    if name not in best or run[0] > best[name][0]:
        best[name] = run
peers = [best[n][0] for n in ("haproxy", "nginx") if n in best]
top = max(peers) if peers else None
print()
print(f"{'proxy':<14} {'requests/s':>10} {'p99':>9} {'vs best peer':>12} {'proxy CPU':>9} {'req/CPU-s':>9} {'errors':>6}")
for name in ("haproxy", "nginx", "gatehouse", "origin-direct"):
    if name not in best:
        if name == "gatehouse":
            print(f"{name:<14} {'skipped':>10}")
        continue
    rps, p99, errors, cpu = best[name]
    ratio = "-" if name == "origin-direct" or not top else f"{rps / top:.2f}"
    cpu_text = f"{cpu * 100:.0f}%" if cpu else "-"
    per_cpu = f"{rps / cpu:.0f}" if cpu else "-"
    print(f"{name:<14} {rps:>10.0f} {p99:>7.2f}ms {ratio:>12} {cpu_text:>9} {per_cpu:>9} {errors:>6}")
print("\norigin-direct is wrk straight at the origin: the ceiling of the load core. proxy CPU is the")
print("share of one core the proxy used; req/CPU-s = requests/s per proxy core (see bench/README.md).")
PY

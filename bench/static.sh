#!/usr/bin/env bash
# Static files: gatehouse against nginx (sendfile on, open_file_cache), one worker each pinned to
# PROXY_CPU, serving the same folder; wrk (1 thread, keep-alive, CONNECTIONS connections) pinned
# to LOAD_CPU. Three rows: 4 KiB (requests/s: per-request cost) and 1 MiB (throughput: the
# sendfile path) over plain HTTP/1.1, and 1 MiB over TLS 1.3 (kernel TLS + sendfile where the
# kernel has the `tls` module, else pread/read + SSL_write; both servers ask for kTLS). Prints
# requests/s, MB/s, server CPU and gatehouse's ratio to nginx.
# Targets of issue 7: >= 1.2x nginx's requests/s at 4 KiB, >= 1.0x its throughput at 1 MiB.
#
#   bench/static.sh                         # DURATION=10s WARMUP=2s CONNECTIONS=64 ROUNDS=1
#   DURATION=5s ROUNDS=3 bench/static.sh    # best of 3
#   VERSIONED=true bench/static.sh          # gatehouse with versioned: true (plain names served)
#   KEEP=1 bench/static.sh                  # keep the temp dir
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
gatehouse_bin="${GATEHOUSE_BIN:-$repo/build/gatehouse}"
duration="${DURATION:-10s}"
warmup="${WARMUP:-2s}"
connections="${CONNECTIONS:-64}"
rounds="${ROUNDS:-1}"
versioned="${VERSIONED:-false}"
proxy_cpu="${PROXY_CPU:-0}"
load_cpu="${LOAD_CPU:-1}"
python="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"

for tool in nginx wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done
[[ -x "$gatehouse_bin" ]] || { echo "bench: no gatehouse at $gatehouse_bin (set GATEHOUSE_BIN)" >&2; exit 1; }

source "$here/lib.sh"
bench_setup gatehouse-static-bench

read -r nginx_port gatehouse_port nginx_tls_port gatehouse_tls_port <<<"$(free_ports 4)"
nofile="$(ulimit -Hn)"

root="$work/www"
mkdir -p "$root/static"
head -c 4096 /dev/urandom >"$root/static/4k.bin"
head -c 1048576 /dev/urandom >"$root/static/1m.bin"
chmod -R a+rX "$root"

# The certificate: ECDSA P-256 from the tests' PKI helper, as in tls_h2.sh.
mkdir -p "$work/pki"
PYTHONPATH="$repo/tests/support" "$python" - "$work/pki" >"$work/pki/paths" <<'PY'
import sys
from tls_material import TestPki
pki = TestPki(directory=sys.argv[1])
print(pki.a.cert, pki.a.key)
PY
read -r cert key <"$work/pki/paths"
chmod -R a+rX "$work/pki"

# serves URL SIZE: true once GET URL returns 200 with SIZE bytes (5 s deadline).
serves() {
  local i
  for i in $(seq 50); do
    if [[ "$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' "$1")" == "200 $2" ]]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

mkdir -p "$work/nginx"
render nginx-static.conf "$work/nginx/nginx.conf" DIR="$work/nginx" PORT="$nginx_port" ROOT="$root" \
  NOFILE="$nofile" TLS_PORT="$nginx_tls_port" CERT="$cert" KEY="$key"
start nginx "$proxy_cpu" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"

mkdir -p "$work/gatehouse"
render gatehouse-static.yaml "$work/gatehouse/gatehouse.yaml" PORT="$gatehouse_port" ROOT="$root" \
  VERSIONED="$versioned" TLS_PORT="$gatehouse_tls_port" CERT="$cert" KEY="$key"
start gatehouse "$proxy_cpu" "$gatehouse_bin" run -c "$work/gatehouse/gatehouse.yaml"

# url NAME ROW: the URL of a row (4k.bin, 1m.bin, 1m-tls.bin) on server NAME.
url() {
  local port_var="$1_port" tls_var="$1_tls_port"
  case "$2" in
    1m-tls.bin) echo "https://127.0.0.1:${!tls_var}/static/1m.bin" ;;
    *) echo "http://127.0.0.1:${!port_var}/static/$2" ;;
  esac
}

for name in nginx gatehouse; do
  for file in "4k.bin 4096" "1m.bin 1048576" "1m-tls.bin 1048576"; do
    set -- $file
    serves "$(url "$name" "$1")" "$2" || {
      echo "bench: $name does not serve $(url "$name" "$1"):" >&2
      cat "$work/$name/out.log" "$work/$name/error.log" 2>/dev/null >&2 || true
      exit 1
    }
  done
done
echo "bench: servers on cpu $proxy_cpu, wrk on cpu $load_cpu (pinning $( ((pin)) && echo on || echo off ));" \
     "-c $connections, warm-up $warmup, $rounds x $duration" >&2

mkdir -p "$work/results"
# bench_one NAME ROW: warm-up, then ROUNDS runs into results/NAME.ROW.N.{txt,cpu}.
bench_one() {
  local name="$1" url file="$2" pid="${server_pid[$1]}" round cpu0 cpu1 t0 t1
  url="$(url "$1" "$2")"
  on_cpu "$load_cpu" wrk -t1 -c "$connections" -d "$warmup" "$url" >/dev/null
  for round in $(seq "$rounds"); do
    cpu0="$(cpu_seconds "$pid")"
    t0="$(date +%s.%N)"
    on_cpu "$load_cpu" wrk -t1 -c "$connections" -d "$duration" --latency "$url" \
      >"$work/results/$name.$file.$round.txt"
    t1="$(date +%s.%N)"
    cpu1="$(cpu_seconds "$pid")"
    "$python" -c "print(($cpu1 - $cpu0) / ($t1 - $t0))" >"$work/results/$name.$file.$round.cpu"
  done
  echo "bench: $name $file done" >&2
}

for file in 4k.bin 1m.bin 1m-tls.bin; do
  bench_one nginx "$file"
  bench_one gatehouse "$file"
done
# Which way gatehouse's bodies went (sendfile, ktls_sendfile, userspace, memory): its metrics
# have no admin listener here, so the kernel's answer stands in for them.
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
  echo "kernel TLS: the tls module is loaded; TLS bodies go out by sendfile(2) (ktls_sendfile)" >"$work/results/ktls"
else
  echo "kernel TLS: no tls module (/proc/sys/net/ipv4/tcp_available_ulp); both servers send TLS bodies through user space (read + SSL_write)" >"$work/results/ktls"
fi

"$python" - "$work/results" <<'PY'
import glob, os, re, sys

def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", text)
    mbs = float(m.group(1)) * {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}[m.group(2)]
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors += int(m.group(1)) if m else 0
    cpu = float(open(path[:-4] + ".cpu").read())
    return rps, mbs, p99, errors, cpu

best = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.txt")):
    name, file, _ = os.path.basename(path)[:-4].rsplit(".", 2)[0], None, None
    base = os.path.basename(path)[:-4]           # nginx.4k.bin.1
    name, file = base.split(".", 1)
    file = file.rsplit(".", 1)[0]
    run = parse(path)
    if (name, file) not in best or run[0] > best[(name, file)][0]:
        best[(name, file)] = run
print()
print(f"{'file':<10} {'server':<10} {'requests/s':>10} {'MB/s':>8} {'p99':>9} {'CPU':>5} {'req/CPU-s':>9} {'errors':>6} {'vs nginx':>8}")
for file in ("4k.bin", "1m.bin", "1m-tls.bin"):
    base = best.get(("nginx", file))
    for name in ("nginx", "gatehouse"):
        if (name, file) not in best:
            continue
        rps, mbs, p99, errors, cpu = best[(name, file)]
        ratio = f"{rps / base[0]:.2f}" if base and name != "nginx" else "-"
        print(f"{file:<10} {name:<10} {rps:>10.0f} {mbs:>8.1f} {p99:>7.2f}ms {cpu*100:>4.0f}% {rps/cpu if cpu else 0:>9.0f} {errors:>6} {ratio:>8}")
print("\nvs nginx = gatehouse requests/s / nginx requests/s (for 1m.bin that is also the throughput")
print("ratio). CPU = share of one core the server used; compare req/CPU-s when CPU is under ~95%.")
print("1m-tls.bin = 1m.bin over TLS 1.3 (HTTP/1.1, AES-128-GCM). " + open(os.path.join(sys.argv[1], "ktls")).read().strip())
PY

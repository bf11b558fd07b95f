#!/usr/bin/env bash
# Cache hits side by side: gatehouse, Varnish (malloc storage), nginx proxy_cache and haproxy's
# small-object cache in front of the same origin (nginx serving a 1 KiB file with
# `Cache-Control: max-age=3600`), one worker each, pinned like bench/run.sh. Two measurements:
#   hits      wrk -t1 -c CONNECTIONS (keep-alive) on one stored 1 KiB object: requests/s, p99,
#             the server's CPU; after checking with curl that the server answers a hit, and
#             counting the origin's requests during the run (must stay 0)
#   memory    N distinct 1 KiB objects (/1k.bin?i=0..N-1, wrk with a Lua script) stored in each
#             cache: (memory after - memory before) / N, memory = PSS summed over the server's
#             process tree (RSS, with shared pages split between the processes that map them);
#             then the N URLs again, which must all be hits (the origin sees none of them)
# Prints both tables with ratios to the best peer (hits) and to Varnish (memory). Nothing asserts.
#
#   bench/cache.sh                        # DURATION=10s WARMUP=3s CONNECTIONS=64 ROUNDS=1 OBJECTS=100000
#   DURATION=5s ROUNDS=3 bench/cache.sh   # best of 3 measured runs per server
#   OBJECTS=0 bench/cache.sh              # hits only, no memory fill
#   ONLY="gatehouse haproxy" bench/cache.sh
#   KEEP=1 bench/cache.sh                 # keep the temp dir (configs, logs, raw wrk output)
#
# CPU pinning (2 cores), as in run.sh: the server under test alone on PROXY_CPU (0); the origin
# and wrk share LOAD_CPU (1). Varnish has no single-worker mode (a thread per active connection):
# its whole process, every thread, is pinned to PROXY_CPU, with one thread pool.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
duration="${DURATION:-10s}"
warmup="${WARMUP:-3s}"
connections="${CONNECTIONS:-64}"
rounds="${ROUNDS:-1}"
objects="${OBJECTS:-100000}"      # distinct 1 KiB objects stored for the memory measurement (issue 15: 100k)
cache_mb="${CACHE_MB:-256}"       # cache memory of each server (nginx: on-disk max_size)
only="${ONLY:-varnish nginx haproxy gatehouse}"
proxy_cpu="${PROXY_CPU:-0}"
load_cpu="${LOAD_CPU:-1}"
python="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"

for tool in nginx wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done

source "$here/lib.sh"
bench_setup gatehouse-bench-cache

# gatehouse: a private copy of the binary, so a rebuild of build/ during the run changes nothing.
mkdir -p "$work/bin"
gatehouse_src="${GATEHOUSE_BIN:-$repo/build/gatehouse}"
gatehouse_bin=""
if [[ -x "$gatehouse_src" ]]; then
  cp "$gatehouse_src" "$work/bin/gatehouse"
  gatehouse_bin="$work/bin/gatehouse"
fi

# origin_requests: requests that reached the origin so far (lines of its access log).
origin_requests() { wc -l <"$work/origin/access.log"; }

read -r origin_port varnish_port nginx_port haproxy_port gatehouse_port admin_port <<<"$(free_ports 6)"
nofile="$(ulimit -Hn)"

# Origin: nginx, one worker, 1 KiB file, Cache-Control: max-age=3600, an access log to count on.
mkdir -p "$work/origin/www"
head -c 1024 /dev/urandom >"$work/origin/www/1k.bin"
chmod -R a+rX "$work/origin"
render cache-origin.conf "$work/origin/nginx.conf" DIR="$work/origin" PORT="$origin_port"
start origin "$load_cpu" nginx -p "$work/origin" -c "$work/origin/nginx.conf" -e "$work/origin/error.log"
serves "$origin_port" || { echo "bench: origin did not start:" >&2; cat "$work/origin/out.log" "$work/origin/error.log" >&2; exit 1; }

# Each server: how to start it, and the response header that says "hit" (name and a regex).
declare -A hit_header=() hit_value=()
servers=()
skipped=()
wanted() { [[ " $only " == *" $1 "* ]]; }

if wanted varnish; then
  if command -v varnishd >/dev/null; then
    mkdir -p "$work/varnish/state"
    render cache-varnish.vcl "$work/varnish/cache.vcl" ORIGIN_PORT="$origin_port"
    # -j none: no jail (no user switch; the work dir is ours); one thread pool, enough threads
    # for every active connection; no management CLI port (-T none).
    start varnish "$proxy_cpu" varnishd -F -j none -n "$work/varnish/state" -T none \
      -a "127.0.0.1:$varnish_port" -f "$work/varnish/cache.vcl" -s "malloc,${cache_mb}m" \
      -p thread_pools=1 -p thread_pool_min=100 -p thread_pool_max=1000
    servers+=("varnish:$varnish_port")
    hit_header[varnish]="X-Cache" hit_value[varnish]="^HIT"
  else
    skipped+=("varnish (varnishd is not installed: apt-get install varnish)")
  fi
fi

if wanted nginx; then
  mkdir -p "$work/nginx/cache"
  chmod 755 "$work/nginx"
  render cache-nginx.conf "$work/nginx/nginx.conf" DIR="$work/nginx" PORT="$nginx_port" \
    ORIGIN_PORT="$origin_port" MAXCONN=4096 NOFILE="$nofile" CACHE_MB="$cache_mb" KEYS_MB=64
  start nginx "$proxy_cpu" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
  servers+=("nginx:$nginx_port")
  hit_header[nginx]="X-Cache" hit_value[nginx]="^HIT"
fi

if wanted haproxy; then
  if command -v haproxy >/dev/null; then
    mkdir -p "$work/haproxy"
    render cache-haproxy.cfg "$work/haproxy/haproxy.cfg" PORT="$haproxy_port" ORIGIN_PORT="$origin_port" \
      MAXCONN=4096 CACHE_MB="$cache_mb" MAX_OBJECT=$((8 * 1024 * 1024))
    start haproxy "$proxy_cpu" haproxy -db -f "$work/haproxy/haproxy.cfg"
    servers+=("haproxy:$haproxy_port")
    hit_header[haproxy]="X-Cache" hit_value[haproxy]="^HIT"
  else
    skipped+=("haproxy (not installed)")
  fi
fi

admin_token=""
if wanted gatehouse; then
  if [[ -n "$gatehouse_bin" ]]; then
    mkdir -p "$work/gatehouse"
    admin_token="bench-$RANDOM$RANDOM"
    echo "$admin_token" >"$work/gatehouse/admin.token"
    chmod 600 "$work/gatehouse/admin.token"
    render cache-gatehouse.yaml "$work/gatehouse/gatehouse.yaml" PORT="$gatehouse_port" \
      ORIGIN_PORT="$origin_port" ADMIN_PORT="$admin_port" TOKEN_FILE="$work/gatehouse/admin.token" \
      CACHE_MB="$cache_mb" MAX_OBJECT=8MiB
    if "$gatehouse_bin" check -c "$work/gatehouse/gatehouse.yaml" >"$work/gatehouse/check.log" 2>&1; then
      start gatehouse "$proxy_cpu" "$gatehouse_bin" run -c "$work/gatehouse/gatehouse.yaml"
      servers+=("gatehouse:$gatehouse_port")
      hit_header[gatehouse]="Cache-Status" hit_value[gatehouse]=";[ ]*hit"
    else
      echo "bench: gatehouse skipped: its config check failed:" >&2
      cat "$work/gatehouse/check.log" >&2
      skipped+=("gatehouse (config check failed)")
    fi
  else
    skipped+=("gatehouse (no binary at $gatehouse_src: build it, or set GATEHOUSE_BIN)")
  fi
fi

echo "bench: origin :$origin_port on cpu $load_cpu with wrk; caches on cpu $proxy_cpu" \
     "(pinning $( ((pin)) && echo on || echo off )); -c $connections, warm-up $warmup, $rounds x $duration," \
     "$objects objects for memory" >&2

mkdir -p "$work/results"

# is_hit NAME PORT [PATH]: true when the server's answer carries its "hit" header; saves it.
is_hit() {
  local name="$1" port="$2" path="${3:-/1k.bin}" headers value
  headers="$(curl -s -D - -o /dev/null "http://127.0.0.1:$port$path" | tr -d '\r')"
  echo "$headers" >"$work/results/$name.hit-check.txt"
  value="$(echo "$headers" | grep -i "^${hit_header[$name]}:" | cut -d: -f2- | sed 's/^ *//')" || true
  echo "$value" | grep -Eqi "${hit_value[$name]}"
}

# bench_one NAME PORT: warm-up run (stores the object), a hit check, then ROUNDS measured runs
# into $work/results/NAME.N.txt with the server's CPU share (.cpu) and origin requests (.origin).
bench_one() {
  local name="$1" port="$2" url="http://127.0.0.1:$2/1k.bin" round cpu0 cpu1 t0 t1 o0
  local pid="${server_pid[$name]:-}"
  on_cpu "$load_cpu" wrk -t1 -c "$connections" -d "$warmup" "$url" >/dev/null
  if [[ -n "$pid" ]] && ! is_hit "$name" "$port"; then
    echo "bench: $name: /1k.bin is not a hit after the warm-up (${hit_header[$name]} missing or not a hit):" >&2
    sed 's/^/  /' "$work/results/$name.hit-check.txt" >&2
    echo "nohit" >"$work/results/$name.flag"
  fi
  for round in $(seq "$rounds"); do
    o0="$(origin_requests)"
    [[ -n "$pid" ]] && cpu0="$(cpu_seconds "$pid")"
    t0="$(date +%s.%N)"
    on_cpu "$load_cpu" wrk -t1 -c "$connections" -d "$duration" --latency "$url" \
      >"$work/results/$name.$round.txt"
    t1="$(date +%s.%N)"
    if [[ -n "$pid" ]]; then
      cpu1="$(cpu_seconds "$pid")"
      "$python" -c "print(($cpu1 - $cpu0) / ($t1 - $t0))" >"$work/results/$name.$round.cpu"
      echo $(( $(origin_requests) - o0 )) >"$work/results/$name.$round.origin"
    fi
  done
  echo "bench: $name hits done" >&2
}

# fill_urls PORT OUT: GET /1k.bin?i=0..OBJECTS-1, 16 at a time on kept-alive connections (curl
# --parallel), on the load core; status codes counted into $work/results/OUT.codes.
fill_urls() {
  seq 0 $((objects - 1)) |
    awk -v port="$1" '{ printf "url = \"http://127.0.0.1:%s/1k.bin?i=%d\"\noutput = \"/dev/null\"\n", port, $1 }' \
      >"$work/fill-urls.cfg"
  on_cpu "$load_cpu" curl -s --no-progress-meter -Z --parallel-max 16 -w '%{http_code}\n' \
    -K "$work/fill-urls.cfg" 2>/dev/null | sort | uniq -c >"$work/results/$2.codes" || true
}

# fill NAME PORT: stores OBJECTS distinct objects; "PSS RSS" before and after in NAME.mem-before /
# NAME.mem-after, the origin's requests during the fill in NAME.fill-origin and during a second
# pass over the same URLs (all hits: must be 0) in NAME.refill-origin.
fill() {
  local name="$1" port="$2" pid="${server_pid[$1]}" o0
  sleep 1
  memory_kib "$pid" >"$work/results/$name.mem-before"
  if [[ "$name" == gatehouse ]]; then gatehouse_cache_bytes >"$work/results/$name.bytes-before"; fi
  o0="$(origin_requests)"
  fill_urls "$port" "$name.fill"
  echo $(( $(origin_requests) - o0 )) >"$work/results/$name.fill-origin"
  sleep 1
  memory_kib "$pid" >"$work/results/$name.mem-after"
  if [[ "$name" == gatehouse ]]; then gatehouse_cache_bytes >"$work/results/$name.bytes-after"; fi
  o0="$(origin_requests)"
  fill_urls "$port" "$name.refill"
  echo $(( $(origin_requests) - o0 )) >"$work/results/$name.refill-origin"
  if [[ "$name" == nginx ]]; then du -sk "$work/nginx/cache" | cut -f1 >"$work/results/$name.disk-kib"; fi
  echo "bench: $name memory done" >&2
}

# gatehouse_cache_bytes: the gatehouse_cache_bytes gauge from the admin API's /metrics.
gatehouse_cache_bytes() {
  curl -s -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$admin_port/metrics" |
    awk '$1 ~ /^gatehouse_cache_bytes/ && !seen { print $2; seen = 1 }'  # reads it all: no SIGPIPE to curl
}

for entry in "${skipped[@]}"; do echo "bench: skipped: $entry" >&2; done
printf '%s\n' "${skipped[@]}" >"$work/results/skipped"

ready=()
for entry in "${servers[@]}"; do
  name="${entry%%:*}" port="${entry##*:}"
  if ! serves "$port"; then
    echo "bench: $name is not serving the file; skipped. Its output:" >&2
    tail -n 20 "$work/$name/out.log" "$work/$name/error.log" 2>/dev/null >&2 || true
    echo "$name (did not serve /1k.bin)" >>"$work/results/skipped"
    continue
  fi
  ready+=("$entry")
done

bench_one "origin-direct" "$origin_port"   # no server_pid entry: no CPU column, no hit check
for entry in "${ready[@]}"; do bench_one "${entry%%:*}" "${entry##*:}"; done
if (( objects > 0 )); then
  for entry in "${ready[@]}"; do fill "${entry%%:*}" "${entry##*:}"; done
fi

"$python" - "$work/results" "$objects" <<'PY'
import glob, os, re, sys

d, objects = sys.argv[1], int(sys.argv[2])

def read(name, default=None):
    try:
        return open(os.path.join(d, name)).read().strip()
    except OSError:
        return default

def wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99_ms = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else float("nan")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors += int(m.group(1)) if m else 0
    return rps, p99_ms, errors

names = ("varnish", "nginx", "haproxy", "gatehouse")
best = {}
for path in sorted(glob.glob(os.path.join(d, "*.txt"))):
    base = os.path.basename(path)[:-len(".txt")]
    if not re.fullmatch(r"[\w-]+\.\d+", base):
        continue
    name = base.rsplit(".", 1)[0]
    rps, p99, errors = wrk(open(path).read())
    cpu = read(base + ".cpu")
    origin = read(base + ".origin")
    run = (rps, p99, errors, float(cpu) if cpu else None, int(origin) if origin else None)
    if name not in best or run[0] > best[name][0]:
        best[name] = run

peers = {n: best[n] for n in names[:3] if n in best}
top = max(peers, key=lambda n: peers[n][0]) if peers else None
print()
print("Cache hits, one 1 KiB object, keep-alive (wrk -t1 -c %s)" % os.environ.get("CONNECTIONS", "64"))
print(f"  {'server':<14} {'requests/s':>10} {'p99':>9} {'vs best peer':>12} {'CPU':>5} {'req/CPU-s':>9} {'errors':>6} {'origin reqs':>11}  hit")
for name in names + ("origin-direct",):
    if name not in best:
        continue
    rps, p99, errors, cpu, origin = best[name]
    ratio = "-" if name == "origin-direct" or not top else f"{rps / peers[top][0]:.2f}"
    hit = "-" if name == "origin-direct" else ("NO" if read(name + ".flag") == "nohit" else "yes")
    print(f"  {name:<14} {rps:>10.0f} {p99:>7.2f}ms {ratio:>12} "
          f"{(f'{cpu * 100:.0f}%' if cpu else '-'):>5} {(f'{rps / cpu:.0f}' if cpu else '-'):>9} "
          f"{errors:>6} {('-' if origin is None else origin)!s:>11}  {hit}")
if "gatehouse" in best and top:
    g, p = best["gatehouse"], peers[top]
    met = g[0] >= 1.2 * p[0] and g[1] < p[1]
    print(f"  target (1.2x the best peer, {top}, at a lower p99): {g[0] / p[0]:.2f}x, p99 {g[1]:.2f} ms vs "
          f"{p[1]:.2f} ms: {'met' if met else 'not met'}")
    gc, pc = g[3], p[3]
    if gc and pc:
        print(f"  per CPU-second: gatehouse {g[0] / gc:.0f} vs {top} {p[0] / pc:.0f} req/CPU-s = {(g[0] / gc) / (p[0] / pc):.2f}x")

if objects > 0:
    mem = {}
    for name in names:
        before, after = read(name + ".mem-before"), read(name + ".mem-after")
        if not before or not after:
            continue
        (pss0, rss0), (pss1, rss1) = map(int, before.split()), map(int, after.split())
        errors = 0
        for kind in (".fill", ".refill"):
            codes = read(name + kind + ".codes", "")
            ok = sum(int(n) for n, code in (l.split() for l in codes.splitlines()) if code == "200")
            errors += objects - ok
        mem[name] = (pss0, pss1, rss0, rss1, (pss1 - pss0) * 1024 / objects,
                     int(read(name + ".fill-origin", "-1")), int(read(name + ".refill-origin", "-1")), errors)
    print()
    print(f"Memory per stored 1 KiB object ({objects} distinct objects; PSS summed over the process tree)")
    print(f"  {'server':<10} {'before':>9} {'after':>9} {'bytes/object':>12} {'vs varnish':>10} {'origin fills':>12} {'re-pass misses':>14} {'errors':>6}")
    v = mem.get("varnish")
    for name, (pss0, pss1, rss0, rss1, per, fills, refills, errors) in mem.items():
        ratio = f"{per / v[4]:.2f}" if v and v[4] > 0 else "-"
        per_text = f"{per:.0f}"
        if name == "haproxy":  # preallocated arena: see the note below the table
            per_text = ratio = "n/a"
        print(f"  {name:<10} {pss0 / 1024:>7.1f}Mi {pss1 / 1024:>7.1f}Mi {per_text:>12} {ratio:>10} {fills:>12} {refills:>14} {errors:>6}")
    disk = read("nginx.disk-kib")
    if "nginx" in mem and disk:
        print(f"  nginx keeps bodies in files (page cache, not its RSS): {int(disk) * 1024 / objects:.0f} bytes/object on disk")
    b0, b1 = read("gatehouse.bytes-before"), read("gatehouse.bytes-after")
    if b0 and b1:
        print(f"  gatehouse_cache_bytes (/metrics): {(float(b1) - float(b0)) / objects:.0f} bytes/object as the cache counts them")
    if "haproxy" in mem:
        print(f"  haproxy's cache is one shared-memory arena of total-max-size, allocated and touched at start:")
        print(f"  its objects live inside 'before', so the PSS method cannot see them (n/a).")
    print("  'origin fills' should be the object count (each stored once); 're-pass misses' = origin requests")
    print("  while the same URLs are asked again: 0 when every object stayed stored; errors = non-200 answers.")

skipped = read("skipped")
if skipped:
    print()
    for line in skipped.splitlines():
        print(f"skipped: {line}")
print()
print("origin-direct is wrk straight at the origin: the ceiling of the load core. CPU = share of one")
print("core the server used; req/CPU-s = requests/s per server core (see bench/README.md).")
PY

#!/usr/bin/env bash
# Installs what gatehouse needs from Debian 12's packages, and nothing from elsewhere.
#   packaging/install-deps.sh          build + run (compiler, libraries, python3 for the demo app)
#   packaging/install-deps.sh --test   also the test tools: clang/libFuzzer, curl, h2load, peers
# Skips apt entirely when everything is already installed (fast re-runs, no root needed).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache python3
  libevent-dev libssl-dev libnghttp2-dev libyaml-cpp-dev libjemalloc-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libsystemd-dev
  libhiredis-dev               # cluster: (Redis, hiredis 0.14 with its libevent adapter)
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(
    googletest libgtest-dev libgmock-dev libbenchmark-dev
    clang-14 libfuzzer-14-dev libclang-rt-14-dev clang-format
    curl nghttp2-client wrk haproxy nginx-light
    python3-prometheus-client
    prometheus                       # promtool check metrics (tests/integration/admin_test.py)
    varnish varnish-modules          # examples/classic-stack's VCL compiles (classic_stack_test.py)
    lintian
    chromium python3-websocket   # the status page test (tests/integration/status_page_test.py)
    redis-server                 # the cluster test (tests/integration/cluster_test.py)
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

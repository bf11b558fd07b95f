#!/bin/sh
# Restart every server of a gatehouse pool, one at a time, without failing a request:
# for each server: drain it (and wait until nothing is in flight there), run the restart
# command, wait until its health checks pass again, and put it back into rotation.
# Stops at the first failure and leaves the other servers serving. See README.md.
#
#   rolling-deploy.sh [options] POOL RESTART_COMMAND
#
# RESTART_COMMAND runs with `sh -c`, with POOL, SERVER and SERVER_ADDRESS in its environment,
# e.g. 'ssh "$SERVER" sudo systemctl restart app' or 'systemctl restart "app@$SERVER"'.
# It must return once the new process is started (not necessarily ready to serve).
#
# Options:
#   --ctl COMMAND            how to run gatehouse ctl (default: "gatehouse ctl"; e.g.
#                            "gatehouse ctl --admin http://10.0.0.5:9901 --token-file /etc/gatehouse/admin.token")
#   --servers "A B ..."      only these servers, in this order (default: all of the pool, in config order)
#   --drain-timeout D        how long in-flight requests may take to finish (default 120s)
#   --healthy-timeout SECS   how long a restarted server may take to pass its checks (default 120)
# Exit: 0 all restarted; 1 a step failed (the message says which server and what state it is in);
# 2 usage.
set -u

CTL="gatehouse ctl"
SERVERS=""
DRAIN_TIMEOUT="120s"
HEALTHY_TIMEOUT=120

usage() {
  sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --ctl) CTL="$2"; shift 2 ;;
    --servers) SERVERS="$2"; shift 2 ;;
    --drain-timeout) DRAIN_TIMEOUT="$2"; shift 2 ;;
    --healthy-timeout) HEALTHY_TIMEOUT="$2"; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "rolling-deploy: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
POOL="$1"
RESTART="$2"

say() { echo "rolling-deploy: $*"; }
die() { echo "rolling-deploy: $*" >&2; exit 1; }

# One field of the compact JSON `ctl --json` prints (numbers, booleans and simple strings).
field() {
  printf '%s' "$1" | tr -d '\n' | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

server_json() {
  $CTL --json backends "$POOL/$1" 2>/dev/null
}

if [ -z "$SERVERS" ]; then
  pool_json=$($CTL --json backends "$POOL") || die "cannot read pool $POOL"
  # Server entries read {"pool":"POOL","name":"SERVER",...}.
  SERVERS=$(printf '%s' "$pool_json" | grep -o "\"pool\":\"$POOL\",\"name\":\"[^\"]*\"" |
            sed 's/.*"name":"\([^"]*\)"/\1/')
  [ -n "$SERVERS" ] || die "pool $POOL has no servers"
fi

total=0
for _ in $SERVERS; do total=$((total + 1)); done
n=0
for SERVER in $SERVERS; do
  n=$((n + 1))
  json=$(server_json "$SERVER") || die "$POOL/$SERVER: not found"
  SERVER_ADDRESS=$(field "$json" address)
  checked=$(field "$json" checked)
  say "[$n/$total] $POOL/$SERVER ($SERVER_ADDRESS): draining (up to $DRAIN_TIMEOUT)"

  if ! $CTL drain "$POOL/$SERVER" --wait "$DRAIN_TIMEOUT"; then
    # Nothing was restarted: put it back and stop here.
    $CTL ready "$POOL/$SERVER" >/dev/null 2>&1
    die "$POOL/$SERVER did not drain within $DRAIN_TIMEOUT; set back to ready; stopping"
  fi

  say "[$n/$total] $POOL/$SERVER: restarting"
  if ! POOL="$POOL" SERVER="$SERVER" SERVER_ADDRESS="$SERVER_ADDRESS" sh -c "$RESTART"; then
    die "$POOL/$SERVER: the restart command failed; the server stays drained; stopping"
  fi

  if [ "$checked" = "true" ]; then
    # Healthy = health up, and at least one check passed after the restart (a restart quicker
    # than the checks' `fall` leaves the old "up" standing).
    passed=$(field "$(server_json "$SERVER")" checks_passed)
    deadline=$(( $(date +%s) + HEALTHY_TIMEOUT ))
    while :; do
      json=$(server_json "$SERVER")
      now_passed=$(field "$json" checks_passed)
      if [ "$(field "$json" health)" = "up" ] && [ "${now_passed:-0}" -gt "${passed:-0}" ]; then
        break
      fi
      if [ "$(date +%s)" -ge "$deadline" ]; then
        die "$POOL/$SERVER: not healthy ${HEALTHY_TIMEOUT}s after the restart; it stays drained; stopping"
      fi
      sleep 0.2
    done
  else
    say "warning: pool $POOL has no health checks; cannot tell whether $SERVER is up"
  fi

  $CTL ready "$POOL/$SERVER" >/dev/null || die "$POOL/$SERVER: ctl ready failed; it stays drained"
  say "[$n/$total] $POOL/$SERVER: ready"
done
say "all $total server(s) of $POOL restarted"

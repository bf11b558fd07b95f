#!/usr/bin/env bash
# Runs a database migration with the site read-only:
#   migrate.sh [-c CONFIG] [--reason TEXT] -- COMMAND [ARGS...]
# Switches read-only mode on, runs COMMAND, and switches it off again whether COMMAND succeeded
# or not. If switching on fails, COMMAND does not run. Exit code: COMMAND's, or 1 when gatehouse
# refused (read-only could not be switched on, or off again), 2 for bad arguments.
set -uo pipefail

config=/etc/gatehouse/gatehouse.yaml
reason="db migration"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -c) config="$2"; shift 2 ;;
    --reason) reason="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-c CONFIG] [--reason TEXT] -- COMMAND [ARGS...]" >&2; exit 2 ;;
  esac
done
if [[ $# -eq 0 ]]; then
  echo "usage: $0 [-c CONFIG] [--reason TEXT] -- COMMAND [ARGS...]" >&2
  exit 2
fi
ctl=("${GATEHOUSE_BIN:-gatehouse}" ctl -c "$config")

if ! "${ctl[@]}" read-only on --reason "$reason"; then
  echo "$0: read-only mode could not be switched on; not migrating" >&2
  exit 1
fi
# From here on, always try to switch it off again.
"$@"
status=$?
if [[ $status -ne 0 ]]; then
  echo "$0: the migration failed (exit $status); switching read-only off anyway" >&2
fi
if ! "${ctl[@]}" read-only off; then
  echo "$0: read-only mode is still ON: switch it off with: ${ctl[*]} read-only off" >&2
  exit 1
fi
exit "$status"

#!/bin/bash
# Fuzzing for an hour in all (issue 14): every target for PER seconds, two at a time (2 cores),
# into working corpora that start from the committed seeds; findings land in artifacts/.
set -u
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${FUZZ_BUILD:-$repo/build-fuzz}"
out="${FUZZ_OUT:-/tmp/gatehouse-fuzz}"
per="${PER_TARGET:-330}"
mkdir -p "$out/corpus" "$out/artifacts"
run() {
  local target=$1 name work
  name=$(basename "$target")
  work=$out/corpus/$name
  mkdir -p "$work"
  cp -rn "$repo/tests/fuzz/corpus/$name/." "$work/" 2>/dev/null
  echo "=== $name start $(date +%T)"
  nice -n 10 "$target" -max_total_time="$per" -dict="$repo/tests/fuzz/http.dict" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$out/artifacts/$name- "$work" \
    >$out/$name.log 2>&1
  echo "=== $name rc=$? end $(date +%T) $(grep -E 'stat::number_of_executed_units' $out/$name.log | tr '\n' ' ')"
}
targets=("$build"/tests/fuzz/*_fuzz)
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[$i]}" &
  if ((i + 1 < ${#targets[@]})); then run "${targets[$((i + 1))]}" & fi
  wait
done
echo CAMPAIGN_DONE
# Then keep what found new coverage:
#   for d in "$out"/corpus/*; do n=$(basename "$d"); "$build/tests/fuzz/$n" -merge=1 \
#     "$repo/tests/fuzz/corpus/$n" "$d"; done

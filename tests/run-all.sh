#!/usr/bin/env bash
# The whole test suite, as CI runs it, on a fresh Debian 12 machine:
#   1. installs the build and test dependencies (Debian packages only);
#   2. clang-format check; release build with -Werror: unit, fuzz-corpus replay and integration tests;
#      the .deb from that build, checked (packaging/check-deb.sh: dpkg-deb, lintian, `gatehouse
#      check` on the installed config, systemd-analyze verify);
#   3. ASan+UBSan build: the same tests again (big bodies scaled down to keep it quick);
#   4. clang + libFuzzer: every fuzz target for a bounded time (FUZZ_SECONDS, default 15: a smoke
#      run in CI, starting from the committed corpus; tests/fuzz/campaign.sh is the long run). The
#      clang build itself comes first, so code only clang refuses fails the run within minutes.
# Build trees go to build-ci/ and build-asan/ (BUILD_ROOT to move them). Any failure stops it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="${BUILD_ROOT:-$repo}"
jobs="${JOBS:-2}"
fuzz_seconds="${FUZZ_SECONDS:-15}"
started=$SECONDS

step() { printf '\n=== %s (%ds) ===\n' "$*" $((SECONDS - started)); }

step "dependencies"
"$repo/packaging/install-deps.sh" --test

run_suite() {  # build dir
  # Unit tests and corpus replays are CPU-light: run them in parallel. Integration tests start
  # real processes and move gigabytes: one at a time.
  ctest --test-dir "$1" --output-on-failure -j "$jobs" -LE integration
  ctest --test-dir "$1" --output-on-failure -L integration
}

step "format (clang-format, the repo's .clang-format)"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$repo" && git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror)
else
  echo "not a git checkout: format check skipped" >&2
fi

step "clang build (libFuzzer targets)"
# First, so that code only clang refuses fails the run in minutes rather than after the tests.
CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DGATEHOUSE_FUZZ=ON -DGATEHOUSE_TESTS=ON
cmake --build "$root/build-fuzz" -j "$jobs" --target fuzz_all

step "release build"
# Prefix /usr: the package step below uses this build (the prefix changes no compiled code).
# Line tables only (-g1): the package strips debug info anyway, stack traces keep file:line,
# and full -g costs a quarter of the compile time and most of the link time.
cmake -S "$repo" -B "$root/build-ci" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_WERROR=ON \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
cmake --build "$root/build-ci" -j "$jobs"
step "release tests"
run_suite "$root/build-ci"

step "debian package (cpack, lintian, installed config, systemd-analyze verify)"
rm -f "$root"/build-ci/gatehouse_*.deb
(cd "$root/build-ci" && cpack -G DEB >/dev/null)
"$repo/packaging/check-deb.sh" "$root/build-ci"

step "sanitizer build (ASan+UBSan)"
cmake -S "$repo" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DGATEHOUSE_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_DEBUG="-g1"
cmake --build "$root/build-asan" -j "$jobs"
step "sanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  GATEHOUSE_BIG_BYTES=$((256 << 20)) run_suite "$root/build-asan"

step "fuzzing (${fuzz_seconds}s per target)"
for target in "$root"/build-fuzz/tests/fuzz/*_fuzz; do
  name="$(basename "$target")"
  corpus="$(mktemp -d)"
  cp -r "$repo/tests/fuzz/corpus/$name/." "$corpus/"
  "$target" -max_total_time="$fuzz_seconds" -dict="$repo/tests/fuzz/http.dict" \
    -artifact_prefix="$root/build-fuzz/$name-" "$corpus" 2>&1 | tail -3
  rm -rf "$corpus"
done

step "all tests passed"

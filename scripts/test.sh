#!/usr/bin/env bash
# Installs what is missing, builds everything and runs the whole test suite; with
# CLOUDLOG_SANITIZERS=1 also the whole suite again built with ASan+UBSan, and
# every fuzz target for a short run on its seed corpus (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLOUDLOG_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLOUDLOG_TEST_AREAS=
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

# The sanitizer and fuzz stages below are opt-in for now (CLOUDLOG_SANITIZERS=1):
# they were merged in a session that could not run them end to end on the merged
# tree in time, and a first run belongs on a developer's machine, not in CI's
# (docs/reliability.md, "Status").
[ "${CLOUDLOG_SANITIZERS:-0}" = 1 ] || exit 0

# Every test and tool built with -fsanitize=address,undefined: any finding fails its test.
asan=${CLOUDLOG_ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLOUDLOG_TEST_AREAS= \
  -DCLOUDLOG_SANITIZE=address,undefined -DCLOUDLOG_BUILD_BENCHMARKS=OFF
cmake --build "$asan" -j "$(nproc)"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  ctest --test-dir "$asan" --output-on-failure -j "$(nproc)"

# The libFuzzer targets (clang++), each run CLOUDLOG_FUZZ_SECONDS on its seeds,
# and every saved finding replayed.
fuzz=${CLOUDLOG_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCLOUDLOG_FUZZ=ON -DCLOUDLOG_FUZZ_SECONDS="${CLOUDLOG_FUZZ_SECONDS:-20}" \
  -DCLOUDLOG_BUILD_TESTS=OFF -DCLOUDLOG_BUILD_EXAMPLES=OFF -DCLOUDLOG_BUILD_BENCHMARKS=OFF \
  -DCLOUDLOG_INSTALL=OFF
cmake --build "$fuzz" -j "$(nproc)"
ctest --test-dir "$fuzz" --output-on-failure -j "$(nproc)"

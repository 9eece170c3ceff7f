#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Installs what is missing, builds everything and runs the whole test suite, then
# every fuzz target for a short run on its seed corpus with its saved findings
# replayed (CLOUDLOG_FUZZ=0 skips that), then the whole suite again built with
# ASan+UBSan: by default in CI (CI=true, as .ci/run's machines set it), on request
# elsewhere (CLOUDLOG_SANITIZERS=1; =0 skips it in CI too). docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLOUDLOG_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLOUDLOG_TEST_AREAS=
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

# The libFuzzer targets (clang++, ASan+UBSan), each run CLOUDLOG_FUZZ_SECONDS on
# its seeds, and every saved finding replayed.
if [ "${CLOUDLOG_FUZZ:-1}" = 1 ]; then
  fuzz=${CLOUDLOG_FUZZ_BUILD_DIR:-build-fuzz}
  cmake -S . -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DCLOUDLOG_FUZZ=ON -DCLOUDLOG_FUZZ_SECONDS="${CLOUDLOG_FUZZ_SECONDS:-20}" \
    -DCLOUDLOG_BUILD_TESTS=OFF -DCLOUDLOG_BUILD_EXAMPLES=OFF -DCLOUDLOG_BUILD_BENCHMARKS=OFF \
    -DCLOUDLOG_INSTALL=OFF
  cmake --build "$fuzz" -j "$(nproc)"
  ctest --test-dir "$fuzz" --output-on-failure -j "$(nproc)"
fi

# Every test and tool built with -fsanitize=address,undefined: any finding fails
# its test. ~23 min on 2 cores, so a developer's run asks for it.
sanitizers=0
[ "${CI:-}" = true ] && sanitizers=1
if [ "${CLOUDLOG_SANITIZERS:-$sanitizers}" = 1 ]; then
  asan=${CLOUDLOG_ASAN_BUILD_DIR:-build-asan}
  # -O1 -g1: the optimization ASan's documentation recommends, and line tables for
  # its reports; both compile faster than -O2 -g.
  cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DCLOUDLOG_TEST_AREAS= \
    -DCLOUDLOG_SANITIZE=address,undefined -DCLOUDLOG_BUILD_BENCHMARKS=OFF
  cmake --build "$asan" -j "$(nproc)"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    ctest --test-dir "$asan" --output-on-failure -j "$(nproc)"
fi

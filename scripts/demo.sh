#!/usr/bin/env bash
# The main job on the embedded default (a store in a local directory): builds the
# tools and shows every item of a real BlueSky store, the fixture after the
# original cleaner's fourth pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLOUDLOG_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target bluesky_fs >/dev/null
store=../shared/fixtures/bluesky-real/main/stage8-merge3-clean4
echo "== bluesky_fs --store file:$store dump"
"$build/examples/bluesky_fs" --store "file:$store" dump

#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The main job on the embedded default, a store in a local directory: build a demo
# BlueSky store with the workload generator, show its garbage, clean it, let the
# proxy merge the cleaner's output, clean again, show the space reclaimed, and
# verify every file. Installs what is missing and builds the tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLOUDLOG_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target bluesky_fs bluesky_cleaner >/dev/null

store=${CLOUDLOG_DEMO_STORE:-demo-store}
key=$(mktemp)
trap 'rm -f "$key"' EXIT
head -c 32 /dev/urandom > "$key"   # the proxy's key; the cleaner never needs it
fs() { "$build/examples/bluesky_fs" --store "file:$store" --key-file "$key" "$@"; }
cleaner() { "$build/examples/bluesky_cleaner" --store "file:$store" "$@"; }
size() { du -sb "$store" | cut -f1; }
segments() { ls "$store" | grep -vc '^log-99999999-'; }  # the lease and pass history are no segments
step() { printf '\n== %s\n' "$*"; }

rm -rf "$store"
step "1. The proxy writes 16 files of 4 MiB, then overwrites half of the bytes in 96 KiB writes"
fs workload --files 16 --file-size 4M --write-size 96K --overwrite-fraction 0.5 --flush-every 8 --seed 1
before=$(size)
echo "store: $(segments) segments, $before bytes"

step "2. The cleaner's plan (dry run: nothing changes)"
cleaner --dry-run

step "3. The cleaner relocates the live items of mostly-garbage segments (no key needed)"
cleaner

step "4. The proxy merges the cleaner's output"
fs merge

step "5. The cleaner again: every segment the proxy no longer needs is deleted"
cleaner

step "6. Space reclaimed, and every file verified"
after=$(size)
echo "store: $(segments) segments, $after bytes (was $before: $(( (before - after) * 100 / before ))% reclaimed)"
fs verify
echo "the demo store is in $store/"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# steady_state.sh: the real engine in steady state, through the real tools
# (docs/policies.md, "The real engine"). A file store of 64 files x 1 MiB written in
# 32 KiB writes, flushed every 64 writes (2 MiB proxy segments); then ROUNDS rounds
# of: overwrite 10% of the data -> bluesky_cleaner -> bluesky_fs merge ->
# bluesky_cleaner --delete-only (deletes what the merge released: the pass's
# victims). The first WARMUP rounds are not measured.
#
#   benchmarks/steady_state.sh BUILD_DIR [--rounds 30] [--warmup 10] [--skew F,R]
#                              [--zipf THETA] [--seed N] [--no-release]
#                              [-- CLEANER OPTIONS...]
#
# --no-release skips the delete-only step (the victims then wait for the next pass).
# Prints one line of figures (and, with STEADY_STATE_TRACE=1, one per round on
# stderr):
#   utilization   mean live / stored bytes before each measured pass, stored as a
#                 user sees it: the bytes of every object in the store (du of its
#                 directory: segments of both directories, dead or not, and anything
#                 else there);
#                 live is the pass's bytes_used;
#   u_segments    bytes_used / bytes_total of the pass's --json report (every
#                 segment it listed);
#   wa            every byte that appeared in the store (proxy segments, cleaner
#                 segments, the merge's segments) / the bytes the workload wrote;
#   reads         bytes the cleaner read (the passes and the delete-only steps) /
#                 the bytes the workload wrote.
# Needs jq.
set -euo pipefail

build=${1:?usage: steady_state.sh BUILD_DIR [options] [-- cleaner options]}
shift
rounds=30 warmup=10 seed=1 release=1
skew=() cleaner_opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --skew) skew=(--hot-fraction "${2%,*}" --hot-share "${2#*,}"); shift 2 ;;
    --zipf) skew=(--zipf "$2"); shift 2 ;;
    --no-release) release=0; shift ;;
    --) shift; cleaner_opts=("$@"); break ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
fs=$build/examples/bluesky_fs
cleaner=$build/examples/bluesky_cleaner
command -v jq >/dev/null || { echo "error: steady_state.sh needs jq" >&2; exit 2; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
store=file:$dir/store
geometry=(--files 64 --file-size 1M --write-size 32K --flush-every 64)

"$fs" --store "$store" workload "${geometry[@]}" --overwrite-fraction 0 --seed "$seed" --json >/dev/null

# The bytes of every object in the store.
stored_bytes() { find "$dir/store" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

user=0 appeared=0 read=0 util_sum=0 seg_sum=0 measured=0
for ((r = 1; r <= rounds; r++)); do
  w=$("$fs" --store "$store" workload "${geometry[@]}" --no-create --overwrite-fraction 0.1 \
        --seed $((seed * 1000 + r)) "${skew[@]}" --json)
  stored=$(stored_bytes)
  set +e
  c=$("$cleaner" --store "$store" --json "${cleaner_opts[@]}")
  code=$?
  set -e
  if [ $code -ne 0 ] && [ $code -ne 6 ]; then
    echo "error: bluesky_cleaner exited $code in round $r" >&2
    exit 1
  fi
  m=$("$fs" --store "$store" merge --json)
  d='{"bytes_written": 0, "bytes_read": 0}'
  if [ "$release" = 1 ]; then
    set +e
    d=$("$cleaner" --store "$store" --json --delete-only)
    code=$?
    set -e
    if [ $code -ne 0 ] && [ $code -ne 6 ]; then
      echo "error: bluesky_cleaner --delete-only exited $code in round $r" >&2
      exit 1
    fi
  fi
  if [ "$r" -gt "$warmup" ]; then
    user=$((user + $(jq .bytes_written <<<"$w")))
    appeared=$((appeared + $(jq .bytes_uploaded <<<"$w") + $(jq .bytes_written <<<"$c") + $(jq .bytes_written <<<"$m") + $(jq .bytes_written <<<"$d")))
    read=$((read + $(jq .bytes_read <<<"$c") + $(jq .bytes_read <<<"$d")))
    util_sum=$(jq -n "$util_sum + $(jq .bytes_used <<<"$c") / $stored")
    seg_sum=$(jq -n "$seg_sum + $(jq '.bytes_used / .bytes_total' <<<"$c")")
    measured=$((measured + 1))
  fi
  if [ "${STEADY_STATE_TRACE:-0}" = 1 ]; then
    jq -c --arg r "$r" --argjson s "$stored" '{round: $r, u: (.bytes_used / $s),
        victims: (.plan.victims | length), written: .bytes_written, freed: .bytes_freed}' <<<"$c" >&2
  fi
done
jq -n --argjson u "$util_sum" --argjson g "$seg_sum" --argjson n "$measured" \
  --argjson a "$appeared" --argjson usr "$user" --argjson rd "$read" \
  '{utilization: ($u / $n), u_segments: ($g / $n), wa: ($a / $usr), reads: ($rd / $usr), rounds: $n}' -c

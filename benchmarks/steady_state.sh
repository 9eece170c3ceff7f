#!/usr/bin/env bash
# steady_state.sh: the real engine in steady state, through the real tools
# (docs/policies.md, "The real engine"). A file store of 64 files x 1 MiB written in
# 32 KiB writes, flushed every 64 writes (2 MiB proxy segments); then ROUNDS rounds
# of: overwrite 10% of the data -> bluesky_cleaner -> bluesky_fs merge. The first
# WARMUP rounds are not measured.
#
#   benchmarks/steady_state.sh BUILD_DIR [--rounds 30] [--warmup 10] [--skew F,R]
#                              [--zipf THETA] [--seed N] [-- CLEANER OPTIONS...]
#
# Prints one line of figures (and, with STEADY_STATE_TRACE=1, one per round on
# stderr):
#   utilization   mean live / stored bytes before each measured pass, as the pass
#                 sees the store (bytes_used / bytes_total of its --json report:
#                 every segment, including those that were already dead and that the
#                 pass deletes first);
#   util_live     the same without those already-dead segments (what the pass can
#                 count on: they are free space the merge has released);
#   wa            every byte that appeared in the store (proxy segments, cleaner
#                 segments, the merge's segments) / the bytes the workload wrote;
#   reads         bytes the cleaner read / bytes the workload wrote.
# Needs jq.
set -euo pipefail

build=${1:?usage: steady_state.sh BUILD_DIR [options] [-- cleaner options]}
shift
rounds=30 warmup=10 seed=1
skew=() cleaner_opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --skew) skew=(--hot-fraction "${2%,*}" --hot-share "${2#*,}"); shift 2 ;;
    --zipf) skew=(--zipf "$2"); shift 2 ;;
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

user=0 appeared=0 read=0 util_sum=0 live_sum=0 measured=0
for ((r = 1; r <= rounds; r++)); do
  w=$("$fs" --store "$store" workload "${geometry[@]}" --no-create --overwrite-fraction 0.1 \
        --seed $((seed * 1000 + r)) "${skew[@]}" --json)
  set +e
  c=$("$cleaner" --store "$store" --json "${cleaner_opts[@]}")
  code=$?
  set -e
  if [ $code -ne 0 ] && [ $code -ne 6 ]; then
    echo "error: bluesky_cleaner exited $code in round $r" >&2
    exit 1
  fi
  m=$("$fs" --store "$store" merge --json)
  if [ "$r" -gt "$warmup" ]; then
    user=$((user + $(jq .bytes_written <<<"$w")))
    appeared=$((appeared + $(jq .bytes_uploaded <<<"$w") + $(jq .bytes_written <<<"$c") + $(jq .bytes_written <<<"$m")))
    read=$((read + $(jq .bytes_read <<<"$c")))
    util_sum=$(jq -n "$util_sum + $(jq '.bytes_used / .bytes_total' <<<"$c")")
    live_sum=$(jq -n "$live_sum + $(jq '.bytes_used / (.bytes_total - .plan.bytes_to_free_now)' <<<"$c")")
    measured=$((measured + 1))
  fi
  if [ "${STEADY_STATE_TRACE:-0}" = 1 ]; then
    jq -c --arg r "$r" '{round: $r, u: (.bytes_used / .bytes_total), victims: (.plan.victims | length),
                         written: .bytes_written, freed: .bytes_freed}' <<<"$c" >&2
  fi
done
jq -n --argjson u "$util_sum" --argjson l "$live_sum" --argjson n "$measured" \
  --argjson a "$appeared" --argjson usr "$user" --argjson rd "$read" \
  '{utilization: ($u / $n), util_live: ($l / $n), wa: ($a / $usr), reads: ($rd / $usr), rounds: $n}' -c

#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# cost_lab.sh: the cost-aware policy against greedy and lifetime in the policy lab,
# in dollars (docs/policies.md, "Dollars"). The geometry of benchmarks/steady_state.sh
# (2048 blocks of 32 KiB, 2 MiB user segments, 4 MiB GC segments, 10% bursts, the
# proxy's write-back), S3 Standard prices in the region and, with PRICES_FILE, out
# of it; horizons 30 and 1 day; targets 0.7, 0.8, 0.9; uniform, 90/10 and 80/20.
#
#   benchmarks/cost_lab.sh BUILD_DIR PRICES_FILE > docs/policies/cost.csv
set -euo pipefail
B=$1/benchmarks/policy_sim
G="--segments 1024 --utilizations 0.03125 --blocks 64 --gc-blocks 128 --block-bytes 32768 --burst 0.1 --write-back --warmup 2 --rounds 20"
echo "prices,horizon_days,target,skew,$($B --policies greedy --workloads uniform $G | head -1)"
for pr in in-region out-of-region; do
  P=(); [ $pr = out-of-region ] && P=(--prices "$2")
  for hz in 30 1; do
    [ $pr = out-of-region ] && [ $hz = 1 ] && continue
    for t in 0.7 0.8 0.9; do
      for sk in "uniform|--workloads uniform" "90/10|--workloads hot-cold --hot-fraction 0.1 --hot-share 0.9" "80/20|--workloads hot-cold --hot-fraction 0.2 --hot-share 0.8"; do
        $B --policies greedy,lifetime,cost-aware ${sk#*|} $G --target $t --horizon $hz "${P[@]}" | tail -n +2 | sed "s|^|$pr,$hz,$t,${sk%%|*},|"
      done
    done
  done
done

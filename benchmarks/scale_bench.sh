#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# The usage index at scale (docs/performance.md, "The usage index at scale"): for
# each N, a generated `tree` store of N live 32-byte blobs; a first pass writes the
# record (and its local copy, as bluesky_cleaner --cache-dir keeps it); then idle,
# and after 0.1 %, 1 % and 10 % of the blobs overwritten (one hot key range each),
# dry runs with the index (store copy), with its local copy, with --full-walk (the
# index's own full walk: batched, summarized, no graph held) and with
# --no-usage-index (the walk before the index: the whole graph), the periodic
# cross-check (--check: the index walk and a full walk, compared), then a real pass
# that writes the next head. One JSON line per step.
# usage: benchmarks/scale_bench.sh BUILD_DIR/benchmarks/scale_bench [N...] (default 100000 1000000)
set -e
B=${1:?usage: benchmarks/scale_bench.sh BUILD_DIR/benchmarks/scale_bench [N...]}
shift
[ $# -gt 0 ] || set -- 100000 1000000
for N in "$@"; do
  D=$(mktemp -d)
  L="--local-copy $D/local"
  echo "N=$N generate $($B generate $D/s $N)"
  echo "N=$N first-pass $($B pass $D/s $L)"
  echo "N=$N idle-index $($B pass $D/s --dry-run)"
  echo "N=$N idle-local $($B pass $D/s --dry-run $L)"
  echo "N=$N idle-full $($B pass $D/s --dry-run --full-walk)"
  echo "N=$N idle-noindex $($B pass $D/s --dry-run --no-usage-index)"
  echo "N=$N idle-check $($B pass $D/s --dry-run --check)"
  seed=1
  for f in 0.001 0.01 0.1; do
    echo "N=$N change-$f $($B change $D/s $f $seed)"
    echo "N=$N $f-index $($B pass $D/s --dry-run)"
    echo "N=$N $f-local $($B pass $D/s --dry-run $L)"
    echo "N=$N $f-full $($B pass $D/s --dry-run --full-walk)"
    echo "N=$N $f-noindex $($B pass $D/s --dry-run --no-usage-index)"
    echo "N=$N $f-check $($B pass $D/s --dry-run --check)"
    echo "N=$N $f-pass $($B pass $D/s $L)"
    seed=$((seed + 1))
  done
  rm -rf $D
done

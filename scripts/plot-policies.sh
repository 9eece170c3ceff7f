#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Draws the policy lab's curves (docs/policies.md) from the CSV benchmarks/policy_sim
# prints: write amplification against utilization per workload, one line per
# policy (and Desnoyers' model for greedy on uniform), and the victim-utilization
# histograms of cost-benefit and lifetime on hot/cold at 0.8. Needs gnuplot
# (Debian: gnuplot-nox); not part of CI.
#
#   scripts/plot-policies.sh docs/policies/lab.csv docs/policies [BLOCKS]
set -euo pipefail
csv=${1:?usage: plot-policies.sh LAB.csv OUT_DIR [BLOCKS]}
out=${2:?usage: plot-policies.sh LAB.csv OUT_DIR [BLOCKS]}
blocks=${3:-64}
command -v gnuplot >/dev/null || { echo "error: plot-policies.sh needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

policies=$(awk -F, 'NR > 1 { print $1 }' "$csv" | awk '!seen[$0]++')
for workload in uniform hot-cold zipf; do
  plot=()
  for p in $policies; do
    awk -F, -v p="$p" -v w="$workload" -v b="$blocks" \
      'NR > 1 && $1 == p && $2 == w && $4 == b { print $5, $6 }' "$csv" >"$tmp/$workload-$p.dat"
    [ -s "$tmp/$workload-$p.dat" ] &&
      plot+=("'$tmp/$workload-$p.dat' using 1:2 with linespoints title '$p'")
  done
  if [ "$workload" = uniform ]; then
    awk -F, -v b="$blocks" 'NR > 1 && $2 == "uniform" && $4 == b && !seen[$5]++ { print $5, $9 }' \
      "$csv" >"$tmp/model.dat"
    plot+=("'$tmp/model.dat' using 1:2 with lines dashtype 2 lc rgb 'black' title 'Desnoyers (greedy)'")
  fi
  joined=$(printf '%s, ' "${plot[@]}")
  gnuplot <<EOF
set terminal svg size 640,420 font 'sans,11' background rgb 'white'
set output '$out/wa-$workload.svg'
set title 'Policy lab: $workload writes, $blocks blocks per segment'
set xlabel 'utilization (user data / capacity)'
set ylabel 'write amplification'
set logscale y
set grid
set key top left
plot ${joined%, }
EOF
done

# Victim utilization histograms, hot/cold at 0.8.
plot=()
for p in cost-benefit lifetime greedy; do
  awk -F, -v p="$p" -v b="$blocks" 'NR > 1 && $1 == p && $2 == "hot-cold" && $4 == b && $5 == "0.800" {
      t = 0; for (i = 10; i <= 29; i++) t += $i;
      for (i = 10; i <= 29; i++) print (i - 10) * 0.05 + 0.025, (t ? $i / t : 0) }' "$csv" >"$tmp/hist-$p.dat"
  [ -s "$tmp/hist-$p.dat" ] && plot+=("'$tmp/hist-$p.dat' using 1:2 with linespoints title '$p'")
done
joined=$(printf '%s, ' "${plot[@]}")
gnuplot <<EOF
set terminal svg size 640,420 font 'sans,11' background rgb 'white'
set output '$out/victims-hot-cold.svg'
set title 'Victims by utilization: hot/cold 90/10 at 0.8, $blocks blocks per segment'
set xlabel 'victim utilization when cleaned'
set ylabel 'fraction of victims'
set xrange [0:1]
set grid
set key top left
plot ${joined%, }
EOF
echo "wrote $out/wa-uniform.svg $out/wa-hot-cold.svg $out/wa-zipf.svg $out/victims-hot-cold.svg"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Runs one fuzz target on its seed corpus (docs/reliability.md):
#   fuzz/run.sh BUILD_DIR TARGET [libFuzzer flags...]
# e.g. fuzz/run.sh build-fuzz item -max_total_time=15   or   ... -runs=10000000
# The seeds are generated from ../shared/fixtures into BUILD_DIR/fuzz-corpus/seeds;
# new inputs go to BUILD_DIR/fuzz-corpus/work/TARGET, crashes to
# BUILD_DIR/fuzz-artifacts/TARGET/. Exits non-zero on a crash or a broken property.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
target=$2
shift 2
case $target in
  item | segment) dict=item ;;
  checkpoint | inode | imap) dict=payload ;;
  *) dict=$target ;;
esac
# simple_protocol: inputs may grow to 8 KiB at once (request lines
# past max_line, 4096). segment: inputs are cut to 8 KiB (the fixture segments of
# ~100 KiB are 32 KiB data items; 6x faster), seeds hold the small items of each.
max_len=()
case $target in
  simple_protocol) max_len=(-max_len=8192 -len_control=0) ;;
  segment) max_len=(-max_len=8192) ;;
esac
seeds=$build/fuzz-corpus/seeds
if [ ! -d "$seeds/$target" ]; then
  mkdir -p "$seeds.tmp.$$"
  "$build/fuzz/make_seed_corpus" "$seeds.tmp.$$" >/dev/null
  mv -T "$seeds.tmp.$$" "$seeds" 2>/dev/null || rm -rf "$seeds.tmp.$$"
fi
work=$build/fuzz-corpus/work/$target
artifacts=$build/fuzz-artifacts/$target
mkdir -p "$work" "$artifacts"
# store copies whole fixture stores per input: a smaller quarantine lets ASan reuse
# that memory instead of mapping (and the kernel zeroing) fresh pages, 2-3x faster.
quarantine=
[ "$target" = store ] && quarantine=:quarantine_size_mb=16
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1$quarantine}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/fuzz/${target}_fuzz" -dict="$here/dict/$dict.dict" -artifact_prefix="$artifacts/" \
  -print_final_stats=1 "${max_len[@]}" "$@" "$work" "$seeds/$target"

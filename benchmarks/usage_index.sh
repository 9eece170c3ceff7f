#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# The usage index on a smallfiles --scale 2 store (docs/performance.md, "The usage
# index"): metadata bytes read by clean/merge rounds, idle and 1 %-overwrite dry runs
# with the index and with --full-walk. usage: benchmarks/usage_index.sh BUILD/examples
set -e
B=${1:?usage: benchmarks/usage_index.sh BUILD_DIR/examples}
D=$(mktemp -d)
echo -n usage-index-passphrase > $D/key
S=file:$D/store
F="$B/bluesky_fs --store $S --key-file $D/key"
C="$B/bluesky_cleaner --store $S --json"
j() { python3 -c "
import json,sys
d=json.loads(sys.stdin.readline()); u=d['usage_index']
print('%-14s %-14s meta %9d walked %8d gets %5d reused %5d read %5d idx_read %7d idx_written %7d walk_s %.3f' % (sys.argv[1], d['status'], d['metadata_bytes_read'], d['bytes_walked'], d['requests']['get'], u['items_reused'], u['items_read'], u['bytes_read'], u['bytes_written'], d['seconds']['walk']))" "$1"; }
$F workload --preset smallfiles --scale 2 > /dev/null
for i in 1 2 3; do $C | j clean$i; $F merge > /dev/null; done
$C | j clean4
$C --dry-run | j idle-dry
$C --dry-run --full-walk | j idle-full
$F workload --preset smallfiles --scale 2 --no-create --overwrite-fraction 0.01 --seed 2 > /dev/null
$C --dry-run | j 1%-dry
$C --dry-run --full-walk | j 1%-full
$C | j 1%-clean
$F merge > /dev/null
$C | j after-merge
rm -rf $D

// SPDX-License-Identifier: BSL-1.0
// Test double: a usage index rewritten with sound checksums around wrong summaries
// (every summary and root run one byte more in its first segment), so that only a comparison
// with a full walk can tell (tests of the periodic cross-check and the daemon's exit).
#ifndef CLOUDLOG_TESTS_SUPPORT_USAGE_INDEX_DAMAGE_HPP
#define CLOUDLOG_TESTS_SUPPORT_USAGE_INDEX_DAMAGE_HPP

#include <string>

#include "cloudlog/cleaner/usage_index.hpp"

namespace cloudlog::test {

// Rewrites the head HEAD_BYTES and every range it references (READ(name) gives an
// object's bytes, WRITE(name, bytes) replaces it) with every summary and every run
// of the root's links one byte off
// and PASSES passes since the full walk; returns the new head's bytes (written too,
// as HEAD_NAME). Returns false if the head or a range does not decode.
template <class Read, class Write>
bool skew_usage_summaries(const std::string& head_name, const bytes& head_bytes, Read read,
                          Write write, std::uint32_t passes) {
  auto x = decode_usage_index(head_bytes);
  if (!x || x->ranges.empty()) return false;
  for (auto& ref : x->ranges) {
    const auto name = segment_name(usage_range_segment(ref.sequence)).value();
    auto s = decode_usage_range(ref, read(name));
    if (!s) return false;
    for (auto& one : *s) one.bytes.front().second += 1;
    const auto data = encode_usage_range(*s);
    ref = usage_range_ref_of(ref.sequence, *s, data);
    write(name, data);
  }
  for (auto& run : x->runs) run.sum.bytes.front().second += 1;
  x->passes_since_full_walk = passes;
  write(head_name, encode_usage_index(*x));
  return true;
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_USAGE_INDEX_DAMAGE_HPP

// SPDX-License-Identifier: BSL-1.0
// cleaning_policy: chooses victims from the utilization table under budgets, and
// where relocated items go (age classes keep hot and cold data apart).
#ifndef CLOUDLOG_POLICY_CLEANING_POLICY_HPP
#define CLOUDLOG_POLICY_CLEANING_POLICY_HPP

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "cloudlog/location.hpp"

namespace cloudlog {

// One row of the utilization table.
struct segment_usage {
  segment_id id;
  std::uint64_t size = 0;  // bytes in the segment
  std::uint64_t live = 0;  // bytes of items reachable from the current root
  std::uint64_t age = 0;   // logical age (format-defined; larger = older, >= 1)

  // live / size; 0 for an empty segment.
  double utilization() const noexcept {
    return size == 0 ? 0.0 : static_cast<double>(live) / static_cast<double>(size);
  }
};

// The utilization (live / stored bytes, after the pass) a cleaning pass aims for
// unless told otherwise: the engine's and the tools' default (docs/policies.md).
inline constexpr double default_target_utilization = 0.8;

// Limits on one cleaning run. A victim is taken only while every limit still holds
// with it included; "unlimited" is the largest value.
struct cleaning_budget {
  static constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_read = unlimited;        // victim bytes read
  std::uint64_t max_write = unlimited;       // live bytes relocated
  std::uint64_t garbage_target = unlimited;  // stop once this much garbage is in victims
};

// How relocated items are grouped by age: items whose source segments fall into
// different classes never share an output segment. Class = floor(log2(age)),
// capped at classes - 1; classes = 1 puts everything together (the original's way).
struct age_placement {
  std::uint32_t classes = 4;
  std::uint32_t operator()(std::uint64_t age) const noexcept {
    if (classes <= 1 || age <= 1) return 0;
    return std::min<std::uint32_t>(classes - 1,
                                   static_cast<std::uint32_t>(std::bit_width(age) - 1));
  }
};

// A policy P (docs/concepts/cleaning_policy.md). Laws, checked for every model by
// tests/policy: select() returns each victim once, only segments with 0 < live <
// size, and never exceeds the budget the policy was built with; placement() is a
// pure function of age.
template <class P>
concept cleaning_policy = requires(const P& p, std::span<const segment_usage> table,
                                   std::uint64_t age) {
  // The victims, in the order they should be cleaned.
  { p.select(table) } -> std::same_as<std::vector<segment_id>>;
  // The age class a relocated item from a segment of this age goes to.
  { p.placement(age) } -> std::same_as<std::uint32_t>;
  // The policy's name, for reports ("threshold", "greedy", ...).
  { p.name() } -> std::same_as<std::string_view>;
};

// The table's live bytes measured in segments (total live / mean segment size, at
// least 1): the store's size in the unit ages are counted in when a format counts
// age in segments written, so that a policy can place class boundaries relative to
// it ("older than half the data's rewrite time").
inline std::uint64_t table_scale(std::span<const segment_usage> table) noexcept {
  std::uint64_t live = 0, size = 0;
  for (const auto& s : table) {
    live += s.live;
    size += s.size;
  }
  if (table.empty() || size == 0) return 1;
  const double mean = static_cast<double>(size) / static_cast<double>(table.size());
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(live) / mean));
}

// The age class of items relocated from a segment of age AGE, in a table whose
// table_scale() is SCALE: POLICY.placement(AGE, SCALE) when the policy has that
// optional member (its classes scale with the store), else POLICY.placement(AGE).
// The engine and the policy lab place every relocation through this.
template <cleaning_policy Policy>
std::uint32_t placement_for(const Policy& policy, std::uint64_t age, std::uint64_t scale) {
  if constexpr (requires {
                  { policy.placement(age, scale) } -> std::same_as<std::uint32_t>;
                })
    return policy.placement(age, scale);
  else
    return policy.placement(age);
}

// The prefix of VICTIMS (ids of TABLE's rows, in the policy's order) that brings the
// table's utilization, counted after the pass, to TARGET: live bytes / stored bytes,
// where stored bytes are those of the segments holding anything live, less the
// garbage in the victims (their live bytes are rewritten, their garbage is freed).
// Victims are taken until that ratio reaches TARGET, the one that reaches it
// included; none if it already does. A TARGET >= 1 keeps every victim.
// REQUIRES: every id of VICTIMS names a row of TABLE.
inline std::vector<segment_id> cut_to_target(std::span<const segment_usage> table,
                                             std::vector<segment_id> victims, double target) {
  if (!(target < 1.0)) return victims;
  std::uint64_t live = 0, stored = 0;
  for (const auto& s : table)
    if (s.live > 0) {
      live += s.live;
      stored += s.size;
    }
  if (stored == 0) return {};
  // Garbage to free: stored - live / target (may be none).
  const double goal = static_cast<double>(stored) - static_cast<double>(live) / target;
  std::vector<segment_usage> rows(table.begin(), table.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  double freed = 0;
  std::size_t keep = 0;
  for (; keep < victims.size() && freed < goal; ++keep) {
    const auto it =
        std::lower_bound(rows.begin(), rows.end(), victims[keep],
                         [](const segment_usage& r, segment_id id) { return r.id < id; });
    if (it != rows.end() && it->id == victims[keep])
      freed += static_cast<double>(it->size - it->live);
  }
  victims.resize(keep);
  return victims;
}

// Takes candidates in RANKED order while BUDGET allows: the shared tail of every policy.
inline std::vector<segment_id> take_within_budget(std::span<const segment_usage> ranked,
                                                  const cleaning_budget& budget) {
  std::vector<segment_id> out;
  std::uint64_t read = 0, write = 0, garbage = 0;
  for (const auto& s : ranked) {
    if (garbage >= budget.garbage_target) break;
    if (s.size > budget.max_read - read || s.live > budget.max_write - write) continue;
    read += s.size;
    write += s.live;
    garbage += s.size - s.live;
    out.push_back(s.id);
  }
  return out;
}

// The cleanable rows of TABLE (0 < live < size) that satisfy KEEP, ordered by
// SCORE descending (ties: older first, then by id, so the choice is deterministic).
template <class Keep, class Score>
std::vector<segment_usage> rank_candidates(std::span<const segment_usage> table, Keep keep,
                                           Score score) {
  std::vector<segment_usage> c;
  for (const auto& s : table)
    if (s.live > 0 && s.live < s.size && keep(s)) c.push_back(s);
  std::stable_sort(c.begin(), c.end(), [&](const segment_usage& a, const segment_usage& b) {
    const double sa = score(a), sb = score(b);
    if (sa != sb) return sa > sb;
    if (a.age != b.age) return a.age > b.age;
    return a.id < b.id;
  });
  return c;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_CLEANING_POLICY_HPP

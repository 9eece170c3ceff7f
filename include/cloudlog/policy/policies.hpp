// SPDX-License-Identifier: BSL-1.0
// The cleaning policies: threshold (BlueSky), greedy, cost-benefit (LFS), age-threshold
// (F2FS), lifetime (after SepBIT).
#ifndef CLOUDLOG_POLICY_POLICIES_HPP
#define CLOUDLOG_POLICY_POLICIES_HPP

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "cloudlog/policy/cleaning_policy.hpp"

namespace cloudlog {

// BlueSky's rule: clean every segment with 0 < utilization < threshold (0.6), in
// segment order. With placement {1} and whole-file relocation it reproduces the
// original cleaner.
struct threshold_policy {
  double threshold = 0.6;
  cleaning_budget budget{};
  age_placement placement_{};

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    auto c = rank_candidates(
        table, [&](const segment_usage& s) { return s.utilization() < threshold; },
        [](const segment_usage&) { return 0.0; });
    std::sort(c.begin(), c.end(),
              [](const segment_usage& a, const segment_usage& b) { return a.id < b.id; });
    return take_within_budget(c, budget);
  }
  std::uint32_t placement(std::uint64_t age) const { return placement_(age); }
  std::string_view name() const { return "threshold"; }
};
static_assert(cleaning_policy<threshold_policy>);

// Greedy: the least-utilized segments first (most garbage per byte read).
struct greedy_policy {
  cleaning_budget budget{};
  age_placement placement_{};

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    return take_within_budget(rank_candidates(
                                  table, [](const segment_usage&) { return true; },
                                  [](const segment_usage& s) { return 1.0 - s.utilization(); }),
                              budget);
  }
  std::uint32_t placement(std::uint64_t age) const { return placement_(age); }
  std::string_view name() const { return "greedy"; }
};
static_assert(cleaning_policy<greedy_policy>);

// Cost-benefit (Rosenblum & Ousterhout's LFS): highest (1 - u) * age / (1 + u) first,
// so cold segments are cleaned at higher utilization than hot ones.
struct cost_benefit_policy {
  cleaning_budget budget{};
  age_placement placement_{};

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    return take_within_budget(rank_candidates(
                                  table, [](const segment_usage&) { return true; },
                                  [](const segment_usage& s) {
                                    const double u = s.utilization();
                                    return (1.0 - u) * static_cast<double>(s.age) / (1.0 + u);
                                  }),
                              budget);
  }
  std::uint32_t placement(std::uint64_t age) const { return placement_(age); }
  std::string_view name() const { return "cost-benefit"; }
};
static_assert(cleaning_policy<cost_benefit_policy>);

// Age-threshold (F2FS style): only segments at least min_age old and below the
// utilization threshold, oldest first; young segments are left to die on their own.
struct age_threshold_policy {
  std::uint64_t min_age = 4;
  double threshold = 0.8;
  cleaning_budget budget{};
  age_placement placement_{};

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    return take_within_budget(
        rank_candidates(
            table,
            [&](const segment_usage& s) { return s.age >= min_age && s.utilization() < threshold; },
            [](const segment_usage& s) { return static_cast<double>(s.age); }),
        budget);
  }
  std::uint32_t placement(std::uint64_t age) const { return placement_(age); }
  std::string_view name() const { return "age-threshold"; }
};
static_assert(cleaning_policy<age_threshold_policy>);

// Lifetime (after SepBIT, FAST '22: infer how long data will live from how long it
// has lived): a segment whose youngest data is older than old_age x the table's
// scale (table_scale: the live data, in segments) holds data that has outlived
// about half a rewrite of the store, and is inferred cold. Victims are ranked by
// greedy's gain per byte copied, (1 - u) / u, multiplied by old_boost for cold
// segments, so cold segments are cleaned at a higher utilization (they will not
// empty by themselves) and young ones are left to die. Relocated data goes to one
// of two classes by the same boundary (placement(age, scale)), so what is copied
// from cold segments stays apart from survivors of young ones. On uniform writes
// the boundary lies beyond the ages of nearly every segment and the choice is
// greedy's. Without a table (placement(age)) the boundary is old_age x 256.
struct lifetime_policy {
  cleaning_budget budget{};
  double old_age = 0.4;
  double old_boost = 8.0;
  double skew_margin = 0.1;

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    const auto boundary = boundary_for(table_scale(table));
    // Is old data cold here? Only if old segments hold clearly more of their bytes
    // live than young ones (uniform writes age every segment alike).
    double live_old = 0, size_old = 0, live_young = 0, size_young = 0;
    for (const auto& s : table) {
      if (s.live == 0) continue;
      (s.age >= boundary ? live_old : live_young) += static_cast<double>(s.live);
      (s.age >= boundary ? size_old : size_young) += static_cast<double>(s.size);
    }
    const bool skewed = size_old > 0 && size_young > 0 &&
                        live_old / size_old > live_young / size_young + skew_margin;
    const double boost = skewed ? old_boost : 1.0;
    return take_within_budget(rank_candidates(
                                  table, [](const segment_usage&) { return true; },
                                  [&](const segment_usage& s) {
                                    const double u = s.utilization();
                                    return (1.0 - u) / u * (s.age >= boundary ? boost : 1.0);
                                  }),
                              budget);
  }
  std::uint32_t placement(std::uint64_t age, std::uint64_t scale) const {
    return age >= boundary_for(scale) ? 1 : 0;
  }
  std::uint32_t placement(std::uint64_t age) const { return placement(age, 256); }
  std::string_view name() const { return "lifetime"; }

 private:
  std::uint64_t boundary_for(std::uint64_t scale) const {
    return std::max<std::uint64_t>(
        2, static_cast<std::uint64_t>(old_age * static_cast<double>(scale)));
  }
};
static_assert(cleaning_policy<lifetime_policy>);

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_POLICIES_HPP

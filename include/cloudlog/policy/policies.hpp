// The cleaning policies: threshold (BlueSky), greedy, cost-benefit (LFS), age-threshold (F2FS).
#ifndef CLOUDLOG_POLICY_POLICIES_HPP
#define CLOUDLOG_POLICY_POLICIES_HPP

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

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_POLICIES_HPP

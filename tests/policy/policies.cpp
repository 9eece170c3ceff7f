// SPDX-License-Identifier: BSL-1.0
// The cleaning_policy law suite, run against every model, plus each model's own rule.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/policies.hpp"

using namespace cloudlog;

namespace {

std::vector<segment_usage> random_table(std::mt19937_64& rng, std::size_t n) {
  std::vector<segment_usage> t;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t size = 1 + rng() % (4u << 20);
    std::uint64_t live = 0;
    switch (rng() % 4) {
      case 0:
        live = 0;
        break;
      case 1:
        live = size;
        break;
      default:
        live = rng() % (size + 1);
    }
    t.push_back({{static_cast<std::uint32_t>(rng() % 2), static_cast<std::uint32_t>(i)},
                 size,
                 live,
                 1 + rng() % 100});
  }
  return t;
}

// The laws every cleaning_policy obeys (policy/cleaning_policy.hpp).
template <cleaning_policy Policy>
void check_policy_laws(const Policy& policy, const cleaning_budget& budget) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    const auto table = random_table(rng, rng() % 60);
    const auto victims = policy.select(table);
    std::set<segment_id> seen;
    std::uint64_t read = 0, write = 0;
    for (const auto& v : victims) {
      CHECK(seen.insert(v).second);  // each victim once
      auto row = std::find_if(table.begin(), table.end(), [&](const auto& s) { return s.id == v; });
      REQUIRE(row != table.end());   // only segments of the table
      CHECK(row->live > 0);          // empty segments are deleted, not cleaned
      CHECK(row->live < row->size);  // full segments would free nothing
      read += row->size;
      write += row->live;
    }
    CHECK(read <= budget.max_read);
    CHECK(write <= budget.max_write);
    CHECK(policy.select(table) == victims);  // deterministic
  }
  for (std::uint64_t age = 1; age < 1000; ++age) {
    CHECK(policy.placement(age) == policy.placement(age));
    CHECK(policy.placement(age) <= policy.placement(age + 1));  // older never goes hotter
  }
  CHECK_FALSE(policy.name().empty());
}

}  // namespace

TEST_CASE("Every policy obeys the cleaning_policy laws, with and without budgets",
          "[policy][laws]") {
  const cleaning_budget tight{8u << 20, 2u << 20, cleaning_budget::unlimited};
  STATIC_REQUIRE(cleaning_policy<threshold_policy>);
  STATIC_REQUIRE(cleaning_policy<greedy_policy>);
  STATIC_REQUIRE(cleaning_policy<cost_benefit_policy>);
  STATIC_REQUIRE(cleaning_policy<age_threshold_policy>);
  check_policy_laws(threshold_policy{}, {});
  check_policy_laws(threshold_policy{0.6, tight}, tight);
  check_policy_laws(greedy_policy{}, {});
  check_policy_laws(greedy_policy{tight}, tight);
  check_policy_laws(cost_benefit_policy{}, {});
  check_policy_laws(cost_benefit_policy{tight}, tight);
  check_policy_laws(age_threshold_policy{}, {});
  check_policy_laws(age_threshold_policy{4, 0.8, tight}, tight);
  STATIC_REQUIRE(cleaning_policy<lifetime_policy>);
  check_policy_laws(lifetime_policy{}, {});
  check_policy_laws(lifetime_policy{tight}, tight);
}

TEST_CASE("Threshold takes every segment with 0 < u < threshold, in segment order", "[policy]") {
  std::vector<segment_usage> t{{{0, 3}, 100, 59, 1},
                               {{0, 1}, 100, 60, 1},
                               {{0, 2}, 100, 0, 1},
                               {{1, 0}, 100, 1, 1},
                               {{0, 0}, 100, 100, 1}};
  CHECK(threshold_policy{}.select(t) == std::vector<segment_id>{{0, 3}, {1, 0}});
  CHECK(threshold_policy{0.61}.select(t) == std::vector<segment_id>{{0, 1}, {0, 3}, {1, 0}});
}

TEST_CASE("Greedy takes the least utilized first", "[policy]") {
  std::vector<segment_usage> t{{{0, 0}, 100, 90, 1}, {{0, 1}, 100, 10, 1}, {{0, 2}, 100, 50, 1}};
  CHECK(greedy_policy{}.select(t) == std::vector<segment_id>{{0, 1}, {0, 2}, {0, 0}});
}

TEST_CASE("Cost-benefit prefers a cold segment to a hotter, emptier one", "[policy]") {
  // (1-u)*age/(1+u): cold u=0.5 age 100 -> 33.3; hot u=0.2 age 10 -> 6.7.
  std::vector<segment_usage> t{{{0, 0}, 100, 20, 10}, {{0, 1}, 100, 50, 100}};
  CHECK(cost_benefit_policy{}.select(t).front() == segment_id{0, 1});
  CHECK(greedy_policy{}.select(t).front() == segment_id{0, 0});
}

TEST_CASE("Age-threshold leaves young segments alone and takes the oldest first", "[policy]") {
  std::vector<segment_usage> t{
      {{0, 0}, 100, 10, 2}, {{0, 1}, 100, 70, 9}, {{0, 2}, 100, 50, 5}, {{0, 3}, 100, 90, 50}};
  CHECK(age_threshold_policy{}.select(t) == std::vector<segment_id>{{0, 1}, {0, 2}});
}

TEST_CASE("Budgets bound what is read and relocated, and the garbage target stops early",
          "[policy]") {
  std::vector<segment_usage> t{{{0, 0}, 100, 10, 1}, {{0, 1}, 100, 20, 1}, {{0, 2}, 100, 30, 1}};
  CHECK(greedy_policy{{250, cleaning_budget::unlimited, cleaning_budget::unlimited}}
            .select(t)
            .size() == 2);
  CHECK(greedy_policy{{cleaning_budget::unlimited, 35, cleaning_budget::unlimited}}.select(t) ==
        std::vector<segment_id>{{0, 0}, {0, 1}});
  CHECK(greedy_policy{{cleaning_budget::unlimited, cleaning_budget::unlimited, 150}}.select(t) ==
        std::vector<segment_id>{{0, 0}, {0, 1}});
}

TEST_CASE("Age placement separates hot and cold by powers of two", "[policy][placement]") {
  age_placement p{4};
  CHECK(p(1) == 0);
  CHECK(p(2) == 1);
  CHECK(p(3) == 1);
  CHECK(p(4) == 2);
  CHECK(p(1000) == 3);
  CHECK(age_placement{1}(1000) == 0);
}

TEST_CASE("Lifetime ranks like greedy until old segments are clearly fuller than young ones",
          "[policy][lifetime]") {
  // Scale: 4 segments of data -> boundary max(2, 0.4 * 4) = 2.
  std::vector<segment_usage> uniform{{{0, 0}, 100, 50, 1},  {{0, 1}, 100, 55, 3},
                                     {{0, 2}, 100, 60, 1},  {{0, 3}, 100, 65, 3},
                                     {{0, 4}, 100, 100, 1}, {{0, 5}, 100, 100, 3}};
  CHECK(lifetime_policy{}.select(uniform) == greedy_policy{}.select(uniform));
  // Old segments 90% live, young ones 20%: old data is inferred cold, and an old
  // segment (gain 0.1/0.9 x 8 = 0.89) outranks a young one at 55% (0.82).
  std::vector<segment_usage> skewed{{{0, 0}, 100, 20, 1}, {{0, 1}, 100, 90, 5},
                                    {{0, 2}, 100, 90, 5}, {{0, 3}, 100, 90, 5},
                                    {{0, 4}, 100, 55, 1}, {{0, 5}, 100, 20, 1}};
  const auto v = lifetime_policy{}.select(skewed);
  REQUIRE(v.size() == 6);
  CHECK(v[0] == segment_id{0, 0});
  CHECK(v[2] == segment_id{0, 1});
  CHECK(v.back() == segment_id{0, 4});
  // Two classes, split at the same boundary.
  CHECK(lifetime_policy{}.placement(1, 4) == 0);
  CHECK(lifetime_policy{}.placement(2, 4) == 1);
  CHECK(lifetime_policy{}.placement(101, 256) == 0);
  CHECK(lifetime_policy{}.placement(102, 256) == 1);
  CHECK(placement_for(lifetime_policy{}, 102, 1000) == 0);
  CHECK(placement_for(greedy_policy{}, 1000, 1) == 3);
  CHECK(any_policy(lifetime_policy{}).placement(102, 1000) == 0);
}

TEST_CASE("A utilization target keeps the policy's victims until the table would reach it",
          "[policy][target]") {
  // 400 bytes stored in segments with live data (the empty one does not count),
  // 200 live: 0.5 now.
  std::vector<segment_usage> t{{{0, 0}, 100, 10, 1},
                               {{0, 1}, 100, 40, 1},
                               {{0, 2}, 100, 70, 1},
                               {{0, 3}, 100, 80, 1},
                               {{0, 4}, 100, 0, 1}};
  const auto all = greedy_policy{}.select(t);
  REQUIRE(all.size() == 4);
  // Target 0.6: 200 / (400 - g) >= 0.6 needs g >= 66.7: the first victim (90) suffices.
  CHECK(cut_to_target(t, all, 0.6) == std::vector<segment_id>{{0, 0}});
  // Target 0.8: g >= 150: 90 + 60.
  CHECK(cut_to_target(t, all, 0.8) == std::vector<segment_id>{{0, 0}, {0, 1}});
  // Target 0.95: g >= 189.5: every victim (90 + 60 + 30 + 20 = 200).
  CHECK(cut_to_target(t, all, 0.95) == all);
  CHECK(cut_to_target(t, all, 1.0) == all);
  // Already there: nothing.
  CHECK(cut_to_target(t, all, 0.5).empty());
  CHECK(cut_to_target(t, all, 0.4).empty());
  // The policy's order is kept, not re-ranked.
  const std::vector<segment_id> reversed(all.rbegin(), all.rend());
  CHECK(cut_to_target(t, reversed, 0.6) == std::vector<segment_id>{{0, 3}, {0, 2}, {0, 1}});
}

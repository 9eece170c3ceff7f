// SPDX-License-Identifier: BSL-1.0
// policy/cleaning_policy.hpp: the concept (models and near misses), the
// utilization row, age classes, the store's scale, and the shared pieces every
// policy is made of: ranking, the budget, the cut to a target utilization.
#include <catch2/catch.hpp>

#include <vector>

#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/archetypes.hpp"

using namespace cloudlog;

namespace {
segment_usage row(std::uint32_t seq, std::uint64_t size, std::uint64_t live,
                  std::uint64_t age = 1) {
  return {{0, seq}, size, live, age};
}
struct scaled_policy {
  std::vector<segment_id> select(std::span<const segment_usage>) const { return {}; }
  std::uint32_t placement(std::uint64_t) const { return 1; }
  std::uint32_t placement(std::uint64_t, std::uint64_t scale) const {
    return static_cast<std::uint32_t>(scale);
  }
  std::string_view name() const { return "scaled"; }
};
}  // namespace

TEST_CASE("The library's policies model cleaning_policy; the near misses do not",
          "[policy][concepts]") {
  STATIC_REQUIRE(cleaning_policy<threshold_policy>);
  STATIC_REQUIRE(cleaning_policy<greedy_policy>);
  STATIC_REQUIRE(cleaning_policy<cost_benefit_policy>);
  STATIC_REQUIRE(cleaning_policy<test::policy_archetype>);
  STATIC_REQUIRE_FALSE(cleaning_policy<test::policy_without_select>);
  STATIC_REQUIRE_FALSE(cleaning_policy<test::policy_without_placement>);
  STATIC_REQUIRE_FALSE(cleaning_policy<test::policy_without_name>);
  STATIC_REQUIRE_FALSE(cleaning_policy<test::policy_with_mutable_select>);
  STATIC_REQUIRE_FALSE(cleaning_policy<test::policy_returning_rows>);
}

TEST_CASE("A row's utilization is live over size, 0 when empty", "[policy][usage]") {
  CHECK(row(1, 100, 25).utilization() == Approx(0.25));
  CHECK(row(1, 0, 0).utilization() == 0.0);
}

TEST_CASE("Age classes are floor(log2(age)) capped at classes - 1", "[policy][placement]") {
  const age_placement four{4};
  CHECK(four(0) == 0);
  CHECK(four(1) == 0);
  CHECK(four(2) == 1);
  CHECK(four(3) == 1);
  CHECK(four(4) == 2);
  CHECK(four(8) == 3);
  CHECK(four(1u << 30) == 3);
  CHECK(age_placement{1}(1u << 30) == 0);  // one class: everything together
}

TEST_CASE(
    "table_scale is live bytes in mean segments; placement_for uses a scaled placement "
    "when there is one",
    "[policy][placement]") {
  const std::vector<segment_usage> t{row(1, 100, 100), row(2, 100, 100), row(3, 100, 50),
                                     row(4, 100, 50)};
  CHECK(table_scale(t) == 3);  // 300 live / 100 mean
  CHECK(table_scale({}) == 1);
  CHECK(table_scale(std::vector<segment_usage>{row(1, 100, 0)}) == 1);  // at least 1
  CHECK(placement_for(scaled_policy{}, 5, 7) == 7);
  CHECK(placement_for(greedy_policy{}, 4, 7) == 2);  // no scaled member: placement(age)
}

TEST_CASE("rank_candidates keeps 0 < live < size, by score, ties older first then by id",
          "[policy][rank]") {
  const std::vector<segment_usage> t{row(1, 100, 0),     row(2, 100, 100),   row(3, 100, 50, 1),
                                     row(4, 100, 50, 9), row(5, 100, 10, 1), row(6, 100, 50, 1)};
  auto ranked = rank_candidates(
      t, [](const segment_usage&) { return true; },
      [](const segment_usage& s) { return 1.0 - s.utilization(); });
  std::vector<std::uint32_t> order;
  for (const auto& s : ranked) order.push_back(s.id.sequence);
  CHECK(order == std::vector<std::uint32_t>{5, 4, 3, 6});
}

TEST_CASE("take_within_budget skips what would break a limit and stops at the garbage target",
          "[policy][budget]") {
  const std::vector<segment_usage> ranked{row(1, 100, 10), row(2, 300, 10), row(3, 100, 50),
                                          row(4, 100, 20)};
  cleaning_budget read_limit;
  read_limit.max_read = 250;
  auto a = take_within_budget(ranked, read_limit);
  CHECK(a == std::vector<segment_id>{{0, 1}, {0, 3}});  // 2 is too big; 4 would pass 250
  cleaning_budget write_limit;
  write_limit.max_write = 30;
  CHECK(take_within_budget(ranked, write_limit) == std::vector<segment_id>{{0, 1}, {0, 2}});
  cleaning_budget garbage;
  garbage.garbage_target = 90;
  CHECK(take_within_budget(ranked, garbage) == std::vector<segment_id>{{0, 1}});
}

TEST_CASE("cut_to_target keeps the shortest prefix that reaches the target utilization",
          "[policy][target]") {
  // 4 segments of 100: live 100, 100, 20, 20 -> 240 / 400 = 0.6 now.
  const std::vector<segment_usage> t{row(1, 100, 100), row(2, 100, 100), row(3, 100, 20),
                                     row(4, 100, 20)};
  const std::vector<segment_id> victims{{0, 3}, {0, 4}};
  // After cleaning 3: 240 / 320 = 0.75; after 4 as well: 240 / 240 = 1.
  CHECK(cut_to_target(t, victims, 0.7) == std::vector<segment_id>{{0, 3}});
  CHECK(cut_to_target(t, victims, 0.8) == victims);
  CHECK(cut_to_target(t, victims, 0.5).empty());  // already there
  CHECK(cut_to_target(t, victims, 1.0) == victims);
  CHECK(default_target_utilization == 0.8);
}

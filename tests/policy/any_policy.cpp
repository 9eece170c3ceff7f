// SPDX-License-Identifier: BSL-1.0
// any_policy: holds any cleaning_policy and forwards select, placement (with and
// without a scale) and name to it; copies share the held policy.
#include <catch2/catch.hpp>

#include <vector>

#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/policies.hpp"

using namespace cloudlog;

namespace {
struct scaled_policy {
  std::vector<segment_id> select(std::span<const segment_usage>) const { return {{0, 9}}; }
  std::uint32_t placement(std::uint64_t) const { return 1; }
  std::uint32_t placement(std::uint64_t, std::uint64_t scale) const {
    return static_cast<std::uint32_t>(scale + 100);
  }
  std::string_view name() const { return "scaled"; }
};
}  // namespace

TEST_CASE("any_policy answers exactly as the policy it holds", "[policy][any_policy]") {
  const std::vector<segment_usage> table{
      {{0, 1}, 100, 90, 1}, {{0, 2}, 100, 10, 8}, {{0, 3}, 100, 50, 2}};
  const greedy_policy greedy{};
  const any_policy any = greedy;
  CHECK(any.select(table) == greedy.select(table));
  CHECK(any.name() == "greedy");
  for (std::uint64_t age : {1, 2, 5, 100}) {
    CHECK(any.placement(age) == greedy.placement(age));
    CHECK(any.placement(age, 3) == greedy.placement(age));  // no scaled member
  }
  const any_policy threshold = threshold_policy{0.3};
  CHECK(threshold.select(table) == std::vector<segment_id>{{0, 2}});
  CHECK(threshold.name() == "threshold");
}

TEST_CASE("any_policy forwards a scaled placement and copies share the policy",
          "[policy][any_policy]") {
  const any_policy a = scaled_policy{};
  const any_policy b = a;  // NOLINT: the copy is the point
  CHECK(b.placement(5) == 1);
  CHECK(b.placement(5, 7) == 107);
  CHECK(b.select({}) == std::vector<segment_id>{{0, 9}});
  CHECK(b.name() == "scaled");
  STATIC_REQUIRE(cleaning_policy<any_policy>);
}

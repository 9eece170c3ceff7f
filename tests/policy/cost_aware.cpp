// SPDX-License-Identifier: BSL-1.0
// The cost model (policy/cost_model.hpp) and the cost-aware policy: prices, the
// price file, and a policy that declines to clean where cleaning costs more than
// it saves.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "cloudlog/policy/cost_aware.hpp"
#include "cloudlog/policy/cost_model.hpp"

using namespace cloudlog;

TEST_CASE("price() charges requests per 1,000, transfer per GB, and saves storage per GB-month",
          "[policy][cost]") {
  price_table p;
  pass_usage u;
  u.put_list_requests = 2000;
  u.get_requests = 10000;
  u.delete_requests = 500;
  u.bytes_read = 3'000'000'000;
  u.bytes_saved = 10'000'000'000;
  auto c = price(u, p);
  CHECK(c.requests_usd == Approx(2 * 0.005 + 10 * 0.0004));
  CHECK(c.transfer_usd == 0);  // in-region by default
  CHECK(c.storage_saved_usd_per_month == Approx(10 * 0.023));
  CHECK(c.payback_days == Approx((0.01 + 0.004) / 0.23 * 30));
  p.transfer_out_gb = 0.09;
  CHECK(price(u, p).transfer_usd == Approx(3 * 0.09));
  u.bytes_saved = -5;
  CHECK(std::isinf(price(u, p).payback_days));
}

TEST_CASE("a price file overrides the defaults; anything else is refused", "[policy][cost]") {
  auto p = parse_price_table(
      "# mine\nstorage_class = STANDARD_IA\nget_per_1000 = 0.001 # comment\n"
      "storage_gb_month.ARCHIVE = 0.002\n\n");
  REQUIRE(p);
  CHECK(p->storage_class == "STANDARD_IA");
  CHECK(p->storage_price().value() == 0.0125);
  CHECK(p->get_per_1000 == 0.001);
  CHECK(p->put_list_per_1000 == 0.005);
  CHECK(p->storage_gb_month.at("ARCHIVE") == 0.002);
  for (auto bad : {"nonsense = 1\n", "get_per_1000 = -1\n", "get_per_1000 = 1x\n",
                   "storage_class = NOPE\n", "just words\n"}) {
    INFO(bad);
    CHECK(parse_price_table(bad).error() == errc::invalid_argument);
  }
}

TEST_CASE("the cost-aware policy obeys the cleaning_policy laws", "[policy][cost]") {
  std::mt19937_64 rng(7);
  const cleaning_budget tight{64 << 20, 16 << 20, cleaning_budget::unlimited};
  for (const auto& policy :
       {cost_aware_policy{}, cost_aware_policy{{}, 30, 1 << 20, 4 << 20, tight}}) {
    for (int round = 0; round < 100; ++round) {
      std::vector<segment_usage> table;
      const auto n = rng() % 50;
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t size = 1 + rng() % (64u << 20);
        table.push_back({{0, i}, size, rng() % (size + 1), 1 + rng() % 50});
      }
      const auto victims = policy.select(table);
      std::set<segment_id> seen;
      std::uint64_t read = 0, write = 0;
      for (const auto& v : victims) {
        CHECK(seen.insert(v).second);
        const auto& row = table[v.sequence];
        CHECK(row.live > 0);
        CHECK(row.live < row.size);
        CHECK(policy.net_usd(row) > 0);
        read += row.size;
        write += row.live;
      }
      CHECK(read <= policy.budget.max_read);
      CHECK(write <= policy.budget.max_write);
      CHECK(policy.select(table) == victims);
    }
  }
}

TEST_CASE("the cost-aware policy declines segments whose cleaning costs more than it saves",
          "[policy][cost]") {
  // A small store of 4 MiB segments (S3 Standard, in-region, 30 days): the
  // half-empty segment frees 2 MiB ($0.000048/month) for 2 GETs and half a PUT
  // ($0.0000033): cleaned. The 99%-full one frees 42 KB ($0.000001) for 4 GETs
  // and a PUT ($0.0000066): declined, though greedy would take it.
  const std::vector<segment_usage> table{{{0, 1}, 4u << 20, 2u << 20, 3},
                                         {{0, 2}, 4u << 20, (4u << 20) - 42'000, 3}};
  cost_aware_policy policy;
  CHECK(policy.net_usd(table[0]) > 0);
  CHECK(policy.net_usd(table[1]) < 0);
  CHECK(policy.select(table) == std::vector<segment_id>{{0, 1}});
  // Out of the region, transfer makes even the half-empty one not worth it over a
  // day's horizon.
  cost_aware_policy far;
  far.prices.transfer_out_gb = 0.09;
  far.horizon_days = 1;
  CHECK(far.select(table).empty());
}

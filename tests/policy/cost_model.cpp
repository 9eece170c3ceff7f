// SPDX-License-Identifier: BSL-1.0
// policy/cost_model.hpp: the default price table, price files over it (and what
// they refuse), and a pass priced from its usage.
#include <catch2/catch.hpp>

#include "cloudlog/policy/cost_model.hpp"

using namespace cloudlog;

TEST_CASE("The default prices are S3 Standard's; a price file overrides some of them",
          "[policy][cost_model]") {
  const price_table d;
  CHECK(d.storage_price().value() == Approx(0.023));
  auto p = parse_price_table(
      "# a comment\n"
      "storage_class = STANDARD_IA\n"
      "get_per_1000 = 0.001   # inline comment\n"
      "\n"
      "storage_gb_month.STANDARD_IA = 0.02\n");
  REQUIRE(p);
  CHECK(p->storage_class == "STANDARD_IA");
  CHECK(p->storage_price().value() == Approx(0.02));
  CHECK(p->get_per_1000 == Approx(0.001));
  CHECK(p->put_list_per_1000 == Approx(d.put_list_per_1000));  // untouched
}

TEST_CASE("A price file with an unknown key, a bad number or an unpriced class is refused",
          "[policy][cost_model]") {
  for (const char* bad : {"colour = 1\n", "get_per_1000 = cheap\n", "get_per_1000 = -1\n",
                          "get_per_1000 = 1x\n", "get_per_1000\n", "storage_class = MOON\n"}) {
    INFO(bad);
    CHECK(parse_price_table(bad).error() == errc::invalid_argument);
  }
}

TEST_CASE("A pass is priced from its requests, transfer and storage saved",
          "[policy][cost_model]") {
  price_table prices;
  prices.transfer_out_gb = 0.09;
  pass_usage u;
  u.put_list_requests = 2000;
  u.get_requests = 10000;
  u.delete_requests = 500;
  u.bytes_read = 2'000'000'000;
  u.bytes_saved = 10'000'000'000;
  const auto c = price(u, prices);
  CHECK(c.requests_usd == Approx(2 * 0.005 + 10 * 0.0004));
  CHECK(c.transfer_usd == Approx(2 * 0.09));
  CHECK(c.storage_saved_usd_per_month == Approx(10 * 0.023));
  CHECK(c.payback_days == Approx((c.requests_usd + c.transfer_usd) / (10 * 0.023) * 30));
  u.bytes_saved = -5;
  CHECK(price(u, prices).payback_days == std::numeric_limits<double>::infinity());
}

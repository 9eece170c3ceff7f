// SPDX-License-Identifier: BSL-1.0
// read_cost.hpp: the two cost models, and read_cost_of: a store's own model when
// it declares one (remote stores), forwarded by decorators, else the local one;
// request_launch, derived from it.
#include <catch2/catch.hpp>

#include <future>

#include "cloudlog/backend/caching_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/simple_store.hpp"

using namespace cloudlog;

TEST_CASE("A store's read cost is its own, forwarded through decorators, else local's",
          "[backend][read_cost]") {
  STATIC_REQUIRE(local_read_cost.request_bytes == 16u << 10);
  STATIC_REQUIRE(remote_read_cost.request_bytes == 1u << 20);
  STATIC_REQUIRE(local_read_cost.max_waste == 0.10);
  // Neither fans a fetch out beyond the planner's own (measured: no gain on s3rver).
  STATIC_REQUIRE(local_read_cost.fan_out == 1);
  STATIC_REQUIRE(remote_read_cost.fan_out == 1);
  // A fetch nothing overlaps (a walk level, the first relocation batch): all of it in
  // flight at once where a request is a round trip; the planner's own on a local store.
  STATIC_REQUIRE(local_read_cost.level_fan_out == 1);
  STATIC_REQUIRE(remote_read_cost.level_fan_out == 8);
  STATIC_REQUIRE(read_cost_of<memory_store>() == local_read_cost);
  STATIC_REQUIRE(read_cost_of<file_store>() == local_read_cost);
  STATIC_REQUIRE(read_cost_of<simple_store>() == remote_read_cost);
  STATIC_REQUIRE(read_cost_of<retrying_store<simple_store&>>() == remote_read_cost);
  STATIC_REQUIRE(read_cost_of<caching_store<retrying_store<simple_store&>>>() == remote_read_cost);
  STATIC_REQUIRE(read_cost_of<retrying_store<memory_store>>() == local_read_cost);
  STATIC_REQUIRE(read_cost_model{} == local_read_cost);
  STATIC_REQUIRE_FALSE(read_cost_model{1, 0.5} == local_read_cost);
}

TEST_CASE("Independent requests start at once only where a request is a round trip",
          "[backend][read_cost]") {
  STATIC_REQUIRE(request_launch<memory_store>() == std::launch::deferred);
  STATIC_REQUIRE(request_launch<file_store>() == std::launch::deferred);
  STATIC_REQUIRE(request_launch<retrying_store<memory_store>>() == std::launch::deferred);
  STATIC_REQUIRE(request_launch<simple_store>() == std::launch::async);
  STATIC_REQUIRE(request_launch<caching_store<retrying_store<simple_store&>>>() ==
                 std::launch::async);
}

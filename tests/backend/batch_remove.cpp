// SPDX-License-Identifier: BSL-1.0
// batch_remove.hpp: the batch_removable concept (models, decorators that keep
// it, near misses) and remove_batch, which checks every name before deleting any.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "backend/conformance.hpp"
#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/caching_store.hpp"
#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/simple_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "support/archetypes.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {
const retry_policy quick{5, 1ms, 4ms};
const std::string a = "log-00000000-00000001", b = "log-00000000-00000002",
                  c = "log-00000000-00000003";
}  // namespace

namespace {
// batch_removable near misses: one requirement wrong each.
struct remove_many_returns_bool : test::store_archetype {
  bool remove_many(std::span<const std::string>) { return false; }
};
struct remove_many_takes_views : test::store_archetype {
  result<void> remove_many(std::span<const std::string_view>) { return {}; }
};
struct batch_remove_archetype : test::store_archetype {
  result<void> remove_many(std::span<const std::string>) { return fail(errc::io_error); }
};
}  // namespace

TEST_CASE("decorators satisfy segment_store and keep batch abilities", "[remote][decorators]") {
  STATIC_REQUIRE(segment_store<retrying_store<memory_store>>);
  STATIC_REQUIRE(segment_store<stats_store<memory_store&>>);
  STATIC_REQUIRE(segment_store<caching_store<memory_store&>>);
  STATIC_REQUIRE(segment_store<fault_injecting_store<memory_store&>>);
  STATIC_REQUIRE(batch_readable<retrying_store<simple_store&>>);
  STATIC_REQUIRE(batch_readable<caching_store<retrying_store<memory_store>>>);
  STATIC_REQUIRE(segment_store<stats_store<caching_store<fault_injecting_store<memory_store&>>>>);
  STATIC_REQUIRE_FALSE(batch_removable<stats_store<memory_store&>>);
  STATIC_REQUIRE(batch_removable<batch_remove_archetype>);
  STATIC_REQUIRE(batch_removable<stats_store<batch_remove_archetype>>);
  STATIC_REQUIRE(batch_removable<retrying_store<batch_remove_archetype&>>);
  STATIC_REQUIRE(batch_removable<caching_store<batch_remove_archetype>>);
  STATIC_REQUIRE_FALSE(batch_removable<remove_many_returns_bool>);
  STATIC_REQUIRE_FALSE(batch_removable<remove_many_takes_views>);
  STATIC_REQUIRE_FALSE(batch_removable<test::store_archetype>);
}

TEST_CASE("remove_batch checks every name before deleting anything", "[remote][decorators]") {
  memory_store inner;
  REQUIRE(inner.write(a, test::pattern(1, 1)));
  REQUIRE(inner.write(b, test::pattern(1, 1)));
  std::vector<std::string> names{a, "../../etc/passwd", b};
  CHECK(remove_batch(inner, names).error() == errc::invalid_name);
  CHECK(inner.list(0).value().size() == 2);
  names.erase(names.begin() + 1);
  REQUIRE(remove_batch(inner, names));
  CHECK(inner.list(0).value().empty());
}

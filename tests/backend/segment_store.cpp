// SPDX-License-Identifier: BSL-1.0
// The segment_store concept: every model satisfies it, each near miss (one
// requirement missing) does not.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "backend/conformance.hpp"
#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "support/archetypes.hpp"
#include "support/dump_txt.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;

TEST_CASE("segment_store: models satisfy it and near misses do not", "[backend][concept]") {
  STATIC_REQUIRE(segment_store<memory_store>);
  STATIC_REQUIRE(segment_store<file_store>);
  STATIC_REQUIRE(segment_store<fault_injecting_store<memory_store>>);
  STATIC_REQUIRE(segment_store<fault_injecting_store<file_store&>>);
  STATIC_REQUIRE(segment_store<test::store_archetype>);
  STATIC_REQUIRE_FALSE(segment_store<test::store_without_list>);
  STATIC_REQUIRE_FALSE(segment_store<test::store_without_ranged_read>);
  STATIC_REQUIRE_FALSE(segment_store<test::store_with_throwing_write>);
  STATIC_REQUIRE_FALSE(segment_store<test::store_without_remove>);
}

TEST_CASE("readable_into: stores that read into the caller's buffers, and near misses",
          "[backend][concept]") {
  STATIC_REQUIRE(readable_into<file_store>);
  STATIC_REQUIRE(readable_into<stats_store<file_store&>>);
  STATIC_REQUIRE(readable_into<test::store_reading_into_archetype>);
  STATIC_REQUIRE_FALSE(readable_into<test::store_archetype>);
  STATIC_REQUIRE_FALSE(readable_into<test::store_reading_into_nothing>);
  STATIC_REQUIRE_FALSE(readable_into<memory_store>);  // optional: read_batch_into serves it
  STATIC_REQUIRE_FALSE(readable_into<stats_store<memory_store&>>);
}

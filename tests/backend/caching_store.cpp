// SPDX-License-Identifier: BSL-1.0
// caching_store: the segment_store laws (whole-object fetches or not, verifying
// first hits only); repeated reads served locally across restarts, verification on
// reuse, LRU eviction, invalidation on write and remove, junk cleaned on open
// (subdirectories left alone).
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

template class cloudlog::caching_store<cloudlog::test::store_archetype>;

namespace {
const retry_policy quick{5, 1ms, 4ms};
const std::string a = "log-00000000-00000001", b = "log-00000000-00000002",
                  c = "log-00000000-00000003";
}  // namespace

TEST_CASE("caching_store obeys the segment_store laws", "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store inner;
  auto store = make_caching_store(inner, {dir.path() / "cache", 1 << 20}).value();
  test::check_segment_store_laws(store);
}

TEST_CASE("caching_store without whole-object fetches obeys the segment_store laws",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store inner;
  auto store = make_caching_store(inner, {dir.path(), 64 << 20, false}).value();
  test::check_segment_store_laws(store);
}

TEST_CASE("caching_store verifying only first hits obeys the segment_store laws",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store inner;
  cache_options o{dir.path(), 64 << 20};
  o.verify_every_hit = false;
  auto store = make_caching_store(inner, o).value();
  test::check_segment_store_laws(store);
}

TEST_CASE("caching_store verifying first hits still catches damage done between runs",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store backing;
  stats_store inner(backing);
  REQUIRE(backing.write(a, test::pattern(3000, 1)));
  cache_options o{dir.path(), 1 << 20};
  o.verify_every_hit = false;
  {
    auto store = make_caching_store(inner, o).value();
    REQUIRE(store.read(a, 0, 1));
    const auto p = test::pattern(3000, 1);
    CHECK(store.read(a, 2000, 10).value() == bytes(p.begin() + 2000, p.begin() + 2010));
  }
  {
    std::fstream f(dir.path() / a, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2500);
    f.put('\x01');
  }
  auto store = make_caching_store(inner, o).value();
  CHECK(store.read(a, 0, whole_object).value() == test::pattern(3000, 1));
  CHECK(store.counters().corrupted == 1);
  CHECK(inner.stats().get.requests == 2);
}

TEST_CASE("caching_store serves repeated reads locally and survives a restart",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store backing;
  stats_store inner(backing);
  REQUIRE(backing.write(a, test::pattern(1000, 1)));
  {
    auto store = make_caching_store(inner, {dir.path(), 1 << 20}).value();
    const auto p = test::pattern(1000, 1);
    CHECK(store.read(a, 10, 10).value() == bytes(p.begin() + 10, p.begin() + 20));
    CHECK(store.read(a, 500, 5).value().size() == 5);
    CHECK(store.read(a, 0, whole_object).value() == test::pattern(1000, 1));
    CHECK(store.read(a, 1001, 1).error() == errc::out_of_range);
    CHECK(inner.stats().get.requests == 1);  // one whole-object fetch served all of them
    CHECK(store.counters().hits == 3);
  }
  auto again = make_caching_store(inner, {dir.path(), 1 << 20}).value();
  CHECK(again.counters().entries == 1);
  CHECK(again.read(a, 0, whole_object).value() == test::pattern(1000, 1));
  CHECK(inner.stats().get.requests == 1);
}

TEST_CASE("caching_store verifies size and SHA-256 on reuse and refetches a damaged entry",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store backing;
  stats_store inner(backing);
  REQUIRE(backing.write(a, test::pattern(1000, 1)));
  REQUIRE(backing.write(b, test::pattern(1000, 2)));
  auto store = make_caching_store(inner, {dir.path(), 1 << 20}).value();
  REQUIRE(store.read(a, 0, 1));
  REQUIRE(store.read(b, 0, 1));
  {  // same size, one byte flipped
    std::fstream f(dir.path() / a, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('\x7f');
  }
  std::filesystem::resize_file(dir.path() / b, 10);  // truncated
  CHECK(store.read(a, 0, whole_object).value() == test::pattern(1000, 1));
  CHECK(store.read(b, 0, whole_object).value() == test::pattern(1000, 2));
  CHECK(store.counters().corrupted == 2);
  CHECK(inner.stats().get.requests == 4);
  CHECK(test::read_file(dir.path() / a) == test::pattern(1000, 1));  // repaired
}

TEST_CASE("caching_store evicts the least recently used entries to stay in bounds",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store backing;
  for (auto n : {a, b, c}) REQUIRE(backing.write(n, test::pattern(100, 1)));
  stats_store inner(backing);
  auto store = make_caching_store(inner, {dir.path(), 250}).value();
  REQUIRE(store.read(a, 0, 1));
  REQUIRE(store.read(b, 0, 1));
  REQUIRE(store.read(a, 0, 1));  // a is now more recent than b
  REQUIRE(store.read(c, 0, 1));  // evicts b
  const auto k = store.counters();
  CHECK(k.evictions == 1);
  CHECK(k.entries == 2);
  CHECK(k.bytes == 200);
  CHECK(!std::filesystem::exists(dir.path() / b));
  const auto before = inner.stats().get.requests;
  REQUIRE(store.read(a, 0, 1));
  REQUIRE(store.read(c, 0, 1));
  CHECK(inner.stats().get.requests == before);
  REQUIRE(store.read(b, 0, 1));
  CHECK(inner.stats().get.requests == before + 1);
}

TEST_CASE("caching_store drops an entry on write and remove, and cleans junk on open",
          "[remote][decorators][cache]") {
  test::temp_dir dir;
  memory_store inner;
  {
    auto store = make_caching_store(inner, {dir.path(), 1 << 20}).value();
    REQUIRE(store.write(a, test::pattern(10, 1)));
    REQUIRE(store.read(a, 0, 1));
    REQUIRE(store.write(a, test::pattern(20, 2)));
    CHECK(store.read(a, 0, whole_object).value() == test::pattern(20, 2));
    REQUIRE(store.remove(a));
    CHECK(store.read(a, 0, 1).error() == errc::not_found);
    CHECK(store.counters().entries == 0);
  }
  std::ofstream(dir.path() / "log-00000000-00000009.tmp-abcdef") << "partial";
  std::ofstream(dir.path() / c) << "no metadata";
  std::ofstream(dir.path() / (b + ".meta")) << "12 deadbeef\n";
  // A subdirectory is not the cache's (the cleaner keeps its usage index's local
  // copy in one): left alone.
  const auto kept = dir.path() / "usage-index" / "log-99999998-00000001";
  std::filesystem::create_directories(kept.parent_path());
  std::ofstream(kept) << "not the cache's";
  auto store = make_caching_store(inner, {dir.path(), 1 << 20}).value();
  CHECK(std::filesystem::exists(kept));
  std::filesystem::remove_all(kept.parent_path());
  CHECK(std::filesystem::is_empty(dir.path()));
}

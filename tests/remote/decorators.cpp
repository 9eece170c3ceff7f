// SPDX-License-Identifier: BSL-1.0
// The store decorators — retrying_store, stats_store, caching_store and the
// network-style faults of fault_injecting_store — each against the segment_store
// laws (over memory; over a real simple_store_server in simple_store.cpp) and its own
// promises. Needs no server: built and run whatever the examples option says.
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

// Compile-only: every decorator instantiated, every member, over the least store there is.
template class cloudlog::retrying_store<cloudlog::test::store_archetype>;
template class cloudlog::stats_store<cloudlog::test::store_archetype>;
template class cloudlog::caching_store<cloudlog::test::store_archetype>;
template class cloudlog::fault_injecting_store<cloudlog::test::store_archetype>;

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

const retry_policy quick{5, 1ms, 4ms};
const std::string a = "log-00000000-00000001", b = "log-00000000-00000002",
                  c = "log-00000000-00000003";
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

TEST_CASE("retrying_store obeys the segment_store laws", "[remote][decorators][retry]") {
  memory_store inner;
  retrying_store store(inner, quick);
  test::check_segment_store_laws(store);
}

TEST_CASE("stats_store obeys the segment_store laws", "[remote][decorators][stats]") {
  memory_store inner;
  stats_store store(inner);
  test::check_segment_store_laws(store);
}

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

TEST_CASE("fault_injecting_store with network faults cleared obeys the segment_store laws",
          "[remote][decorators][fault]") {
  memory_store inner;
  fault_injecting_store store(inner);
  store.drop_before(3);
  store.drop_after(5);
  store.delay(1ms);
  store.heal();
  test::check_segment_store_laws(store);
}

TEST_CASE("retrying_store retries lost requests and lost answers until the call succeeds",
          "[remote][decorators][retry]") {
  memory_store inner;
  fault_injecting_store faulty(inner);
  retrying_store store(faulty, quick);
  faulty.drop_before(1);
  faulty.drop_after(2);
  REQUIRE(store.write(a, test::pattern(10, 1)));  // calls 1 (lost), 2 (done, answer lost), 3
  CHECK(faulty.calls() == 3);
  CHECK(store.retries() == 2);
  CHECK(inner.read(a, 0, whole_object).value() == test::pattern(10, 1));
  faulty.drop_after(4);
  REQUIRE(store.remove(a));  // the lost answer of a done remove: the retry finds nothing, fine
  CHECK(faulty.calls() == 5);
  CHECK(inner.read(a, 0, whole_object).error() == errc::not_found);
}

TEST_CASE("retrying_store gives up after max_attempts and never retries final errors",
          "[remote][decorators][retry]") {
  memory_store inner;
  fault_injecting_store faulty(inner);
  retrying_store store(faulty, retry_policy{3, 1ms, 2ms});
  // A crash (injected_fault) is final: one attempt.
  faulty.fail_call(1);
  CHECK(store.write(a, test::pattern(1, 1)).error() == errc::injected_fault);
  CHECK(faulty.calls() == 1);
  // not_found is final too.
  CHECK(store.read(b, 0, 1).error() == errc::not_found);
  CHECK(faulty.calls() == 2);
  // A fault every time: exactly max_attempts calls, then the last error.
  faulty.crash_after(2);
  retrying_store crashy(faulty, retry_policy{3, 1ms, 2ms},
                        [](std::error_code ec) { return ec == errc::injected_fault; });
  CHECK(crashy.list(0).error() == errc::injected_fault);
  CHECK(faulty.calls() == 5);
  CHECK(inner.list(0).value().empty());
}

TEST_CASE("retrying_store retries only the failed reads of a batch",
          "[remote][decorators][retry]") {
  memory_store inner;
  REQUIRE(inner.write(a, test::pattern(10, 1)));
  REQUIRE(inner.write(b, test::pattern(10, 2)));
  fault_injecting_store faulty(inner);
  retrying_store store(faulty, quick);
  faulty.drop_before(2);
  std::vector<read_request> reqs{{a, 0, 5}, {b, 0, 5}, {c, 0, 5}};
  auto r = store.read_many(reqs);
  const auto pa = test::pattern(10, 1), pb = test::pattern(10, 2);
  CHECK(r[0].value() == bytes(pa.begin(), pa.begin() + 5));
  CHECK(r[1].value() == bytes(pb.begin(), pb.begin() + 5));
  CHECK(r[2].error() == errc::not_found);
  CHECK(faulty.calls() == 4);  // three reads, and the lost one again
}

TEST_CASE("backoff grows exponentially with jitter and stays under its cap",
          "[remote][decorators][retry]") {
  const retry_policy p{10, 100ms, 1000ms};
  for (int i = 0; i < 50; ++i) {
    const auto d1 = backoff_delay(p, 1), d3 = backoff_delay(p, 3), d9 = backoff_delay(p, 9);
    CHECK((d1 >= 50ms && d1 <= 100ms));
    CHECK((d3 >= 200ms && d3 <= 400ms));
    CHECK((d9 >= 500ms && d9 <= 1000ms));
  }
}

TEST_CASE("stats_store counts requests and bytes per kind", "[remote][decorators][stats]") {
  memory_store inner;
  stats_store store(inner);
  REQUIRE(store.write(a, test::pattern(100, 1)));
  REQUIRE(store.write(b, test::pattern(50, 2)));
  REQUIRE(store.read(a, 10, 20));
  CHECK(!store.read(c, 0, 1));
  std::vector<read_request> reqs{{a}, {b, 0, 7}};
  store.read_many(reqs);
  REQUIRE(store.list(0).value().size() == 2);
  REQUIRE(store.remove(b));
  const auto s = store.stats();
  CHECK(s.put == request_counts{2, 0, 150});
  CHECK(s.get == request_counts{4, 1, 20 + 100 + 7});
  CHECK(s.list == request_counts{1, 0, 2});
  CHECK(s.remove == request_counts{1, 0, 1});
  store.reset();
  CHECK(store.stats() == store_stats{});
}

namespace {
// A memory store that deletes in batches of at most 1000 names, as S3 does.
struct batched_memory_store : memory_store {
  static constexpr std::size_t max_batch_remove = 1000;
  std::uint64_t calls = 0;
  result<void> remove_many(std::span<const std::string> names) {
    ++calls;
    for (const auto& n : names) CLOUDLOG_TRY_VOID(remove(n));
    return {};
  }
};
}  // namespace

TEST_CASE("stats_store counts a batch delete as the requests it takes on the wire",
          "[remote][decorators][stats]") {
  STATIC_REQUIRE(batch_remove_limit<memory_store>() == std::numeric_limits<std::size_t>::max());
  STATIC_REQUIRE(batch_remove_limit<batched_memory_store>() == 1000);
  STATIC_REQUIRE(batch_remove_limit<stats_store<retrying_store<batched_memory_store&>>>() == 1000);
  STATIC_REQUIRE(remove_many_requests<batched_memory_store>(0) == 0);
  STATIC_REQUIRE(remove_many_requests<batched_memory_store>(1000) == 1);
  STATIC_REQUIRE(remove_many_requests<batched_memory_store>(1001) == 2);
  batched_memory_store inner;
  stats_store store(inner);
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < 2500; ++i) {
    names.push_back(segment_name({0, i}).value());
    REQUIRE(inner.write(names.back(), test::pattern(1, i)));
  }
  REQUIRE(remove_batch(store, names));
  CHECK(store.stats().remove == request_counts{3, 0, 2500});
  CHECK(inner.list(0).value().empty());
  // A store without a limit (file_store's case): one call, one request; a failed
  // call is one failed request.
  stats_store<batch_remove_archetype> failing(batch_remove_archetype{});
  CHECK(!failing.remove_many(names));
  CHECK(failing.stats().remove == request_counts{1, 1, 0});
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
  auto store = make_caching_store(inner, {dir.path(), 1 << 20}).value();
  CHECK(std::filesystem::is_empty(dir.path()));
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

TEST_CASE("fault_injecting_store delays every call when told to", "[remote][decorators][fault]") {
  memory_store inner;
  fault_injecting_store store(inner);
  store.delay(30ms);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(store.list(0));
  REQUIRE(store.list(0));
  CHECK(std::chrono::steady_clock::now() - t0 >= 60ms);
  store.heal();
  store.drop_after(3);
  CHECK(store.write(a, test::pattern(1, 1)).error() == errc::io_error);
  CHECK(inner.read(a, 0, 1).has_value());  // the work was done; only the answer was lost
}

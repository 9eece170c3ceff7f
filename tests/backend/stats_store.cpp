// SPDX-License-Identifier: BSL-1.0
// stats_store: the segment_store laws; requests and bytes counted per kind, a
// batch delete counted as the requests it takes on the wire.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "backend/conformance.hpp"
#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/caching_store.hpp"
#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/simple_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "support/archetypes.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

template class cloudlog::stats_store<cloudlog::test::store_archetype>;

namespace {
const retry_policy quick{5, 1ms, 4ms};
const std::string a = "log-00000000-00000001", b = "log-00000000-00000002",
                  c = "log-00000000-00000003";
}  // namespace

TEST_CASE("stats_store obeys the segment_store laws", "[remote][decorators][stats]") {
  memory_store inner;
  stats_store store(inner);
  test::check_segment_store_laws(store);
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

TEST_CASE("stats_store counts a read_many_into as the reads and the bytes read",
          "[remote][decorators][stats]") {
  test::temp_dir dir;
  auto inner = file_store::open(dir.path()).value();
  stats_store store(inner);
  STATIC_REQUIRE(readable_into<decltype(store)>);
  REQUIRE(store.write(a, test::pattern(100, 1)));
  std::vector<read_request> reqs{{a, 90, 20}, {c, 0, 1}, {a, 0, 7}};
  bytes memory(40);
  const std::vector<mutable_byte_view> into{mutable_byte_view(memory).first(20),
                                            mutable_byte_view(memory).subspan(20, 1),
                                            mutable_byte_view(memory).subspan(21, 7)};
  const auto r = store.read_many_into(reqs, into);
  REQUIRE(r.size() == 3);
  CHECK(r[0].value() == 10);
  CHECK(r[1].error() == errc::not_found);
  CHECK(r[2].value() == 7);
  CHECK(store.stats().get == request_counts{3, 1, 17});
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
// A store whose batch deletes always fail.
struct batch_remove_archetype : test::store_archetype {
  result<void> remove_many(std::span<const std::string>) { return fail(errc::io_error); }
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

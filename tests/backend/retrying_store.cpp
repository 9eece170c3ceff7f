// SPDX-License-Identifier: BSL-1.0
// retrying_store: the segment_store laws; retries of lost requests and answers,
// giving up after max_attempts, never retrying final errors, batches, backoff.
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

template class cloudlog::retrying_store<cloudlog::test::store_archetype>;

namespace {
const retry_policy quick{5, 1ms, 4ms};
const std::string a = "log-00000000-00000001", b = "log-00000000-00000002",
                  c = "log-00000000-00000003";
}  // namespace

TEST_CASE("retrying_store obeys the segment_store laws", "[remote][decorators][retry]") {
  memory_store inner;
  retrying_store store(inner, quick);
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

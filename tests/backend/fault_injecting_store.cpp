// SPDX-License-Identifier: BSL-1.0
// fault_injecting_store: with no faults it obeys the segment_store laws; it fails
// exactly the calls it is told to.
#include <catch2/catch.hpp>

#include <chrono>

#include <filesystem>
#include <fstream>

#include "backend/conformance.hpp"
#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "support/archetypes.hpp"
#include "support/dump_txt.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

template class cloudlog::fault_injecting_store<cloudlog::test::store_archetype>;

namespace {
const std::string a = "log-00000000-00000001";
}  // namespace

TEST_CASE("fault_injecting_store with no faults set obeys the segment_store laws",
          "[backend][fault]") {
  memory_store inner;
  fault_injecting_store store(inner);
  test::check_segment_store_laws(store);
}

TEST_CASE("fault_injecting_store fails exactly the calls it is told to", "[backend][fault]") {
  memory_store inner;
  fault_injecting_store store(inner);
  store.fail_call(2);
  CHECK(store.write("log-00000000-00000001", test::pattern(1, 1)).has_value());
  CHECK(store.write("log-00000000-00000002", test::pattern(1, 1)).error() == errc::injected_fault);
  CHECK(store.list(0).value().size() == 1);  // the failed write reached nothing
  store.crash_after(4);
  CHECK(store.read("log-00000000-00000001", 0, whole_object).has_value());  // call 4
  CHECK(store.read("log-00000000-00000001", 0, whole_object).error() == errc::injected_fault);
  CHECK(store.remove("log-00000000-00000001").error() == errc::injected_fault);
  CHECK(inner.list(0).value().size() == 1);
  CHECK(store.injected());
  store.heal();
  CHECK(store.list(0).has_value());
  CHECK(store.calls() == 7);
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

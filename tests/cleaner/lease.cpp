// SPDX-License-Identifier: BSL-1.0
// The cleaner's lease on a memory store with a test clock: acquisition, refusal
// while live, takeover after expiry, renewal, release, the settle-time race.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/lease.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {

// A clock that only moves when something sleeps (or a test advances it). SLEEP_HOOK
// runs during every sleep: a competitor's write lands there.
struct test_clock {
  std::int64_t now = 1'700'000'000'000;
  std::function<void()> sleep_hook;
  lease_clock clock() {
    return {[this] { return now; },
            [this](std::chrono::milliseconds d) {
              now += d.count();
              if (sleep_hook) sleep_hook();
            }};
  }
};

lease_options opts(std::string holder) {
  lease_options o;
  o.holder = std::move(holder);
  o.ttl = 10s;
  o.settle = 1s;
  return o;
}

const std::string lease_name = "log-99999999-00000000";

}  // namespace

TEST_CASE("A lease record round-trips through its text form", "[cleaner][lease]") {
  const lease_record r{"host:42:7", 1'700'000'000'123};
  const auto b = encode_lease(r);
  CHECK(as_chars(b) == "cloudlog-lease 1\nholder host:42:7\nexpires 1700000000123\n");
  CHECK(decode_lease(b).value() == r);
  for (std::string_view bad :
       {"", "cloudlog-lease 2\nholder x\nexpires 1\n", "cloudlog-lease 1\nholder x\nexpires \n",
        "cloudlog-lease 1\nholder x\nexpires 12x\n", "cloudlog-lease 1\nholder x\nexpires 12",
        "cloudlog-lease 1\nholder x"}) {
    INFO(bad);
    CHECK(decode_lease(as_bytes(bad)).error() == make_error_code(errc::corrupt_payload));
  }
}

TEST_CASE("The lease lives at a segment name outside BlueSky's directories", "[cleaner][lease]") {
  CHECK(segment_name(default_lease_segment).value() == lease_name);
  CHECK(check_object_name(lease_name));
  memory_store store;
  test_clock tc;
  auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock());
  REQUIRE(a);
  CHECK(store.list(0).value().empty());
  CHECK(store.list(1).value().empty());
  CHECK(store.list(default_lease_segment.directory).value().size() == 1);
}

TEST_CASE("A live lease refuses a second holder; an expired one is taken over",
          "[cleaner][lease]") {
  memory_store store;
  test_clock tc;
  auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock());
  REQUIRE(a);
  CHECK(a->held());
  CHECK(a->expires_ms() == tc.now + 10'000 - 1'000);  // written before the settle wait
  lease_record seen;
  auto b = store_lease<memory_store>::acquire(store, opts("b"), tc.clock(), &seen);
  REQUIRE_FALSE(b);
  CHECK(b.error() == make_error_code(errc::lease_held));
  CHECK(seen.holder == "a");
  CHECK(seen.expires_ms == a->expires_ms());

  tc.now = a->expires_ms() + 1;  // a crashed: it never renewed
  auto c = store_lease<memory_store>::acquire(store, opts("c"), tc.clock());
  REQUIRE(c);
  // a finds out at its next renewal, and stops believing it holds the lease.
  CHECK(a->renew().error() == make_error_code(errc::lease_held));
  CHECK_FALSE(a->held());
  // a's destructor and release must not remove c's lease.
  CHECK(a->release());
  CHECK(decode_lease(store.read(lease_name, 0, whole_object).value()).value().holder == "c");
}

TEST_CASE("Renewal extends the lease; renew_if_due waits for the last third", "[cleaner][lease]") {
  memory_store store;
  test_clock tc;
  auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock());
  REQUIRE(a);
  const auto first = a->expires_ms();
  tc.now += 1'000;
  REQUIRE(a->renew_if_due());
  CHECK(a->expires_ms() == first);  // 8 s left of 10: not due
  tc.now = first - 3'000;
  REQUIRE(a->renew_if_due());
  CHECK(a->expires_ms() == tc.now + 10'000);
  tc.now = first + 5'000;  // past the first expiry, but renewed: b is still refused
  CHECK(store_lease<memory_store>::acquire(store, opts("b"), tc.clock()).error() ==
        make_error_code(errc::lease_held));
}

TEST_CASE("Release frees the lease at once; the destructor releases too", "[cleaner][lease]") {
  memory_store store;
  test_clock tc;
  {
    auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock());
    REQUIRE(a);
    REQUIRE(a->release());
    CHECK_FALSE(a->held());
    CHECK(store.read(lease_name, 0, whole_object).error() == make_error_code(errc::not_found));
    auto b = store_lease<memory_store>::acquire(store, opts("b"), tc.clock());
    REQUIRE(b);
  }
  CHECK(store.snapshot().empty());
  // The same holder may take its own live lease again (a restarted daemon with a fixed id).
  auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock());
  REQUIRE(a);
  auto again = store_lease<memory_store>::acquire(store, opts("a"), tc.clock());
  CHECK(again);
}

TEST_CASE("A competitor's write during the settle time wins; ours backs off", "[cleaner][lease]") {
  memory_store store;
  test_clock tc;
  tc.sleep_hook = [&] {
    REQUIRE(store.write(lease_name, encode_lease({"rival", tc.now + 10'000})));
  };
  lease_record seen;
  auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock(), &seen);
  REQUIRE_FALSE(a);
  CHECK(a.error() == make_error_code(errc::lease_held));
  CHECK(seen.holder == "rival");
  // ... and did not delete the rival's lease on the way out.
  CHECK(decode_lease(store.read(lease_name, 0, whole_object).value()).value().holder == "rival");
}

TEST_CASE("An unreadable lease object counts as free", "[cleaner][lease]") {
  memory_store store;
  REQUIRE(store.write(lease_name, as_bytes("garbage")));
  test_clock tc;
  CHECK(store_lease<memory_store>::acquire(store, opts("a"), tc.clock()));
}

TEST_CASE("Without a holder name the lease makes a unique one", "[cleaner][lease]") {
  CHECK(unique_holder() != unique_holder());
  memory_store store;
  test_clock tc;
  lease_options o;
  o.settle = 1ms;
  auto a = store_lease<memory_store>::acquire(store, o, tc.clock());
  REQUIRE(a);
  CHECK(a->holder().find(':') != std::string::npos);
}

TEST_CASE("A read-back that fails withdraws our own write (issue 17)", "[cleaner][lease]") {
  memory_store inner;
  fault_injecting_store<memory_store&> store(inner);
  store.fail_call(3);  // 1 read, 2 write, 3 the read-back
  test_clock tc;
  auto a = store_lease<decltype(store)>::acquire(store, opts("a"), tc.clock());
  REQUIRE_FALSE(a);
  CHECK(a.error() == make_error_code(errc::injected_fault));
  CHECK(inner.read(lease_name, 0, whole_object).error() == make_error_code(errc::not_found));
  // So nobody is blocked by a holder that does not exist.
  CHECK(store_lease<decltype(store)>::acquire(store, opts("b"), tc.clock()));
}

TEST_CASE("A read-back that cannot be read at all still removes our write", "[cleaner][lease]") {
  memory_store inner;
  fault_injecting_store<memory_store&> store(inner);
  test_clock tc;
  store.drop_before(3);  // the read-back is lost...
  store.fail_call(4);    // ... and so is the withdrawal's read: our write is the last we know of
  auto a = store_lease<decltype(store)>::acquire(store, opts("a"), tc.clock());
  REQUIRE_FALSE(a);
  CHECK(a.error() == make_error_code(errc::io_error));
  CHECK(inner.read(lease_name, 0, whole_object).error() == make_error_code(errc::not_found));
}

TEST_CASE("A read-back that sees no record refuses and leaves nothing of ours",
          "[cleaner][lease]") {
  memory_store store;
  test_clock tc;
  tc.sleep_hook = [&] { REQUIRE(store.write(lease_name, as_bytes("garbage"))); };
  lease_record seen{"stale", 1};
  auto a = store_lease<memory_store>::acquire(store, opts("a"), tc.clock(), &seen);
  REQUIRE_FALSE(a);
  CHECK(a.error() == make_error_code(errc::lease_held));
  CHECK(seen.holder.empty());  // no holder to name
  tc.sleep_hook = nullptr;
  // The object is not a lease (ours is gone): the next cleaner takes it at once.
  CHECK(store_lease<memory_store>::acquire(store, opts("b"), tc.clock()));
}

TEST_CASE("A zero settle time is refused on a store without atomic create", "[cleaner][lease]") {
  memory_store store;
  test_clock tc;
  auto o = opts("a");
  o.settle = 0ms;
  CHECK(store_lease<memory_store>::acquire(store, o, tc.clock()).error() ==
        make_error_code(errc::invalid_argument));
  CHECK(store.snapshot().empty());
}

namespace {
// A clock that fails the test if anything sleeps (conditional leases never settle).
lease_clock no_sleep_clock(std::int64_t& now) {
  return {[&now] { return now; },
          [](std::chrono::milliseconds) { FAIL("a conditional lease must not settle"); }};
}
}  // namespace

TEST_CASE("On a file store the lease is created atomically, with no settle wait",
          "[cleaner][lease][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  STATIC_REQUIRE(conditional_store<file_store>);
  std::int64_t now = 1'700'000'000'000;
  auto a = store_lease<file_store>::acquire(store, opts("a"), no_sleep_clock(now));
  REQUIRE(a);
  CHECK(a->conditional());
  CHECK(a->expires_ms() == now + 10'000);
  lease_record seen;
  auto b = store_lease<file_store>::acquire(store, opts("b"), no_sleep_clock(now), &seen);
  CHECK(b.error() == make_error_code(errc::lease_held));
  CHECK(seen.holder == "a");
  // a settle of 0 is fine here
  auto o = opts("c");
  o.settle = 0ms;
  CHECK(store_lease<file_store>::acquire(store, o, no_sleep_clock(now)).error() ==
        make_error_code(errc::lease_held));
  // a crashed; c takes over; a's renewal and release then touch nothing of c's.
  now = a->expires_ms() + 1;
  auto c = store_lease<file_store>::acquire(store, o, no_sleep_clock(now));
  REQUIRE(c);
  CHECK(a->renew().error() == make_error_code(errc::lease_held));
  CHECK(a->release());
  CHECK(decode_lease(store.read(lease_name, 0, whole_object).value()).value().holder == "c");
  now += 8'000;
  REQUIRE(c->renew_if_due());
  CHECK(c->expires_ms() == now + 10'000);
  REQUIRE(c->release());
  CHECK(store.read(lease_name, 0, whole_object).error() == make_error_code(errc::not_found));
}

TEST_CASE("Of many cleaners racing for a file store's lease exactly one wins",
          "[cleaner][lease][file]") {
  test::temp_dir dir;
  for (int round = 0; round < 5; ++round) {
    std::vector<file_store> stores;
    for (int i = 0; i < 6; ++i) stores.push_back(file_store::open(dir.path()).value());
    std::atomic<int> ready{0}, won{0}, refused{0};
    std::vector<std::optional<store_lease<file_store>>> held(6);
    std::vector<std::thread> racers;
    for (int i = 0; i < 6; ++i)
      racers.emplace_back([&, i] {
        ++ready;
        while (ready.load() < 6) std::this_thread::yield();
        auto l = store_lease<file_store>::acquire(stores[i], opts("r" + std::to_string(i)),
                                                  lease_clock::system());
        if (l) {
          ++won;
          held[i].emplace(std::move(*l));
        } else if (l.error() == make_error_code(errc::lease_held)) {
          ++refused;
        }
      });
    for (auto& t : racers) t.join();
    CHECK(won == 1);
    CHECK(refused == 5);
    for (auto& h : held)
      if (h) REQUIRE(h->release());
  }
}

// SPDX-License-Identifier: BSL-1.0
// The cleaner's lease on S3: with conditional writes (If-None-Match / If-Match)
// against a loopback server that honours them — no settle wait, a lost race
// refused — and the detected fallback (write, settle, read back) against one
// that ignores them, as s3rver does.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "cloudlog/backend/s3_store.hpp"
#include "cloudlog/cleaner/lease.hpp"
#include "support/conditional_s3.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {

const std::string lease_key = "fs/log-99999999-00000000";

s3_store open_store(const test::conditional_s3_server& server,
                    s3_conditional mode = s3_conditional::detect) {
  s3_options o;
  o.endpoint = server.endpoint();
  o.credentials = {"AKTEST", "not-a-real-secret", ""};
  o.retries = {1, 1ms, 1ms};
  o.proxy_from_environment = false;
  o.conditional_writes = mode;
  return s3_store::open("test-bucket", "fs/", o).value();
}

lease_options opts(std::string holder, std::chrono::milliseconds settle = 1s) {
  lease_options o;
  o.holder = std::move(holder);
  o.ttl = 10s;
  o.settle = settle;
  return o;
}

// Counts sleeps: a conditional lease must never settle.
struct counting_clock {
  std::int64_t now = 1'700'000'000'000;
  int sleeps = 0;
  lease_clock clock() {
    return {[this] { return now; },
            [this](std::chrono::milliseconds d) {
              ++sleeps;
              now += d.count();
            }};
  }
};

}  // namespace

TEST_CASE("s3_store detects whether the server honours conditional writes",
          "[cleaner][lease][s3]") {
  test::conditional_s3_server server;
  auto store = open_store(server);
  CHECK(store.conditional_writes().value());
  const auto after_probe = server.requests();
  CHECK(after_probe == 4);  // create, create again (412), wrong If-Match (412), delete
  CHECK(store.conditional_writes().value());
  CHECK(server.requests() == after_probe);  // probed once
  for (const auto& r : server.seen())       // the scratch object is gone
    CHECK_FALSE(server.get(r.target.substr(std::string("/test-bucket/").size())));

  test::conditional_s3_server ignoring;
  ignoring.honour_conditions(false);
  CHECK_FALSE(open_store(ignoring).conditional_writes().value());
  CHECK_FALSE(open_store(server, s3_conditional::off).conditional_writes().value());
}

TEST_CASE("A conditional S3 lease refuses a second cleaner with no settle delay",
          "[cleaner][lease][s3]") {
  test::conditional_s3_server server;
  auto s1 = open_store(server, s3_conditional::on);
  auto s2 = open_store(server, s3_conditional::on);
  counting_clock tc;
  auto a = store_lease<s3_store>::acquire(s1, opts("a", 0ms), tc.clock());
  REQUIRE(a);
  CHECK(a->conditional());
  lease_record seen;
  const auto start = std::chrono::steady_clock::now();
  auto b = store_lease<s3_store>::acquire(s2, opts("b", 0ms), tc.clock(), &seen);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  REQUIRE_FALSE(b);
  CHECK(b.error() == make_error_code(errc::lease_held));
  CHECK(seen.holder == "a");
  CHECK(tc.sleeps == 0);
  // Renewal is a PUT with If-Match; after a takeover it fails and overwrites nothing.
  tc.now = a->expires_ms() + 1;
  auto c = store_lease<s3_store>::acquire(s2, opts("c", 0ms), tc.clock());
  REQUIRE(c);
  CHECK(a->renew().error() == make_error_code(errc::lease_held));
  CHECK(a->release());
  CHECK(decode_lease(as_bytes(server.get(lease_key).value())).value().holder == "c");
  bool sent_if_match = false;
  for (const auto& r : server.seen())
    if (r.method == "PUT" && r.head.find("If-Match: ") != std::string::npos) sent_if_match = true;
  CHECK(sent_if_match);
  REQUIRE(c->release());
  CHECK_FALSE(server.get(lease_key));
  CHECK(tc.sleeps == 0);
}

TEST_CASE("A conditional S3 lease that loses the race is refused and leaves the winner's",
          "[cleaner][lease][s3]") {
  test::conditional_s3_server server;
  auto store = open_store(server, s3_conditional::on);
  // The rival's create lands between our read (absent) and our create.
  bool raced = false;
  server.before_put([&](const std::string& key) {
    if (key != lease_key || raced) return;
    raced = true;
    server.put(lease_key, "cloudlog-lease 1\nholder rival\nexpires 1700000010000\n");
  });
  counting_clock tc;
  lease_record seen;
  auto a = store_lease<s3_store>::acquire(store, opts("a"), tc.clock(), &seen);
  REQUIRE_FALSE(a);
  CHECK(a.error() == make_error_code(errc::lease_held));
  CHECK(seen.holder == "rival");
  CHECK(server.conditional_failures() == 1);
  CHECK(decode_lease(as_bytes(server.get(lease_key).value())).value().holder == "rival");
  CHECK(tc.sleeps == 0);
}

TEST_CASE("Of cleaners racing for a conditional S3 lease exactly one wins",
          "[cleaner][lease][s3]") {
  test::conditional_s3_server server;
  constexpr int n = 4;
  std::vector<s3_store> stores;
  for (int i = 0; i < n; ++i) stores.push_back(open_store(server, s3_conditional::on));
  std::atomic<int> ready{0}, won{0}, refused{0};
  std::vector<std::optional<store_lease<s3_store>>> held(n);
  std::vector<std::thread> racers;
  for (int i = 0; i < n; ++i)
    racers.emplace_back([&, i] {
      ++ready;
      while (ready.load() < n) std::this_thread::yield();
      auto l = store_lease<s3_store>::acquire(stores[i], opts("r" + std::to_string(i), 0ms),
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
  CHECK(refused == n - 1);
}

TEST_CASE("A server that ignores conditional headers gets write, settle, read back",
          "[cleaner][lease][s3]") {
  test::conditional_s3_server server;
  server.honour_conditions(false);
  auto store = open_store(server);
  counting_clock tc;
  CHECK(store_lease<s3_store>::acquire(store, opts("a", 0ms), tc.clock()).error() ==
        make_error_code(errc::invalid_argument));
  CHECK_FALSE(server.get(lease_key));
  auto a = store_lease<s3_store>::acquire(store, opts("a"), tc.clock());
  REQUIRE(a);
  CHECK_FALSE(a->conditional());
  CHECK(tc.sleeps == 1);
}

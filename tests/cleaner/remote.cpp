// SPDX-License-Identifier: BSL-1.0
// End to end over real remote stores on loopback: workload, clean, merge, read back,
// on s3rver (S3 over libcurl) and on simple_store_server. The request statistics
// of a stats_store wrapped around each store agree with the engine's own counts.
#include <catch2/catch.hpp>

#include "cleaner/reads_once.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "cloudlog/backend/simple_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/policy/policies.hpp"
#include "harness.hpp"
#include "support/error_text.hpp"
#include "support/servers.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;
namespace bs = cloudlog::bluesky;

namespace {

template <class Store>
void cycle(Store& raw) {
  stats_store store(raw);
  test::file_model model;
  test::workload w(4242);
  auto fs =
      bs::filesystem<decltype(store), bs::cipher>::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 10, 120'000);
  REQUIRE(fs.flush());
  for (int round = 0; round < 3; ++round) {
    w.churn(fs, model, 20, 6, 50'000);
    const auto before = store.stats();
    auto r = clean(bs::format{}, store, greedy_policy{});
    REQUIRE(r);
    const auto after = store.stats();
    // Every request the engine made reached the store, and nothing else did.
    CHECK(after.list.requests - before.list.requests == r->stats.requests.list.requests);
    CHECK(after.get.requests - before.get.requests == r->stats.requests.get.requests);
    CHECK(after.put.requests - before.put.requests == r->stats.requests.put.requests);
    CHECK(after.remove.requests - before.remove.requests == r->stats.requests.remove.requests);
    CHECK(after.get.bytes - before.get.bytes == r->stats.bytes_read);
    CHECK(after.put.bytes - before.put.bytes == r->stats.bytes_written);
    CHECK(r->stats.segments_written == r->stats.requests.put.requests);
    test::check_reopen(store, model);
    auto m = bs::merge_cleaner_output(fs);
    INFO(test::error_text(m));
    REQUIRE(m);
    CHECK(m->merged == (r->status == clean_status::cleaned));
    test::check_reads(fs, model);
    test::check_reopen(store, model);
  }
  auto r = clean(bs::format{}, store, greedy_policy{});
  REQUIRE(r);
  CHECK(r->stats.segments_deleted > 0);
  test::check_reopen(store, model);
}

}  // namespace

TEST_CASE("Clean and merge over S3 (s3rver on loopback): every file reads back",
          "[cleaner][remote][s3]") {
  test::s3rver_process server({"bluesky"});
  s3_options o;
  o.endpoint = server.endpoint();
  o.credentials = {"S3RVER", "S3RVER", ""};
  o.proxy_from_environment = false;
  o.request_timeout = 20s;
  auto store = s3_store::open("bluesky", "fs/", o);
  REQUIRE(store);
  cycle(*store);
}

TEST_CASE("Clean and merge over the simple protocol (simple_store_server): every file reads back",
          "[cleaner][remote][simple]") {
  test::simple_server_process server;
  simple_options o;
  o.port = static_cast<std::uint16_t>(server.port());
  auto store = simple_store::open(o);
  REQUIRE(store);
  cycle(*store);
}

TEST_CASE("Over S3, every needed byte is read once: 256 files x 256 KiB, half overwritten",
          "[cleaner][remote][s3][read_planner]") {
  test::s3rver_process server({"bluesky"});
  s3_options o;
  o.endpoint = server.endpoint();
  o.credentials = {"S3RVER", "S3RVER", ""};
  o.proxy_from_environment = false;
  o.request_timeout = 20s;
  auto store = s3_store::open("bluesky", "mixed/", o);
  REQUIRE(store);
  STATIC_REQUIRE(read_cost_of<s3_store>() == remote_read_cost);
  bs::workload_options w;
  w.files = 256;
  w.file_size = 256u << 10;
  w.write_size = 32u << 10;
  w.overwrite_fraction = 0.5;
  w.flush_every = 8;
  test::write_workload(*store, w);
  test::check_reads_once(*store);
}

TEST_CASE("Over S3, every needed byte is read once: the smallfiles preset",
          "[cleaner][remote][s3][read_planner]") {
  test::s3rver_process server({"bluesky"});
  s3_options o;
  o.endpoint = server.endpoint();
  o.credentials = {"S3RVER", "S3RVER", ""};
  o.proxy_from_environment = false;
  o.request_timeout = 20s;
  auto store = s3_store::open("bluesky", "small/", o);
  REQUIRE(store);
  test::write_workload(*store, bs::smallfiles_preset());
  test::check_reads_once(*store);
}

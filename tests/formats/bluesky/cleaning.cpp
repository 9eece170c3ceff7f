// SPDX-License-Identifier: BSL-1.0
// The BlueSky log_format's ages (formats/bluesky/cleaning.hpp, docs/format.md
// section 14, "Ages"): proxy and cleaner segments counted on the proxy's clock.
#include <catch2/catch.hpp>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"
#include "cloudlog/policy/policies.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

using mem_fs = filesystem<memory_store, no_cipher>;

workload_options small(bool create) {
  workload_options o;
  o.files = 8;
  o.file_size = 64 << 10;
  o.write_size = 8 << 10;
  o.flush_every = 4;
  o.overwrite_fraction = create ? 0.0 : 0.3;
  o.create_files = create;
  return o;
}

std::uint32_t proxy_head(memory_store& store) {
  return store.list(proxy_directory).value().back().id.sequence;
}

}  // namespace

TEST_CASE("A cleaner segment is as old as the proxy checkpoint it was cleaned from",
          "[formats][bluesky][cleaning][age]") {
  memory_store store;
  {
    auto fs = mem_fs::open(store, no_cipher{});
    REQUIRE(fs);
    REQUIRE(run_workload(*fs, small(true)));
    REQUIRE(run_workload(*fs, small(false)));
  }
  const auto cleaned_at = proxy_head(store);
  clean_options o;
  o.target_utilization = 1.0;
  auto r = clean(format{}, store, greedy_policy{}, o);
  REQUIRE(r);
  REQUIRE(r->status == clean_status::cleaned);
  {
    auto fs = mem_fs::open(store, no_cipher{});
    REQUIRE(fs);
    REQUIRE(merge_cleaner_output(*fs));
    auto later = small(false);
    later.seed = 2;
    REQUIRE(run_workload(*fs, later));
  }
  const auto head = proxy_head(store);
  REQUIRE(head > cleaned_at + 2);
  auto ctx = format{}.load(store);
  REQUIRE(ctx);
  std::size_t cleaner_segments = 0;
  for (const auto& seg : ctx->segments()) {
    INFO(seg.name);
    const auto age = ctx->age(seg.id);
    if (seg.id.directory == proxy_directory) {
      CHECK(age == head - seg.id.sequence + 1);
    } else {
      ++cleaner_segments;
      // The whole generation was written from the checkpoint in segment cleaned_at:
      // younger than every proxy segment written before that cleaning, older than
      // every one written after it.
      CHECK(age == head - cleaned_at);
      CHECK(age < ctx->age({proxy_directory, cleaned_at}));
      CHECK(age == ctx->age({proxy_directory, cleaned_at + 1}));
    }
  }
  CHECK(cleaner_segments == r->written.size());
}

TEST_CASE("Cleaner segments after the newest complete generation are the youngest",
          "[formats][bluesky][cleaning][age]") {
  memory_store store;
  {
    auto fs = mem_fs::open(store, no_cipher{});
    REQUIRE(fs);
    REQUIRE(run_workload(*fs, small(true)));
    REQUIRE(run_workload(*fs, small(false)));
  }
  // A run that wrote a segment and never committed: no checkpoint ends it.
  item<layout> data;
  data.header.magic = magic_plain;
  data.header.type = type_byte(item_type::data);
  data.payload = bytes(100);
  bytes segment;
  REQUIRE(append_item(segment, data));
  REQUIRE(store.write("log-00000001-00000007", segment));
  auto ctx = format{}.load(store);
  REQUIRE(ctx);
  CHECK(ctx->age({cleaner_directory, 7}) == 1);
}

// SPDX-License-Identifier: BSL-1.0
// The BlueSky log_format's ages (formats/bluesky/cleaning.hpp, docs/format.md
// section 14, "Ages"): proxy and cleaner segments counted on the proxy's clock.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/read_cost.hpp"
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

TEST_CASE("load hands over the root item and the tail of its segment it read, ending there",
          "[formats][bluesky][cleaning][load]") {
  memory_store store;
  {
    auto fs = mem_fs::open(store, no_cipher{});
    REQUIRE(fs);
    REQUIRE(run_workload(*fs, small(true)));
  }
  auto ctx = format{}.load(store);
  REQUIRE(ctx);
  const auto root = ctx->root();
  const auto name = segment_name(root.segment()).value();
  const auto whole = store.read(name, 0, whole_object).value();
  // The tail runs from its offset to the segment's end, byte for byte, and holds
  // the root item where the root is.
  REQUIRE(ctx->root_tail_offset() + ctx->root_tail().size() == whole.size());
  CHECK(std::equal(ctx->root_tail().begin(), ctx->root_tail().end(),
                   whole.begin() + static_cast<std::ptrdiff_t>(ctx->root_tail_offset())));
  REQUIRE(root.offset >= ctx->root_tail_offset());
  const auto item = ctx->root_tail().subspan(root.offset - ctx->root_tail_offset(), root.size);
  CHECK(std::equal(item.begin(), item.end(), ctx->root_item().begin(), ctx->root_item().end()));
  // A pass reads nothing inside that tail again: the walk's items there (the
  // root and the last flush's inode-map blocks) are served from it.
  struct recording : memory_store {
    std::mutex m;
    std::vector<std::pair<std::string, std::uint64_t>> reads;  // name, end of the range
    result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
      auto r = memory_store::read(name, offset, length);
      std::lock_guard lock(m);
      if (r) reads.emplace_back(std::string(name), offset + r->size());
      return r;
    }
  };
  recording rec;
  const auto listed = store.list(proxy_directory).value();
  for (const auto& seg : listed)
    REQUIRE(rec.memory_store::write(seg.name, store.read(seg.name, 0, whole_object).value()));
  clean_options dry;
  dry.dry_run = true;
  auto r = clean(format{}, rec, greedy_policy{}, dry);
  REQUIRE(r);
  std::size_t tail_reads = 0;  // ranges of the root's segment ending inside its tail
  for (const auto& [n, end] : rec.reads)
    if (n == name && end > ctx->root_tail_offset()) ++tail_reads;
  CHECK(tail_reads == 1);  // the load's own probe
}

namespace {

// A memory_store that records the thread of each listing; REMOTE declares the
// read cost of a store with round trips (request_launch: reads at once), and there
// directory 0's listing answers only once directory 1's has started (or after 10 s:
// a load that lists one after the other still finishes), recording which.
template <bool Remote>
struct thread_recording : memory_store {
  static constexpr read_cost_model read_cost = Remote ? remote_read_cost : local_read_cost;
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<std::uint32_t, std::thread::id>> listings;  // directory, thread
  bool overlapped = false;  // directory 1's listing started while directory 0's was waiting
  result<std::vector<segment_info>> list(std::uint32_t directory) {
    std::unique_lock lock(m);
    listings.emplace_back(directory, std::this_thread::get_id());
    cv.notify_all();
    if (Remote && directory == proxy_directory)
      overlapped = cv.wait_for(lock, std::chrono::seconds(10), [&] {
        return std::any_of(listings.begin(), listings.end(),
                           [](const auto& l) { return l.first == cleaner_directory; });
      });
    return memory_store::list(directory);
  }
};

template <bool Remote>
void copy_into(thread_recording<Remote>& to, memory_store& from) {
  for (auto d : {proxy_directory, cleaner_directory}) {
    const auto listed = from.list(d).value();
    for (const auto& seg : listed)
      REQUIRE(to.memory_store::write(seg.name, from.read(seg.name, 0, whole_object).value()));
  }
}

}  // namespace

TEST_CASE("load starts threads only where the store has round trips to hide",
          "[formats][bluesky][cleaning][load]") {
  STATIC_REQUIRE(request_launch<thread_recording<false>>() == std::launch::deferred);
  STATIC_REQUIRE(request_launch<thread_recording<true>>() == std::launch::async);
  memory_store store;
  {
    auto fs = mem_fs::open(store, no_cipher{});
    REQUIRE(fs);
    REQUIRE(run_workload(*fs, small(true)));
  }
  clean_options o;
  o.target_utilization = 1.0;
  REQUIRE(clean(format{}, store, greedy_policy{}, o));  // a cleaner directory
  thread_recording<false> local;
  thread_recording<true> remote;
  copy_into(local, store);
  copy_into(remote, store);
  auto from_local = format{}.load(local);
  auto from_remote = format{}.load(remote);
  REQUIRE(from_local);
  REQUIRE(from_remote);
  // The same context either way.
  CHECK(from_local->root() == from_remote->root());
  CHECK(from_local->segments().size() == from_remote->segments().size());
  CHECK(from_local->segments().size() > store.list(proxy_directory).value().size());
  // Both listings asked. Locally the proxy's first, both on this thread; on the
  // remote store the cleaner's on another thread, in flight before the proxy's
  // answered (one round trip, not two one after the other).
  const auto here = std::this_thread::get_id();
  REQUIRE(local.listings.size() == 2);
  REQUIRE(remote.listings.size() == 2);
  CHECK(local.listings[0] == std::pair(proxy_directory, here));
  CHECK(local.listings[1] == std::pair(cleaner_directory, here));
  CHECK(remote.overlapped);
  for (const auto& [directory, thread] : remote.listings)
    CHECK((thread == here) == (directory == proxy_directory));
}

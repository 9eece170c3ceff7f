// SPDX-License-Identifier: BSL-1.0
// The read planner (cleaner/detail/read_planner.hpp): which reads a set of needed
// locations costs under a store's cost model, its pass-scoped cache; and the
// property it exists for, on real BlueSky stores written by the workload
// generator: a pass reads at most 1.15x its strict minimum (+ 256 KiB) in at most
// 1.2x its needed runs of GETs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>
#include <vector>

#include "backend/conformance.hpp"
#include "cleaner/reads_once.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using cloudlog::detail::plan_costed_reads;
using cloudlog::detail::read_planner;
namespace bs = cloudlog::bluesky;

namespace {

struct remote_like : memory_store {
  static constexpr read_cost_model read_cost = remote_read_cost;
};

// Fills segment 0/1 of M with SIZE pattern bytes.
void one_segment(memory_store& m, std::size_t size) {
  REQUIRE(m.write(segment_name({0, 1}).value(), test::pattern(size, 7)));
}

}  // namespace

TEST_CASE("read_cost_of: the store's model, forwarded by decorators; local by default",
          "[cleaner][read_planner]") {
  STATIC_REQUIRE(read_cost_of<memory_store>() == local_read_cost);
  STATIC_REQUIRE(read_cost_of<file_store>() == local_read_cost);
  STATIC_REQUIRE(read_cost_of<remote_like>() == remote_read_cost);
  STATIC_REQUIRE(read_cost_of<stats_store<remote_like&>>() == remote_read_cost);
  STATIC_REQUIRE(read_cost_of<stats_store<retrying_store<remote_like&>>>() == remote_read_cost);
  STATIC_REQUIRE(remote_read_cost.request_bytes > local_read_cost.request_bytes);
}

TEST_CASE("plan_costed_reads bridges a gap only when it costs less than a request",
          "[cleaner][read_planner]") {
  // Items of 10 KiB with gaps of 1 KiB, 20 KiB and 2 KiB in segment 1; one in segment 2.
  const std::vector<location> locs{{0, 1, 0, 10240},
                                   {0, 1, 11264, 10240},
                                   {0, 1, 41984, 10240},
                                   {0, 1, 54272, 10240},
                                   {0, 2, 0, 100}};
  const read_cost_model cost{16u << 10, 1.0};
  const auto plan = plan_costed_reads(locs, cost);
  // The 1 KiB and 2 KiB gaps are bridged, the 20 KiB one is not; never across segments.
  REQUIRE(plan.runs.size() == 3);
  CHECK(plan.runs[0].begin == 0);
  CHECK(plan.runs[0].end == 21504);
  CHECK(plan.runs[1].begin == 41984);
  CHECK(plan.runs[1].end == 64512);
  CHECK(plan.runs[2].seg == segment_id{0, 2});
  CHECK(plan.run_of == std::vector<std::size_t>{0, 0, 1, 1, 2});
  // Remote: a request costs 1 MiB, so the 20 KiB gap is bridged too.
  CHECK(plan_costed_reads(locs, read_cost_model{1u << 20, 1.0}).runs.size() == 2);
  // MAX_GAP bounds the bridged gaps whatever the model.
  CHECK(plan_costed_reads(locs, read_cost_model{1u << 20, 1.0}, 1024).runs.size() == 4);
  // Overlapping and touching items are one run at any cost (the needed bytes).
  const std::vector<location> touching{{0, 1, 0, 100}, {0, 1, 100, 50}, {0, 1, 120, 10}};
  CHECK(plan_costed_reads(touching, read_cost_model{0, 0}).runs.size() == 1);
}

TEST_CASE("plan_costed_reads bridges the cheapest gaps first, within the waste budget",
          "[cleaner][read_planner]") {
  // Four 1000-byte items: gaps 300, 100, 200. Needed 4000 bytes.
  const std::vector<location> locs{
      {0, 1, 0, 1000}, {0, 1, 1300, 1000}, {0, 1, 2400, 1000}, {0, 1, 3600, 1000}};
  // 10 % of 4000 = 400: the 100 and 200 gaps fit, the 300 one does not.
  const auto plan = plan_costed_reads(locs, read_cost_model{1u << 20, 0.10});
  REQUIRE(plan.runs.size() == 2);
  CHECK(plan.runs[0].end == 1000);
  CHECK(plan.runs[1].begin == 1300);
  CHECK(plan.runs[1].end == 4600);
  // Whatever the layout, the planned bytes stay within the budget.
  std::uint64_t planned = 0;
  for (const auto& r : plan.runs) planned += r.end - r.begin;
  CHECK(planned <= 4000 + 400);
  // No waste allowed: one run per item.
  CHECK(plan_costed_reads(locs, read_cost_model{1u << 20, 0}).runs.size() == 4);
  // MAX_RUN splits a bridged run: [0, 2300) and [2400, 4600).
  const auto capped = plan_costed_reads(locs, read_cost_model{1u << 20, 1.0}, whole_object, 2500);
  REQUIRE(capped.runs.size() == 2);
  CHECK(capped.runs[0].end == 2300);
  CHECK(capped.runs[1].begin == 2400);
}

TEST_CASE("read_planner returns each item's bytes and fetches a kept item only once",
          "[cleaner][read_planner]") {
  memory_store backing;
  one_segment(backing, 100000);
  stats_store store(backing);
  const auto name = segment_name({0, 1}).value();
  read_planner planner(local_read_cost, whole_object, 1000);
  const std::vector<location> locs{{0, 1, 5000, 400}, {0, 1, 0, 300}, {0, 1, 90000, 800}};
  auto got = planner.fetch(store, locs, true);
  REQUIRE(got.size() == 3);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(got[i].value() == backing.read(name, locs[i].offset, locs[i].size).value());
  // Two runs: 0..300 and 5000..5400 are 4.7 KiB apart (< 16 KiB, but the waste
  // budget is 10 % of 1500 bytes); 90000 is far.
  CHECK(store.stats().get.requests == 3);
  CHECK(planner.counts().runs == 3);
  CHECK(planner.counts().bytes_needed == 1500);
  // Kept within the 1000-byte budget: the first two (700 bytes), not the third.
  CHECK(planner.counts().bytes_cached == 700);
  auto again = planner.fetch(store, locs, false);
  for (std::size_t i = 0; i < 3; ++i) CHECK(again[i].value() == got[i].value());
  CHECK(store.stats().get.requests == 4);  // only the 800-byte item again
  CHECK(planner.counts().cache_hits == 2);
  // Items fetched without KEEP are not held.
  const std::vector<location> other{{0, 1, 20000, 100}};
  REQUIRE(planner.fetch(store, other, false)[0]);
  REQUIRE(planner.fetch(store, other, false)[0]);
  CHECK(store.stats().get.requests == 6);
  // A missing segment: that item's error only.
  const std::vector<location> missing{{0, 9, 0, 10}, {0, 1, 0, 300}};
  auto m = planner.fetch(store, missing, true);
  CHECK(m[0].error() == errc::not_found);
  CHECK(m[1]);
  planner.clear_cache();
  CHECK(planner.counts().bytes_cached == 0);
}

TEST_CASE("read_planner fans a fetch out, splits it across threads, and holds what it is given",
          "[cleaner][read_planner]") {
  memory_store backing;
  for (std::uint32_t s = 1; s <= 5; ++s)
    REQUIRE(backing.write(segment_name({0, s}).value(), test::pattern(50000, s)));
  std::vector<location> locs;
  for (std::uint32_t s = 1; s <= 5; ++s)
    for (std::uint32_t k = 0; k < 4; ++k) locs.push_back({0, s, k * 12000, 700 + k});
  const auto expect = [&](const std::vector<result<bytes>>& got) {
    REQUIRE(got.size() == locs.size());
    for (std::size_t i = 0; i < locs.size(); ++i) {
      INFO(i);
      CHECK(got[i].value() ==
            backing.read(segment_name(locs[i].segment()).value(), locs[i].offset, locs[i].size)
                .value());
    }
  };
  // The same items and the same requests whatever the fan-out (reads on 3 threads).
  stats_store one(backing), three(backing);
  read_planner p1(local_read_cost, whole_object, 0, 1), p3(local_read_cost, whole_object, 0, 3);
  expect(p1.fetch(one, locs, false));
  expect(p3.fetch(three, locs, false));
  CHECK(three.stats().get.requests == one.stats().get.requests);
  CHECK(p3.counts() == p1.counts());
  // A store whose cost model fans out more than the planner is asked to: its own.
  constexpr read_cost_model fanned{1u << 20, 0.10, 8};
  read_planner pr(fanned, whole_object, 0, 3);
  CHECK(pr.prepare(locs, false).fan_out == 8);
  CHECK(p3.prepare(locs, false).fan_out == 3);
  // prepare on this thread, read on another, finish here: the same as fetch.
  stats_store split(backing);
  read_planner ps(local_read_cost, whole_object, 1u << 20, 2);
  auto pending = ps.prepare(locs, true);
  CHECK(split.stats().get.requests == 0);
  std::thread([&] { read_planner::read(split, pending); }).join();
  expect(ps.finish(std::move(pending)));
  CHECK(ps.counts().runs == p1.counts().runs);
  CHECK(split.stats().get.requests == one.stats().get.requests);
  // Kept by finish: fetched again, nothing is read.
  expect(ps.fetch(split, locs, false));
  CHECK(split.stats().get.requests == one.stats().get.requests);
  // hold: an item given (as the format's load read it) is served without a read;
  // one of the wrong size, or past the budget, is not held.
  stats_store held(backing);
  read_planner ph(local_read_cost, whole_object, 1000);
  const location root{0, 2, 100, 600};
  const auto root_bytes = backing.read(segment_name({0, 2}).value(), 100, 600).value();
  ph.hold(root, root_bytes);
  ph.hold(location{0, 3, 0, 10}, byte_view(root_bytes).first(9));
  ph.hold(location{0, 4, 0, 600}, root_bytes);  // 1200 > 1000 bytes
  CHECK(ph.counts().bytes_cached == 600);
  CHECK(ph.fetch(held, std::span(&root, 1), false)[0].value() == root_bytes);
  CHECK(held.stats().get.requests == 0);
  // hold_run: a segment's end as the load read it serves every item wholly inside
  // it without a read, and counts as one needed run the first time it serves; an
  // item reaching before it is read.
  stats_store tail(backing);
  read_planner pt(local_read_cost, whole_object, 1u << 20);
  const auto seg3 = segment_name({0, 3}).value();
  pt.hold_run({0, 3}, 40000, backing.read(seg3, 40000, 10000).value());
  const std::vector<location> inside{{0, 3, 40000, 100}, {0, 3, 49900, 100}};
  const auto got_inside = pt.fetch(tail, inside, true);
  CHECK(got_inside[1].value() == backing.read(seg3, 49900, 100).value());
  CHECK(tail.stats().get.requests == 0);
  CHECK(pt.counts().runs == 1);
  CHECK(pt.counts().cache_hits == 2);
  auto viewed_inside = pt.prepare_views(inside);
  read_planner::read(tail, viewed_inside);
  CHECK(pt.finish_views(std::move(viewed_inside)).items[0]->size() == 100);
  CHECK(pt.counts().runs == 1);
  const location across{0, 3, 39990, 20};
  CHECK(pt.fetch(tail, std::span(&across, 1), false)[0].value() ==
        backing.read(seg3, 39990, 20).value());
  CHECK(tail.stats().get.requests == 1);
  CHECK(pt.counts().runs == 2);
}

TEST_CASE("read_planner hands a fetch over as views into its reads: same bytes, same requests",
          "[cleaner][read_planner]") {
  memory_store backing;
  for (std::uint32_t s = 1; s <= 3; ++s)
    REQUIRE(backing.write(segment_name({0, s}).value(), test::pattern(50000, s)));
  // Items sharing runs (adjacent, 200 bytes apart) and alone; one segment missing.
  const std::vector<location> locs{{0, 1, 0, 1000},     {0, 1, 1200, 500}, {0, 2, 30000, 64},
                                   {0, 3, 49000, 2000}, {0, 9, 0, 10},     {0, 1, 1000, 200}};
  stats_store copied(backing), viewed(backing);
  read_planner pc(local_read_cost, whole_object, 0), pv(local_read_cost, whole_object, 0);
  const auto want = pc.fetch(copied, locs, false);
  auto p = pv.prepare_views(locs);
  CHECK(viewed.stats().get.requests == 0);
  std::thread([&] { read_planner::read(viewed, p); }).join();
  const auto got = pv.finish_views(std::move(p));
  REQUIRE(got.items.size() == locs.size());
  for (std::size_t i = 0; i < locs.size(); ++i) {
    INFO(i);
    REQUIRE(bool(got.items[i]) == bool(want[i]));
    if (want[i])
      CHECK(bytes(got.items[i]->begin(), got.items[i]->end()) == *want[i]);
    else
      CHECK(got.items[i].error() == want[i].error());
  }
  // The last item lies past the end of its segment: a short view, as fetch's.
  const std::vector<location> past{{0, 2, 49990, 100}};
  auto short_p = pv.prepare_views(past);
  read_planner::read(viewed, short_p);
  CHECK(pv.finish_views(std::move(short_p)).items[0]->size() == 10);
  pc.fetch(copied, past, false);
  CHECK(viewed.stats().get.requests == copied.stats().get.requests);
  CHECK(pv.counts() == pc.counts());
  // Items the cache holds are views into it: nothing is read for them.
  stats_store cached(backing);
  read_planner pk(local_read_cost, whole_object, 1u << 20);
  const std::vector<location> kept{{0, 1, 0, 1000}, {0, 2, 30000, 64}};
  REQUIRE(pk.fetch(cached, kept, true)[0]);
  const auto before = cached.stats().get.requests;
  auto q = pk.prepare_views(kept);
  read_planner::read(cached, q);
  const auto hits = pk.finish_views(std::move(q));
  CHECK(cached.stats().get.requests == before);
  CHECK(pk.counts().cache_hits == 2);
  CHECK(bytes(hits.items[1]->begin(), hits.items[1]->end()) ==
        backing.read(segment_name({0, 2}).value(), 30000, 64).value());
}

namespace {
// Drops whatever buffers read_buffers keeps (from earlier tests of this process).
void drain_read_buffers() {
  for (std::size_t k = 0; k < cloudlog::detail::read_buffers::kept_buffers; ++k)
    (void)cloudlog::detail::read_buffers::take(0);
}
}  // namespace

TEST_CASE("read_planner reads views into a kept buffer on a store that reads into one",
          "[cleaner][read_planner]") {
  // The same items, errors and requests as the copying fetch on a store without
  // the capability; the buffer goes back to read_buffers and serves the next batch.
  test::temp_dir dir;
  auto files = file_store::open(dir.path()).value();
  memory_store backing;
  for (std::uint32_t s = 1; s <= 3; ++s) {
    const auto data = test::pattern(50000, s);
    REQUIRE(files.write(segment_name({0, s}).value(), data));
    REQUIRE(backing.write(segment_name({0, s}).value(), data));
  }
  const std::vector<location> locs{{0, 1, 0, 1000},     {0, 1, 1200, 500}, {0, 2, 30000, 64},
                                   {0, 3, 49000, 2000}, {0, 9, 0, 10},     {0, 1, 1000, 200},
                                   {0, 2, 49990, 100},  {0, 2, 60000, 5}};
  stats_store copied(backing);
  stats_store into(files);
  STATIC_REQUIRE(readable_into<decltype(into)>);
  read_planner pc(local_read_cost, whole_object, 0), pi(local_read_cost, whole_object, 0);
  const auto want = pc.fetch(copied, locs, false);
  drain_read_buffers();
  const std::byte* first_buffer = nullptr;
  for (int round = 0; round < 2; ++round) {
    auto p = pi.prepare_views(locs);
    std::thread([&] { read_planner::read(into, p); }).join();
    const auto got = pi.finish_views(std::move(p));
    CHECK(got.runs.empty());  // nothing allocated per read
    REQUIRE(got.items.size() == locs.size());
    for (std::size_t i = 0; i < locs.size(); ++i) {
      INFO(i);
      REQUIRE(bool(got.items[i]) == bool(want[i]));
      if (want[i])
        CHECK(bytes(got.items[i]->begin(), got.items[i]->end()) == *want[i]);
      else
        CHECK(got.items[i].error() == want[i].error());
    }
    // The second batch is read into the buffer the first gave back.
    if (round == 0)
      first_buffer = got.arena.memory().data();
    else
      CHECK(got.arena.memory().data() == first_buffer);
  }
  CHECK(into.stats().get.requests == 2 * copied.stats().get.requests);
  CHECK(into.stats().get.bytes == 2 * copied.stats().get.bytes);
}

TEST_CASE("read_buffers hands out the smallest kept buffer that fits and keeps the largest",
          "[cleaner][read_planner]") {
  using cloudlog::detail::read_buffers;
  drain_read_buffers();
  auto small = read_buffers::take(1);
  CHECK(small.size == read_buffers::granule);
  auto large = read_buffers::take(3 * read_buffers::granule + 1);
  CHECK(large.size == 4 * read_buffers::granule);
  const auto* small_at = small.data.get();
  const auto* large_at = large.data.get();
  read_buffers::give(std::move(large));
  read_buffers::give(std::move(small));
  CHECK(read_buffers::take(10).data.get() == small_at);
  CHECK(read_buffers::take(2 * read_buffers::granule).data.get() == large_at);
  // At most kept_buffers are kept: giving one more drops the smallest.
  std::vector<read_buffers::raw> many;
  for (std::size_t k = 0; k <= read_buffers::kept_buffers; ++k)
    many.push_back(read_buffers::take((k + 1) * read_buffers::granule));
  for (auto& r : many) read_buffers::give(std::move(r));
  for (std::size_t k = 0; k < read_buffers::kept_buffers; ++k)
    CHECK(read_buffers::take(0).size == (k + 2) * read_buffers::granule);
  CHECK(read_buffers::take(0).size == read_buffers::granule);  // new: none kept
}

// --- the property, on real stores ---

namespace {

// Writes the workload O into a fresh file store in DIR.
void make_store(const std::filesystem::path& dir, const bs::workload_options& o) {
  auto store = file_store::open(dir).value();
  test::write_workload(store, o);
}

void check_reads_once(const std::filesystem::path& dir) {
  auto store = file_store::open(dir).value();
  test::check_reads_once(store);
}

}  // namespace

TEST_CASE("Every needed byte read once: the smallfiles preset",
          "[cleaner][read_planner][bluesky]") {
  test::temp_dir dir;
  make_store(dir.path(), bs::smallfiles_preset());
  check_reads_once(dir.path());
}

TEST_CASE("Every needed byte read once: cleanbench flushing every 8 writes",
          "[cleaner][read_planner][bluesky]") {
  test::temp_dir dir;
  auto o = bs::cleanbench_preset();
  o.flush_every = 8;
  make_store(dir.path(), o);
  check_reads_once(dir.path());
}

TEST_CASE("Every needed byte read once: 256 files x 256 KiB, half overwritten in 32 KiB writes",
          "[cleaner][read_planner][bluesky]") {
  test::temp_dir dir;
  bs::workload_options o;
  o.files = 256;
  o.file_size = 256u << 10;
  o.write_size = 32u << 10;
  o.overwrite_fraction = 0.5;
  o.flush_every = 8;
  make_store(dir.path(), o);
  check_reads_once(dir.path());
}

TEST_CASE("read_planner hands kept items over as views into its cache, moved in, not copied",
          "[cleaner][read_planner]") {
  memory_store backing;
  one_segment(backing, 100000);
  stats_store store(backing);
  const auto name = segment_name({0, 1}).value();
  read_planner planner(local_read_cost, whole_object, 1000);
  const std::vector<location> locs{{0, 1, 5000, 400}, {0, 1, 0, 300}, {0, 1, 90000, 800}};
  const auto got = planner.fetch_views(store, locs, true);
  REQUIRE(got.items.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto want = backing.read(name, locs[i].offset, locs[i].size).value();
    REQUIRE(got.items[i]);
    CHECK(bytes(got.items[i]->begin(), got.items[i]->end()) == want);
  }
  CHECK(store.stats().get.requests == 3);
  // The first two fit the 1000-byte budget and are held; the third is handed
  // over in the returned runs.
  CHECK(planner.counts().bytes_cached == 700);
  CHECK(got.runs.size() == 1);
  // The held items are served from the cache: the same memory, no request.
  const auto again = planner.fetch_views(store, std::span(locs).first(2), true);
  CHECK(store.stats().get.requests == 3);
  CHECK(again.items[0]->data() == got.items[0]->data());
  CHECK(again.items[1]->data() == got.items[1]->data());
  CHECK(planner.counts().cache_hits == 2);
  // A missing segment: that item's error only.
  const std::vector<location> missing{{0, 9, 0, 10}, {0, 1, 20000, 10}};
  const auto m = planner.fetch_views(store, missing, true);
  CHECK(m.items[0].error() == errc::not_found);
  CHECK(m.items[1]);
}

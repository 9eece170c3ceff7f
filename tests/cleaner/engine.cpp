// SPDX-License-Identifier: BSL-1.0
// cloudlog::clean (cleaner/engine.hpp): whole passes over the in-tree test format
// tests/support/tree (not BlueSky): expected values are derived by reading the store
// through the format's own reader, never pasted. The phases' own tests are under
// tests/cleaner/detail/.
#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "cleaner/tree_fixture.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

namespace {
using cloudlog::location;
using cloudlog::segment_id;
using cloudlog::test::read_reachable;
using cloudlog::test::slow_store;
using cloudlog::test::total_size;
using cloudlog::test::tree_store;
}  // namespace

TEST_CASE("a pass reads, relocates and writes the same whatever it reads ahead",
          "[cleaner][engine][relocate]") {
  std::optional<cloudlog::clean_report> first;
  for (const std::size_t ahead : {0u, 1u, 2u, 5u}) {
    INFO(ahead);
    tree_store t(12);
    cloudlog::clean_options o;
    o.reads_ahead = ahead;
    auto r = cloudlog::clean(tree::format{}, t.store, cloudlog::greedy_policy{}, o);
    REQUIRE(r);
    REQUIRE(r->status == cloudlog::clean_status::cleaned);
    CHECK(tree::read_tree(t.store).value() == t.writer.expected());
    if (!first) {
      first = *r;
      continue;
    }
    CHECK(r->stats.items_relocated == first->stats.items_relocated);
    CHECK(r->stats.items_rewritten == first->stats.items_rewritten);
    CHECK(r->stats.bytes_read == first->stats.bytes_read);
    CHECK(r->stats.requests.get.requests == first->stats.requests.get.requests);
    CHECK(r->stats.bytes_written == first->stats.bytes_written);
    CHECK(r->stats.needed_runs == first->stats.needed_runs);
  }
}

TEST_CASE(
    "a pass over a tree store whose newest root segment is truncated fails with the "
    "load's text, naming the segment, and writes nothing",
    "[cleaner][engine][errors]") {
  tree_store t(3);
  auto objects = t.store.snapshot();
  const auto newest = t.store.list(tree::writer_directory).value().back();
  objects.at(newest.name).resize(newest.size - 1);
  t.store.restore(objects);
  auto loaded = tree::format{}.load(t.store);
  REQUIRE_FALSE(loaded);
  auto r = cloudlog::clean(tree::format{}, t.store, cloudlog::greedy_policy{});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == loaded.error().code);
  CHECK(r.error().what == loaded.error().what);
  CHECK(r.error().what ==
        "cannot read the root of " + newest.name + ": " + loaded.error().code.message());
  CHECK(t.store.snapshot() == objects);
}

TEST_CASE("a pass over the tree format relocates exactly what it planned, root last",
          "[cleaner][engine]") {
  tree_store t(8);
  cloudlog::clean_options dry;
  dry.dry_run = true;
  const auto before = t.store.snapshot();
  auto plan = cloudlog::clean(tree::format{}, t.store, cloudlog::greedy_policy{}, dry);
  REQUIRE(plan);
  CHECK(t.store.snapshot() == before);  // a dry run writes and deletes nothing
  CHECK(plan->stats.requests.put.requests == 0);
  REQUIRE(!plan->plan.victims.empty());

  auto r = cloudlog::clean(tree::format{}, t.store, cloudlog::greedy_policy{});
  REQUIRE(r);
  CHECK(r->status == cloudlog::clean_status::cleaned);
  CHECK(r->plan.bytes_to_relocate == plan->plan.bytes_to_relocate);
  CHECK(r->stats.items_rejected == 0);
  std::uint64_t written = 0;
  std::uint32_t newest = 0;
  for (const auto& seg : r->written) {
    written += seg.size;
    newest = std::max(newest, seg.id.sequence);
    CHECK(seg.id.directory == tree::cleaner_directory);
  }
  CHECK(r->written.back().id.sequence == newest);  // the root's segment, last
  CHECK(r->stats.segments_written == r->written.size());
  CHECK(r->stats.bytes_written == written);
  // Relocated leaves plus rewritten interior items: at least the planned leaf bytes.
  CHECK(written >= r->plan.bytes_to_relocate);
  CHECK(tree::read_tree(t.store).value() == t.writer.expected());
  REQUIRE(t.writer.adopt(t.store).value());
  CHECK(tree::read_tree(t.store).value() == t.writer.expected());
}

TEST_CASE("a leaf that is not the item its link names is rejected and stays",
          "[cleaner][engine][relocate]") {
  tree_store t(8);
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  cloudlog::clean_options dry;
  dry.dry_run = true;
  auto plan = cloudlog::clean(tree::format{}, t.store, cloudlog::greedy_policy{}, dry);
  REQUIRE(plan);
  REQUIRE(!plan->plan.victims.empty());
  // Damage the id of one live blob inside the first victim.
  const auto victim = plan->plan.victims.front().id;
  const auto expect = read_reachable(t.store);
  const auto hit = std::find_if(expect.blobs.begin(), expect.blobs.end(),
                                [&](const location& l) { return l.segment() == victim; });
  REQUIRE(hit != expect.blobs.end());
  const auto name = cloudlog::segment_name(victim).value();
  auto data = t.store.read(name, 0, cloudlog::whole_object).value();
  data[hit->offset + 7] ^= std::byte{0x01};  // in the header's id (magic 4, type 1, flags 2)
  REQUIRE(t.store.write(name, data));

  auto r = cloudlog::clean(tree::format{}, t.store, cloudlog::greedy_policy{});
  REQUIRE(r);
  REQUIRE(r->rejected.size() == 1);
  CHECK(r->stats.items_rejected == 1);
  CHECK(r->rejected[0].segment == name);
  CHECK(r->rejected[0].offset == hit->offset);
  CHECK(r->rejected[0].length == hit->size);
  CHECK(r->rejected[0].code == cloudlog::errc::dangling_link);
}

TEST_CASE("with writes in flight a pass still writes its root's segment last, after all others",
          "[cleaner][engine][pipeline]") {
  tree_store t(12);
  slow_store store;
  t.copy_into(store);
  store.started.clear();
  store.finished.clear();
  cloudlog::clean_options o;
  o.writes_in_flight = 4;
  auto r = cloudlog::clean(tree::format{}, store, cloudlog::greedy_policy{}, o);
  REQUIRE(r);
  REQUIRE(r->status == cloudlog::clean_status::cleaned);
  REQUIRE(r->written.size() >= 2);
  const auto root = r->written.back().name;
  // The root's segment starts only once every other write has finished.
  CHECK(store.started.back() == root);
  CHECK(store.finished.back() == root);
  CHECK(store.finished.size() == r->written.size());
  CHECK(tree::read_tree(store).value() == t.writer.expected());
}

TEST_CASE("segments sealed over the pipeline's limit still all finish before the root starts",
          "[cleaner][engine][pipeline]") {
  tree_store t(12);
  // Records, as each write starts, how many writes have finished.
  struct counting_starts : slow_store {
    std::vector<std::pair<std::string, std::size_t>> starts;
    cloudlog::result<void> write(std::string_view name, cloudlog::byte_view data) {
      {
        std::lock_guard lock(order_mutex);
        starts.emplace_back(std::string(name), finished.size());
      }
      return slow_store::write(name, data);
    }
  } store;
  t.copy_into(store);
  store.started.clear();
  store.finished.clear();
  cloudlog::clean_options o;
  o.writes_in_flight = 1;  // the open segments sealed and committed go over it
  auto r = cloudlog::clean(tree::format{}, store, cloudlog::greedy_policy{}, o);
  REQUIRE(r);
  REQUIRE(r->status == cloudlog::clean_status::cleaned);
  REQUIRE(r->written.size() >= 2);
  const auto root = r->written.back().name;
  // Every other write had finished when the root's started.
  REQUIRE(store.starts.size() == r->written.size());
  CHECK(store.starts.back().first == root);
  CHECK(store.starts.back().second == r->written.size() - 1);
  // And the sealed segments did go over the limit of one in flight.
  CHECK(store.most.load() > 1);
  CHECK(tree::read_tree(store).value() == t.writer.expected());
}

TEST_CASE("a pass over the tree format reads its root once: the load's bytes go to the walk",
          "[cleaner][engine][reads]") {
  tree_store t(6);
  // Records the ranges read of every object.
  struct recording : cloudlog::memory_store {
    std::mutex m;
    std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> reads;
    cloudlog::result<cloudlog::bytes> read(std::string_view name, std::uint64_t offset,
                                           std::uint64_t length) {
      auto r = memory_store::read(name, offset, length);
      std::lock_guard lock(m);
      if (r) reads.emplace_back(std::string(name), offset, offset + r->size());
      return r;
    }
  } rec;
  t.copy_into(rec);
  const auto ctx = tree::format{}.load(rec).value();
  const auto root = ctx.root();
  const auto name = cloudlog::segment_name(root.segment()).value();
  const auto whole = rec.memory_store::read(name, 0, cloudlog::whole_object).value();
  REQUIRE(ctx.root_item().size() == root.size);
  CHECK(std::equal(ctx.root_item().begin(), ctx.root_item().end(),
                   whole.begin() + static_cast<std::ptrdiff_t>(root.offset)));
  for (const bool indexed : {false, true}) {
    INFO("usage index " << indexed);
    rec.reads.clear();
    cloudlog::clean_options dry;
    dry.dry_run = true;
    dry.usage_index.enabled = indexed;
    auto r = cloudlog::clean(tree::format{}, rec, cloudlog::greedy_policy{}, dry);
    REQUIRE(r);
    std::size_t root_reads = 0;  // reads that hold the root item
    for (const auto& [n, begin, end] : rec.reads)
      if (n == name && begin <= root.offset && root.end() <= end) ++root_reads;
    CHECK(root_reads == 1);  // the load's
  }
}

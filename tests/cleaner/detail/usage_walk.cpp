// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/usage_walk.hpp over the in-tree `tree` format: the index walk finds
// the live bytes walk() finds while reading only the root and what changed (every
// unchanged subtree counted from its summary), and record_is_current says when a
// head still describes the store. (The engine-level property, crash and damage
// tests of the usage index are in tests/cleaner/usage_index.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/cleaner/detail/usage_walk.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

using namespace cloudlog;
using cloudlog::detail::live_graph;
using cloudlog::detail::read_planner;
using cloudlog::detail::walk_outcome;

namespace {

// A full walk of STORE's current tree; with SAVE, the head and ranges a pass would
// keep of it are written to STORE.
struct walked {
  location root;
  std::vector<segment_info> segments;
  walk_outcome outcome;
  std::vector<segment_usage> table;
};

walked full_walk(memory_store& store, bool save) {
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  read_planner planner(local_read_cost);
  walked w{ctx->root(), ctx->segments(), {}, {}};
  w.outcome.index.enabled = true;
  w.outcome.index.full_walk = true;
  REQUIRE(
      cloudlog::detail::full_walk_into(tree::format{}, store, w.root, planner, w.outcome, true));
  REQUIRE(!w.outcome.shared);
  w.table = cloudlog::detail::tabulate(*ctx, w.outcome.bytes_in).table;
  if (save)
    REQUIRE(cloudlog::detail::save_usage_index(store, w.outcome, w.root,
                                               std::span<const segment_usage>(w.table)));
  return w;
}

// An outcome holding STORE's newest head, ready for index_walk over SEGMENTS.
walk_outcome with_head(memory_store& store, std::span<const segment_info> segments) {
  walk_outcome w;
  usage_index_options o;
  o.enabled = true;
  REQUIRE(cloudlog::detail::open_index(store, w, segments, o));
  REQUIRE(w.lookup.index);
  return w;
}

void write_round(tree::writer& writer, memory_store& store, std::mt19937& rng, int changes) {
  for (int k = 0; k < changes; ++k) {
    bytes data(100 + rng() % 900);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    writer.put(rng() % 4, rng() % 8, std::move(data));
  }
  REQUIRE(writer.commit(store));
}

}  // namespace

TEST_CASE("The index walk on an unchanged store reads only the root and finds walk()'s bytes",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(4, 8);
  std::mt19937 rng(7);
  write_round(writer, store, rng, 20);
  const auto before = full_walk(store, true);
  auto head = with_head(store, before.segments);
  CHECK(cloudlog::detail::record_is_current(*head.lookup.index, before.root, before.segments));

  stats_store<memory_store&> counted(store);
  read_planner planner(local_read_cost);
  auto ok = cloudlog::detail::index_walk(tree::format{}, counted, before.root, planner, head);
  REQUIRE(ok);
  REQUIRE(*ok);
  CHECK(head.bytes_in == before.outcome.bytes_in);
  CHECK(head.items_live == before.outcome.items_live);
  CHECK(head.interior == before.outcome.interior);
  CHECK(head.index.items_read == 1);  // the root
  CHECK(head.index.items_reused + 1 == before.outcome.interior);
}

TEST_CASE("The index walk after a change reads only the changed interior items",
          "[cleaner][usage_walk]") {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    memory_store store;
    tree::writer writer(4, 8);
    std::mt19937 rng(seed);
    write_round(writer, store, rng, 24);
    (void)full_walk(store, true);
    write_round(writer, store, rng, 1);  // one blob rewritten: its directory and the root change
    const auto after = full_walk(store, false);
    auto head = with_head(store, after.segments);
    CHECK_FALSE(
        cloudlog::detail::record_is_current(*head.lookup.index, after.root, after.segments));

    read_planner planner(local_read_cost);
    auto ok = cloudlog::detail::index_walk(tree::format{}, store, after.root, planner, head);
    REQUIRE(ok);
    REQUIRE(*ok);
    CHECK(head.bytes_in == after.outcome.bytes_in);
    CHECK(head.items_live == after.outcome.items_live);
    const auto& s = head.index;
    CHECK(s.items_reused + s.items_read == after.outcome.interior);
    CHECK(s.items_read >= 1);  // at least the new root
    CHECK(s.items_read < after.outcome.interior);
    CHECK(s.items_reused > 0);  // the directories the change did not touch
  }
}

TEST_CASE("record_is_current: a different root, or a live segment gone or resized, is not",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(4, 8);
  std::mt19937 rng(3);
  write_round(writer, store, rng, 12);
  const auto w = full_walk(store, true);
  const auto head = with_head(store, w.segments);
  const auto& record = *head.lookup.index;
  REQUIRE(cloudlog::detail::record_is_current(record, w.root, w.segments));
  auto moved_root = w.root;
  ++moved_root.offset;
  CHECK_FALSE(cloudlog::detail::record_is_current(record, moved_root, w.segments));
  const auto live_row = std::find_if(record.segments.begin(), record.segments.end(),
                                     [](const segment_usage& r) { return r.live > 0; });
  REQUIRE(live_row != record.segments.end());
  auto gone = w.segments;
  std::erase_if(gone, [&](const segment_info& s) { return s.id == live_row->id; });
  CHECK_FALSE(cloudlog::detail::record_is_current(record, w.root, gone));
  auto resized = w.segments;
  for (auto& s : resized)
    if (s.id == live_row->id) ++s.size;
  CHECK_FALSE(cloudlog::detail::record_is_current(record, w.root, resized));
}

TEST_CASE("The root's runs: a change costs the summaries of the runs it touched, not the level's",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(1200, 1);  // a root of 1,200 directories: ~40 runs of its links
  for (std::uint32_t d = 0; d < 1200; ++d) writer.put(d, 0, bytes(64, std::byte{0}));
  REQUIRE(writer.commit(store));
  const auto before = full_walk(store, true);
  REQUIRE(before.outcome.runs.size() >= 3);
  std::uint64_t links = 0, ranges = 0;
  for (const auto& r : before.outcome.runs) links += r.links;
  CHECK(links == 1200);
  writer.put(600, 0, bytes(64, std::byte{1}));  // one directory and the root change
  REQUIRE(writer.commit(store));
  const auto after = full_walk(store, false);
  auto head = with_head(store, after.segments);
  for (const auto& ref : head.lookup.index->ranges) ranges += ref.size;
  read_planner planner(local_read_cost);
  auto ok = cloudlog::detail::index_walk(tree::format{}, store, after.root, planner, head);
  REQUIRE(ok);
  REQUIRE(*ok);
  CHECK(head.bytes_in == after.outcome.bytes_in);
  CHECK(head.items_live == after.outcome.items_live);
  CHECK(head.index.items_read == 2);  // the root and the changed directory
  // Only the range objects covering the changed run's other links are read (of ten).
  const auto head_bytes = store.read(head.lookup.name, 0, whole_object).value().size();
  CHECK((head.lookup.bytes_read - head_bytes) * 3 < ranges);
  // The new runs add up to the table.
  cloudlog::usage_summary sum;
  for (const auto& r : head.runs) cloudlog::detail::add_summary(sum, r.sum);
  CHECK(sum.nodes + 1 == after.outcome.items_live);
}

TEST_CASE("The periodic check walks in batches, holds no graph, and agrees with the index",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(4, 8);
  std::mt19937 rng(11);
  write_round(writer, store, rng, 20);
  (void)full_walk(store, true);
  write_round(writer, store, rng, 2);
  const auto after = full_walk(store, false);
  usage_index_options o;
  o.enabled = true;
  o.check_every = 1;
  read_planner planner(local_read_cost);
  auto w = cloudlog::detail::walk_phase(tree::format{}, store, after.root,
                                        std::span<const segment_info>(after.segments), planner, o);
  REQUIRE(w);
  CHECK(w->index.checked);
  CHECK(w->index.full_walk);
  CHECK_FALSE(w->index.mismatch);
  CHECK_FALSE(w->live.has_value());  // no graph: the pass had no victims to build it for
  CHECK(w->bytes_in == after.outcome.bytes_in);
  CHECK(w->items_live == after.outcome.items_live);
  CHECK(w->fresh.size() + 1 == after.outcome.interior);  // every summary, for the next head
}

TEST_CASE("The batched full walk finds an item linked twice and counts it once",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(4, 8);
  std::mt19937 rng(2);
  write_round(writer, store, rng, 20);
  // A root linking its first directory twice.
  const auto ctx = tree::format{}.load(store).value();
  auto root = tree::read_item(store, ctx.root(), tree::item_type::root).value();
  root.links.push_back(root.links.front());
  bytes seg;
  REQUIRE(append_item(seg, root));
  const auto listed = store.list(tree::writer_directory).value();
  REQUIRE(store.write(segment_name({tree::writer_directory, listed.back().id.sequence + 1}).value(),
                      seg));
  const auto again = tree::format{}.load(store).value();
  walk_outcome truth, w;  // the walk holding the graph counts the directory once
  read_planner planner(local_read_cost);
  REQUIRE(
      cloudlog::detail::full_walk_into(tree::format{}, store, again.root(), planner, truth, true));
  REQUIRE(truth.shared);
  REQUIRE(cloudlog::detail::full_walk_summarized(tree::format{}, store, again.root(), planner, w));
  CHECK(w.shared);
  CHECK(w.bytes_in == truth.bytes_in);
  CHECK(w.items_live == truth.items_live);
}

TEST_CASE("summarize and root_runs count a leaf alike: one node, its bytes where it lies",
          "[cleaner][usage_index]") {
  using cloudlog::detail::live_node;
  const auto node = [](location where, cloudlog::detail::node_index parent,
                       cloudlog::detail::node_index first_child = 0, std::uint32_t children = 0) {
    live_node n;
    n.where = where, n.parent = parent, n.first_child = first_child;
    n.child_count = children, n.leaf = children == 0;
    return n;
  };
  const auto leaf = cloudlog::detail::leaf_summary(node(location{1, 3, 40, 7}, 0));
  CHECK(leaf.nodes == 1);
  CHECK(leaf.interior == 0);
  CHECK(leaf.bytes == std::vector<std::pair<segment_id, std::uint64_t>>{{{1, 3}, 7}});
  // root -> {leaf, interior -> {leaf}, leaf}, breadth first.
  const std::vector<live_node> nodes{node(location{1, 4, 0, 30}, live_node::none, 1, 3),
                                     node(location{1, 1, 0, 10}, 0),
                                     node(location{1, 2, 0, 20}, 0, 4, 1),
                                     node(location{1, 1, 10, 5}, 0), node(location{1, 3, 0, 7}, 2)};
  std::unordered_map<location, usage_summary, cloudlog::detail::location_hash> fresh;
  const auto total = cloudlog::detail::summarize(nodes, {}, fresh);
  CHECK(total.nodes == 5);
  CHECK(total.interior == 2);
  using per_segment = std::vector<std::pair<segment_id, std::uint64_t>>;
  CHECK(total.bytes == per_segment{{{1, 1}, 15}, {{1, 2}, 20}, {{1, 3}, 7}, {{1, 4}, 30}});
  // The root's runs hold everything below the root, each leaf as summarize counted it.
  const auto runs = cloudlog::detail::root_runs(nodes, {}, fresh);
  usage_summary below;
  std::uint32_t links = 0;
  for (const auto& r : runs) cloudlog::detail::add_summary(below, r.sum), links += r.links;
  cloudlog::detail::merge_bytes(below.bytes);
  CHECK(links == 3);
  CHECK(below.nodes == 4);
  CHECK(below.interior == 1);
  CHECK(below.bytes == per_segment{{{1, 1}, 15}, {{1, 2}, 20}, {{1, 3}, 7}});
}

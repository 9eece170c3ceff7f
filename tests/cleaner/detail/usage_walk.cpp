// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/usage_walk.hpp over the in-tree `tree` format: walk_reusing builds
// the graph walk() builds while reading only what changed, and record_is_current
// says when a record still describes the store. (The engine-level property, crash
// and damage tests of the usage index are in tests/cleaner/usage_index.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/cleaner/detail/usage_walk.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

using namespace cloudlog;
using cloudlog::detail::live_graph;
using cloudlog::detail::read_planner;

namespace {

// A full walk of STORE's current tree, and the record a pass would keep of it.
struct walked {
  location root;
  std::vector<segment_info> segments;
  live_graph graph;
  usage_index record;
};

walked full_walk(memory_store& store) {
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  read_planner planner(local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, store, ctx->root(), planner);
  REQUIRE(live);
  walked w{ctx->root(), ctx->segments(), *live, {}};
  w.record.generation = 1;
  w.record.root = ctx->root();
  w.record.root_id = live->nodes.at(0).id;
  w.record.segments = cloudlog::detail::tabulate(*ctx, *live).table;
  w.record.tree = *live;
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

std::uint64_t interior_count(const live_graph& g) {
  std::uint64_t n = 0;
  for (const auto& node : g.nodes) n += node.leaf ? 0 : 1;
  return n;
}

}  // namespace

TEST_CASE("walk_reusing on an unchanged store reads nothing and builds walk()'s graph",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(4, 8);
  std::mt19937 rng(7);
  write_round(writer, store, rng, 20);
  const auto before = full_walk(store);
  CHECK(cloudlog::detail::record_is_current(before.record, before.root, before.segments));

  stats_store<memory_store&> counted(store);
  read_planner planner(local_read_cost);
  std::uint64_t reused = 0, read = 0;
  auto g = cloudlog::detail::walk_reusing(tree::format{}, counted, before.root, planner,
                                          before.record, before.segments, reused, read);
  REQUIRE(g);
  CHECK(cloudlog::detail::same_graph(*g, before.graph));
  CHECK(read == 0);
  CHECK(reused == interior_count(before.graph));
  CHECK(counted.stats().get.requests == 0);
}

TEST_CASE("walk_reusing after a change reads only the changed interior items",
          "[cleaner][usage_walk]") {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    memory_store store;
    tree::writer writer(4, 8);
    std::mt19937 rng(seed);
    write_round(writer, store, rng, 24);
    const auto before = full_walk(store);
    write_round(writer, store, rng, 1);  // one blob rewritten: its directory and the root change
    const auto after = full_walk(store);
    CHECK_FALSE(cloudlog::detail::record_is_current(before.record, after.root, after.segments));

    read_planner planner(local_read_cost);
    std::uint64_t reused = 0, read = 0;
    auto g = cloudlog::detail::walk_reusing(tree::format{}, store, after.root, planner,
                                            before.record, after.segments, reused, read);
    REQUIRE(g);
    CHECK(cloudlog::detail::same_graph(*g, after.graph));
    CHECK(reused + read == interior_count(after.graph));
    CHECK(read >= 1);  // at least the new root
    CHECK(read < interior_count(after.graph));
    CHECK(reused > 0);  // the directories the change did not touch
  }
}

TEST_CASE("record_is_current: a different root, or a live segment gone or resized, is not",
          "[cleaner][usage_walk]") {
  memory_store store;
  tree::writer writer(4, 8);
  std::mt19937 rng(3);
  write_round(writer, store, rng, 12);
  const auto w = full_walk(store);
  REQUIRE(cloudlog::detail::record_is_current(w.record, w.root, w.segments));
  auto moved_root = w.root;
  ++moved_root.offset;
  CHECK_FALSE(cloudlog::detail::record_is_current(w.record, moved_root, w.segments));
  const auto live_row = std::find_if(w.record.segments.begin(), w.record.segments.end(),
                                     [](const segment_usage& r) { return r.live > 0; });
  REQUIRE(live_row != w.record.segments.end());
  auto gone = w.segments;
  std::erase_if(gone, [&](const segment_info& s) { return s.id == live_row->id; });
  CHECK_FALSE(cloudlog::detail::record_is_current(w.record, w.root, gone));
  auto resized = w.segments;
  for (auto& s : resized)
    if (s.id == live_row->id) ++s.size;
  CHECK_FALSE(cloudlog::detail::record_is_current(w.record, w.root, resized));
}

// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/usage_walk.hpp over the in-tree `tree` format: the index walk finds
// the live bytes walk() finds while reading only the root and what changed (every
// unchanged subtree counted from its summary), and record_is_current says when a
// head still describes the store. (The engine-level property, crash and damage
// tests of the usage index are in tests/cleaner/usage_index.cpp.)
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

// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/phases.hpp: tabulate, choose, mark, schedule and the write
// pipeline, over the in-tree test format (tests/support/tree); expected values are
// derived by reading the store through the format's own reader, never pasted.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "cleaner/tree_fixture.hpp"
#include "cloudlog/cleaner/detail/phases.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/tree/format.hpp"

namespace {
using cloudlog::location;
using cloudlog::segment_id;
using cloudlog::test::read_reachable;
using cloudlog::test::slow_store;
using cloudlog::test::tree_store;
using cloudlog::test::walk_and_tabulate;
}  // namespace

TEST_CASE("tabulate counts each live location once per segment and lists the dead segments",
          "[cleaner][engine][tabulate]") {
  tree_store t(8);
  const auto expect = read_reachable(t.store);
  const auto w = walk_and_tabulate(t.store);
  const auto& usage = w.usage;

  std::map<segment_id, std::uint64_t> want;
  std::set<location> seen;
  for (const auto* ls : {&expect.directories, &expect.blobs})
    for (const auto& l : *ls)
      if (seen.insert(l).second) want[l.segment()] += l.size;
  want[expect.root.segment()] += expect.root.size;
  REQUIRE(usage.table.size() == w.ctx.segments().size());
  std::uint64_t total = 0, used = 0;
  for (const auto& seg : w.ctx.segments()) {
    const auto& row = usage.table.at(usage.row_of.at(seg.id));
    CHECK(row.size == seg.size);
    CHECK(row.live == (want.count(seg.id) ? want[seg.id] : 0));
    CHECK(row.age == w.ctx.age(seg.id));
    total += seg.size;
    used += row.live;
    const bool dead = row.live == 0 && w.ctx.deletable(seg, 0);
    CHECK(dead == std::any_of(usage.dead.begin(), usage.dead.end(),
                              [&](const auto& d) { return d.id == seg.id; }));
  }
  CHECK(usage.bytes_total == total);
  CHECK(usage.bytes_used == used);
}

TEST_CASE("choose never picks a segment that holds a quarantined live item",
          "[cleaner][engine][choose]") {
  tree_store t(8);
  const auto w = walk_and_tabulate(t.store);
  const auto& usage = w.usage;
  const auto all = cloudlog::detail::choose(cloudlog::greedy_policy{}, usage);
  REQUIRE(all.rows.size() >= 2);
  // A context whose writer quarantined one live leaf of the policy's first victim.
  struct quarantining {
    const tree::format::context& base;
    std::set<location> items;
    const std::set<location>& quarantined() const { return items; }
  } q{w.ctx, {}};
  for (const auto& n : w.live.nodes)
    if (n.leaf && n.where.segment() == all.rows.front().id) {
      q.items.insert(n.where);
      break;
    }
  REQUIRE(q.items.size() == 1);
  q.items.insert(location{77, 77, 0, 1});  // not live: keeps nothing
  const auto kept = cloudlog::detail::quarantined_segments(q, w.live);
  CHECK(kept == std::unordered_set<segment_id>{all.rows.front().id});
  const auto v = cloudlog::detail::choose(cloudlog::greedy_policy{}, usage, 1.0, kept);
  CHECK(v.ids.count(all.rows.front().id) == 0);
  CHECK(v.rows.size() == all.rows.size() - 1);
  // A context without quarantined() keeps nothing.
  CHECK(cloudlog::detail::quarantined_segments(w.ctx, w.live).empty());
}

TEST_CASE("mark moves the live leaves of victims and dirties exactly their ancestors",
          "[cleaner][engine][mark]") {
  tree_store t(8);
  const auto w = walk_and_tabulate(t.store);
  const auto& usage = w.usage;
  const auto victims = cloudlog::detail::choose(cloudlog::greedy_policy{}, usage);
  REQUIRE(!victims.ids.empty());
  const auto& nodes = w.live.nodes;

  const auto moves =
      cloudlog::detail::mark(w.live, victims, cloudlog::relocation_mode::live_items, std::nullopt);
  std::set<std::uint32_t> moving(moves.leaves.begin(), moves.leaves.end());
  std::set<std::uint32_t> dirty(moves.interior.begin(), moves.interior.end());
  std::uint64_t relocate = 0;
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    const bool in_victim = victims.ids.count(n.where.segment()) > 0;
    if (n.leaf) {
      CHECK(moving.count(i) == (in_victim ? 1u : 0u));
      if (in_victim) relocate += n.where.size;
    } else if (i != 0) {
      bool child_moves = false;
      for (auto c = n.first_child; c < n.first_child + n.child_count; ++c)
        child_moves = child_moves || moving.count(c) || dirty.count(c);
      CHECK(dirty.count(i) == ((in_victim || child_moves) ? 1u : 0u));
    }
  }
  CHECK(dirty.count(0) == 0);  // the root is rewritten apart, always
  CHECK(moves.bytes_to_relocate == relocate);
  // Deepest first: a directory comes before nothing it descends from.
  for (std::size_t k = 1; k < moves.interior.size(); ++k)
    CHECK(moves.interior[k - 1] > moves.interior[k]);

  SECTION("whole_parent moves every leaf of a parent one of whose leaves moves") {
    const auto all = cloudlog::detail::mark(w.live, victims,
                                            cloudlog::relocation_mode::whole_parent, std::nullopt);
    std::set<std::uint32_t> all_moving(all.leaves.begin(), all.leaves.end());
    for (auto i : moving) {
      const auto& parent = nodes[nodes[i].parent];
      for (auto c = parent.first_child; c < parent.first_child + parent.child_count; ++c)
        CHECK(all_moving.count(c) == 1);
    }
    CHECK(all.bytes_to_relocate >= moves.bytes_to_relocate);
  }
}

TEST_CASE("schedule orders leaves by age class then place and batches about one segment each",
          "[cleaner][engine][schedule]") {
  tree_store t(10);
  const auto w = walk_and_tabulate(t.store);
  const auto& usage = w.usage;
  const cloudlog::greedy_policy policy;
  const auto victims = cloudlog::detail::choose(policy, usage);
  const auto moves =
      cloudlog::detail::mark(w.live, victims, cloudlog::relocation_mode::live_items, std::nullopt);
  const std::uint64_t batch = 4096;
  const auto s = cloudlog::detail::schedule(w.live, moves, victims, policy,
                                            cloudlog::relocation_mode::live_items, batch);
  REQUIRE(s.leaves.size() == moves.leaves.size());
  REQUIRE(s.classes.size() == s.leaves.size());
  REQUIRE(!s.batch_ends.empty());
  CHECK(s.batch_ends.back() == s.leaves.size());
  const auto& nodes = w.live.nodes;
  for (std::size_t k = 0; k < s.leaves.size(); ++k) {
    const auto& row = usage.table.at(usage.row_of.at(nodes[s.leaves[k]].where.segment()));
    CHECK(s.classes[k] == policy.placement(row.age));
    if (k > 0) {
      const auto& a = nodes[s.leaves[k - 1]].where;
      const auto& b = nodes[s.leaves[k]].where;
      CHECK((s.classes[k - 1] > s.classes[k] || (s.classes[k - 1] == s.classes[k] && a < b)));
    }
  }
  std::size_t from = 0;
  for (std::size_t b = 0; b < s.batch_ends.size(); ++b) {
    std::uint64_t sum = 0, before_last = 0;
    for (auto k = from; k < s.batch_ends[b]; ++k) {
      before_last = sum;
      sum += nodes[s.leaves[k]].where.size;
    }
    CHECK(before_last < batch);                            // no leaf more than needed
    if (b + 1 < s.batch_ends.size()) CHECK(sum >= batch);  // all but the last are full
    from = s.batch_ends[b];
  }
}

TEST_CASE("write_pipeline writes a held segment at once, over its limit, and drains it too",
          "[cleaner][engine][pipeline]") {
  slow_store store;
  // Long enough that the held writes start while the first is in flight even on a
  // loaded machine (this checks one overlap, not many).
  store.delay = std::chrono::milliseconds(200);
  cloudlog::detail::write_pipeline p(1);
  REQUIRE(p.write(store, cloudlog::segment_name({1, 0}).value(), cloudlog::bytes(10)));
  // Held (an open segment sealed or committed): started while the first is in flight.
  REQUIRE(p.write(store, cloudlog::segment_name({1, 1}).value(), cloudlog::bytes(10), true));
  REQUIRE(p.write(store, cloudlog::segment_name({1, 2}).value(), cloudlog::bytes(10), true));
  // Not held: waits until fewer than the limit are in flight (all three finished).
  REQUIRE(p.write(store, cloudlog::segment_name({1, 3}).value(), cloudlog::bytes(10)));
  REQUIRE(p.drain());
  CHECK(store.most.load() == 3);
  REQUIRE(store.started.size() == 4);
  REQUIRE(store.finished.size() == 4);
  CHECK(store.started.back() == cloudlog::segment_name({1, 3}).value());
  CHECK(store.finished.back() == cloudlog::segment_name({1, 3}).value());
  CHECK(store.list(1).value().size() == 4);
}

TEST_CASE("write_pipeline keeps at most its limit of writes in flight and drains them all",
          "[cleaner][engine][pipeline]") {
  slow_store store;
  {
    cloudlog::detail::write_pipeline p(3);
    for (std::uint32_t i = 0; i < 9; ++i)
      REQUIRE(p.write(store, cloudlog::segment_name({1, i}).value(), cloudlog::bytes(10)));
    REQUIRE(p.drain());
  }
  CHECK(store.list(1).value().size() == 9);
  CHECK(store.most.load() == 3);
  // Limit 0: one at a time, synchronously.
  slow_store serial;
  cloudlog::detail::write_pipeline p0(0);
  for (std::uint32_t i = 0; i < 3; ++i)
    REQUIRE(p0.write(serial, cloudlog::segment_name({1, i}).value(), cloudlog::bytes(10)));
  CHECK(serial.finished.size() == 3);
  CHECK(serial.most.load() == 1);
  // Each finished write's buffer is handed back once, with its capacity.
  CHECK(p0.take_spare().size() == 3);
  CHECK(p0.take_spare().empty());
  cloudlog::detail::write_pipeline p2(2);
  cloudlog::bytes big(1000);
  big.reserve(4000);
  REQUIRE(p2.write(store, cloudlog::segment_name({2, 0}).value(), std::move(big)));
  REQUIRE(p2.drain());
  const auto spare = p2.take_spare();
  REQUIRE(spare.size() == 1);
  CHECK(spare[0].capacity() >= 4000);
}

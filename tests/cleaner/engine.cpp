// SPDX-License-Identifier: BSL-1.0
// The engine's phases (cleaner/detail/) and a whole pass, over the in-tree test
// format tests/support/tree (not BlueSky): expected values are derived by reading
// the store through the format's own reader, never pasted.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/detail/fetch_items.hpp"
#include "cloudlog/cleaner/detail/output_log.hpp"
#include "cloudlog/cleaner/detail/phases.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

namespace {

using cloudlog::location;
using cloudlog::segment_id;

// A tree store with garbage in every older writer segment: ROUNDS commits that each
// overwrite ten random blobs of a 4 x 8 tree.
struct tree_store {
  cloudlog::memory_store store;
  tree::writer writer{4, 8};

  explicit tree_store(int rounds, unsigned seed = 7) {
    std::mt19937 rng(seed);
    for (int r = 0; r < rounds; ++r) {
      for (int k = 0; k < 10; ++k) {
        cloudlog::bytes data(200 + rng() % 1500);
        for (auto& b : data) b = static_cast<std::byte>(rng());
        writer.put(rng() % 4, rng() % 8, std::move(data));
      }
      REQUIRE(writer.commit(store));
    }
  }
};

// Every location reachable from the writer's root, read item by item through the
// format's reader (independently of the engine's walk): root, directories, blobs.
struct reachable {
  location root;
  std::vector<location> directories, blobs;
};
reachable read_reachable(cloudlog::memory_store& store) {
  reachable r;
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  r.root = ctx->root();
  auto root = tree::read_item(store, r.root, tree::item_type::root);
  REQUIRE(root);
  for (const auto& dl : root->links) {
    r.directories.push_back(*dl.where);
    auto dir = tree::read_item(store, *dl.where, tree::item_type::directory, dl.id);
    REQUIRE(dir);
    for (const auto& bl : dir->links)
      if (!bl.is_null()) r.blobs.push_back(*bl.where);
  }
  return r;
}

std::uint64_t total_size(const std::vector<location>& ls) {
  std::uint64_t n = 0;
  for (const auto& l : ls) n += l.size;
  return n;
}

}  // namespace

TEST_CASE("walk finds the root, every directory and every live blob, reading only the interior",
          "[cleaner][engine][walk]") {
  tree_store t(6);
  const auto expect = read_reachable(t.store);
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(live);
  const auto& nodes = live->nodes;
  REQUIRE(nodes.size() == 1 + expect.directories.size() + expect.blobs.size());
  CHECK(nodes[0].where == expect.root);
  CHECK(nodes[0].parent == cloudlog::detail::live_node::none);
  std::vector<location> leaves, interior;
  for (const auto& n : nodes) (n.leaf ? leaves : interior).push_back(n.where);
  CHECK(leaves.size() == expect.blobs.size());
  CHECK(leaves == expect.blobs);  // breadth-first, in link order
  CHECK(live->bytes_walked == expect.root.size + total_size(expect.directories));
  // Children are stored contiguously after their parent.
  for (std::uint32_t i = 0; i < nodes.size(); ++i)
    for (auto c = nodes[i].first_child; c < nodes[i].first_child + nodes[i].child_count; ++c)
      CHECK(nodes[c].parent == i);
}

TEST_CASE("walk fails with dangling_link when a link does not lead to the item it names",
          "[cleaner][engine][walk]") {
  tree_store t(3);
  const auto expect = read_reachable(t.store);
  // Point the root at a directory's place but one byte off: the item there does not parse
  // as the linked one.
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  auto dir = expect.directories.front();
  const auto name = cloudlog::segment_name(dir.segment()).value();
  auto data = t.store.read(name, 0, cloudlog::whole_object).value();
  data[dir.offset + 7] ^=
      std::byte{0xff};  // in the id the root's link names (after magic, type, flags)
  REQUIRE(t.store.write(name, data));
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(!live);
  CHECK(live.error() == cloudlog::errc::dangling_link);
}

TEST_CASE("tabulate counts each live location once per segment and lists the dead segments",
          "[cleaner][engine][tabulate]") {
  tree_store t(8);
  const auto expect = read_reachable(t.store);
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(live);
  const auto usage = cloudlog::detail::tabulate(*ctx, *live);

  std::map<segment_id, std::uint64_t> want;
  std::set<location> seen;
  for (const auto* ls : {&expect.directories, &expect.blobs})
    for (const auto& l : *ls)
      if (seen.insert(l).second) want[l.segment()] += l.size;
  want[expect.root.segment()] += expect.root.size;
  REQUIRE(usage.table.size() == ctx->segments().size());
  std::uint64_t total = 0, used = 0;
  for (const auto& seg : ctx->segments()) {
    const auto& row = usage.table.at(usage.row_of.at(seg.id));
    CHECK(row.size == seg.size);
    CHECK(row.live == (want.count(seg.id) ? want[seg.id] : 0));
    CHECK(row.age == ctx->age(seg.id));
    total += seg.size;
    used += row.live;
    const bool dead = row.live == 0 && ctx->deletable(seg, 0);
    CHECK(dead == std::any_of(usage.dead.begin(), usage.dead.end(),
                              [&](const auto& d) { return d.id == seg.id; }));
  }
  CHECK(usage.bytes_total == total);
  CHECK(usage.bytes_used == used);
}

TEST_CASE("choose never picks a segment that holds a quarantined live item",
          "[cleaner][engine][choose]") {
  tree_store t(8);
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(live);
  const auto usage = cloudlog::detail::tabulate(*ctx, *live);
  const auto all = cloudlog::detail::choose(cloudlog::greedy_policy{}, usage);
  REQUIRE(all.rows.size() >= 2);
  // A context whose writer quarantined one live leaf of the policy's first victim.
  struct quarantining {
    const tree::format::context& base;
    std::set<location> items;
    const std::set<location>& quarantined() const { return items; }
  } q{*ctx, {}};
  for (const auto& n : live->nodes)
    if (n.leaf && n.where.segment() == all.rows.front().id) {
      q.items.insert(n.where);
      break;
    }
  REQUIRE(q.items.size() == 1);
  q.items.insert(location{77, 77, 0, 1});  // not live: keeps nothing
  const auto kept = cloudlog::detail::quarantined_segments(q, *live);
  CHECK(kept == std::unordered_set<segment_id>{all.rows.front().id});
  const auto v = cloudlog::detail::choose(cloudlog::greedy_policy{}, usage, 1.0, kept);
  CHECK(v.ids.count(all.rows.front().id) == 0);
  CHECK(v.rows.size() == all.rows.size() - 1);
  // A context without quarantined() keeps nothing.
  CHECK(cloudlog::detail::quarantined_segments(*ctx, *live).empty());
}

TEST_CASE("mark moves the live leaves of victims and dirties exactly their ancestors",
          "[cleaner][engine][mark]") {
  tree_store t(8);
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(live);
  const auto usage = cloudlog::detail::tabulate(*ctx, *live);
  const auto victims = cloudlog::detail::choose(cloudlog::greedy_policy{}, usage);
  REQUIRE(!victims.ids.empty());
  const auto& nodes = live->nodes;

  const auto moves =
      cloudlog::detail::mark(*live, victims, cloudlog::relocation_mode::live_items, std::nullopt);
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
    const auto all = cloudlog::detail::mark(*live, victims, cloudlog::relocation_mode::whole_parent,
                                            std::nullopt);
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
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(live);
  const auto usage = cloudlog::detail::tabulate(*ctx, *live);
  const cloudlog::greedy_policy policy;
  const auto victims = cloudlog::detail::choose(policy, usage);
  const auto moves =
      cloudlog::detail::mark(*live, victims, cloudlog::relocation_mode::live_items, std::nullopt);
  const std::uint64_t batch = 4096;
  const auto s = cloudlog::detail::schedule(*live, moves, victims, policy,
                                            cloudlog::relocation_mode::live_items, batch);
  REQUIRE(s.leaves.size() == moves.leaves.size());
  REQUIRE(s.classes.size() == s.leaves.size());
  REQUIRE(!s.batch_ends.empty());
  CHECK(s.batch_ends.back() == s.leaves.size());
  const auto& nodes = live->nodes;
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

TEST_CASE("plan_reads merges reads of one segment across small gaps, never across segments",
          "[cleaner][engine][fetch_items]") {
  const std::vector<location> locs{
      {0, 1, 500, 100}, {0, 1, 0, 100}, {0, 1, 150, 50}, {0, 2, 0, 10}, {0, 1, 5000, 10}};
  const auto plan = cloudlog::detail::plan_reads(locs, 300, 1u << 20);
  // [0,200) and [500,600) merge (gaps 50 and 300); 5000 is too far; segment 2 apart.
  REQUIRE(plan.runs.size() == 3);
  CHECK(plan.runs[0].seg == segment_id{0, 1});
  CHECK(plan.runs[0].begin == 0);
  CHECK(plan.runs[0].end == 600);
  CHECK(plan.runs[1].begin == 5000);
  CHECK(plan.runs[2].seg == segment_id{0, 2});
  CHECK(plan.run_of == std::vector<std::size_t>{0, 0, 0, 2, 1});
  // A run is capped at MAX_RUN bytes.
  CHECK(cloudlog::detail::plan_reads(locs, 300, 400).runs.size() == 4);
  // Gap 0 merges only touching or overlapping items.
  CHECK(cloudlog::detail::plan_reads(locs, 0, 1u << 20).runs.size() == 5);
}

TEST_CASE("fetch_items returns each item's own bytes, whatever the merging",
          "[cleaner][engine][fetch_items]") {
  tree_store t(4);
  const auto expect = read_reachable(t.store);
  auto locs = expect.blobs;
  locs.push_back(expect.root);
  std::reverse(locs.begin(), locs.end());
  for (std::uint64_t gap : {std::uint64_t{0}, std::uint64_t{4096}, std::uint64_t{1} << 20}) {
    const auto got = cloudlog::detail::fetch_items(t.store, locs, gap);
    REQUIRE(got.size() == locs.size());
    for (std::size_t i = 0; i < locs.size(); ++i) {
      const auto name = cloudlog::segment_name(locs[i].segment()).value();
      REQUIRE(got[i]);
      CHECK(*got[i] == t.store.read(name, locs[i].offset, locs[i].size).value());
    }
  }
  // A segment that does not exist: the read's error, for its items only.
  const std::vector<location> missing{{0, 999, 0, 10}, expect.root};
  const auto got = cloudlog::detail::fetch_items(t.store, missing, 1u << 20);
  CHECK(!got[0]);
  CHECK(got[1]);
}

TEST_CASE("output_log closes a segment at the target and places the root in the newest one",
          "[cleaner][engine][output_log]") {
  cloudlog::detail::output_log out(1, 10, 100);
  const cloudlog::bytes item(60);
  auto a = out.append(0, 0, item);  // opens sequence 10
  CHECK(a.where == location{1, 10, 0, 60});
  CHECK(!a.full);
  auto b = out.append(1, 0, item);  // group 1: sequence 11
  CHECK(b.where == location{1, 11, 0, 60});
  auto c = out.append(0, 0, item);  // fills sequence 10
  CHECK(c.where == location{1, 10, 60, 60});
  REQUIRE(c.full);
  CHECK(c.full->sequence == 10);
  CHECK(c.full->data.size() == 120);
  // The root goes into a new segment: group 0's last open one is not the newest.
  const auto root = out.place_root(0, item);
  CHECK(root == location{1, 12, 0, 60});
  const auto open = out.take_open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].sequence == 11);
  CHECK(out.root_segment().sequence == 12);
}

TEST_CASE("output_log hands over the open segments of the groups it is told are finished",
          "[cleaner][engine][output_log]") {
  cloudlog::detail::output_log out(1, 10, 1000);
  const cloudlog::bytes item(60);
  out.append(0, 0, item);  // sequence 10
  out.append(0, 1, item);  // 11
  out.append(1, 0, item);  // 12
  out.append(2, 0, item);  // 13
  // Groups 1 and 2 still take items: group 0's two segments (both classes) go.
  const auto sealed = out.take_open_but({1, 2});
  REQUIRE(sealed.size() == 2);
  CHECK(sealed[0].sequence == 10);
  CHECK(sealed[1].sequence == 11);
  CHECK(out.take_open_but({1, 2}).empty());
  // Group 0 opens a new segment if an item comes after all; the rest stay.
  CHECK(out.append(0, 0, item).where == location{1, 14, 0, 60});
  const auto rest = out.take_open();
  REQUIRE(rest.size() == 3);
  CHECK(rest[0].sequence == 12);
  CHECK(rest[2].sequence == 14);
}

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

namespace {
// A memory store whose writes take 20 ms and that records how many run at once
// and the order in which they start and finish.
struct slow_store : cloudlog::memory_store {
  std::atomic<int> running{0}, most{0};
  std::mutex order_mutex;
  std::vector<std::string> started, finished;
  cloudlog::result<void> write(std::string_view name, cloudlog::byte_view data) {
    {
      std::lock_guard lock(order_mutex);
      started.emplace_back(name);
    }
    const int now = ++running;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto r = memory_store::write(name, data);
    --running;
    std::lock_guard lock(order_mutex);
    finished.emplace_back(name);
    return r;
  }
};
}  // namespace

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

TEST_CASE("output_log fills a recycled buffer, emptied, before it allocates a new one",
          "[cleaner][engine][output_log]") {
  cloudlog::detail::output_log out(1, 10, 100);
  const cloudlog::bytes item(60, std::byte{7});
  out.append(0, 0, item);
  auto full = out.append(0, 0, item).full;
  REQUIRE(full);
  const auto* memory = full->data.data();
  out.recycle(std::move(full->data));
  out.recycle(cloudlog::bytes(10));    // smaller than the target: dropped
  auto next = out.append(0, 0, item);  // sequence 11, in the recycled buffer
  CHECK(next.where == location{1, 11, 0, 60});
  const auto open = out.take_open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].data == item);
  CHECK(open[0].data.data() == memory);
  // At most max_spare buffers are held: the next segments open in them (capacity
  // 200), then in a new allocation (the target and the first item: 160).
  constexpr auto most = cloudlog::detail::output_log::max_spare;
  for (std::size_t k = 0; k < most + 2; ++k) {
    cloudlog::bytes b;
    b.reserve(200);
    out.recycle(std::move(b));
  }
  for (std::uint32_t g = 0; g < most + 1; ++g) out.append(g + 5, 0, item);
  std::size_t recycled = 0;
  for (const auto& seg : out.take_open()) recycled += seg.data.capacity() == 200 ? 1 : 0;
  CHECK(recycled == most);
}

TEST_CASE("with writes in flight a pass still writes its root's segment last, after all others",
          "[cleaner][engine][pipeline]") {
  tree_store t(12);
  slow_store store;
  const auto listed = t.store.list(0).value();
  for (const auto& seg : listed)
    REQUIRE(store.memory_store::write(seg.name,
                                      t.store.read(seg.name, 0, cloudlog::whole_object).value()));
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

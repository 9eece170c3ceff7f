// SPDX-License-Identifier: BSL-1.0
// The walk phase with the usage index (cleaner/usage_index.hpp): the live bytes per
// segment that walk() would find, computed by reading only the interior items whose
// subtree summary the index does not hold, each unchanged subtree counted from its
// summary unread (docs/design.md, "The walk phase"); the graph of what lies in the
// victims, built only when a pass has victims; the periodic cross-check against a
// full walk; and the head and ranges written after the pass.
#ifndef CLOUDLOG_CLEANER_DETAIL_USAGE_WALK_HPP
#define CLOUDLOG_CLEANER_DETAIL_USAGE_WALK_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/detail/phases.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "cloudlog/cleaner/options.hpp"
#include "cloudlog/cleaner/report.hpp"
#include "cloudlog/cleaner/usage_index.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::detail {

struct location_hash {
  std::size_t operator()(const location& l) const noexcept {
    std::uint64_t h = (std::uint64_t{l.directory} << 32 | l.sequence) * 0x9E3779B97F4A7C15ull;
    h ^= (std::uint64_t{l.offset} << 32 | l.size) + 0x7F4A7C159E3779B9ull + (h << 6) + (h >> 2);
    return static_cast<std::size_t>(h);
  }
};

// The segments of PRIOR's table that SEGMENTS (the store now) still holds with the
// same size: only summaries of items inside them are used.
inline std::unordered_set<segment_id> unchanged_segments(const usage_index& prior,
                                                         std::span<const segment_info> segments) {
  std::unordered_map<segment_id, std::uint64_t> now;
  for (const auto& s : segments) now[s.id] = s.size;
  std::unordered_set<segment_id> out;
  for (const auto& row : prior.segments)
    if (auto it = now.find(row.id); it != now.end() && it->second == row.size) out.insert(row.id);
  return out;
}

// Whether the head X describes the tree from ROOT in the store of SEGMENTS exactly:
// the same root, and every segment holding a live item present with the size X
// recorded (items are immutable, so the tree is X's, item for item).
inline bool record_is_current(const usage_index& x, location root,
                              std::span<const segment_info> segments) {
  if (!(x.root == root)) return false;
  std::unordered_map<segment_id, std::uint64_t> now;
  for (const auto& s : segments) now[s.id] = s.size;
  for (const auto& row : x.segments)
    if (row.live > 0)
      if (auto it = now.find(row.id); it == now.end() || it->second != row.size) return false;
  return true;
}

// What the walk phase produced and what the index holds for the later phases: the
// live bytes per segment, the graph (every live item after a full walk; after an
// index walk only once a phase asks for it, live_graph_of), the head used and the
// ranges of it read so far, the summaries of the items read this pass.
struct walk_outcome {
  std::optional<live_graph> live;
  bool full_graph = false;  // live holds every live item (a full walk)
  std::unordered_map<segment_id, std::uint64_t> bytes_in;  // live bytes per segment
  usage_index_stats index;
  usage_index_lookup lookup;  // lookup.index: the head used, if any
  std::vector<std::optional<std::vector<usage_summary>>> ranges;  // of lookup.index, as read
  std::unordered_set<segment_id> unchanged;  // segments whose summaries may be used
  std::unordered_map<location, usage_summary, location_hash> fresh;  // read this pass
  std::vector<usage_run> runs;  // of the root walked, for the next head (empty: unknown)
  bool broken = false;          // a range of the head was missing or damaged
  bool shared = false;          // the full walk found an item linked twice: no index is kept
  object_id root_id;            // of the root walked from (not known when unread)
  std::uint64_t items_live = 0;
  std::uint64_t interior = 0;
  std::uint64_t bytes_walked = 0;  // interior bytes read from the store
  bool unread = false;             // nothing walked: the head's table is the table
};

// Adds summary S's counts and bytes to the summary being built, TO.
inline void add_summary(usage_summary& to, const usage_summary& s) {
  to.nodes += s.nodes;
  to.interior += s.interior;
  to.bytes.insert(to.bytes.end(), s.bytes.begin(), s.bytes.end());
}

// Sorts BYTES by segment and sums each segment's entries into one.
inline void merge_bytes(std::vector<std::pair<segment_id, std::uint64_t>>& bytes) {
  std::sort(bytes.begin(), bytes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (out > 0 && bytes[out - 1].first == bytes[i].first)
      bytes[out - 1].second += bytes[i].second;
    else
      bytes[out++] = bytes[i];
  bytes.resize(out);
}

// What a node stands for that a run of the root's links covers without being its
// first (the run's summary, on its first node, counts it).
inline const usage_summary covered_by_run{};

// What leaf N stands for: one node, its bytes where it lies.
inline usage_summary leaf_summary(const live_node& n) {
  usage_summary s;
  s.nodes = 1;
  s.bytes.push_back({n.where.segment(), n.where.size});
  return s;
}

// The summaries of NODES (a breadth-first graph whose nodes are either expanded
// interior items, leaves, or stand for what SUM[i] summarizes: an interior item's
// subtree, a run of the root's links, or nothing, covered_by_run), bottom-up: each
// expanded interior node's is added to FRESH; the root's is returned.
inline usage_summary summarize(const std::vector<live_node>& nodes,
                               const std::vector<const usage_summary*>& sum,
                               std::unordered_map<location, usage_summary, location_hash>& fresh) {
  std::unordered_map<node_index, usage_summary> building;
  for (node_index i = nodes.size(); i-- > 0;) {
    const auto& n = nodes[i];
    usage_summary one;
    const usage_summary* s = &one;
    if (i < sum.size() && sum[i]) {
      s = sum[i];
    } else if (n.leaf) {
      one = leaf_summary(n);
    } else {
      auto it = building.find(i);
      if (it != building.end()) one = std::move(it->second), building.erase(it);
      one.where = n.where, one.id = n.id, one.type = n.type;
      one.nodes += 1, one.interior += 1;
      one.bytes.push_back({n.where.segment(), n.where.size});
      merge_bytes(one.bytes);
      if (i == 0) return one;
      s = &fresh.insert_or_assign(n.where, std::move(one)).first->second;
    }
    add_summary(building[n.parent], *s);
  }
  return {};
}

// Whether S's subtree holds a byte in a segment of VICTIMS.
inline bool touches(const usage_summary& s, const std::unordered_set<segment_id>& victims) {
  for (const auto& [seg, n] : s.bytes)
    if (victims.count(seg)) return true;
  return false;
}

// Links a run of the root's holds on average: a link ends a run when the hash of its
// location and id is usage_run_links - 1 modulo usage_run_links (so a changed link
// changes only its run and maybe the next), or when the run has usage_run_most.
inline constexpr std::uint64_t usage_run_links = 32;
inline constexpr std::uint64_t usage_run_most = 4 * usage_run_links;

// One run of links: NODES[BEGIN, END), whose locations and ids hash to KEY.
struct link_run {
  node_index begin = 0, end = 0;
  std::uint64_t key = 0;
};

// The runs the COUNT links NODES[FIRST..] (one item's children, in link order) are
// cut into, by their content (usage_run_links).
inline std::vector<link_run> runs_of(const std::vector<live_node>& nodes, node_index first,
                                     std::uint64_t count) {
  std::vector<link_run> out;
  index_writer w;
  node_index begin = first;
  for (node_index i = first; i < first + count; ++i) {
    const auto at = w.out.size();
    w.loc(nodes[i].where);
    w.id(nodes[i].id);
    const auto h = crc64(byte_view(w.out).subspan(at));
    if (h % usage_run_links == usage_run_links - 1 || i + 1 - begin >= usage_run_most ||
        i + 1 == first + count) {
      out.push_back({begin, i + 1, crc64(w.out)});
      w.out.clear();
      begin = i + 1;
    }
  }
  return out;
}

// The runs of the root NODES[0]'s links, each summed from what its nodes stand for
// (SUM[i], a leaf's own bytes, or the summary FRESH holds for its location); empty
// when one is not known.
inline std::vector<usage_run> root_runs(
    const std::vector<live_node>& nodes, const std::vector<const usage_summary*>& sum,
    const std::unordered_map<location, usage_summary, location_hash>& fresh) {
  std::vector<usage_run> out;
  for (const auto& run : runs_of(nodes, nodes[0].first_child, nodes[0].child_count)) {
    usage_run r{static_cast<std::uint32_t>(run.end - run.begin), run.key, {}};
    for (auto i = run.begin; i < run.end; ++i) {
      const auto& n = nodes[i];
      if (i < sum.size() && sum[i]) {
        add_summary(r.sum, *sum[i]);
      } else if (n.leaf) {
        add_summary(r.sum, leaf_summary(n));
      } else if (auto it = fresh.find(n.where); it != fresh.end()) {
        add_summary(r.sum, it->second);
      } else {
        return {};
      }
    }
    merge_bytes(r.sum.bytes);
    out.push_back(std::move(r));
  }
  return out;
}

// Stands each run of the root's links (NODES[1..1 + the root's child count)) that
// W's head holds for its nodes (SUM: the run's summary on its first, covered_by_run
// on the others; counted in REUSED), when every node of it lies in a segment the
// store still holds unchanged, and, with VICTIMS, the run touches none of them.
inline void cover_runs(const walk_outcome& w, const std::vector<live_node>& nodes,
                       std::vector<const usage_summary*>& sum,
                       const std::unordered_set<segment_id>* victims, std::uint64_t& reused) {
  if (!w.lookup.index || w.lookup.index->runs.empty() || w.broken) return;
  std::unordered_map<std::uint64_t, const usage_run*> by_key;
  for (const auto& r : w.lookup.index->runs) by_key.emplace(r.key, &r);
  for (const auto& run : runs_of(nodes, 1, nodes[0].child_count)) {
    const auto it = by_key.find(run.key);
    if (it == by_key.end() || it->second->links != run.end - run.begin) continue;
    const auto& got = it->second->sum;
    bool usable = !(victims && touches(got, *victims));
    for (auto i = run.begin; i < run.end && usable; ++i)
      usable = w.unchanged.count(nodes[i].where.segment()) > 0;
    if (!usable) continue;
    sum[run.begin] = &got;
    for (auto i = run.begin + 1; i < run.end; ++i) sum[i] = &covered_by_run;
    reused += got.interior;
  }
}

// Reads the ranges of W's head that may hold a summary of an item at one of LOCS
// (their first..last spans it) and are not read yet. Sets W.broken when one is
// missing or damaged.
// Fails: the store's errors.
template <segment_store Store>
result<void> load_ranges(Store& store, walk_outcome& w, std::span<const location> locs) {
  const auto& refs = w.lookup.index->ranges;
  std::vector<bool> want(refs.size(), false);
  for (const auto& l : locs)
    for (std::size_t r = 0; r < refs.size(); ++r)
      want[r] = want[r] || (!w.ranges[r] && refs[r].first <= l && l <= refs[r].last);
  for (std::size_t r = 0; r < refs.size() && !w.broken; ++r) {
    if (!want[r]) continue;
    auto got = read_usage_range(store, w.lookup, refs[r]);
    if (!got) return fail(got.error());
    if (!*got) w.broken = true;
    w.ranges[r] = std::move(*got);
  }
  return {};
}

// The summary of the interior item N's link names (its location and id): one found
// this pass, or one of the head's ranges read so far, of an item in a segment the
// store still holds unchanged; else none.
inline const usage_summary* find_summary(const walk_outcome& w, const live_node& n) {
  if (auto it = w.fresh.find(n.where); it != w.fresh.end())
    return it->second.id == n.id ? &it->second : nullptr;
  if (!w.lookup.index || !w.unchanged.count(n.where.segment())) return nullptr;
  for (const auto& r : w.ranges) {
    if (!r || r->empty() || n.where < r->front().where || r->back().where < n.where) continue;
    const auto it =
        std::lower_bound(r->begin(), r->end(), n.where,
                         [](const usage_summary& s, location l) { return s.where < l; });
    if (it != r->end() && it->where == n.where && it->id == n.id) return &*it;
  }
  return nullptr;
}

// The interior nodes of LEVEL [BEGIN, END) of NODES that must be read (every other
// one is stood for by its summary, recorded in SUM; counted in REUSED). With
// VICTIMS, a summarized node is read anyway when its subtree touches them.
template <segment_store Store>
result<std::vector<node_index>> level_to_read(Store& store, walk_outcome& w,
                                              const std::vector<live_node>& nodes,
                                              std::size_t begin, std::size_t end,
                                              std::vector<const usage_summary*>& sum,
                                              const std::unordered_set<segment_id>* victims,
                                              std::uint64_t& reused) {
  sum.resize(nodes.size(), nullptr);
  if (begin == 1) cover_runs(w, nodes, sum, victims, reused);
  std::vector<location> candidates;
  for (auto i = std::max<std::size_t>(begin, 1); i < end; ++i)
    if (!nodes[i].leaf && !sum[i] && w.unchanged.count(nodes[i].where.segment()) &&
        !w.fresh.count(nodes[i].where))
      candidates.push_back(nodes[i].where);
  if (w.lookup.index) CLOUDLOG_TRY_VOID(load_ranges(store, w, candidates));
  std::vector<node_index> to_read;
  for (auto i = begin; i < end; ++i) {
    if (nodes[i].leaf || sum[i]) continue;
    const auto* s = i == 0 || w.broken ? nullptr : find_summary(w, nodes[i]);
    if (s && !(victims && touches(*s, *victims))) {
      sum[i] = s;
      reused += s->interior;
    } else {
      to_read.push_back(i);
    }
  }
  return to_read;
}

// From ROOT, a level at a time: every interior item read (through PLANNER, as walk()
// reads) but those standing for a subtree W's summaries describe, which stay
// unexpanded (leaf false, no children), counted unread. With VICTIMS, a subtree
// that touches them is read (the graph of everything that may move or be rewritten).
// SUM: the summary of each unexpanded node. Sets W.broken (and returns what it has)
// when a range of the head is missing or damaged.
// Fails: as walk().
template <class Format, segment_store Store>
result<live_graph> walk_summarized(const Format& format, Store& store, location root,
                                   read_planner& planner, walk_outcome& w,
                                   std::vector<const usage_summary*>& sum,
                                   const std::unordered_set<segment_id>* victims,
                                   std::uint64_t& reused, std::uint64_t& read) {
  live_graph g;
  auto& nodes = g.nodes;
  nodes.push_back(live_node{root, {}, live_node::none, 0, 0, 0, false});
  std::size_t level_begin = 0, level_end = 1;
  while (level_begin < level_end && !w.broken) {
    auto to_read = level_to_read(store, w, nodes, level_begin, level_end, sum, victims, reused);
    if (!to_read) return fail(to_read.error());
    for (std::size_t at = 0; at < to_read->size() && !w.broken;) {
      const auto end = chunk_end(nodes, *to_read, at);
      const auto part = std::span(*to_read).subspan(at, end - at);
      CLOUDLOG_TRY_VOID(expand(format, store, planner, nodes, part));
      for (auto i : part) g.bytes_walked += nodes[i].where.size;
      read += part.size();
      at = end;
    }
    level_begin = level_end;
    level_end = nodes.size();
  }
  sum.resize(nodes.size(), nullptr);
  return g;
}

// The index walk: W's live bytes per segment and counts from the head's summaries
// and what changed since (walk_summarized, then summarize: the items read get
// summaries of their own, in W.fresh). Returns false when a range of the head is
// missing or damaged (W.broken; the note says which): the caller walks in full.
// Fails: as walk().
template <class Format, segment_store Store>
result<bool> index_walk(const Format& format, Store& store, location root, read_planner& planner,
                        walk_outcome& w) {
  std::vector<const usage_summary*> sum;
  std::uint64_t reused = 0, read = 0;
  auto g = walk_summarized(format, store, root, planner, w, sum, nullptr, reused, read);
  if (!g) return fail(g.error());
  if (w.broken) return false;
  auto total = summarize(g->nodes, sum, w.fresh);
  w.runs = root_runs(g->nodes, sum, w.fresh);
  w.root_id = g->nodes[0].id;
  w.items_live = total.nodes;
  w.interior = total.interior;
  w.bytes_walked = g->bytes_walked;
  w.bytes_in = {total.bytes.begin(), total.bytes.end()};
  w.index.items_reused = reused;
  w.index.items_read = read;
  return true;
}

// The full walk into W: the graph, the live bytes, the counts, and a summary of
// every interior item (W.fresh: the next head's ranges). An item linked twice makes
// the summaries disagree with the graph's live bytes: W.shared, no index is kept.
// Fails: as walk().
template <class Format, segment_store Store>
result<void> full_walk_into(const Format& format, Store& store, location root,
                            read_planner& planner, walk_outcome& w, bool summaries) {
  auto live = walk(format, store, root, planner);
  if (!live) return fail(live.error());
  w.items_live = live->nodes.size();
  w.root_id = live->nodes[0].id;
  w.bytes_walked = live->bytes_walked;
  w.bytes_in = live_bytes(*live);
  w.interior = 0;
  for (const auto& n : live->nodes) w.interior += n.leaf ? 0 : 1;
  w.live = std::move(*live);
  w.full_graph = true;
  if (!summaries) return {};
  w.fresh.clear();
  const auto total = summarize(w.live->nodes, {}, w.fresh);
  w.shared =
      total.nodes != w.items_live || std::unordered_map<segment_id, std::uint64_t>(
                                         total.bytes.begin(), total.bytes.end()) != w.bytes_in;
  if (w.shared) w.fresh.clear();
  w.runs = w.shared ? std::vector<usage_run>() : root_runs(w.live->nodes, {}, w.fresh);
  return {};
}

// The root's children walked per batch by full_walk_summarized.
inline constexpr std::size_t full_walk_batch = 64;

// Whether no two of KEYS (one per live item found: its segment's ordinal and its
// offset) are the same item: the live graph is a tree. Sorts KEYS.
inline bool linked_once(std::vector<std::uint64_t>& keys) {
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
}

// Appends to KEYS one key per node of NODES (but NODES[0]): its segment's ordinal in
// ORDINALS (numbered as first seen) and its offset.
inline void key_items(const std::vector<live_node>& nodes,
                      std::unordered_map<segment_id, std::uint32_t>& ordinals,
                      std::vector<std::uint64_t>& keys) {
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    const auto& w = nodes[i].where;
    const auto ord = ordinals.emplace(w.segment(), ordinals.size()).first->second;
    keys.push_back(std::uint64_t{ord} << 32 | w.offset);
  }
}

// Walks, as walk() does (a level at a time, in chunks of walk_chunk_bytes), the
// subtrees of NODES[1..] (NODES[0] their parent, read already).
// Fails: as walk().
template <class Format, segment_store Store>
result<std::uint64_t> walk_below(const Format& format, Store& store, read_planner& planner,
                                 std::vector<live_node>& nodes) {
  std::uint64_t walked = 0;
  std::size_t level_begin = 1, level_end = nodes.size();
  while (level_begin < level_end) {
    std::vector<node_index> interior;
    for (auto i = level_begin; i < level_end; ++i)
      if (!nodes[i].leaf) interior.push_back(i);
    for (std::size_t at = 0; at < interior.size();) {
      const auto end = chunk_end(nodes, interior, at);
      const auto part = std::span(interior).subspan(at, end - at);
      CLOUDLOG_TRY_VOID(expand(format, store, planner, nodes, part));
      for (auto i : part) walked += nodes[i].where.size;
      at = end;
    }
    level_begin = level_end;
    level_end = nodes.size();
  }
  return walked;
}

// The full walk into W without holding the graph: the root, then its children's
// subtrees full_walk_batch at a time, each batch walked, summarized (into W.fresh)
// and dropped. W gets the live bytes and counts; the graph is built later, from the
// summaries, if a phase needs it. Memory: one batch's subtrees and 8 bytes a live
// item (its segment and offset: an item linked twice, which summing subtrees would
// count twice, is found so; the walk is then done again holding the graph,
// full_walk_into, which counts it once and sets W.shared), not the graph's 56.
// Fails: as walk().
template <class Format, segment_store Store>
result<void> full_walk_summarized(const Format& format, Store& store, location root,
                                  read_planner& planner, walk_outcome& w) {
  w.fresh.clear();
  std::unordered_map<segment_id, std::uint32_t> ordinals;
  std::vector<std::uint64_t> keys;
  std::vector<live_node> top{live_node{root, {}, live_node::none, 0, 0, 0, false}};
  const std::array<node_index, 1> first{0};
  CLOUDLOG_TRY_VOID(expand(format, store, planner, top, std::span(first)));
  w.root_id = top[0].id;
  w.bytes_walked = root.size;
  usage_summary total;
  std::uint64_t batches = 0;
  for (std::size_t at = 1; at < top.size() || batches == 0; at += full_walk_batch, ++batches) {
    std::vector<live_node> nodes{top[0]};
    for (auto i = at; i < std::min(top.size(), at + full_walk_batch); ++i) nodes.push_back(top[i]);
    nodes[0].first_child = 1;
    nodes[0].child_count = static_cast<std::uint32_t>(nodes.size() - 1);
    auto walked = walk_below(format, store, planner, nodes);
    if (!walked) return fail(walked.error());
    w.bytes_walked += *walked;
    key_items(nodes, ordinals, keys);
    add_summary(total, summarize(nodes, {}, w.fresh));
    merge_bytes(total.bytes);
  }
  // The root's own item was counted once a batch.
  total.nodes -= batches - 1;
  total.interior -= batches - 1;
  for (auto& [seg, n] : total.bytes)
    if (seg == root.segment()) n -= (batches - 1) * root.size;
  w.items_live = total.nodes;
  w.interior = total.interior;
  w.bytes_in = {total.bytes.begin(), total.bytes.end()};
  w.runs = root_runs(top, {}, w.fresh);
  w.live.reset();
  w.full_graph = false;
  if (linked_once(keys)) return {};
  const auto walked = w.bytes_walked;
  CLOUDLOG_TRY_VOID(full_walk_into(format, store, root, planner, w, true));
  w.bytes_walked += walked;
  return {};
}

// Reads W's head (its local copy when OPTIONS says so), sets aside one that
// describes none of SEGMENTS (another store's), and prepares the index walk.
// Fails: the store's errors.
template <segment_store Store>
result<void> open_index(Store& store, walk_outcome& w, std::span<const segment_info> segments,
                        const usage_index_options& options) {
  w.index.enabled = true;
  auto found = read_usage_index(store, !options.full_walk, options.local_copy);
  if (!found) return fail(found.error());
  w.lookup = std::move(*found);
  if (!w.lookup.index) return {};
  w.unchanged = unchanged_segments(*w.lookup.index, segments);
  if (w.unchanged.empty()) {
    w.lookup.note = "usage index generation " + std::to_string(w.lookup.index->generation) +
                    " describes none of this store's segments (from another store?): ignored, "
                    "full walk";
    w.lookup.index.reset();
    return {};
  }
  w.ranges.resize(w.lookup.index->ranges.size());
  return {};
}

// The walk with a usable head H that is not current: the index walk, and, when it
// cannot be done (a range missing or damaged) or every OPTIONS.check_every passes, a
// full walk that holds no graph (full_walk_summarized; compared with the index
// walk's result: a difference sets mismatch). The graph, if a phase needs one, is
// built later from the full walk's summaries (live_graph_of).
// Fails: the store's errors; as walk().
template <class Format, segment_store Store>
result<void> walk_with_index(const Format& format, Store& store, location root,
                             read_planner& planner, walk_outcome& w) {
  auto ok = index_walk(format, store, root, planner, w);
  if (!ok) return fail(ok.error());
  if (*ok && !w.index.checked) return {};
  if (!*ok) w.lookup.index.reset();
  const auto indexed = std::move(w.bytes_in);
  const auto indexed_items = w.items_live;
  const auto read = w.index.items_read;
  w.index.full_walk = true;
  CLOUDLOG_TRY_VOID(full_walk_summarized(format, store, root, planner, w));
  if (*ok)
    w.index.mismatch = indexed != w.bytes_in || indexed_items != w.items_live;
  else
    w.index.items_reused = 0, w.index.items_read = read + w.interior;
  return {};
}

// The walk phase. Without OPTIONS.enabled: walk(). With it: reads the newest head;
// when it is current (record_is_current) reads nothing more now; when it is usable,
// walks with the index (walk_with_index); in full when there is none (one note says
// why) or when OPTIONS.full_walk (the head is then only listed, not read).
// Fails: the store's errors; as walk().
template <class Format, segment_store Store>
result<walk_outcome> walk_phase(const Format& format, Store& store, location root,
                                std::span<const segment_info> segments, read_planner& planner,
                                const usage_index_options& options) {
  walk_outcome w;
  if (!options.enabled) {
    CLOUDLOG_TRY_VOID(full_walk_into(format, store, root, planner, w, false));
    return w;
  }
  CLOUDLOG_TRY_VOID(open_index(store, w, segments, options));
  auto& s = w.index;
  const auto* head = w.lookup.index ? &*w.lookup.index : nullptr;
  s.checked =
      head && options.check_every > 0 && head->passes_since_full_walk + 1 >= options.check_every;
  if (head && !s.checked && record_is_current(*head, root, segments)) {
    w.unread = true;
    w.items_live = head->items_live;
    w.interior = head->interior;
    s.items_reused = head->interior;
    for (const auto& row : head->segments)
      if (row.live > 0) w.bytes_in[row.id] = row.live;
  } else if (head) {
    CLOUDLOG_TRY_VOID(walk_with_index(format, store, root, planner, w));
  } else {
    s.full_walk = true;
    CLOUDLOG_TRY_VOID(full_walk_summarized(format, store, root, planner, w));
    s.items_read = w.interior;
  }
  if (w.lookup.index) s.generation_read = w.lookup.index->generation;
  s.note = w.lookup.note;
  s.bytes_read = w.lookup.bytes_read;
  s.local_copy = w.lookup.local;
  s.local_bytes_read = w.lookup.local_bytes_read;
  return w;
}

// Live bytes per segment of what W walked.
inline const std::unordered_map<segment_id, std::uint64_t>& live_bytes(const walk_outcome& w) {
  return w.bytes_in;
}

// The interior bytes of G (built by walk_summarized: SUM says which nodes stand for a
// summary) that the walk phase had not read already (it read the root, unless
// W.unread, and the items of W.fresh).
inline std::uint64_t read_anew(const walk_outcome& w, const live_graph& g,
                               const std::vector<const usage_summary*>& sum) {
  std::uint64_t out = 0;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    if (n.leaf || sum[i] || (i == 0 && !w.unread) || w.fresh.count(n.where)) continue;
    out += n.where.size;
  }
  return out;
}

// The graph the later phases need, read only now: every live item when EVERYTHING
// (quarantines, a repack type) or after a full walk; else only what VICTIMS hold and
// the interior items above it (a subtree whose summary touches no victim stays
// unexpanded: nothing in it moves or is rewritten). A range found damaged now costs
// a full walk (the note says so).
// Fails: the store's errors; as walk().
template <class Format, segment_store Store>
result<const live_graph*> live_graph_of(const Format& format, Store& store, location root,
                                        read_planner& planner, walk_outcome& w,
                                        const std::unordered_set<segment_id>& victims,
                                        bool everything) {
  if (w.live && (w.full_graph || !everything)) return &*w.live;
  if (!everything) {
    std::vector<const usage_summary*> sum;
    std::uint64_t reused = 0, read = 0;
    auto g = walk_summarized(format, store, root, planner, w, sum, &victims, reused, read);
    if (!g) return fail(g.error());
    if (!w.broken) {
      w.bytes_walked += read_anew(w, *g, sum);
      w.live = std::move(*g);
      return &*w.live;
    }
  }
  if (w.broken) {
    w.index.full_walk = true;
    w.index.items_reused = 0;
    w.index.note = w.lookup.note;
  }
  const auto walked = w.bytes_walked;
  CLOUDLOG_TRY_VOID(full_walk_into(format, store, root, planner, w, true));
  w.bytes_walked += walked;
  w.unread = false;
  return &*w.live;
}

// The new summaries of W (sorted by location) as range objects of up to
// usage_range_capacity each, numbered from X.next_range on (which moves past them),
// their references appended to X.ranges.
inline std::vector<std::pair<std::string, bytes>> new_ranges(const walk_outcome& w,
                                                             usage_index& x) {
  std::vector<usage_summary> all;
  all.reserve(w.fresh.size());
  for (const auto& [where, s] : w.fresh)
    if (!(where == x.root)) all.push_back(s);
  std::sort(all.begin(), all.end(),
            [](const usage_summary& a, const usage_summary& b) { return a.where < b.where; });
  std::vector<std::pair<std::string, bytes>> out;
  for (std::size_t at = 0; at < all.size(); at += usage_range_capacity) {
    const auto part = std::span<const usage_summary>(all).subspan(
        at, std::min(usage_range_capacity, all.size() - at));
    auto data = encode_usage_range(part);
    x.ranges.push_back(usage_range_ref_of(x.next_range, part, data));
    out.emplace_back(segment_name(usage_range_segment(x.next_range)).value_or(""), std::move(data));
    x.next_range = next_usage_generation(x.next_range);
  }
  return out;
}

// The ranges of the head W used that the next head keeps: none after a full walk
// (its summaries are all new); else those that may hold a summary of an item in a
// segment of USAGE (their first..last spans one), at most usage_range_limit - 1 of
// them, the newest.
inline std::vector<usage_range_ref> kept_ranges(const walk_outcome& w,
                                                std::span<const segment_usage> usage) {
  std::vector<usage_range_ref> out;
  if (!w.lookup.index || w.full_graph || w.index.full_walk) return out;
  for (const auto& r : w.lookup.index->ranges) {
    const auto first = r.first.segment(), last = r.last.segment();
    for (const auto& row : usage)
      if (first <= row.id && row.id <= last) {
        out.push_back(r);
        break;
      }
  }
  if (out.size() >= usage_range_limit) out.erase(out.begin(), out.end() - (usage_range_limit - 1));
  return out;
}

// Small ranges (fewer than half usage_range_capacity summaries: each pass after a
// change adds one) a head keeps before they are compacted into full ones.
inline constexpr std::size_t usage_compact_at = 32;

// Compacts the small ranges the next head X keeps when there are more than
// usage_compact_at of them: their summaries (read now; for a location found twice,
// this pass's or the newest range's; only those in segments USAGE says hold live
// bytes) join W.fresh, to be written with this pass's as full range objects, and X
// keeps only its other ranges. A small range missing or damaged leaves X as it is.
// Fails: the store's errors.
template <segment_store Store>
result<void> compact_ranges(Store& store, walk_outcome& w, usage_index& x,
                            std::span<const segment_usage> usage) {
  std::vector<usage_range_ref> small, kept;
  for (const auto& r : x.ranges) (r.count < usage_range_capacity / 2 ? small : kept).push_back(r);
  if (small.size() <= usage_compact_at) return {};
  std::unordered_set<segment_id> live;
  for (const auto& row : usage)
    if (row.live > 0) live.insert(row.id);
  std::vector<usage_summary> found;
  for (auto r = small.rbegin(); r != small.rend(); ++r) {  // newest first
    auto got = read_usage_range(store, w.lookup, *r);
    if (!got) return fail(got.error());
    if (!*got) return {};
    for (auto& one : **got)
      if (live.count(one.where.segment())) found.push_back(std::move(one));
  }
  for (auto& one : found) w.fresh.emplace(one.where, std::move(one));  // the first kept
  x.ranges = std::move(kept);
  return {};
}

// The head W started from stays (nothing was read: the same root, only dead segments
// may have gone); a local copy in LOCAL that was missing or stale is made now.
inline void keep_usage_index(walk_outcome& w, const std::filesystem::path& local) {
  if (local.empty() || w.lookup.local) return;
  if (!write_local_file(local, w.lookup.name, encode_usage_index(*w.lookup.index)))
    add_note(w.index.note, "could not copy the usage index to " + local.string());
}

// After a pass that is not a dry run: writes the head of what W walked (root ROOT,
// table USAGE) as the next generation, with a range object for the summaries found
// this pass (after a full walk: every summary, in as many objects as they need),
// keeping the earlier ranges that may still serve (kept_ranges; the small ones
// compacted, compact_ranges, once there are many); and its local copy,
// in LOCAL if not empty (a failure there only sets the note); then deletes the
// older heads and the ranges no head references. Unless the head W started from is
// still current (nothing read, the same root): it stays. After a full walk that
// found an item linked twice, no head is kept (every one is deleted).
// Fails: the store's errors.
template <segment_store Store>
result<void> save_usage_index(Store& store, walk_outcome& w, location root,
                              std::span<const segment_usage> usage,
                              const std::filesystem::path& local = {}) {
  auto& s = w.index;
  if (!s.enabled) return {};
  if (w.lookup.index && !s.full_walk && !w.full_graph && s.items_read == 0 &&
      w.lookup.index->root == root) {
    keep_usage_index(w, local);
    return {};
  }
  if (w.shared) {
    add_note(s.note, "an item is linked twice: no usage index is kept");
    CLOUDLOG_TRY_VOID(remove_all_but(store, usage_index_directory, {}));
    return {};
  }
  usage_index x;
  x.generation = next_usage_generation(w.lookup.newest_generation);
  x.passes_since_full_walk =
      s.full_walk || !w.lookup.index ? 0 : w.lookup.index->passes_since_full_walk + 1;
  x.root = root;
  x.root_id = w.root_id;
  x.items_live = w.items_live;
  x.interior = w.interior;
  x.next_range = w.lookup.index ? w.lookup.index->next_range : 1;
  x.segments.assign(usage.begin(), usage.end());
  x.ranges = kept_ranges(w, usage);
  x.runs = w.runs;
  CLOUDLOG_TRY_VOID(compact_ranges(store, w, x, usage));
  const auto added = new_ranges(w, x);
  auto n = write_usage_index(store, x, added, local);
  if (!n) return fail(n.error());
  s.generation_written = x.generation;
  s.bytes_written = n->bytes;
  if (!n->note.empty()) add_note(s.note, n->note);
  return {};
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_USAGE_WALK_HPP

// SPDX-License-Identifier: BSL-1.0
// The walk phase with the usage index (cleaner/usage_index.hpp): the same live
// graph as walk() (detail/walk.hpp), reading only the interior items the last
// pass's tree does not hold unchanged; the periodic cross-check against a full
// walk; and the record written after the pass (docs/design.md, "The walk phase").
#ifndef CLOUDLOG_CLEANER_DETAIL_USAGE_WALK_HPP
#define CLOUDLOG_CLEANER_DETAIL_USAGE_WALK_HPP

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
// same size: only items inside them are taken from PRIOR unread.
inline std::unordered_set<segment_id> unchanged_segments(const usage_index& prior,
                                                         std::span<const segment_info> segments) {
  std::unordered_map<segment_id, std::uint64_t> now;
  for (const auto& s : segments) now[s.id] = s.size;
  std::unordered_set<segment_id> out;
  for (const auto& row : prior.segments)
    if (auto it = now.find(row.id); it != now.end() && it->second == row.size) out.insert(row.id);
  return out;
}

// walk() from ROOT, but an interior item that PRIOR's tree holds at the same
// location with the same id (the root: at the same location), inside a segment of
// SEGMENTS whose size is the one PRIOR recorded, is not read: items are immutable,
// so its links, and its whole subtree, are PRIOR's. The graph is node for node the
// one walk() builds on the same store (same order, same fields) but for
// bytes_walked, which counts only the bytes read. REUSED, READ: interior items
// taken from PRIOR, read from the store.
// Fails: as walk() (a reused item is never read, so never fails).
template <class Format, segment_store Store>
result<live_graph> walk_reusing(const Format& format, Store& store, location root,
                                read_planner& planner, const usage_index& prior,
                                std::span<const segment_info> segments, std::uint64_t& reused,
                                std::uint64_t& read) {
  const auto& old = prior.tree.nodes;
  const auto same = unchanged_segments(prior, segments);
  std::unordered_map<location, node_index, location_hash> old_at;
  for (node_index i = 0; i < old.size(); ++i)
    if (!old[i].leaf && same.count(old[i].where.segment())) old_at.emplace(old[i].where, i);
  // The node of OLD that node N of the new graph is, unread, or none.
  const auto match = [&](const live_node& n) -> node_index {
    const auto it = old_at.find(n.where);
    if (it == old_at.end()) return live_node::none;
    if (n.parent != live_node::none && old[it->second].id != n.id) return live_node::none;
    return it->second;
  };
  live_graph g;
  auto& nodes = g.nodes;
  nodes.push_back(live_node{root, {}, live_node::none, 0, 0, 0, false});
  // What reading an interior item gave: its id, type and children.
  struct expanded {
    object_id id;
    std::uint8_t type = 0;
    std::vector<live_node> children;
  };
  std::size_t level_begin = 0, level_end = 1;
  while (level_begin < level_end) {
    std::vector<node_index> from_old(level_end - level_begin, live_node::none);
    std::vector<node_index> to_read;
    for (auto i = level_begin; i < level_end; ++i)
      if (!nodes[i].leaf) {
        from_old[i - level_begin] = match(nodes[i]);
        if (from_old[i - level_begin] == live_node::none) to_read.push_back(i);
      }
    // Read what must be read, in chunks of up to walk_chunk_bytes (as walk() does).
    std::unordered_map<node_index, expanded> got;
    for (std::size_t at = 0; at < to_read.size();) {
      const auto end = chunk_end(nodes, to_read, at);
      std::vector<location> locs;
      for (auto k = at; k < end; ++k) locs.push_back(nodes[to_read[k]].where);
      auto data = planner.fetch(store, locs, true);
      for (std::size_t k = 0; k < locs.size(); ++k) {
        const auto idx = to_read[at + k];
        expanded e;
        auto head = read_children(format, nodes[idx], idx, data[k], e.children);
        if (!head) return fail(head.error());
        e.id = head->id;
        e.type = head->type;
        g.bytes_walked += nodes[idx].where.size;
        got.emplace(idx, std::move(e));
      }
      read += end - at;
      at = end;
    }
    // Append the children in node order, as walk() does.
    for (auto i = level_begin; i < level_end; ++i) {
      if (nodes[i].leaf) continue;
      const node_index first = nodes.size();
      if (const auto o = from_old[i - level_begin]; o != live_node::none) {
        const auto& p = old[o];
        nodes[i].id = p.id;
        nodes[i].type = p.type;
        for (auto c = p.first_child; c < p.first_child + p.child_count; ++c)
          nodes.push_back(live_node{old[c].where, old[c].id, i, 0, 0, old[c].type, old[c].leaf});
        ++reused;
      } else {
        auto& e = got.at(i);
        nodes[i].id = e.id;
        nodes[i].type = e.type;
        for (auto& c : e.children) nodes.push_back(c);
      }
      nodes[i].first_child = first;
      nodes[i].child_count = static_cast<std::uint32_t>(nodes.size() - first);
    }
    level_begin = level_end;
    level_end = nodes.size();
  }
  return g;
}

// Whether A and B are the same graph, node for node (bytes_walked aside).
inline bool same_graph(const live_graph& a, const live_graph& b) {
  if (a.nodes.size() != b.nodes.size()) return false;
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto &x = a.nodes[i], &y = b.nodes[i];
    if (!(x.where == y.where) || x.id != y.id || x.parent != y.parent ||
        x.first_child != y.first_child || x.child_count != y.child_count || x.type != y.type ||
        x.leaf != y.leaf)
      return false;
  }
  return true;
}

// What the walk phase produced: the graph (or, when the root and every segment
// holding a live item are as the record says, only the record's header and table:
// the graph is then the record's tree, read on demand by live_graph_of), what it did
// with the index, and the record it started from.
struct walk_outcome {
  std::optional<live_graph> live;  // empty: the record's tree, not read yet
  usage_index_stats index;
  usage_index_lookup lookup;  // lookup.index: the record used, if any
  std::uint64_t items_live = 0;
  std::uint64_t bytes_walked = 0;  // interior bytes read from the store
  bool unread = false;             // live is the record's tree (read or not)
};

// Whether the record X describes the tree from ROOT in the store of SEGMENTS
// exactly: the same root, and every segment holding a live item present with the
// size X recorded (items are immutable, so the tree is X's, node for node).
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

// The walk phase. Without OPTIONS.enabled: walk(). With it: reads the newest
// record's header and table; when the record is current (record_is_current) reads
// nothing more now; when it is usable, walks with walk_reusing() (reading the
// record's tree); in full when there is none (one note says why), when
// OPTIONS.full_walk (the record is then only listed, not read), or every
// OPTIONS.check_every passes, when it also walks with the record and compares: a
// difference sets index.mismatch (the engine then deletes nothing).
// Fails: the store's errors; as walk().
template <class Format, segment_store Store>
result<walk_outcome> walk_phase(const Format& format, Store& store, location root,
                                std::span<const segment_info> segments, read_planner& planner,
                                const usage_index_options& options) {
  walk_outcome w;
  const auto full = [&]() -> result<void> {
    auto live = walk(format, store, root, planner);
    if (!live) return fail(live.error());
    w.items_live = live->nodes.size();
    w.bytes_walked = live->bytes_walked;
    w.live = std::move(*live);
    return {};
  };
  if (!options.enabled) {
    CLOUDLOG_TRY_VOID(full());
    return w;
  }
  auto& s = w.index;
  s.enabled = true;
  auto found = read_usage_index(store, !options.full_walk, options.local_copy);
  if (!found) return fail(found.error());
  w.lookup = std::move(*found);
  auto& lookup = w.lookup;
  if (lookup.index && unchanged_segments(*lookup.index, segments).empty()) {
    lookup.note = "usage index generation " + std::to_string(lookup.index->generation) +
                  " describes none of this store's segments (from another store?): ignored, "
                  "full walk";
    lookup.index.reset();
  }
  const bool usable = lookup.index.has_value();
  s.checked = usable && options.check_every > 0 &&
              lookup.index->passes_since_full_walk + 1 >= options.check_every;
  if (usable && !s.checked && record_is_current(*lookup.index, root, segments)) {
    w.unread = true;
    w.items_live = lookup.head->nodes;
    s.items_reused = lookup.head->interior;
  } else {
    std::optional<live_graph> indexed;
    if (usable) {
      auto tree = read_usage_tree(store, lookup);
      if (!tree) return fail(tree.error());
      if (!*tree) lookup.index.reset();
    }
    if (lookup.index) {
      std::uint64_t reused = 0, read = 0;
      auto g = walk_reusing(format, store, root, planner, *lookup.index, segments, reused, read);
      if (!g) return fail(g.error());
      lookup.index->tree = {};  // the new graph holds all of it now: not kept twice
      s.items_reused = reused;
      s.items_read = read;
      indexed = std::move(*g);
    }
    if (!lookup.index || s.checked) {
      s.full_walk = true;
      CLOUDLOG_TRY_VOID(full());
      if (!lookup.index)
        for (const auto& n : w.live->nodes) s.items_read += n.leaf ? 0 : 1;
      if (indexed && !same_graph(*indexed, *w.live)) s.mismatch = true;
    } else {
      w.items_live = indexed->nodes.size();
      w.bytes_walked = indexed->bytes_walked;
      w.live = std::move(*indexed);
    }
  }
  if (lookup.index) s.generation_read = lookup.index->generation;
  s.note = lookup.note;
  s.bytes_read = lookup.bytes_read;
  s.local_copy = !lookup.local.empty();
  s.local_bytes_read = lookup.local_bytes_read;
  return w;
}

// Live bytes per segment of what W walked: from the graph, or from the record's
// table when the graph is the record's tree, unread.
inline std::unordered_map<segment_id, std::uint64_t> live_bytes(const walk_outcome& w) {
  if (w.live) return live_bytes(*w.live);
  std::unordered_map<segment_id, std::uint64_t> out;
  for (const auto& row : w.lookup.index->segments)
    if (row.live > 0) out[row.id] = row.live;
  return out;
}

// The graph W walked, reading the record's tree now if it was not read (one ranged
// read); if that tree turns out damaged, walks from ROOT in full instead (the note
// says so).
// Fails: the store's errors; as walk().
template <class Format, segment_store Store>
result<const live_graph*> live_graph_of(const Format& format, Store& store, location root,
                                        read_planner& planner, walk_outcome& w) {
  if (w.live) return &*w.live;
  auto tree = read_usage_tree(store, w.lookup);
  if (!tree) return fail(tree.error());
  w.index.bytes_read = w.lookup.bytes_read;
  w.index.local_copy = !w.lookup.local.empty();
  w.index.local_bytes_read = w.lookup.local_bytes_read;
  if (*tree) {
    w.live = std::move(w.lookup.index->tree);
    w.live->bytes_walked = 0;
    return &*w.live;
  }
  w.index.note = w.lookup.note;
  w.index.full_walk = true;
  w.unread = false;
  auto live = walk(format, store, root, planner);
  if (!live) return fail(live.error());
  w.index.items_reused = 0;
  for (const auto& n : live->nodes) w.index.items_read += n.leaf ? 0 : 1;
  w.bytes_walked += live->bytes_walked;
  w.live = std::move(*live);
  return &*w.live;
}

// After a pass that is not a dry run: writes the record of what W walked (root ROOT,
// table USAGE) as the next generation (and its local copy, in LOCAL if not empty:
// a failure there only sets the note) and deletes the older ones, unless the record
// W started from is still current (the same root, nothing read: only dead
// segments may have gone). Takes W.live's nodes (the pass is over). Fills W.index's
// generation_written and bytes_written.
// Fails: the store's errors.
template <segment_store Store>
result<void> save_usage_index(Store& store, walk_outcome& w, location root,
                              std::span<const segment_usage> usage,
                              const std::filesystem::path& local = {}) {
  auto& s = w.index;
  if (!s.enabled) return {};
  if (w.lookup.index && !s.full_walk && s.items_read == 0 && w.lookup.index->root == root) {
    // The store's record stays; a local copy that was missing or stale is made now.
    if (local.empty() || s.local_copy) return {};
    auto data = store.read(w.lookup.name, 0, whole_object);
    if (!data || !decode_usage_index(*data) || !write_local_copy(local, w.lookup.name, *data)) {
      const std::string why = "could not copy the usage index to " + local.string();
      s.note = s.note.empty() ? why : s.note + "; " + why;
    }
    return {};
  }
  if (!w.live) return {};
  usage_index x;
  x.generation = next_usage_generation(w.lookup.newest_generation);
  x.passes_since_full_walk =
      s.full_walk || !w.lookup.index ? 0 : w.lookup.index->passes_since_full_walk + 1;
  x.root = root;
  x.root_id = w.live->nodes[0].id;
  x.segments.assign(usage.begin(), usage.end());
  x.tree.nodes = std::move(w.live->nodes);
  x.tree.bytes_walked = w.bytes_walked;
  auto n = write_usage_index(store, x, local);
  if (!n) return fail(n.error());
  s.generation_written = x.generation;
  s.bytes_written = n->bytes;
  if (!n->note.empty()) s.note = s.note.empty() ? n->note : s.note + "; " + n->note;
  return {};
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_USAGE_WALK_HPP

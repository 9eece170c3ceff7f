// SPDX-License-Identifier: BSL-1.0
// The walk: everything reachable from a root, as a compact breadth-first graph.
#ifndef CLOUDLOG_CLEANER_DETAIL_WALK_HPP
#define CLOUDLOG_CLEANER_DETAIL_WALK_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::detail {

// The index of a node in a live_graph: 64-bit, so that no store is too large for it
// (a node's children, at most one item's links, are counted in 32 bits).
using node_index = std::uint64_t;

// One item reachable from the root. Children of an interior node are stored
// contiguously (the walk is breadth-first), in the order of its non-null links.
struct live_node {
  static constexpr node_index none = std::numeric_limits<node_index>::max();
  location where;
  object_id id;
  node_index parent = none;
  node_index first_child = 0;
  std::uint32_t child_count = 0;
  std::uint8_t type = 0;
  bool leaf = false;
};

// What the walk found: nodes[0] is the root; a parent precedes its children.
struct live_graph {
  std::vector<live_node> nodes;
  std::uint64_t bytes_walked = 0;  // interior bytes read
};

// The id and type of an interior item as read.
struct item_head {
  object_id id;
  std::uint8_t type = 0;
};

// The one check of a walked item: DATA, read for interior node N (index IDX), must be
// the item N's link names (its size, and its id unless N is the root). Appends N's
// children (parent IDX) to OUT and returns the item's id and type.
// Fails: the read's error; errc::dangling_link.
template <class Format>
result<item_head> read_children(const Format& format, live_node n, node_index idx,
                                const result<byte_view>& data, std::vector<live_node>& out) {
  using layout = typename Format::layout;
  if (!data) return fail(data.error());
  auto v = parse_item<layout>(*data, 0);
  if (!v || v->size() != n.where.size) return fail(errc::dangling_link);
  if (n.parent != live_node::none && v->id() != n.id) return fail(errc::dangling_link);
  const auto leaf = format.leaf_type(v->type());
  for (const auto& l : v->links())
    if (!l.is_null())
      out.push_back(live_node{*l.where, l.id, idx, 0, 0, leaf.value_or(0), leaf.has_value()});
  return item_head{v->id(), v->type()};
}

template <class Format>
result<item_head> read_children(const Format& format, live_node n, node_index idx,
                                const result<bytes>& data, std::vector<live_node>& out) {
  if (!data) return fail(data.error());
  return read_children(format, n, idx, result<byte_view>(byte_view(*data)), out);
}

// Reads one chunk of interior nodes PART through PLANNER (kept in its cache, for
// the rewrite) and appends their children to NODES.
// Fails: as read_children().
template <class Format, segment_store Store>
result<void> expand(const Format& format, Store& store, read_planner& planner,
                    std::vector<live_node>& nodes, std::span<const node_index> part) {
  std::vector<location> locs;
  for (auto i : part) locs.push_back(nodes[i].where);
  // Nothing else is in flight and the next level waits for this one: all of its
  // runs at once where a request is a round trip (level_fan_out).
  const auto fetched = planner.fetch_views(store, locs, true, planner.level_fan_out());
  const auto& data = fetched.items;
  for (std::size_t k = 0; k < part.size(); ++k) {
    const auto idx = part[k];
    const node_index first = nodes.size();
    auto head = read_children(format, nodes[idx], idx, data[k], nodes);  // N copied first
    if (!head) return fail(head.error());
    nodes[idx].id = head->id;
    nodes[idx].type = head->type;
    nodes[idx].first_child = first;
    nodes[idx].child_count = static_cast<std::uint32_t>(nodes.size() - first);
  }
  return {};
}

// The interior item bytes the walk plans in one fetch (a level is read in one
// plan when it is no larger, so that its reads are merged across the whole level).
inline constexpr std::uint64_t walk_chunk_bytes = 16u << 20;

// The end of the chunk of INTERIOR (indices into NODES) that starts at AT: as many
// nodes as fit in walk_chunk_bytes, at least one.
inline std::size_t chunk_end(const std::vector<live_node>& nodes,
                             std::span<const node_index> interior, std::size_t at) {
  std::size_t end = at;
  std::uint64_t sum = 0;
  while (end < interior.size() &&
         (end == at || sum + nodes[interior[end]].where.size <= walk_chunk_bytes))
    sum += nodes[interior[end++]].where.size;
  return end;
}

// Walks everything reachable from ROOT a level at a time through PLANNER (each
// item read once, kept in its cache for the rewrite): a level's interior items
// are planned together, in chunks of up to walk_chunk_bytes; leaves are recorded
// from their parents' links, never read.
// Fails: as expand().
template <class Format, segment_store Store>
result<live_graph> walk(const Format& format, Store& store, location root, read_planner& planner) {
  live_graph g;
  auto& nodes = g.nodes;
  nodes.push_back(live_node{root, {}, live_node::none, 0, 0, 0, false});
  std::size_t level_begin = 0, level_end = 1;
  while (level_begin < level_end) {
    std::vector<node_index> interior;
    for (std::size_t i = level_begin; i < level_end; ++i)
      if (!nodes[i].leaf) interior.push_back(i);
    for (std::size_t at = 0; at < interior.size();) {
      const auto end = chunk_end(nodes, interior, at);
      const auto part = std::span(interior).subspan(at, end - at);
      CLOUDLOG_TRY_VOID(expand(format, store, planner, nodes, part));
      at = end;
    }
    level_begin = level_end;
    level_end = nodes.size();
  }
  for (const auto& n : nodes)
    if (!n.leaf) g.bytes_walked += n.where.size;
  return g;
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_WALK_HPP

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
#include "cloudlog/cleaner/detail/fetch_items.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::detail {

// One item reachable from the root. Children of an interior node are stored
// contiguously (the walk is breadth-first), in the order of its non-null links.
struct live_node {
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  location where;
  object_id id;
  std::uint32_t parent = none;
  std::uint32_t first_child = 0;
  std::uint32_t child_count = 0;
  std::uint8_t type = 0;
  bool leaf = false;
};

// What the walk found: nodes[0] is the root; a parent precedes its children.
struct live_graph {
  std::vector<live_node> nodes;
  std::uint64_t bytes_walked = 0;  // interior bytes read
};

// Reads one chunk of interior nodes PART and appends their children to NODES.
// Fails: the store's errors; errc::dangling_link if an item is not the one its link names.
template <class Format, segment_store Store>
result<void> expand(const Format& format, Store& store, std::vector<live_node>& nodes,
                    std::span<const std::uint32_t> part, std::uint64_t gap) {
  using layout = typename Format::layout;
  std::vector<location> locs;
  for (auto i : part) locs.push_back(nodes[i].where);
  auto data = fetch_items(store, locs, gap);
  for (std::size_t k = 0; k < part.size(); ++k) {
    const auto idx = part[k];
    if (!data[k]) return fail(data[k].error());
    auto v = parse_item<layout>(*data[k], 0);
    if (!v || v->size() != nodes[idx].where.size) return fail(errc::dangling_link);
    if (nodes[idx].parent != live_node::none && v->id() != nodes[idx].id)
      return fail(errc::dangling_link);
    nodes[idx].id = v->id();
    nodes[idx].type = v->type();
    const auto leaf = format.leaf_type(v->type());
    const auto first = static_cast<std::uint32_t>(nodes.size());
    for (const auto& l : v->links()) {
      if (l.is_null()) continue;
      nodes.push_back(live_node{*l.where, l.id, idx, 0, 0, leaf.value_or(0), leaf.has_value()});
    }
    nodes[idx].first_child = first;
    nodes[idx].child_count = static_cast<std::uint32_t>(nodes.size() - first);
  }
  return {};
}

// Walks everything reachable from ROOT a level at a time: interior items are read
// in chunks of about 32 * PARALLEL (coalesced across GAP), leaves are recorded from
// their parents' links, never read.
// Fails: as expand().
template <class Format, segment_store Store>
result<live_graph> walk(const Format& format, Store& store, location root, std::size_t parallel,
                        std::uint64_t gap) {
  live_graph g;
  auto& nodes = g.nodes;
  nodes.push_back(live_node{root, {}, live_node::none, 0, 0, 0, false});
  const std::size_t chunk = std::max<std::size_t>(64, parallel * 32);
  std::size_t level_begin = 0, level_end = 1;
  while (level_begin < level_end) {
    std::vector<std::uint32_t> interior;
    for (std::size_t i = level_begin; i < level_end; ++i)
      if (!nodes[i].leaf) interior.push_back(static_cast<std::uint32_t>(i));
    for (std::size_t at = 0; at < interior.size(); at += chunk) {
      const auto part = std::span(interior).subspan(at, std::min(chunk, interior.size() - at));
      CLOUDLOG_TRY_VOID(expand(format, store, nodes, part, gap));
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

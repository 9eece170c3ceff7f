// The cleaner engine's body (see cleaner/engine.hpp for the contract).
#ifndef CLOUDLOG_CLEANER_IMPL_ENGINE_HPP
#define CLOUDLOG_CLEANER_IMPL_ENGINE_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/log/segment_name.hpp"

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

// Reads the items at LOCS, merging reads of one segment across gaps <= GAP. The
// result has one entry per location, in LOCS' order: the item's bytes (possibly
// short if the object is), or the read's error.
template <segment_store Store>
std::vector<result<bytes>> fetch_items(Store& store, std::span<const location> locs,
                                       std::uint64_t gap) {
  std::vector<std::size_t> order(locs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(locs[a].segment(), locs[a].offset) <
           std::pair(locs[b].segment(), locs[b].offset);
  });
  struct run {
    segment_id seg;
    std::uint64_t begin, end;
  };
  constexpr std::uint64_t max_run = 16u << 20;
  std::vector<run> runs;
  std::vector<std::size_t> run_of(locs.size());
  for (auto i : order) {
    const auto& l = locs[i];
    if (runs.empty() || runs.back().seg != l.segment() || l.offset > runs.back().end + gap ||
        l.end() - runs.back().begin > max_run)
      runs.push_back({l.segment(), l.offset, l.end()});
    else
      runs.back().end = std::max(runs.back().end, l.end());
    run_of[i] = runs.size() - 1;
  }
  std::vector<read_request> requests;
  requests.reserve(runs.size());
  for (const auto& r : runs)
    requests.push_back({segment_name(r.seg).value_or(""), r.begin, r.end - r.begin});
  auto data = read_batch(store, requests);
  std::vector<result<bytes>> out;
  out.reserve(locs.size());
  for (std::size_t i = 0; i < locs.size(); ++i) {
    const auto& d = data[run_of[i]];
    if (!d) {
      out.push_back(fail(d.error()));
      continue;
    }
    // A short read (a segment shorter than its locations say) gives a short item;
    // FROM is clamped so that no iterator points past the buffer (UB; found by store_fuzz).
    const auto from = std::min<std::uint64_t>(locs[i].offset - runs[run_of[i]].begin, d->size());
    const auto n = std::min<std::uint64_t>(d->size() - from, locs[i].size);
    out.push_back(bytes(d->begin() + static_cast<std::ptrdiff_t>(from),
                        d->begin() + static_cast<std::ptrdiff_t>(from + n)));
  }
  return out;
}

// Segments being filled in the output directory, one per (group, class).
class output_log {
 public:
  struct segment {
    std::uint32_t sequence = 0;
    bytes data;
  };

  output_log(std::uint32_t directory, std::uint32_t next_sequence, std::uint64_t target)
      : directory_(directory), next_sequence_(next_sequence), target_(target) {}

  // Appends ITEM to the open segment of (GROUP, CLS), opening one if needed; a
  // segment that reaches the target is handed to CLOSED. Returns the item's location.
  template <class Closed>
  location append(std::uint32_t group, std::uint32_t cls, byte_view item, Closed&& closed) {
    auto key = std::pair(group, cls);
    auto it = open_.find(key);
    if (it == open_.end()) it = open_.emplace(key, segment{next_sequence_++, {}}).first;
    auto& seg = it->second;
    const location where{directory_, seg.sequence, static_cast<std::uint32_t>(seg.data.size()),
                         static_cast<std::uint32_t>(item.size())};
    append_to(seg.data, item);
    if (seg.data.size() >= target_) {
      closed(std::move(seg));
      open_.erase(it);
    }
    return where;
  }

  // Places the root so that its segment has the highest sequence of the run: in the
  // open segment of GROUP if that was the last one opened, else in a new one.
  // Returns the root's location; the root segment is then root_segment().
  location place_root(std::uint32_t group, byte_view item) {
    auto it = open_.find(std::pair(group, std::uint32_t{0}));
    if (it != open_.end() && it->second.sequence + 1 == next_sequence_) {
      root_ = std::move(it->second);
      open_.erase(it);
    } else {
      root_ = segment{next_sequence_++, {}};
    }
    const location where{directory_, root_.sequence, static_cast<std::uint32_t>(root_.data.size()),
                         static_cast<std::uint32_t>(item.size())};
    append_to(root_.data, item);
    return where;
  }

  // The segments still open (not holding the root), lowest sequence first.
  std::vector<segment> take_open() {
    std::vector<segment> out;
    for (auto& [k, s] : open_) out.push_back(std::move(s));
    open_.clear();
    std::sort(out.begin(), out.end(),
              [](const segment& a, const segment& b) { return a.sequence < b.sequence; });
    return out;
  }
  segment& root_segment() { return root_; }
  std::uint32_t directory() const { return directory_; }

 private:
  static void append_to(bytes& b, byte_view item) { b.insert(b.end(), item.begin(), item.end()); }

  std::uint32_t directory_;
  std::uint32_t next_sequence_;
  std::uint64_t target_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, segment> open_;
  segment root_;
};

class stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Walks everything reachable from ROOT: interior items are read (a level at a
// time, in batches), leaves are recorded from their parents' links.
template <class Format, segment_store Store>
result<std::vector<live_node>> walk(const Format& format, Store& store, location root,
                                    const clean_options& options) {
  using layout = typename Format::layout;
  std::vector<live_node> nodes;
  nodes.push_back(live_node{root, {}, live_node::none, 0, 0, 0, false});
  const std::size_t chunk = std::max<std::size_t>(64, options.parallel * 32);
  std::size_t level_begin = 0, level_end = 1;
  while (level_begin < level_end) {
    std::vector<std::uint32_t> interior;
    for (std::size_t i = level_begin; i < level_end; ++i)
      if (!nodes[i].leaf) interior.push_back(static_cast<std::uint32_t>(i));
    for (std::size_t at = 0; at < interior.size(); at += chunk) {
      const auto part = std::span(interior).subspan(at, std::min(chunk, interior.size() - at));
      std::vector<location> locs;
      for (auto i : part) locs.push_back(nodes[i].where);
      auto data = fetch_items(store, locs, options.coalesce_gap);
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
    }
    level_begin = level_end;
    level_end = nodes.size();
  }
  return nodes;
}

}  // namespace cloudlog::detail

namespace cloudlog::detail {

// One run over STORE, which counts every request (clean() reads the counts after).
template <class Format, class Store, class Policy, class Verifier>
result<clean_report> clean_counted(const Format& format, Store& store, const Policy& policy,
                                   const clean_options& options, const Verifier& verify) {
  using layout = typename Format::layout;
  clean_report report;
  auto& stats = report.stats;
  detail::stopwatch clock;

  // --- load: the root and the writer's acknowledgement ---
  auto ctx = format.load(store);
  if (!ctx) return fail(ctx.error());
  stats.seconds_load = clock.lap();

  // --- walk: everything live, and the utilization table ---
  auto walked = detail::walk(format, store, ctx->root(), options);
  if (!walked) return fail(walked.error());
  auto& nodes = *walked;
  stats.items_live = nodes.size();
  for (const auto& n : nodes)
    if (!n.leaf) stats.bytes_walked += n.where.size;
  std::unordered_map<segment_id, std::uint64_t> live;
  {
    std::vector<std::uint32_t> by_location(nodes.size());
    std::iota(by_location.begin(), by_location.end(), 0u);
    std::sort(by_location.begin(), by_location.end(),
              [&](auto a, auto b) { return nodes[a].where < nodes[b].where; });
    for (std::size_t i = 0; i < by_location.size(); ++i) {
      const auto& w = nodes[by_location[i]].where;
      if (i > 0 && nodes[by_location[i - 1]].where == w) continue;  // counted once
      live[w.segment()] += w.size;
    }
  }
  auto& plan = report.plan;
  std::unordered_map<segment_id, std::size_t> row_of;  // segment -> its row in plan.table
  for (const auto& seg : ctx->segments()) {
    const auto it = live.find(seg.id);
    const auto l = it == live.end() ? 0 : it->second;
    row_of[seg.id] = plan.table.size();
    plan.table.push_back({seg.id, seg.size, l, ctx->age(seg.id)});
    stats.bytes_total += seg.size;
    stats.bytes_used += l;
    if (l == 0 && ctx->deletable(seg, l)) {
      plan.deletions.push_back(seg);
      plan.bytes_to_free_now += seg.size;
    }
  }
  stats.bytes_wasted = stats.bytes_total - stats.bytes_used;
  stats.seconds_walk = clock.lap();

  auto delete_dead = [&]() -> result<void> {
    if (options.dry_run || plan.deletions.empty()) return {};
    std::vector<std::string> names;
    for (const auto& seg : plan.deletions) names.push_back(seg.name);
    CLOUDLOG_TRY_VOID(remove_batch(store, names));
    for (const auto& seg : plan.deletions) stats.bytes_freed += seg.size;
    stats.segments_deleted = plan.deletions.size();
    stats.seconds_delete = clock.lap();
    return {};
  };

  if (!ctx->writer_caught_up()) {
    report.status = clean_status::waiting_for_writer;
    CLOUDLOG_TRY_VOID(delete_dead());
    return report;
  }

  // --- victims, and what moves ---
  const auto victim_ids = policy.select(plan.table);
  std::unordered_set<segment_id> victims(victim_ids.begin(), victim_ids.end());
  for (const auto& id : victim_ids) {
    const auto& row = plan.table.at(row_of.at(id));
    plan.victims.push_back(row);
    plan.bytes_to_free_later += row.size;
  }
  if (victims.empty()) {
    report.status = clean_status::nothing_to_do;
    CLOUDLOG_TRY_VOID(delete_dead());
    return report;
  }

  enum : std::uint8_t { stays = 0, moves = 1, dirty = 2 };
  std::vector<std::uint8_t> state(nodes.size(), stays);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].leaf && victims.count(nodes[i].where.segment())) state[i] = moves;
  if (options.mode == relocation_mode::whole_parent) {
    for (const auto& n : nodes) {
      if (n.leaf || n.child_count == 0) continue;
      bool any = false;
      for (auto c = n.first_child; c < n.first_child + n.child_count; ++c)
        any = any || (nodes[c].leaf && state[c] == moves);
      if (any)
        for (auto c = n.first_child; c < n.first_child + n.child_count; ++c)
          if (nodes[c].leaf) state[c] = moves;
    }
  }
  for (std::size_t i = nodes.size(); i-- > 0;) {
    const auto& n = nodes[i];
    if (n.leaf) continue;
    bool d = victims.count(n.where.segment()) > 0 ||
             (options.repack_type && *options.repack_type == n.type);
    for (auto c = n.first_child; c < n.first_child + n.child_count && !d; ++c)
      d = state[c] != stays;
    if (d) state[i] = dirty;
  }
  state[0] = dirty;  // the root is always rewritten when anything is cleaned
  std::vector<std::uint32_t> leaves, interior;
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    if (state[i] == moves) {
      leaves.push_back(i);
      plan.bytes_to_relocate += nodes[i].where.size;
      plan.bytes_to_read += nodes[i].where.size;
    } else if (state[i] == dirty && i != 0) {
      interior.push_back(i);
      plan.bytes_to_read += nodes[i].where.size;
    }
  }
  if (options.dry_run) {
    report.status = clean_status::cleaned;
    return report;
  }

  // --- relocate leaves, then rewrite dirty interior items bottom-up ---
  detail::output_log out(ctx->output_directory(), ctx->next_sequence(), Format::segment_target);
  // New place (and, for items the format rewrote under a fresh id, new id) of every
  // node that moved.
  struct new_place {
    location where;
    object_id id;
  };
  std::unordered_map<std::uint32_t, new_place> moved;
  result<void> write_failure{};
  auto write_segment = [&](detail::output_log::segment&& seg) {
    if (!write_failure) return;
    const segment_info info{{out.directory(), seg.sequence},
                            segment_name({out.directory(), seg.sequence}).value_or(""),
                            seg.data.size()};
    if (auto w = store.write(info.name, seg.data); !w) {
      write_failure = fail(w.error());
      return;
    }
    ++stats.segments_written;
    report.written.push_back(info);
  };
  auto reject = [&](const live_node& n, std::error_code why) {
    ++stats.items_rejected;
    report.rejected.push_back(corruption{segment_name(n.where.segment()).value_or("?"),
                                         n.where.offset, n.where.size, why});
  };
  // Checks that BYTES are the item N names; returns the parsed view or the reason not.
  auto check = [&](const live_node& n, const result<bytes>& data) -> result<item_view<layout>> {
    if (!data) return fail(data.error());
    auto v = parse_item<layout>(*data, 0);
    if (!v) return fail(v.error());
    if (v->size() != n.where.size || v->id() != n.id) return fail(errc::dangling_link);
    if (format.verified_on_copy(v->type()) && !verify(v->bytes())) return fail(errc::bad_tag);
    return v;
  };

  // The age class of relocated leaves, per victim segment (whole_parent keeps one class).
  std::unordered_map<segment_id, std::uint32_t> class_of;
  if (options.mode == relocation_mode::live_items)
    for (const auto& v : plan.victims) class_of[v.id] = policy.placement(v.age);
  const auto leaf_class = [&](const live_node& n) {
    const auto it = class_of.find(n.where.segment());
    return it == class_of.end() ? std::uint32_t{0} : it->second;
  };
  if (options.mode == relocation_mode::live_items) {
    std::stable_sort(leaves.begin(), leaves.end(), [&](auto a, auto b) {
      const auto ca = leaf_class(nodes[a]), cb = leaf_class(nodes[b]);
      if (ca != cb) return ca > cb;
      return nodes[a].where < nodes[b].where;
    });
  }
  const std::uint64_t batch_bytes = Format::segment_target;
  clean_progress progress{0, plan.bytes_to_relocate, 0, leaves.size()};
  for (std::size_t at = 0; at < leaves.size() && write_failure;) {
    if (options.stop_requested && options.stop_requested()) {
      report.interrupted = true;
      break;
    }
    std::vector<location> locs;
    std::uint64_t sum = 0;
    const auto from = at;
    while (at < leaves.size() && (locs.empty() || sum < batch_bytes)) {
      locs.push_back(nodes[leaves[at]].where);
      sum += nodes[leaves[at]].where.size;
      ++at;
    }
    auto data = detail::fetch_items(store, locs, options.coalesce_gap);
    for (std::size_t k = 0; k < locs.size(); ++k) {
      const auto idx = leaves[from + k];
      const auto& n = nodes[idx];
      if (!data[k] && data[k].error() != errc::out_of_range) return fail(data[k].error());
      auto v = check(n, data[k]);
      if (!v) {
        reject(n, v.error());
        continue;
      }
      moved[idx] = {out.append(format.group_of(n.type), leaf_class(n), v->bytes(), write_segment),
                    n.id};
      ++stats.items_relocated;
    }
    for (std::size_t k = 0; k < locs.size(); ++k) progress.bytes_done += locs[k].size;
    progress.items_done += locs.size();
    if (options.on_progress) options.on_progress(progress);
  }
  stats.seconds_relocate = clock.lap();
  CLOUDLOG_TRY_VOID(write_failure);

  // Interior items, deepest first (reverse breadth-first order), then the root.
  auto new_links = [&](const live_node& n, const item_view<layout>& v) {
    auto links = v.links();
    auto child = n.first_child;
    for (auto& l : links) {
      if (l.is_null()) continue;
      if (auto m = moved.find(child); m != moved.end()) {
        l.where = m->second.where;
        l.id = m->second.id;
      }
      ++child;
    }
    return links;
  };
  std::reverse(interior.begin(), interior.end());
  for (std::size_t at = 0; at < interior.size() && write_failure; at += 256) {
    const auto part =
        std::span(interior).subspan(at, std::min<std::size_t>(256, interior.size() - at));
    std::vector<location> locs;
    for (auto i : part) locs.push_back(nodes[i].where);
    auto data = detail::fetch_items(store, locs, options.coalesce_gap);
    for (std::size_t k = 0; k < part.size(); ++k) {
      const auto& n = nodes[part[k]];
      auto v = check(n, data[k]);
      if (!v) {
        if (v.error() != errc::bad_tag) return fail(v.error());  // it read fine in the walk
        reject(n, v.error());
        continue;
      }
      auto rewritten = format.rewrite(*v, new_links(n, *v), *ctx);
      if (!rewritten) return fail(rewritten.error());
      auto parsed = parse_item<layout>(*rewritten, 0);
      if (!parsed || parsed->size() != rewritten->size()) return fail(errc::invalid_argument);
      const auto id = parsed->id();
      moved[part[k]] = {out.append(format.group_of(n.type), 0, *rewritten, write_segment), id};
      ++stats.items_rewritten;
    }
  }
  CLOUDLOG_TRY_VOID(write_failure);
  {
    auto data = detail::fetch_items(store, std::span(&nodes[0].where, 1), options.coalesce_gap);
    auto v = check(nodes[0], data[0]);
    if (!v) return fail(v.error());
    auto root = format.make_root(*v, new_links(nodes[0], *v), *ctx);
    if (!root) return fail(root.error());
    out.place_root(format.group_of(nodes[0].type), *root);
    ++stats.items_rewritten;
  }

  // --- commit: every other segment first, the root's last ---
  for (auto& seg : out.take_open()) write_segment(std::move(seg));
  CLOUDLOG_TRY_VOID(write_failure);
  write_segment(std::move(out.root_segment()));
  CLOUDLOG_TRY_VOID(write_failure);
  stats.seconds_commit = clock.lap();

  // --- delete what was already dead ---
  CLOUDLOG_TRY_VOID(delete_dead());
  report.status = clean_status::cleaned;
  return report;
}

}  // namespace cloudlog::detail

namespace cloudlog {

template <class Format, segment_store Store, cleaning_policy Policy, item_verifier Verifier>
requires loadable_format<Format, Store> result<clean_report> clean(const Format& format,
                                                                   Store& raw_store,
                                                                   const Policy& policy,
                                                                   const clean_options& options,
                                                                   const Verifier& verify) {
  stats_store<Store&> store(raw_store);
  auto r = detail::clean_counted(format, store, policy, options, verify);
  if (r) {
    r->stats.requests = store.stats();
    r->stats.bytes_read = r->stats.requests.get.bytes;
    r->stats.bytes_written = r->stats.requests.put.bytes;
  }
  return r;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_IMPL_ENGINE_HPP

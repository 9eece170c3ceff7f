// SPDX-License-Identifier: BSL-1.0
// The phases of a cleaning pass, each a function from plain structs to plain structs:
// tabulate, choose, mark, schedule, relocate, rewrite, commit, delete (load is the
// format's, walk is detail/walk.hpp). impl/engine.hpp runs them in order.
#ifndef CLOUDLOG_CLEANER_DETAIL_PHASES_HPP
#define CLOUDLOG_CLEANER_DETAIL_PHASES_HPP

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/detail/output_log.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "cloudlog/cleaner/options.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog::detail {

// --- tabulate: live bytes per segment ---

// The utilization table and the segments already dead.
struct usage_tally {
  std::vector<segment_usage> table;                    // every accounted segment
  std::unordered_map<segment_id, std::size_t> row_of;  // segment -> its row
  std::vector<segment_info> dead;                      // no live byte, deletable now
  std::uint64_t bytes_total = 0, bytes_used = 0, bytes_dead = 0;
};

// Live bytes per segment of LIVE: each distinct location counted once.
inline std::unordered_map<segment_id, std::uint64_t> live_bytes(const live_graph& live) {
  // The locations themselves sorted (not indices into the nodes: the sort then
  // touches one contiguous array).
  std::vector<location> where;
  where.reserve(live.nodes.size());
  for (const auto& n : live.nodes) where.push_back(n.where);
  std::sort(where.begin(), where.end());
  std::unordered_map<segment_id, std::uint64_t> bytes_in;
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (i > 0 && where[i - 1] == where[i]) continue;
    bytes_in[where[i].segment()] += where[i].size;
  }
  return bytes_in;
}

// The usage table of every segment of CTX, given the live bytes in each (BYTES_IN;
// a segment it does not name holds none).
template <class Context>
usage_tally tabulate(const Context& ctx,
                     const std::unordered_map<segment_id, std::uint64_t>& bytes_in) {
  usage_tally t;
  for (const auto& seg : ctx.segments()) {
    const auto it = bytes_in.find(seg.id);
    const auto l = it == bytes_in.end() ? 0 : it->second;
    t.row_of[seg.id] = t.table.size();
    t.table.push_back({seg.id, seg.size, l, ctx.age(seg.id)});
    t.bytes_total += seg.size;
    t.bytes_used += l;
    if (l == 0 && ctx.deletable(seg, l)) {
      t.dead.push_back(seg);
      t.bytes_dead += seg.size;
    }
  }
  return t;
}

// Live bytes of every segment of CTX: each distinct location of LIVE counted once.
template <class Context>
usage_tally tabulate(const Context& ctx, const live_graph& live) {
  return tabulate(ctx, live_bytes(live));
}

// --- choose: the policy's victims ---

struct victim_set {
  std::vector<segment_usage> rows;  // in the policy's order
  std::unordered_set<segment_id> ids;
  std::uint64_t bytes = 0;  // their total size
  std::uint64_t scale = 1;  // table_scale of the table they came from (placement)
};

// The segments that hold a live item CTX quarantines (format_context's optional
// quarantined(): damaged items the writer found in place, which the cleaner leaves
// where they are rather than copy them again on every pass).
template <class Context>
std::unordered_set<segment_id> quarantined_segments(const Context& ctx, const live_graph& live) {
  std::unordered_set<segment_id> out;
  if constexpr (requires { ctx.quarantined().count(location{}); }) {
    const auto& q = ctx.quarantined();
    if (!q.empty())
      for (const auto& n : live.nodes)
        if (q.count(n.where)) out.insert(n.where.segment());
  }
  return out;
}

// Whether CTX quarantines any item (quarantined_segments then needs the live graph).
template <class Context>
bool quarantines_any(const Context& ctx) {
  if constexpr (requires { ctx.quarantined().empty(); })
    return !ctx.quarantined().empty();
  else
    return false;
}

// The policy's victims but those in KEPT, in its order, cut where the store would
// reach TARGET utilization once they are cleaned (cut_to_target; 1: all of them).
template <class Policy>
victim_set choose(const Policy& policy, const usage_tally& usage, double target = 1.0,
                  const std::unordered_set<segment_id>& kept = {}) {
  victim_set v;
  v.scale = table_scale(usage.table);
  auto chosen = policy.select(usage.table);
  std::erase_if(chosen, [&](const segment_id& id) { return kept.count(id) != 0; });
  for (const auto& id : cut_to_target(usage.table, std::move(chosen), target)) {
    const auto& row = usage.table.at(usage.row_of.at(id));
    v.rows.push_back(row);
    v.ids.insert(id);
    v.bytes += row.size;
  }
  return v;
}

// --- mark: which leaves move and which interior items are rewritten ---

struct move_set {
  std::vector<node_index> leaves;       // leaves that move, in node order
  std::vector<node_index> interior;     // dirty interior items but the root, deepest first
  std::uint64_t bytes_to_relocate = 0;  // of the leaves
  std::uint64_t bytes_to_read = 0;      // of the leaves and the interior items
};

// Leaves inside victims move (whole_parent: with every leaf of their parent);
// interior items are dirty if inside a victim, of the repack type, or with a child
// that moves or is dirty; the root always is.
inline move_set mark(const live_graph& live, const victim_set& victims, relocation_mode mode,
                     std::optional<std::uint8_t> repack_type) {
  const auto& nodes = live.nodes;
  enum : std::uint8_t { stays = 0, moves = 1, dirty = 2 };
  std::vector<std::uint8_t> state(nodes.size(), stays);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].leaf && victims.ids.count(nodes[i].where.segment())) state[i] = moves;
  if (mode == relocation_mode::whole_parent) {
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
    bool d = victims.ids.count(n.where.segment()) > 0 || (repack_type && *repack_type == n.type);
    for (auto c = n.first_child; c < n.first_child + n.child_count && !d; ++c)
      d = state[c] != stays;
    if (d) state[i] = dirty;
  }
  state[0] = dirty;
  move_set m;
  for (node_index i = 0; i < nodes.size(); ++i) {
    if (state[i] == moves) {
      m.leaves.push_back(i);
      m.bytes_to_relocate += nodes[i].where.size;
      m.bytes_to_read += nodes[i].where.size;
    } else if (state[i] == dirty && i != 0) {
      m.interior.push_back(i);
      m.bytes_to_read += nodes[i].where.size;
    }
  }
  std::reverse(m.interior.begin(), m.interior.end());
  return m;
}

// --- schedule: the order leaves are copied in, their classes, the read batches ---

struct relocation_schedule {
  std::vector<node_index> leaves;       // in copy order
  std::vector<std::uint32_t> classes;   // the age class of each, same order
  std::vector<std::size_t> batch_ends;  // batch k copies leaves [end[k-1], end[k])
};

// live_items: leaves sorted by (age class descending, source location); each class
// fills its own segments. whole_parent: link order, one class. A batch holds at
// least BATCH_BYTES (about one output segment) unless it is the last.
template <class Policy>
relocation_schedule schedule(const live_graph& live, const move_set& moves,
                             const victim_set& victims, const Policy& policy, relocation_mode mode,
                             std::uint64_t batch_bytes) {
  const auto& nodes = live.nodes;
  std::unordered_map<segment_id, std::uint32_t> class_of;
  if (mode == relocation_mode::live_items)
    for (const auto& v : victims.rows) class_of[v.id] = placement_for(policy, v.age, victims.scale);
  const auto leaf_class = [&](node_index i) {
    const auto it = class_of.find(nodes[i].where.segment());
    return it == class_of.end() ? std::uint32_t{0} : it->second;
  };
  relocation_schedule s;
  s.leaves = moves.leaves;
  if (mode == relocation_mode::live_items) {
    std::stable_sort(s.leaves.begin(), s.leaves.end(), [&](auto a, auto b) {
      const auto ca = leaf_class(a), cb = leaf_class(b);
      if (ca != cb) return ca > cb;
      return nodes[a].where < nodes[b].where;
    });
  }
  std::uint64_t sum = 0;
  for (std::size_t at = 0; at < s.leaves.size(); ++at) {
    s.classes.push_back(leaf_class(s.leaves[at]));
    sum += nodes[s.leaves[at]].where.size;
    if (sum >= batch_bytes || at + 1 == s.leaves.size()) {
      s.batch_ends.push_back(at + 1);
      sum = 0;
    }
  }
  return s;
}

// --- shared by relocate, rewrite and commit ---

// The new place (and, for items the format rewrote under a fresh id, the new id)
// of an item that moved.
struct new_place {
  location where;
  object_id id;
};

// Output segments being written in the background: at most LIMIT at once (each
// holds its segment's bytes, so memory is bounded by LIMIT output segments),
// besides segments the pass held in memory anyway (HELD: the open segments sealed
// or committed, whose writes waiting for room would save no memory, only delay
// the commit); 0 writes each segment synchronously. The buffers of finished writes are handed
// back (take_spare) to be filled again. The store must be thread-safe (every
// store of backend/ is). Not thread-safe itself.
class write_pipeline {
 public:
  explicit write_pipeline(std::size_t limit = 0) : limit_(limit) {}
  write_pipeline(write_pipeline&&) = default;
  write_pipeline& operator=(write_pipeline&&) = default;
  ~write_pipeline() { (void)drain(); }

  // Writes DATA as NAME, in the background when LIMIT > 0, after waiting for the
  // oldest write when LIMIT are in flight, unless HELD (at once).
  // Fails: the store's errors (of this write, or of an earlier one finished or
  // waited for).
  template <segment_store Store>
  result<void> write(Store& store, std::string name, bytes data, bool held = false) {
    if (limit_ == 0) {
      CLOUDLOG_TRY_VOID(store.write(name, data));
      spare_.push_back(std::move(data));
      return {};
    }
    CLOUDLOG_TRY_VOID(reap());
    while (!held && inflight_.size() >= limit_) CLOUDLOG_TRY_VOID(wait_oldest());
    inflight_.push_back(std::async(
        std::launch::async, [&store, name = std::move(name), data = std::move(data)]() mutable {
          auto ok = store.write(name, data);
          return done{std::move(ok), std::move(data)};
        }));
    return {};
  }

  // Waits for every write in flight. Fails: the first one's error.
  result<void> drain() {
    result<void> first{};
    while (!inflight_.empty()) {
      auto r = wait_oldest();
      if (!r && first) first = fail(r.error());
    }
    return first;
  }

  // The buffers of the writes finished so far (their bytes are on the store).
  std::vector<bytes> take_spare() { return std::exchange(spare_, {}); }

 private:
  struct done {
    result<void> ok;
    bytes data;
  };

  result<void> wait_oldest() {
    auto r = inflight_.front().get();
    inflight_.pop_front();
    if (r.ok) spare_.push_back(std::move(r.data));
    return r.ok;
  }

  // Collects the oldest writes that have finished, without waiting.
  result<void> reap() {
    while (!inflight_.empty() &&
           inflight_.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready)
      CLOUDLOG_TRY_VOID(wait_oldest());
    return {};
  }

  std::size_t limit_;
  std::deque<std::future<done>> inflight_;
  std::vector<bytes> spare_;
};

// The pass's output: the segments being filled, the ones written, the moves.
struct pass_output {
  output_log log;
  std::vector<segment_info> written{};                // in write order
  std::unordered_map<node_index, new_place> moved{};  // node -> new place
  std::vector<corruption> rejected{};                 // items left in place, and why
  write_pipeline writes{};                            // full segments being written
};

// Writes SEG to STORE (through OUT.writes: possibly still in flight on return;
// HELD: at once, over the pipeline's limit, write_pipeline::write) and records it
// in OUT.written. Fails: the store's errors.
template <segment_store Store>
result<void> write_segment(Store& store, pass_output& out, output_log::segment&& seg,
                           bool held = false) {
  const segment_id id{out.log.directory(), seg.sequence};
  segment_info info{id, segment_name(id).value_or(""), seg.data.size()};
  CLOUDLOG_TRY_VOID(out.writes.write(store, info.name, std::move(seg.data), held));
  out.written.push_back(std::move(info));
  for (auto& b : out.writes.take_spare()) out.log.recycle(std::move(b));
  return {};
}

// Appends ITEM to OUT's (GROUP, CLS) segment, writing the segment if that fills it.
template <segment_store Store>
result<location> append_item(Store& store, pass_output& out, std::uint32_t group, std::uint32_t cls,
                             byte_view item) {
  auto a = out.log.append(group, cls, item);
  if (a.full) CLOUDLOG_TRY_VOID(write_segment(store, out, std::move(*a.full)));
  return a.where;
}

inline corruption rejection(const live_node& n, std::error_code why) {
  return corruption{segment_name(n.where.segment()).value_or("?"), n.where.offset, n.where.size,
                    why};
}

// Checks that DATA are the bytes of the item N names and pass VERIFY where the
// format copies with the tag; returns the parsed view (valid while DATA is).
template <class Format, class Verifier>
result<item_view<typename Format::layout>> check_item(const Format& format, const Verifier& verify,
                                                      const live_node& n,
                                                      const result<byte_view>& data) {
  if (!data) return fail(data.error());
  auto v = parse_item<typename Format::layout>(*data, 0);
  if (!v) return fail(v.error());
  if (v->size() != n.where.size || v->id() != n.id) return fail(errc::dangling_link);
  if (format.verified_on_copy(v->type()) && !verify(v->bytes())) return fail(errc::bad_tag);
  return v;
}

template <class Format, class Verifier>
result<item_view<typename Format::layout>> check_item(const Format& format, const Verifier& verify,
                                                      const live_node& n,
                                                      const result<bytes>& data) {
  if (!data) return fail(data.error());
  return check_item(format, verify, n, result<byte_view>(byte_view(*data)));
}

// --- relocate: copy the scheduled leaves ---

struct relocation {
  std::uint64_t items_relocated = 0;
  bool interrupted = false;  // options.stop_requested said stop
};

// Copies the leaves of SCHEDULE batch by batch into OUT (full segments are written
// at once), each batch's reads planned by PLANNER (leaves are read once, not kept,
// and handed over as views into the batch's reads: copied only into the output)
// and run in the background up to OPTIONS.reads_ahead batches ahead of the one
// being copied (each batch as one read_batch: reads_ahead + 1 in flight; on
// s3rver, fanning each batch out further cost more CPU than the round trips it
// saved, docs/performance.md "cleaner on S3"; the first batch, which nothing
// overlaps, as the cost model's level_fan_out batches). Corrupt or refused leaves
// are recorded in OUT.rejected and stay. Fails: the store's errors (a leaf past its object's end
// is corrupt, not a failure).
template <class Format, segment_store Store, class Verifier>
result<relocation> relocate(const Format& format, Store& store, read_planner& planner,
                            const live_graph& live, const relocation_schedule& schedule,
                            std::uint64_t bytes_total, const clean_options& options,
                            const Verifier& verify, pass_output& out) {
  const auto& nodes = live.nodes;
  relocation r;
  clean_progress progress{0, bytes_total, 0, schedule.leaves.size(), "relocate"};
  if (options.on_phase) options.on_phase(progress);
  const auto& ends = schedule.batch_ends;
  const auto locations = [&](std::size_t batch) {
    std::vector<location> locs;
    for (auto at = batch == 0 ? 0 : ends[batch - 1]; at < ends[batch]; ++at)
      locs.push_back(nodes[schedule.leaves[at]].where);
    return locs;
  };
  // The first batch is read with nothing else to overlap it (the cost model's
  // level_fan_out: where a request is a round trip, all of it in flight at once);
  // the later ones one read_batch each, overlapped with the copying.
  const auto batch_fan_out = [&](std::size_t batch) {
    return batch == 0 ? planner.cost().level_fan_out : std::size_t{1};
  };
  // Batches being read, oldest first; waited for (by their futures) however this returns.
  // Their items are views into their reads (nothing copied before the output log).
  std::deque<std::future<read_planner::pending>> reading;
  std::size_t launched = 0;
  std::size_t from = 0;
  for (std::size_t batch = 0; batch < ends.size(); ++batch) {
    if (options.stop_requested && options.stop_requested()) {
      r.interrupted = true;
      break;
    }
    for (; launched < ends.size() && launched <= batch + options.reads_ahead; ++launched)
      reading.push_back(std::async(
          std::launch::async,
          [&store,
           p = planner.prepare_views(locations(launched), batch_fan_out(launched))]() mutable {
            read_planner::read(store, p);
            return std::move(p);
          }));
    auto fetched = planner.finish_views(reading.front().get());
    reading.pop_front();
    const auto& data = fetched.items;
    const auto end = ends[batch];
    for (std::size_t k = 0; k < data.size(); ++k) {
      const auto idx = schedule.leaves[from + k];
      const auto& n = nodes[idx];
      if (!data[k] && data[k].error() != errc::out_of_range) return fail(data[k].error());
      auto v = check_item(format, verify, n, data[k]);
      if (!v) {
        out.rejected.push_back(rejection(n, v.error()));
        continue;
      }
      auto where =
          append_item(store, out, format.group_of(n.type), schedule.classes[from + k], v->bytes());
      if (!where) return fail(where.error());
      out.moved[idx] = {*where, n.id};
      ++r.items_relocated;
    }
    for (auto at = from; at < end; ++at)
      progress.bytes_done += nodes[schedule.leaves[at]].where.size;
    progress.items_done += end - from;
    if (options.on_progress) options.on_progress(progress);
    from = end;
  }
  return r;
}

// --- rewrite: dirty interior items deepest first, then the root ---

// The links of N (read as V) with every child that moved pointed at its new place.
template <class Layout>
std::vector<item_link> new_links(const pass_output& out, const live_node& n,
                                 const item_view<Layout>& v) {
  auto links = v.links();
  auto child = n.first_child;
  for (auto& l : links) {
    if (l.is_null()) continue;
    if (auto m = out.moved.find(child); m != out.moved.end()) {
      l.where = m->second.where;
      l.id = m->second.id;
    }
    ++child;
  }
  return links;
}

// Takes the INTERIOR items (deepest first, in batches of 256) from PLANNER (its
// cache holds what the walk read, within its budget; the rest is read again) and
// appends each, rewritten by the format with its children's new places, to OUT.
// Returns how many. Items failing verification stay (OUT.rejected).
// Fails: the store's and the format's errors; any other check failure (the item read
// fine in the walk).
template <class Format, segment_store Store, class Verifier>
result<std::uint64_t> rewrite_interior(const Format& format, Store& store, read_planner& planner,
                                       const live_graph& live, std::span<const node_index> interior,
                                       const typename Format::context& ctx, const Verifier& verify,
                                       pass_output& out) {
  using layout = typename Format::layout;
  std::uint64_t rewritten = 0;
  for (std::size_t at = 0; at < interior.size(); at += 256) {
    const auto part = interior.subspan(at, std::min<std::size_t>(256, interior.size() - at));
    std::vector<location> locs;
    for (auto i : part) locs.push_back(live.nodes[i].where);
    // Cached items are not copied out; nothing read is kept.
    const auto fetched = planner.fetch_views(store, locs, false);
    const auto& data = fetched.items;
    for (std::size_t k = 0; k < part.size(); ++k) {
      const auto& n = live.nodes[part[k]];
      auto v = check_item(format, verify, n, data[k]);
      if (!v) {
        if (v.error() != errc::bad_tag) return fail(v.error());
        out.rejected.push_back(rejection(n, v.error()));
        continue;
      }
      auto item = format.rewrite(*v, new_links(out, n, *v), ctx);
      if (!item) return fail(item.error());
      auto parsed = parse_item<layout>(*item, 0);
      if (!parsed || parsed->size() != item->size()) return fail(errc::invalid_argument);
      const auto id = parsed->id();
      auto where = append_item(store, out, format.group_of(n.type), 0, *item);
      if (!where) return fail(where.error());
      out.moved[part[k]] = {*where, id};
      ++rewritten;
    }
  }
  return rewritten;
}

// Takes the root from PLANNER (cached by the walk) and places the format's new
// root, linking the moved children, last in OUT.
// Fails: the store's and the format's errors; any check failure.
template <class Format, segment_store Store, class Verifier>
result<void> replace_root(const Format& format, Store& store, read_planner& planner,
                          const live_graph& live, const typename Format::context& ctx,
                          const Verifier& verify, pass_output& out) {
  const auto& root = live.nodes[0];
  auto data = planner.fetch(store, std::span(&root.where, 1), false);
  auto v = check_item(format, verify, root, data[0]);
  if (!v) return fail(v.error());
  auto item = format.make_root(*v, new_links(out, root, *v), ctx);
  if (!item) return fail(item.error());
  out.log.place_root(format.group_of(root.type), *item);
  return {};
}

// --- seal: write the segments of groups that are finished ---

// For each output group of the interior items INTERIOR of LIVE (rewritten in that
// order) and of the root: the position in INTERIOR past its last item (the root's
// group: past the end, as the root comes last).
template <class Format>
std::map<std::uint32_t, std::size_t> group_ends(const Format& format, const live_graph& live,
                                                std::span<const node_index> interior) {
  std::map<std::uint32_t, std::size_t> ends;
  for (std::size_t k = 0; k < interior.size(); ++k)
    ends[format.group_of(live.nodes[interior[k]].type)] = k + 1;
  ends[format.group_of(live.nodes[0].type)] = interior.size() + 1;
  return ends;
}

// The groups of ENDS still appended to once the interior items before AT are rewritten.
inline std::set<std::uint32_t> groups_open_at(const std::map<std::uint32_t, std::size_t>& ends,
                                              std::size_t at) {
  std::set<std::uint32_t> keep;
  for (const auto& [g, end] : ends)
    if (end > at) keep.insert(g);
  return keep;
}

// Hands the open segments of every group but KEEP to OUT's writes now, so that
// their writes overlap what the pass still does (rather than wait for the commit):
// at once, over the pipeline's limit (they are in memory already; waiting for
// room held the rewrite back behind the writes in flight, and with it the root).
// Fails: the store's errors.
template <segment_store Store>
result<void> seal(Store& store, pass_output& out, const std::set<std::uint32_t>& keep) {
  for (auto& seg : out.log.take_open_but(keep))
    CLOUDLOG_TRY_VOID(write_segment(store, out, std::move(seg), true));
  return {};
}

// --- commit: every other segment first, the root's last ---

// The open segments are written at once (held: over the pipeline's limit), then
// every write in flight is waited for before the root's segment is written, so
// the root never reaches the store before a segment it references.
template <segment_store Store>
result<void> commit(Store& store, pass_output& out) {
  for (auto& seg : out.log.take_open())
    CLOUDLOG_TRY_VOID(write_segment(store, out, std::move(seg), true));
  CLOUDLOG_TRY_VOID(out.writes.drain());
  auto& root = out.log.root_segment();
  const segment_id id{out.log.directory(), root.sequence};
  segment_info info{id, segment_name(id).value_or(""), root.data.size()};
  CLOUDLOG_TRY_VOID(store.write(info.name, root.data));
  out.written.push_back(std::move(info));
  // Every buffer written is free now: kept for the process's next pass.
  for (auto& b : out.writes.take_spare()) segment_buffers::give(std::move(b));
  out.log.release_spare();
  return {};
}

// --- delete: the segments that were dead before the pass ---

// Deletes DEAD (batched: one DeleteObjects per 1000 on S3). Fails: the store's errors.
template <segment_store Store>
result<void> delete_dead(Store& store, std::span<const segment_info> dead) {
  std::vector<std::string> names;
  for (const auto& seg : dead) names.push_back(seg.name);
  return remove_batch(store, names);
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_PHASES_HPP

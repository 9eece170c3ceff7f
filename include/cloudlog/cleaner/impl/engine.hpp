// SPDX-License-Identifier: BSL-1.0
// The cleaner engine's body (see cleaner/engine.hpp for the contract): the phases of
// cleaner/detail/phases.hpp run in order, the report filled from their results.
#ifndef CLOUDLOG_CLEANER_IMPL_ENGINE_HPP
#define CLOUDLOG_CLEANER_IMPL_ENGINE_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>

#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/cleaner/detail/phases.hpp"
#include "cloudlog/cleaner/detail/usage_walk.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/error_info.hpp"

namespace cloudlog::detail {

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

// Tells OPTIONS's phase hook that PHASE begins.
inline void announce(const clean_options& options, const char* phase) {
  if (!options.on_phase) return;
  clean_progress p;
  p.phase = phase;
  options.on_phase(p);
}

inline void record_usage(clean_report& report, const walk_outcome& walked,
                         const usage_tally& usage) {
  auto& stats = report.stats;
  stats.items_live = walked.items_live;
  stats.bytes_walked = walked.bytes_walked;
  stats.bytes_total = usage.bytes_total;
  stats.bytes_used = usage.bytes_used;
  stats.bytes_wasted = usage.bytes_total - usage.bytes_used;
  report.plan.table = usage.table;
  report.plan.deletions = usage.dead;
  report.plan.bytes_to_free_now = usage.bytes_dead;
}

inline void record_plan(clean_plan& plan, const victim_set& victims, const move_set& moves) {
  plan.victims = victims.rows;
  plan.bytes_to_free_later = victims.bytes;
  plan.bytes_to_relocate = moves.bytes_to_relocate;
  plan.bytes_to_read = moves.bytes_to_read;
}

// The delete phase with its bookkeeping; the last step of every pass that is not a dry run.
// Fails: the store's errors, with the text "deleting N dead segments: ...".
template <class Store>
result_with_info<clean_report> finish(Store& store, clean_report report, clean_status status,
                                      const clean_options& options, stopwatch& clock) {
  report.status = status;
  const auto& dead = report.plan.deletions;
  if (options.dry_run || dead.empty()) return report;
  announce(options, "delete");
  if (auto d = delete_dead(store, std::span<const segment_info>(dead)); !d)
    return fail_while(d.error(), "deleting " + std::to_string(dead.size()) + " dead segments");
  for (const auto& seg : dead) report.stats.bytes_freed += seg.size;
  report.stats.segments_deleted = dead.size();
  report.stats.seconds_delete = clock.lap();
  return report;
}

// The moving part of a pass: schedule, relocate, rewrite, commit, reading through
// the pass's PLANNER. Fills REPORT's counts and written segments.
// Fails: the phases' errors, each with the text of what was being done
// ("relocating N live items: ...", "rewriting ...", "committing ...").
template <class Format, class Store, class Policy, class Verifier>
result_with_info<void> move_live(const Format& format, Store& store, read_planner& planner,
                                 const Policy& policy, const clean_options& options,
                                 const Verifier& verify, const typename Format::context& ctx,
                                 const live_graph& live, const victim_set& victims,
                                 const move_set& moves, clean_report& report, stopwatch& clock) {
  auto& stats = report.stats;
  const auto order = schedule(live, moves, victims, policy, options.mode, Format::segment_target);
  pass_output out{
      .log = output_log(ctx.output_directory(), ctx.next_sequence(), Format::segment_target),
      .writes = write_pipeline(options.writes_in_flight)};
  out.moved.reserve(moves.leaves.size() + moves.interior.size());
  auto relocated =
      relocate(format, store, planner, live, order, moves.bytes_to_relocate, options, verify, out);
  if (!relocated)
    return fail_while(relocated.error(),
                      "relocating " + std::to_string(moves.leaves.size()) + " live items");
  stats.items_relocated = relocated->items_relocated;
  report.interrupted = relocated->interrupted;
  stats.seconds_relocate = clock.lap();
  // Stopped before anything moved: a new root would only give the writer a merge
  // to do for nothing, so nothing is written.
  if (relocated->interrupted && out.moved.empty() && out.rejected.empty()) return {};
  // Interior items are rewritten a run of one output group at a time (deepest
  // first), each group's segments sealed (written in the background) as soon as no
  // later item goes to it.
  const std::span<const node_index> interior(moves.interior);
  const auto ends = group_ends(format, live, interior);
  const auto directory = "directory " + std::to_string(out.log.directory());
  const auto writing = [&](const std::error_code& ec) {
    return fail_while(ec, "writing output segments to " + directory);
  };
  if (auto sealed = seal(store, out, groups_open_at(ends, 0)); !sealed)
    return writing(sealed.error());
  std::uint64_t rewritten = 0;
  for (std::size_t at = 0; at < interior.size();) {
    const auto group = format.group_of(live.nodes[interior[at]].type);
    auto end = at;
    while (end < interior.size() && format.group_of(live.nodes[interior[end]].type) == group) ++end;
    auto n = rewrite_interior(format, store, planner, live, interior.subspan(at, end - at), ctx,
                              verify, out);
    if (!n)
      return fail_while(n.error(), "rewriting " + std::to_string(end - at) + " interior items");
    rewritten += *n;
    if (auto sealed = seal(store, out, groups_open_at(ends, end)); !sealed)
      return writing(sealed.error());
    at = end;
  }
  if (auto r = replace_root(format, store, planner, live, ctx, verify, out); !r)
    return fail_while(r.error(), "making the new root");
  stats.items_rewritten = rewritten + 1;
  announce(options, "commit");
  if (auto c = commit(store, out); !c)
    return fail_while(c.error(), "committing the output segments and the new root to " + directory);
  stats.seconds_commit = clock.lap();
  stats.segments_written = out.written.size();
  stats.items_rejected = out.rejected.size();
  report.written = std::move(out.written);
  report.rejected = std::move(out.rejected);
  return {};
}

// The state of one pass, handed from phase to phase as data (no phase captures
// another's locals): what the load found, the read planner every read of the pass
// goes through, what the walk produced and the table tabulated from it, the report
// being filled, and the clock timing the phases.
template <class Context>
struct pass_state {
  Context ctx;
  read_planner planner;
  stopwatch clock;
  walk_outcome walked{};
  usage_tally usage{};
  clean_report report{};
};

// Bytes STORE has read so far (STORE counts every request: clean()'s stats_store).
template <class Store>
std::uint64_t bytes_read_so_far(const Store& store) {
  return store.stats().get.bytes;
}

// The load phase: the format's context, and the pass's read planner (holding the
// root item when the context has its bytes, so that the walk does not read it again).
// Fails: the format's load errors, with its text (a load returning result_with_info
// says which segment and why) as it is.
template <class Format, class Store>
result_with_info<pass_state<typename Format::context>> load_phase(const Format& format,
                                                                  Store& store,
                                                                  const clean_options& options) {
  stopwatch clock;
  announce(options, "load");
  auto ctx = format.load(store);
  if (!ctx) return fail(error_info(ctx.error()));
  const double seconds_load = clock.lap();
  pass_state<typename Format::context> s{
      .ctx = std::move(*ctx),
      .planner =
          read_planner(options.read_cost.value_or(read_cost_of<Store>()), options.coalesce_gap,
                       options.read_cache_bytes, options.reads_ahead + 1),
      .clock = clock};
  s.report.stats.seconds_load = seconds_load;
  if constexpr (requires { byte_view(s.ctx.root_item()); })
    s.planner.hold(s.ctx.root(), byte_view(s.ctx.root_item()));
  // The end of the root's segment, as the load read it (the walk's first level
  // is usually inside it: one round trip fewer).
  if constexpr (requires { byte_view(s.ctx.root_tail()); })
    s.planner.hold_run(s.ctx.root().segment(), s.ctx.root_tail_offset(),
                       byte_view(s.ctx.root_tail()));
  return s;
}

// The walk phase (with the usage index when enabled) and tabulate: fills S.walked,
// S.usage and the report's usage figures.
// Fails: the walk's errors, with the text "walking the live items from the root at ...".
template <class Format, class Store, class Context>
result_with_info<void> walk_and_tabulate(const Format& format, Store& store,
                                         const clean_options& options, pass_state<Context>& s) {
  announce(options, "walk");
  auto walked =
      walk_phase(format, store, s.ctx.root(), std::span<const segment_info>(s.ctx.segments()),
                 s.planner, options.usage_index);
  if (!walked)
    return fail_while(walked.error(),
                      "walking the live items from the root at " + to_string(s.ctx.root()));
  s.walked = std::move(*walked);
  s.usage = tabulate(s.ctx, live_bytes(s.walked));
  auto& report = s.report;
  record_usage(report, s.walked, s.usage);
  report.stats.metadata_bytes_read = bytes_read_so_far(store);
  report.index = s.walked.index;
  report.stats.seconds_walk = s.clock.lap();
  report.stats.bytes_minimum = s.walked.bytes_walked;
  report.stats.needed_runs = s.planner.counts().runs;
  return {};
}

// The live graph of S's walk, built only now that a phase needs it: of EVERYTHING,
// or (with the usage index) of what VICTIMS hold and the interior items above it;
// the report's walk figures follow what that read cost.
// Fails: the walk's errors, with the text "reading the live graph of ...".
template <class Format, class Store, class Context>
result_with_info<const live_graph*> graph_of(const Format& format, Store& store,
                                             pass_state<Context>& s,
                                             const std::unordered_set<segment_id>& victims,
                                             bool everything) {
  const auto before = bytes_read_so_far(store);
  auto g = live_graph_of(format, store, s.ctx.root(), s.planner, s.walked, victims, everything);
  auto& stats = s.report.stats;
  stats.metadata_bytes_read += bytes_read_so_far(store) - before;
  stats.bytes_walked = s.walked.bytes_walked;
  stats.bytes_minimum = s.walked.bytes_walked;
  s.report.index = s.walked.index;
  if (!g)
    return fail_while(g.error(), everything ? std::string("reading the live graph of the store")
                                            : "reading the live graph of " +
                                                  std::to_string(victims.size()) + " victims");
  return *g;
}

// The quarantined segments (kept out of the choice) of S's context, recorded in the
// plan; reads the graph only when the context quarantines anything.
template <class Format, class Store, class Context>
result_with_info<std::unordered_set<segment_id>> quarantine_phase(const Format& format,
                                                                  Store& store,
                                                                  pass_state<Context>& s) {
  std::unordered_set<segment_id> kept;
  if (quarantines_any(s.ctx)) {
    auto g = graph_of(format, store, s, {}, true);
    if (!g) return fail(g.error());
    kept = quarantined_segments(s.ctx, **g);
  }
  auto& quarantined = s.report.plan.quarantined;
  quarantined.assign(kept.begin(), kept.end());
  std::sort(quarantined.begin(), quarantined.end());
  return kept;
}

// The end of every pass but a dry run that found victims (which ends with its
// plan): the delete phase (a dry run deletes nothing), then, in a real pass that is
// not delete-only, the usage index's next record. Takes S's report with STATUS.
template <class Store, class Context>
result_with_info<clean_report> end_pass(Store& store, const clean_options& options,
                                        pass_state<Context>& s, clean_status status) {
  auto out = finish(store, std::move(s.report), status, options, s.clock);
  if (!out || options.dry_run || options.delete_only) return out;
  auto saved = save_usage_index(store, s.walked, s.ctx.root(),
                                std::span<const segment_usage>(out->plan.table),
                                options.usage_index.local_copy);
  out->index.note = s.walked.index.note;
  if (!saved) out->index.note = "could not write the usage index: " + saved.error().message();
  out->index.generation_written = s.walked.index.generation_written;
  out->index.bytes_written = s.walked.index.bytes_written;
  return out;
}

// One pass over STORE, which counts every request (clean() reads the counts after):
// load, walk (with the usage index when enabled), tabulate, choose, mark, then
// move_live and end_pass (delete, the usage index's next record). Each phase takes
// the pass state S and what the previous phase returned.
template <class Format, class Store, class Policy, class Verifier>
result_with_info<clean_report> clean_counted(const Format& format, Store& store,
                                             const Policy& policy, const clean_options& options,
                                             const Verifier& verify) {
  auto loaded = load_phase(format, store, options);
  if (!loaded) return fail(loaded.error());
  auto& s = *loaded;
  CLOUDLOG_TRY_VOID(walk_and_tabulate(format, store, options, s));
  // A usage index that disagrees with the full walk: the full walk's table is
  // reported, nothing is chosen and nothing deleted.
  if (s.walked.index.mismatch) {
    s.report.plan.deletions.clear();
    s.report.plan.bytes_to_free_now = 0;
    return end_pass(store, options, s, clean_status::nothing_to_do);
  }
  if (!s.ctx.writer_caught_up())
    return end_pass(store, options, s, clean_status::waiting_for_writer);
  if (options.delete_only) return end_pass(store, options, s, clean_status::nothing_to_do);
  announce(options, "plan");
  const auto kept = quarantine_phase(format, store, s);
  if (!kept) return fail(kept.error());
  const auto victims = choose(policy, s.usage, options.target_utilization, *kept);
  if (victims.ids.empty()) return end_pass(store, options, s, clean_status::nothing_to_do);
  auto graph = graph_of(format, store, s, victims.ids, options.repack_type.has_value());
  if (!graph) return fail(graph.error());
  const auto& live = **graph;
  const auto moves = mark(live, victims, options.mode, options.repack_type);
  record_plan(s.report.plan, victims, moves);
  if (options.dry_run) {
    s.report.status = clean_status::cleaned;
    return std::move(s.report);
  }
  for (const auto& v : victims.rows) s.report.stats.bytes_minimum += v.live;
  auto moved = move_live(format, store, s.planner, policy, options, verify, s.ctx, live, victims,
                         moves, s.report, s.clock);
  s.report.stats.needed_runs = s.planner.counts().runs;
  if (!moved) return fail(moved.error());
  return end_pass(store, options, s, clean_status::cleaned);
}

}  // namespace cloudlog::detail

namespace cloudlog {

template <class Format, segment_store Store, cleaning_policy Policy, item_verifier Verifier>
requires loadable_format<Format, Store> result_with_info<clean_report> clean(
    const Format& format, Store& raw_store, const Policy& policy, const clean_options& options,
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

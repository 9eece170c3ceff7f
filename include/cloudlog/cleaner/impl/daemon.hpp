// SPDX-License-Identifier: BSL-1.0
// The cleaning daemon's loop (see cleaner/daemon.hpp for the contract).
#ifndef CLOUDLOG_CLEANER_IMPL_DAEMON_HPP
#define CLOUDLOG_CLEANER_IMPL_DAEMON_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <system_error>

#include "cloudlog/cleaner/daemon.hpp"

namespace cloudlog::detail {

// The writer's last seen activity and when it last changed (unknown history counts
// as activity at the start).
struct writer_watch {
  std::optional<std::uint64_t> activity;
  std::int64_t last_change = 0;

  // Asks ACTIVITY; true (and the change recorded at NOW) if it differs from the last answer.
  result<bool> poll(const std::function<result<std::uint64_t>()>& activity_now, std::int64_t now) {
    auto a = activity_now();
    if (!a) return fail(a.error());
    if (activity && *activity == *a) return false;
    activity = *a;
    last_change = now;
    return true;
  }
};

// Whether a check's PLAN calls for a pass: there is work, and the garbage passed the
// threshold or clean_every passed SINCE_LAST_PASS ms ago.
inline bool pass_called_for(const clean_report& plan, const daemon_options& options,
                            std::int64_t since_last_pass) {
  const auto& p = plan.plan;
  const bool work = !p.victims.empty() || !p.deletions.empty();
  const auto& s = plan.stats;
  const bool over =
      s.bytes_total > 0 && static_cast<double>(s.bytes_wasted) >=
                               options.garbage_threshold * static_cast<double>(s.bytes_total);
  const bool due =
      options.clean_every.count() > 0 && since_last_pass >= options.clean_every.count();
  return work && (over || due);
}

// Records in REPORT whether check or pass R's usage index disagreed with a full
// walk (daemon_report::index_mismatch: the daemon then ends); returns REPORT's flag.
inline bool record_mismatch(daemon_report& report, const clean_report& r) {
  report.index_mismatch = report.index_mismatch || r.index.mismatch;
  return report.index_mismatch;
}

// Adds pass R (ended early for the writer if YIELDED) to REPORT.
inline void count_pass(daemon_report& report, const clean_report& r, bool yielded) {
  ++report.passes;
  if (r.status == clean_status::cleaned) ++report.passes_cleaned;
  report.items_relocated += r.stats.items_relocated;
  report.segments_written += r.stats.segments_written;
  report.segments_deleted += r.stats.segments_deleted;
  report.bytes_written += r.stats.bytes_written;
  report.bytes_freed += r.stats.bytes_freed;
  if (yielded) ++report.yields;
}

// Deletes what a check found dead (the writer has released it) with a delete-only
// pass under LEASE: it copies nothing, so the daemon does it even below its
// threshold (daemon_options::release_dead). Counted in REPORT (and its
// index_mismatch, when the pass's usage index disagreed with a full walk).
// Fails: as clean_under_lease.
template <class Format, class Store, class LeaseStore, class Policy, class Verifier>
result_with_info<void> release_dead(const Format& format, Store& store,
                                    store_lease<LeaseStore>& lease, const Policy& policy,
                                    const daemon_options& options, const Verifier& verify,
                                    daemon_report& report) {
  clean_options o = options.clean;
  o.dry_run = false;
  o.delete_only = true;
  o.stop_requested = nullptr;
  auto r = clean_under_lease(format, store, lease, policy, o, verify);
  if (!r) return fail(r.error());
  ++report.releases;
  report.segments_deleted += r->stats.segments_deleted;
  report.bytes_freed += r->stats.bytes_freed;
  if (options.on_pass) options.on_pass(*r);
  record_mismatch(report, *r);
  return {};
}

// The pass a check called for, under LEASE: it stops when STOP() says so, and
// yields when WRITER_CHANGED() sees the writer at work (with
// daemon_options::yield_to_writer). Counted in REPORT (and its index_mismatch).
// Returns whether to check again at once: a pass that cleaned and was not
// interrupted.
// Fails: as clean_under_lease.
template <class Format, class Store, class LeaseStore, class Policy, class Verifier, class Stop,
          class WriterChanged>
result_with_info<bool> daemon_pass(const Format& format, Store& store,
                                   store_lease<LeaseStore>& lease, const Policy& policy,
                                   const daemon_options& options, const Verifier& verify,
                                   daemon_report& report, Stop& stop,
                                   WriterChanged& writer_changed) {
  clean_options pass = options.clean;
  pass.dry_run = false;
  bool yielded = false;
  pass.stop_requested = [&] {
    if (stop()) return true;
    if (!options.writer_activity || !options.yield_to_writer) return false;
    auto c = writer_changed();  // an error here is not the writer writing
    yielded = c && *c;
    return yielded;
  };
  auto r = clean_under_lease(format, store, lease, policy, pass, verify);
  if (!r) return fail(r.error());
  count_pass(report, *r, yielded);
  if (options.on_pass) options.on_pass(*r);
  record_mismatch(report, *r);
  return r->status == clean_status::cleaned && !r->interrupted;
}

}  // namespace cloudlog::detail

namespace cloudlog {

template <class Format, segment_store Store, segment_store LeaseStore, cleaning_policy Policy,
          item_verifier Verifier>
requires loadable_format<Format, Store> result_with_info<daemon_report> run_daemon(
    const Format& format, Store& store, LeaseStore& lease_store, const Policy& policy,
    const daemon_options& options, const Verifier& verify, lease_clock clock,
    lease_record* holder) {
  using std::chrono::milliseconds;
  auto lease = store_lease<LeaseStore>::acquire(lease_store, options.lease, clock, holder);
  if (!lease) return fail(lease.error());
  daemon_report report;
  auto stop = [&] { return options.stop_requested && options.stop_requested(); };
  const auto lease_lost = make_error_code(errc::lease_held);
  // Sleeps D in slices short enough to notice a stop quickly and renew in time.
  auto wait = [&](milliseconds d) -> result_with_info<void> {
    const auto slice =
        std::clamp(milliseconds(options.lease.ttl.count() / 6), milliseconds(1), milliseconds(100));
    const auto until = clock.now_ms() + d.count();
    while (!stop()) {
      const auto left = until - clock.now_ms();
      if (left <= 0) break;
      clock.sleep(std::min(slice, milliseconds(left)));
      if (auto r = lease->renew_if_due(); !r && r.error() == lease_lost) return fail(lease_lost);
    }
    return {};
  };
  // A failure: end with it, or count it and wait an interval if keep_going says so.
  auto failed = [&](error_info e) -> result_with_info<void> {
    if (e.code == lease_lost || !options.keep_going || !options.keep_going(e))
      return fail(std::move(e));
    ++report.errors;
    return wait(options.interval);
  };
  std::int64_t last_pass = clock.now_ms();
  detail::writer_watch watch{std::nullopt, clock.now_ms()};
  auto writer_changed = [&] { return watch.poll(options.writer_activity, clock.now_ms()); };
  while (!stop()) {
    if (options.max_checks && report.checks == options.max_checks) break;
    if (auto r = lease->renew_if_due(); !r) {
      if (auto f = failed(r.error()); !f) return fail(f.error());
      continue;
    }
    clean_options check = options.clean;
    check.dry_run = true;
    check.stop_requested = nullptr;
    check.on_progress = nullptr;
    check.on_phase = nullptr;
    auto plan = clean(format, store, policy, check, verify);
    if (!plan) {
      if (auto f = failed(plan.error()); !f) return fail(f.error());
      continue;
    }
    ++report.checks;
    if (options.on_check) options.on_check(*plan);
    if (detail::record_mismatch(report, *plan)) break;
    bool idle = true;
    if (options.writer_activity) {
      if (auto c = writer_changed(); !c) {
        if (auto f = failed(c.error()); !f) return fail(f.error());
        continue;
      }
      idle = clock.now_ms() - watch.last_change >= options.idle.count();
    }
    const bool called_for = detail::pass_called_for(*plan, options, clock.now_ms() - last_pass);
    if (called_for && idle && !stop()) {
      auto again = detail::daemon_pass(format, store, *lease, policy, options, verify, report, stop,
                                       writer_changed);
      if (!again) {
        if (auto f = failed(again.error()); !f) return fail(f.error());
        continue;
      }
      last_pass = clock.now_ms();
      if (report.index_mismatch) break;
      if (!lease->held()) return fail(lease_lost);
      if (*again) continue;
    } else if (!called_for && idle && options.release_dead && !plan->plan.deletions.empty() &&
               !stop()) {
      auto r = detail::release_dead(format, store, *lease, policy, options, verify, report);
      if (!r) {
        if (auto f = failed(r.error()); !f) return fail(f.error());
        continue;
      }
      if (report.index_mismatch) break;
      if (!lease->held()) return fail(lease_lost);
    }
    if (options.max_checks && report.checks == options.max_checks) break;
    if (auto w = wait(options.interval); !w) return fail(w.error());
  }
  report.stopped = stop();
  if (auto r = lease->release(); !r) return fail(r.error());
  return report;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_IMPL_DAEMON_HPP

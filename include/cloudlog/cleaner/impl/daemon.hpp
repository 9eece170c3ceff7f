// The cleaning daemon's loop (see cleaner/daemon.hpp for the contract).
#ifndef CLOUDLOG_CLEANER_IMPL_DAEMON_HPP
#define CLOUDLOG_CLEANER_IMPL_DAEMON_HPP

#include <optional>

#include "cloudlog/cleaner/daemon.hpp"

namespace cloudlog {

template <class Format, segment_store Store, segment_store LeaseStore, cleaning_policy Policy,
          item_verifier Verifier>
requires loadable_format<Format, Store> result<daemon_report> run_daemon(
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
  auto wait = [&](milliseconds d) -> result<void> {
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
  auto failed = [&](std::error_code ec) -> result<void> {
    if (ec == lease_lost || !options.keep_going || !options.keep_going(ec)) return fail(ec);
    ++report.errors;
    return wait(options.interval);
  };
  std::int64_t last_pass = clock.now_ms();
  // The writer's last seen activity and when it last changed (unknown history
  // counts as activity now).
  std::optional<std::uint64_t> activity;
  std::int64_t last_change = clock.now_ms();
  auto writer_changed = [&]() -> result<bool> {
    auto a = options.writer_activity();
    if (!a) return fail(a.error());
    if (activity && *activity == *a) return false;
    activity = *a;
    last_change = clock.now_ms();
    return true;
  };
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
    auto plan = clean(format, store, policy, check, verify);
    if (!plan) {
      if (auto f = failed(plan.error()); !f) return fail(f.error());
      continue;
    }
    ++report.checks;
    if (options.on_check) options.on_check(*plan);
    const auto& p = plan->plan;
    const bool work = !p.victims.empty() || !p.deletions.empty();
    const auto& s = plan->stats;
    const bool over =
        s.bytes_total > 0 && static_cast<double>(s.bytes_wasted) >=
                                 options.garbage_threshold * static_cast<double>(s.bytes_total);
    const bool due = options.clean_every.count() > 0 &&
                     clock.now_ms() - last_pass >= options.clean_every.count();
    bool idle = true;
    if (options.writer_activity) {
      if (auto c = writer_changed(); !c) {
        if (auto f = failed(c.error()); !f) return fail(f.error());
        continue;
      }
      idle = clock.now_ms() - last_change >= options.idle.count();
    }
    if (work && (over || due) && idle && !stop()) {
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
      auto r = clean_under_lease(format, store, *lease, policy, pass, verify);
      if (!r) {
        if (auto f = failed(r.error()); !f) return fail(f.error());
        continue;
      }
      last_pass = clock.now_ms();
      ++report.passes;
      if (r->status == clean_status::cleaned) ++report.passes_cleaned;
      report.items_relocated += r->stats.items_relocated;
      report.segments_written += r->stats.segments_written;
      report.segments_deleted += r->stats.segments_deleted;
      report.bytes_written += r->stats.bytes_written;
      report.bytes_freed += r->stats.bytes_freed;
      if (yielded) ++report.yields;
      if (options.on_pass) options.on_pass(*r);
      if (!lease->held()) return fail(lease_lost);
      if (r->status == clean_status::cleaned && !r->interrupted) continue;
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

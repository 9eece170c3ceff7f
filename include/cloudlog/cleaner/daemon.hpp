// SPDX-License-Identifier: BSL-1.0
// The cleaning daemon: the 1996 LFS note's idle-triggered, yielding cleaner carried
// to a cloud store — wake on an interval, check the garbage cheaply (a dry run),
// clean a bounded batch under the store's lease, stop between batches when asked.
#ifndef CLOUDLOG_CLEANER_DAEMON_HPP
#define CLOUDLOG_CLEANER_DAEMON_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <system_error>
#include <utility>

#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/cleaner/lease.hpp"

namespace cloudlog {

// Runs one cleaning pass (cloudlog::clean) while holding LEASE: renews it first
// (so load and walk get a whole ttl) and between relocation batches. If the lease
// is lost or cannot be renewed, the pass stops at the next batch boundary as if
// OPTIONS.stop_requested had said so (what moved is committed); the caller sees
// it in lease.held() and the report's `interrupted`.
// REQUIRES: lease.held(); the lease's ttl exceeds the longest stretch without a
// batch boundary (load + walk, or one batch + commit + deletions).
// Fails: errc::lease_held if the lease was lost before the pass began; as clean
// (with clean's text).
template <class Format, segment_store Store, segment_store LeaseStore, cleaning_policy Policy,
          item_verifier Verifier = accept_all>
requires loadable_format<Format, Store> result_with_info<clean_report> clean_under_lease(
    const Format& format, Store& store, store_lease<LeaseStore>& lease, const Policy& policy,
    const clean_options& options = {}, const Verifier& verify = {}) {
  if (auto r = lease.renew(); !r) return fail(r.error());
  clean_options o = options;
  o.stop_requested = [&lease, user = options.stop_requested] {
    if (user && user()) return true;
    return !lease.renew_if_due();
  };
  return clean(format, store, policy, o, verify);
}

// When and how the daemon cleans.
struct daemon_options {
  // Options of every pass (dry_run is ignored; stop_requested is combined with
  // the daemon's own and the lease's renewal; on_progress is passed through).
  clean_options clean;
  // Time between checks while there is nothing to clean.
  std::chrono::milliseconds interval{std::chrono::seconds(60)};
  // A check cleans when wasted / total bytes is at least this (0: whenever the
  // policy finds a victim or a dead segment can go).
  double garbage_threshold = 0.0;
  // A check also cleans, below the threshold, when this long has passed since the
  // last pass (0: never on time alone).
  std::chrono::milliseconds clean_every{0};
  // The 1996 LFS note's idle trigger and yield, for a writer the daemon cannot
  // lock out: a value that changes whenever the writer writes (BlueSky: the
  // newest proxy segment's sequence, one LIST). Null: the writer is not watched.
  std::function<result<std::uint64_t>()> writer_activity;
  // With writer_activity: clean only once the value has stayed unchanged this long
  // (seen at checks, so to within an interval).
  std::chrono::milliseconds idle{0};
  // With writer_activity: asked again between batches; a change ends the pass at
  // that boundary (committed), and the daemon waits for the writer to be idle again.
  bool yield_to_writer = false;
  // The lease taken for the daemon's lifetime.
  lease_options lease;
  // Asked often (between batches and while sleeping): true ends the daemon once
  // the current batch is committed.
  std::function<bool()> stop_requested;
  // A check or pass failed with an error other than a lost lease (its code and
  // text): true waits an interval and tries again (a transient outage); false, or
  // no callback, ends the daemon with that error.
  std::function<bool(const error_info&)> keep_going;
  // After every check (a dry run's report) and every pass (the real report).
  std::function<void(const clean_report&)> on_check;
  std::function<void(const clean_report&)> on_pass;
  // A check that finds dead segments the writer has released (after its merge)
  // deletes them at once, with a delete-only pass (reported to on_pass), even when
  // no pass is called for: a deletion copies nothing. False: such checks only check.
  bool release_dead = true;
  // Ends the daemon after this many checks (0: no limit; for tests and cron-like use).
  std::uint64_t max_checks = 0;
};

// What a daemon did over its life.
struct daemon_report {
  std::uint64_t checks = 0;          // dry runs
  std::uint64_t passes = 0;          // real passes
  std::uint64_t passes_cleaned = 0;  // passes that wrote a new generation
  std::uint64_t releases = 0;        // delete-only passes (release_dead)
  std::uint64_t items_relocated = 0;
  std::uint64_t segments_written = 0;
  std::uint64_t segments_deleted = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t bytes_freed = 0;
  std::uint64_t errors = 0;  // failures keep_going let pass
  std::uint64_t yields = 0;  // passes ended early because the writer wrote
  bool stopped = false;      // ended by stop_requested (else by max_checks)
  // Ended because a check or pass found the usage index disagreeing with a full
  // walk (usage_index_stats::mismatch): that pass deleted nothing, and the daemon
  // ran no other (the store changed under the index, or a bug: a human looks).
  bool index_mismatch = false;
};

// Runs the daemon on STORE (format FORMAT) with POLICY (whose budgets bound each
// pass), its lease in LEASE_STORE (the same store, or the undecorated store
// beneath a cache: a cached lease would go stale). Takes the lease, then loops:
// check (a dry run); clean if the garbage passed the threshold or clean_every
// passed (and, when watched, the writer has been idle), else delete what the
// writer has released (release_dead); after a pass that cleaned,
// check again at once (budgets make each pass a bounded batch); otherwise sleep
// the interval, renewing the lease. On stop the
// current batch finishes, its generation is committed and the lease released.
// A check or pass whose usage index disagreed with a full walk ends the daemon at
// once (report.index_mismatch; that pass deleted nothing), lease released.
// Fails: errc::lease_held if another cleaner holds the lease (at start) or took
// it (ours had lapsed); the errors of checks and passes keep_going refused, with
// clean's text.
template <class Format, segment_store Store, segment_store LeaseStore, cleaning_policy Policy,
          item_verifier Verifier = accept_all>
requires loadable_format<Format, Store> result_with_info<daemon_report> run_daemon(
    const Format& format, Store& store, LeaseStore& lease_store, const Policy& policy,
    const daemon_options& options, const Verifier& verify = {},
    lease_clock clock = lease_clock::system(), lease_record* holder = nullptr);

}  // namespace cloudlog

#include "cloudlog/cleaner/impl/daemon.hpp"

#endif  // CLOUDLOG_CLEANER_DAEMON_HPP

// SPDX-License-Identifier: BSL-1.0
// bluesky_cleaner: one cleaning pass over a BlueSky store (docs/tools.md).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cloudlog/backend/caching_store.hpp"
#include "cloudlog/cleaner/daemon.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/cleaner/lease.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/cost_aware.hpp"
#include "cloudlog/policy/policies.hpp"
#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/inspect.hpp"
#include "common/key_check.hpp"
#include "common/observability.hpp"
#include "common/progress.hpp"
#include "common/report_json.hpp"
#include "common/store_uri.hpp"
#include "common/units.hpp"

namespace {

namespace bs = cloudlog::bluesky;

struct options {
  std::string store;
  tools::store_context context;  // the opened store's: its kind and its failures' own words
  std::string policy = "lifetime";
  double threshold = -1;  // < 0: the policy's default
  std::uint64_t min_age = 4;
  std::uint32_t age_classes = 4;
  std::string max_read, max_write, garbage_target;
  double target_utilization = cloudlog::default_target_utilization;
  bool whole_file = false;
  bool repack_inodes = false;
  bool dry_run = false;
  bool delete_only = false;
  bool full_walk = false;       // --full-walk: ignore the usage index this pass
  bool no_usage_index = false;  // --no-usage-index: neither read nor write it
  std::uint32_t index_check_every = cloudlog::default_index_check_every;
  bool json = false;
  std::optional<std::string> key_file;
  std::size_t parallel = 8;
  bool verbose = false;
  bool quiet = false;
  // remote stores
  tools::store_settings settings;
  std::string cache_dir, cache_size = "1G";
  // daemon and lease
  bool daemon = false;
  double interval = 60;  // seconds
  double garbage_threshold = 0.2;
  double clean_every = 0;   // seconds
  double lease_ttl = 60;    // seconds
  double lease_settle = 1;  // seconds
  double idle = 0;          // seconds
  bool yield = false;
  std::uint64_t max_checks = 0;
  double deadline = 0;             // seconds; 0: none
  double stats_interval = 30;      // seconds between status lines off a terminal; 0: none
  std::string metrics_file;        // Prometheus text format, rewritten after each pass
  std::size_t history = 20;        // passes kept in the store's history; 0: none
  std::string holder;              // this run's lease holder identity
  bool force = false;              // break-lease --force
  std::string csv_file, svg_file;  // inspect --csv, --svg ("-": stdout)
  std::size_t history_lines = 20;  // history -n
  std::string prices_file;
  double horizon = 30;  // days, for cost-aware
  cloudlog::price_table prices;
  bool cost_line = false;  // the summary's cost estimate (s3:// stores, or --prices)
};

// When the run must end (--deadline), set once in main.
std::optional<std::chrono::steady_clock::time_point> run_deadline;

bool past_deadline() {
  return run_deadline && std::chrono::steady_clock::now() >= *run_deadline;
}

// Set by SIGINT and SIGTERM; the engine reads it between relocation batches.
std::atomic<bool> stop_flag{false};

extern "C" void on_stop_signal(int) {
  stop_flag.store(true);
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// The progress display of this run (common/progress.hpp), or null: set once in main.
tools::progress_reporter* reporter = nullptr;

int report_lease_held(const cloudlog::lease_record& holder, const std::string& store);

// EC, a failure of WHAT on the store, reported with the store's own explanation.
int report_store(const options& o, std::error_code ec, const std::string& what) {
  return tools::report(o.context.error_of(ec, what));
}

// Why the lease could not be taken, on one line.
int report_lease_failure(std::error_code ec, const cloudlog::lease_record& holder,
                         const options& o) {
  const auto& store = o.store;
  if (ec == cloudlog::errc::lease_held) return report_lease_held(holder, store);
  if (ec == cloudlog::errc::invalid_argument)
    return tools::emit_error(
        "--lease-settle 0 needs a store with atomic create (file:, or S3 "
        "with conditional writes); " +
            store + " has none: give a positive settle time",
        tools::exit_usage);
  return report_store(o, ec, "cannot take the cleaner's lease on " + store);
}

// The lease's message: who holds it and for how long yet.
int report_lease_held(const cloudlog::lease_record& holder, const std::string& store) {
  if (holder.holder.empty())
    return tools::emit_error("the lease on " + store +
                                 " changed while it was being taken (another cleaner started at "
                                 "the same moment?); this cleaner withdrew its own; try again",
                             tools::exit_lease_held);
  const auto now = cloudlog::lease_clock::system().now_ms();
  return tools::emit_error(
      fmt::format("another cleaner ({}) holds the lease on {} for {} s more; wait for it to "
                  "finish, or for the lease to expire if it crashed",
                  holder.holder, store, std::max<std::int64_t>(0, holder.expires_ms - now) / 1000),
      tools::exit_lease_held);
}

std::optional<cloudlog::any_policy> make_policy(const options& o, std::string& why) {
  cloudlog::cleaning_budget budget;
  for (auto [text, field] :
       {std::pair{&o.max_read, &budget.max_read}, std::pair{&o.max_write, &budget.max_write},
        std::pair{&o.garbage_target, &budget.garbage_target}}) {
    if (text->empty()) continue;
    auto v = tools::parse_bytes(*text);
    if (!v) {
      why = "not a byte count: " + *text;
      return std::nullopt;
    }
    *field = *v;
  }
  const cloudlog::age_placement placement{o.age_classes};
  if (o.policy == "threshold")
    return cloudlog::threshold_policy{o.threshold < 0 ? 0.6 : o.threshold, budget, placement};
  if (o.policy == "greedy") return cloudlog::greedy_policy{budget, placement};
  if (o.policy == "cost-benefit") return cloudlog::cost_benefit_policy{budget, placement};
  if (o.policy == "lifetime") return cloudlog::lifetime_policy{budget};
  if (o.policy == "cost-aware") {
    cloudlog::cost_aware_policy c;
    c.prices = o.prices;
    c.horizon_days = o.horizon;
    c.budget = budget;
    c.placement_ = placement;
    return c;
  }
  if (o.policy == "age-threshold")
    return cloudlog::age_threshold_policy{o.min_age, o.threshold < 0 ? 0.8 : o.threshold, budget,
                                          placement};
  why = "unknown policy " + o.policy +
        " (threshold, greedy, cost-benefit, age-threshold or lifetime)";
  return std::nullopt;
}

cloudlog::clean_options pass_options(const options& o) {
  cloudlog::clean_options co;
  co.dry_run = o.dry_run;
  co.delete_only = o.delete_only;
  co.mode = o.whole_file ? cloudlog::relocation_mode::whole_parent
                         : cloudlog::relocation_mode::live_items;
  if (o.repack_inodes) co.repack_type = bs::type_byte(bs::item_type::inode);
  co.parallel = o.parallel;
  co.target_utilization = o.target_utilization;
  co.usage_index.enabled = !o.no_usage_index;
  co.usage_index.full_walk = o.full_walk;
  co.usage_index.check_every = o.index_check_every;
  // The record's local copy lives beside the segment cache (which leaves
  // subdirectories alone).
  if (!o.cache_dir.empty() && !o.no_usage_index)
    co.usage_index.local_copy = std::filesystem::path(o.cache_dir) / "usage-index";
  co.stop_requested = [] { return stop_flag.load() || past_deadline(); };
  if (reporter) {
    co.on_phase = [](const cloudlog::clean_progress& p) { reporter->phase(p); };
    co.on_progress = [](const cloudlog::clean_progress& p) { reporter->update(p); };
  }
  return co;
}

cloudlog::lease_options lease_opts(const options& o) {
  cloudlog::lease_options l;
  l.ttl = to_ms(o.lease_ttl);
  l.settle = to_ms(o.lease_settle);
  l.holder = o.holder;
  return l;
}

// Prints a run's report: JSON (with its cost) or text (with the cost line).
void print_report(const cloudlog::clean_report& r, const options& o, bool dry_run) {
  if (reporter) reporter->idle();
  if (o.json) {
    auto j = tools::to_json(r, dry_run);
    j["cost"] = tools::cost_json(r, dry_run, o.prices);
    std::puts(j.dump().c_str());
  } else if (!o.quiet) {
    std::fputs(tools::to_text(r, dry_run, o.verbose, bs::format::segment_target).c_str(), stdout);
    if (o.cost_line) std::fputs(tools::cost_line(r, dry_run, o.prices).c_str(), stdout);
  }
  std::fflush(stdout);
}

// The metrics of this run (--metrics-file), kept across a daemon's passes.
tools::metrics_state metrics;

// Rewrites --metrics-file (atomically); a failure is a warning, never the run's.
void write_metrics(const options& o) {
  if (o.metrics_file.empty()) return;
  if (auto ec = tools::write_atomically(o.metrics_file, tools::metrics_text(metrics)); ec)
    std::fprintf(stderr, "warning: cannot write --metrics-file %s: %s\n", o.metrics_file.c_str(),
                 ec.message().c_str());
}

// Records a real pass R that took SECONDS: the metrics (written) and the store's
// history (under the lease, in LEASE_STORE, which bypasses any cache).
template <class LeaseStore>
void record_pass(LeaseStore& lease_store, const cloudlog::clean_report& r, double seconds,
                 const options& o) {
  metrics.have_pass = true;
  metrics.last = r;
  metrics.last_status = tools::status_of(r, false);
  metrics.last_end_unix =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  metrics.last_duration = seconds;
  ++metrics.passes;
  metrics.bytes_freed += r.stats.bytes_freed;
  metrics.items_relocated += r.stats.items_relocated;
  write_metrics(o);
  if (auto h =
          tools::append_history(lease_store, tools::history_entry(r, seconds, o.holder), o.history);
      !h && !o.quiet)
    std::fprintf(stderr, "warning: cannot record the pass in the store's history: %s\n",
                 h.error().message().c_str());
}

double seconds_of(const cloudlog::clean_report& r) {
  const auto& s = r.stats;
  return s.seconds_load + s.seconds_walk + s.seconds_relocate + s.seconds_commit + s.seconds_delete;
}

// Prints one pass's report; returns its exit code.
int finish(const cloudlog::clean_report& r, const options& o) {
  print_report(r, o, o.dry_run);
  if (r.index.mismatch)
    return tools::emit_error(
        "the usage index disagreed with a full walk of " + o.store +
            ": nothing was deleted this pass; a new index was written from the full walk "
            "(report this: the store changed under the index, or a bug)",
        tools::exit_index_mismatch);
  // One note when the usage index could not be used (a first pass, without one, says
  // so only with --verbose); the pass walked in full and its result is the same.
  const bool first = r.index.note.rfind("no usage index", 0) == 0;
  if (!r.index.note.empty() && !o.json && !o.quiet && (o.verbose || !first))
    std::fprintf(stderr, "note: %s\n", r.index.note.c_str());
  if (!r.rejected.empty())
    return tools::emit_error(
        fmt::format("{} item(s) failed verification or are corrupt and were left in place "
                    "(wrong key or damaged segment: run bluesky_fs verify with the right key)",
                    r.rejected.size()),
        tools::exit_corrupt);
  if (r.interrupted && !o.quiet && !o.json)
    std::fputs(past_deadline()
                   ? "deadline reached (--deadline): what moved so far is committed; run again "
                     "to finish\n"
                   : "interrupted: what moved so far is committed; run again to finish\n",
               stderr);
  if (r.status == cloudlog::clean_status::waiting_for_writer) {
    if (!o.json && !o.quiet)
      std::fputs(
          "waiting for the proxy to merge the previous cleaner output (run bluesky_fs merge, "
          "or let the proxy do it), then clean again\n",
          stderr);
    return tools::exit_waiting;
  }
  return tools::exit_ok;
}

// Reports a failed pass, WHAT followed by the pass's own text (a root that cannot
// be found: the one rule's, which segment, where, why; a later phase: what the
// pass was doing).
int report_pass(const options& o, const cloudlog::error_info& e, const std::string& what) {
  return report_store(o, e.code, e.what.empty() ? what : what + ": " + e.what);
}

// One pass: a dry run needs no lease (it changes nothing); a real one takes it.
template <class Store, class LeaseStore, class Verifier>
int run_once(Store& store, LeaseStore& lease_store, const options& o,
             const cloudlog::any_policy& policy, const Verifier& verify) {
  const auto co = pass_options(o);
  if (o.dry_run) {
    auto r = cloudlog::clean(bs::format{}, store, policy, co, verify);
    if (!r) return report_pass(o, r.error(), "planning " + o.store + " failed");
    return finish(*r, o);
  }
  cloudlog::lease_record holder;
  auto lease = cloudlog::store_lease<LeaseStore>::acquire(lease_store, lease_opts(o),
                                                          cloudlog::lease_clock::system(), &holder);
  if (!lease) return report_lease_failure(lease.error(), holder, o);
  auto r = cloudlog::clean_under_lease(bs::format{}, store, *lease, policy, co, verify);
  if (!r) return report_pass(o, r.error(), "cleaning " + o.store + " failed (nothing was deleted)");
  record_pass(lease_store, *r, seconds_of(*r), o);
  if (auto rel = lease->release(); !rel)
    report_store(o, rel.error(), "cannot release the lease (it expires on its own)");
  return finish(*r, o);
}

// `history`: the store's last passes, as a table or (--json) one object.
template <class Store>
int show_history(Store& store, const options& o) {
  auto h = tools::read_history(store);
  if (!h) return report_store(o, h.error(), "cannot read the pass history of " + o.store);
  const std::size_t from = h->size() > o.history_lines ? h->size() - o.history_lines : 0;
  if (o.json) {
    auto j = tools::json_object("history");
    j["store"] = o.store;
    j["passes"] = nlohmann::json::array();
    for (std::size_t i = from; i < h->size(); ++i) j["passes"].push_back((*h)[i]);
    std::puts(j.dump().c_str());
    return tools::exit_ok;
  }
  if (h->empty()) {
    std::printf("no pass recorded on %s yet (real passes record themselves; dry runs do not)\n",
                o.store.c_str());
    return tools::exit_ok;
  }
  std::printf("%-24s  %-18s  %7s  %9s  %10s  %10s  %10s  %9s\n", "time (UTC)", "status", "took",
              "relocated", "written", "freed", "pending", "unused");
  auto u = [](const nlohmann::json& e, const char* k) { return e.value(k, std::uint64_t{0}); };
  for (std::size_t i = from; i < h->size(); ++i) {
    const auto& e = (*h)[i];
    const auto total = u(e, "bytes_total");
    const double unused =
        total ? 100.0 * static_cast<double>(total - std::min(total, u(e, "bytes_used"))) /
                    static_cast<double>(total)
              : 0.0;
    std::printf(
        "%-24s  %-18s  %6.1fs  %9llu  %10s  %10s  %10s  %8.1f%%\n",
        e.value("timestamp", std::string("?")).c_str(), e.value("status", std::string("?")).c_str(),
        e.value("seconds", 0.0), static_cast<unsigned long long>(u(e, "items_relocated")),
        tools::human_bytes(static_cast<double>(u(e, "bytes_written"))).c_str(),
        tools::human_bytes(static_cast<double>(u(e, "bytes_freed"))).c_str(),
        tools::human_bytes(static_cast<double>(u(e, "pending_free_bytes"))).c_str(), unused);
  }
  return tools::exit_ok;
}

// The lease object of STORE, or nullopt when there is none (read errors reported).
template <class Store>
std::optional<std::optional<cloudlog::lease_record>> read_lease(Store& store, int& code,
                                                                const options& o) {
  const auto name = cloudlog::segment_name(cloudlog::default_lease_segment).value();
  auto data = store.read(name, 0, cloudlog::whole_object);
  if (!data) {
    if (data.error() == cloudlog::errc::not_found) return std::optional<cloudlog::lease_record>{};
    code = report_store(o, data.error(), "cannot read the lease of " + o.store);
    return std::nullopt;
  }
  auto r = cloudlog::decode_lease(*data);
  if (!r) {
    code = report_store(o, r.error(), "the lease of " + o.store + " (" + name + ") does not parse");
    return std::nullopt;
  }
  return std::optional<cloudlog::lease_record>(*r);
}

// `lease`: who holds the lease and for how long yet.
template <class Store>
int show_lease(Store& store, const options& o) {
  int code = tools::exit_ok;
  auto lease = read_lease(store, code, o);
  if (!lease) return code;
  const auto now = cloudlog::lease_clock::system().now_ms();
  const bool held = lease->has_value() && (*lease)->expires_ms > now;
  const double left =
      lease->has_value() ? static_cast<double>((*lease)->expires_ms - now) / 1000 : 0;
  if (o.json) {
    auto j = tools::json_object("lease");
    j["store"] = o.store;
    j["present"] = lease->has_value();
    j["held"] = held;
    if (lease->has_value()) {
      j["holder"] = (*lease)->holder;
      j["expires_ms"] = (*lease)->expires_ms;
      j["seconds_left"] = left;
    }
    std::puts(j.dump().c_str());
  } else if (!lease->has_value()) {
    std::printf("no lease on %s: no cleaner holds it\n", o.store.c_str());
  } else if (held) {
    std::printf("held by %s for %.0f s more (renewed while it runs)\n", (*lease)->holder.c_str(),
                left);
  } else {
    std::printf(
        "expired %.0f s ago, left by %s (the next cleaner takes it over; break-lease "
        "--force removes it)\n",
        -left, (*lease)->holder.c_str());
  }
  return tools::exit_ok;
}

// `break-lease --force`: removes the lease, whoever holds it.
template <class Store>
int break_lease(Store& store, const options& o) {
  int code = tools::exit_ok;
  auto lease = read_lease(store, code, o);
  if (!lease) return code;
  if (!lease->has_value()) {
    std::printf("no lease on %s: nothing to break\n", o.store.c_str());
    return tools::exit_ok;
  }
  const auto now = cloudlog::lease_clock::system().now_ms();
  if (!o.force)
    return tools::emit_error(
        fmt::format("break-lease needs --force: {} holds the lease on {} ({}); breaking a live "
                    "lease lets two cleaners run at once",
                    (*lease)->holder, o.store,
                    (*lease)->expires_ms > now
                        ? fmt::format("{} s left", ((*lease)->expires_ms - now) / 1000)
                        : std::string("expired")),
        tools::exit_usage);
  const auto name = cloudlog::segment_name(cloudlog::default_lease_segment).value();
  if (auto r = store.remove(name); !r)
    return report_store(o, r.error(), "cannot remove the lease " + name + " of " + o.store);
  if (!o.quiet)
    std::printf("removed the lease of %s on %s\n", (*lease)->holder.c_str(), o.store.c_str());
  return tools::exit_ok;
}

// Writes TEXT to PATH ("-": stdout); returns an exit code (errors reported).
int write_output(const std::string& path, const std::string& text, const char* flag) {
  if (path == "-") {
    std::fputs(text.c_str(), stdout);
    return tools::exit_ok;
  }
  if (auto ec = tools::write_atomically(path, text); ec)
    return tools::emit_error(fmt::format("{} {}: {} (check the directory and its permissions)",
                                         flag, path, ec.message()),
                             tools::exit_failed);
  return tools::exit_ok;
}

// `inspect`: the store's utilization, in the terminal, as CSV, as SVG.
template <class Store>
int inspect(Store& store, const options& o, const cloudlog::any_policy& policy) {
  auto co = pass_options(o);
  co.dry_run = true;
  auto r = cloudlog::clean(bs::format{}, store, policy, co, cloudlog::accept_all{});
  if (reporter) reporter->idle();
  if (!r) return report_pass(o, r.error(), "inspecting " + o.store + " failed");
  const auto& table = r->plan.table;
  if (o.json) {
    auto j = tools::json_object("inspect");
    j["store"] = o.store;
    j["segments"] = nlohmann::json::array();
    for (const auto& t : table) j["segments"].push_back(tools::segment_json(t));
    std::puts(j.dump().c_str());
  } else if (o.csv_file != "-" && o.svg_file != "-") {
    std::fputs(tools::inspect_text(table, o.store).c_str(), stdout);
  }
  if (!o.csv_file.empty())
    if (int c = write_output(o.csv_file, tools::inspect_csv(table), "--csv"); c) return c;
  if (!o.svg_file.empty())
    if (int c = write_output(o.svg_file, tools::inspect_svg(table, o.store), "--svg"); c) return c;
  std::fflush(stdout);
  return tools::exit_ok;
}

// The daemon: checks every --interval, cleans bounded passes, stops on a signal.
template <class Store, class LeaseStore, class Verifier>
int run_daemon(Store& store, LeaseStore& lease_store, const options& o,
               const cloudlog::any_policy& policy, const Verifier& verify) {
  cloudlog::daemon_options d;
  d.clean = pass_options(o);
  d.interval = to_ms(o.interval);
  d.garbage_threshold = o.garbage_threshold;
  d.clean_every = to_ms(o.clean_every);
  d.lease = lease_opts(o);
  d.max_checks = o.max_checks;
  // The proxy's activity: the newest segment of its log directory (one LIST).
  if (o.idle > 0 || o.yield) {
    d.writer_activity = [&store]() -> cloudlog::result<std::uint64_t> {
      auto l = store.list(bs::proxy_directory);
      if (!l) return cloudlog::fail(l.error());
      return l->empty() ? std::uint64_t{0} : std::uint64_t{l->back().id.sequence} + 1;
    };
    d.idle = to_ms(o.idle);
    d.yield_to_writer = o.yield;
  }
  d.stop_requested = [] { return stop_flag.load() || past_deadline(); };
  // An outage or a proxy that has not written yet is waited out; damage is not.
  d.keep_going = [&](const cloudlog::error_info& e) {
    const auto ec = e.code;
    const int code = tools::exit_code_for(ec);
    const bool transient = code == tools::exit_unreachable || ec == cloudlog::errc::no_checkpoint;
    if (transient && !o.quiet)
      report_store(
          o, ec,
          "pass failed (" + e.text() + "); retrying in " + fmt::format("{:g}", o.interval) + " s");
    return transient;
  };
  d.on_check = [&](const cloudlog::clean_report& r) {
    ++metrics.checks;
    if (o.verbose && !o.json)
      std::fprintf(stderr, "check: %llu of %llu B wasted, %zu victim(s), %zu dead segment(s)\n",
                   static_cast<unsigned long long>(r.stats.bytes_wasted),
                   static_cast<unsigned long long>(r.stats.bytes_total), r.plan.victims.size(),
                   r.plan.deletions.size());
  };
  d.on_pass = [&](const cloudlog::clean_report& r) {
    print_report(r, o, false);
    record_pass(lease_store, r, seconds_of(r), o);
  };
  cloudlog::lease_record holder;
  auto r = cloudlog::run_daemon(bs::format{}, store, lease_store, policy, d, verify,
                                cloudlog::lease_clock::system(), &holder);
  if (!r) {
    if (r.error() == cloudlog::errc::lease_held || r.error() == cloudlog::errc::invalid_argument)
      return report_lease_failure(r.error().code, holder, o);
    return report_pass(o, r.error(), "the cleaning daemon on " + o.store + " stopped");
  }
  if (o.json) {
    // The daemon's last word: why it ended and what it did, one object.
    auto j = tools::json_object("daemon_end");
    j["status"] = r->stopped ? "interrupted" : "done";
    j["checks"] = r->checks;
    j["passes"] = r->passes;
    j["yields"] = r->yields;
    j["releases"] = r->releases;
    j["items_relocated"] = r->items_relocated;
    j["bytes_freed"] = r->bytes_freed;
    j["index_mismatch"] = r->index_mismatch;
    std::puts(j.dump().c_str());
    std::fflush(stdout);
  } else if (!o.quiet)
    std::fprintf(stderr,
                 "daemon %s: %llu check(s), %llu pass(es) (%llu yielded), %llu release(s), "
                 "%llu item(s) relocated, %llu B freed; lease released\n",
                 r->stopped ? "stopped" : "done", static_cast<unsigned long long>(r->checks),
                 static_cast<unsigned long long>(r->passes),
                 static_cast<unsigned long long>(r->yields),
                 static_cast<unsigned long long>(r->releases),
                 static_cast<unsigned long long>(r->items_relocated),
                 static_cast<unsigned long long>(r->bytes_freed));
  // The check or pass that found the usage index disagreeing with a full walk
  // deleted nothing, and the daemon stopped there: a human looks before it runs on.
  if (r->index_mismatch)
    return tools::emit_error("the usage index disagreed with a full walk of " + o.store +
                                 ": nothing was deleted in that pass and the daemon stopped; a "
                                 "real pass writes a new index from the full walk (report this: "
                                 "the store changed under the index, or a bug)",
                             tools::exit_index_mismatch);
  return tools::exit_ok;
}

template <class Store, class LeaseStore, class Verifier>
int run(Store& store, LeaseStore& lease_store, const options& o, const cloudlog::any_policy& policy,
        const Verifier& verify) {
  return o.daemon ? run_daemon(store, lease_store, o, policy, verify)
                  : run_once(store, lease_store, o, policy, verify);
}

// Wraps STORE in a cache when --cache-dir is given; the lease bypasses the cache.
template <class Store, class Verifier>
int with_cache(Store& store, const options& o, const cloudlog::any_policy& policy,
               const Verifier& verify) {
  if (o.cache_dir.empty()) return run(store, store, o, policy, verify);
  cloudlog::cache_options c;
  c.directory = o.cache_dir;
  c.max_bytes = *tools::parse_bytes(o.cache_size);
  auto cached = cloudlog::caching_store<Store&>::open(store, c);
  if (!cached) return tools::report(cached.error(), "cannot open the cache in " + o.cache_dir);
  return run(*cached, store, o, policy, verify);
}

// A versioned bucket keeps what the cleaner deletes as noncurrent versions: say
// so, and which lifecycle rule frees them. Silent when the bucket cannot be asked.
void warn_if_versioned(tools::any_store& store, const tools::store_context& context,
                       const std::string& uri) {
#ifdef CLOUDLOG_TOOLS_WITH_S3
  auto* s3 = std::get_if<cloudlog::s3_store>(&store);
  if (!s3) return;
  auto status = s3->bucket_versioning();
  (void)context.notes->take();  // a refused GetBucketVersioning is not this run's error
  if (!status || status->empty()) return;
  std::fprintf(stderr,
               "warning: bucket %s has versioning %s: segments the cleaner deletes stay "
               "stored (and billed) as noncurrent versions until a lifecycle rule with "
               "NoncurrentVersionExpiration (e.g. NoncurrentDays 1) removes them (%s; "
               "docs/backends.md)\n",
               s3->bucket().c_str(), status->c_str(), uri.c_str());
#else
  (void)store;
  (void)context;
  (void)uri;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT and SIGTERM end the run between batches (what moved is committed); set
  // first, so that a signal at any moment is a clean stop.
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  CLI::App app{
      "bluesky_cleaner: clean a BlueSky store. Finds segments that are mostly garbage, copies\n"
      "their live items into the cleaner's log directory (1), writes a new checkpoint last, and\n"
      "deletes segments that hold nothing live and that the proxy has acknowledged. Works\n"
      "without the key; with one it verifies every item it copies. One pass by default; with\n"
      "--daemon it keeps watching the store. A real pass holds the store's lease\n"
      "(log-99999999-00000000) so that two cleaners never clean one store at once."};
  app.footer(
      "Examples:\n"
      "  bluesky_cleaner --store file:/srv/bluesky --dry-run\n"
      "  bluesky_cleaner --store file:/srv/bluesky --policy cost-benefit --max-read 1G --json\n"
      "  bluesky_cleaner --store file:/srv/bluesky --target-utilization 0.85\n"
      "  BLUESKY_KEY=... bluesky_cleaner --store file:/srv/bluesky --whole-file\n"
      "  bluesky_cleaner --store s3://bucket/fs1 --endpoint-url http://127.0.0.1:9000 \\\n"
      "      --cache-dir /var/cache/bluesky --max-read 256M\n"
      "  bluesky_cleaner --store file:/srv/bluesky --daemon --interval 30 --garbage-threshold 0.3 "
      "--max-read 64M\n"
      "Environment: BLUESKY_KEY (the key, unless --key-file); for s3:// stores AWS_ENDPOINT_URL,\n"
      "AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,\n"
      "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE,\n"
      "AWS_CONFIG_FILE (as the AWS CLI).\n" +
      tools::exit_codes_help());
  tools::add_version(app, "bluesky_cleaner");
  options o;
  // With --json, even a parse error is a JSON object.
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--json") tools::json_errors() = true;
  app.add_option("--store", o.store,
                 "The store, as a URI: file:DIR, s3://BUCKET[/PREFIX] or simple://HOST:PORT")
      ->required();
  app.add_option("--policy", o.policy,
                 "Victim choice: threshold (BlueSky: 0 < u < 0.6), greedy (least utilized first), "
                 "cost-benefit ((1-u)*age/(1+u), LFS), age-threshold (old and below threshold), "
                 "lifetime (greedy, old segments first when old data is colder; "
                 "docs/policies.md), cost-aware (only where the storage freed over --horizon "
                 "days is worth more than cleaning costs, at --prices)")
      ->capture_default_str();
  app.add_option("--threshold", o.threshold,
                 "Utilization threshold for threshold (default 0.6) and age-threshold (0.8); "
                 "0 to 1")
      ->check(tools::in_range(0, 1));
  app.add_option("--min-age", o.min_age, "Minimum age (in proxy segments) for age-threshold")
      ->capture_default_str()
      ->check(tools::non_negative);
  app.add_option("--age-classes", o.age_classes,
                 "Hot/cold classes for relocated data (1 = no separation; 1 to 64)")
      ->capture_default_str()
      ->check(tools::in_range(1, 64));
  app.add_option("--target-utilization", o.target_utilization,
                 "Stop choosing victims once the store, after the pass, would be at least this "
                 "full (live / stored bytes; 0 < U < 1): lower reclaims more space at a higher "
                 "copying cost")
      ->capture_default_str();
  app.add_option("--max-read", o.max_read,
                 "Budget: victim bytes to read per pass (suffixes k, m, g, t in either case, "
                 "1024-based, decimals allowed: 512m, 1.5G)")
      ->transform(tools::byte_size());
  app.add_option("--max-write", o.max_write, "Budget: live bytes to relocate per pass (e.g. 256M)")
      ->transform(tools::byte_size());
  app.add_option("--garbage-target", o.garbage_target,
                 "Stop choosing victims once they hold this much garbage (e.g. 1G)")
      ->transform(tools::byte_size());
  app.add_flag("--whole-file", o.whole_file,
               "Relocate every block of a file one of whose blocks moves (the original's mode)");
  app.add_flag("--repack-inodes", o.repack_inodes, "Rewrite every live inode");
  app.add_flag("--dry-run", o.dry_run,
               "Print the plan (the utilization table with each segment's action) and change "
               "nothing; takes no lease");
  app.add_flag("--delete-only", o.delete_only,
               "Only delete the segments the proxy has released (after its merge): no victim, "
               "nothing written; reads the metadata only (docs/policies.md)");
  app.add_flag("--full-walk", o.full_walk,
               "Walk the whole live tree this pass, ignoring the usage index (a new index is "
               "still written; docs/tools.md)");
  app.add_flag("--no-usage-index", o.no_usage_index,
               "Neither read nor write the usage index (log-99999997-*, log-99999998-*): every "
               "pass walks in full");
  app.add_option("--index-check-every", o.index_check_every,
                 "Every N passes since the last full walk, walk in full and compare with the usage "
                 "index; a disagreement exits 8 and deletes nothing (0: never)")
      ->capture_default_str();
  app.add_flag("--json", o.json,
               "Print every statistic as one JSON object (a daemon: one per pass, one per line)");
  app.add_option("--key-file", o.key_file,
                 "Verify items before copying them, with the key in this file (its bytes); "
                 "default: the BLUESKY_KEY environment variable, else no verification");
  app.add_option("--parallel", o.parallel, "Reads in flight at once (1 to 1024)")
      ->capture_default_str()
      ->check(tools::in_range(1, 1024));
  tools::add_store_flags(app, o.settings);
  app.add_option("--cache-dir", o.cache_dir,
                 "Keep whole segments read from the store in this local directory (for remote "
                 "stores; verified by SHA-256 on reuse)");
  app.add_option("--cache-size", o.cache_size, "Bound on the cache's size (suffixes k, m, g, t)")
      ->capture_default_str()
      ->transform(tools::byte_size());
  app.add_flag("--daemon", o.daemon,
               "Keep running: check the store every --interval (a dry run), clean a bounded pass "
               "when garbage passes --garbage-threshold, stop cleanly on SIGINT/SIGTERM");
  app.add_option("--interval", o.interval, "Daemon: seconds between checks")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--garbage-threshold", o.garbage_threshold,
                 "Daemon: clean when wasted/total bytes reaches this fraction (0: whenever there "
                 "is a victim)")
      ->capture_default_str()
      ->check(tools::in_range(0, 1));
  app.add_option("--clean-every", o.clean_every,
                 "Daemon: also clean below the threshold when this many seconds passed since the "
                 "last pass (0: never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--idle", o.idle,
                 "Daemon: clean only once the proxy has written no new segment for this many "
                 "seconds (the 1996 LFS note's idle trigger; 0: do not watch)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--yield", o.yield,
               "Daemon: end a pass at the next batch boundary (committed) when the proxy writes "
               "a new segment, and wait for it to be idle again");
  app.add_option("--max-checks", o.max_checks, "Daemon: exit 0 after this many checks (0: never)")
      ->capture_default_str()
      ->check(tools::non_negative);
  app.add_option("--lease-ttl", o.lease_ttl,
                 "Seconds the lease lasts unless renewed (it is renewed between batches and "
                 "while the daemon sleeps); a crashed cleaner blocks others this long")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lease-settle", o.lease_settle,
                 "Seconds between writing the lease and reading it back, on stores without "
                 "atomic create (simple://, S3 without conditional writes; file: and S3 with "
                 "them need none); 0 is refused there (see docs/tools.md)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--deadline", o.deadline,
                 "Seconds the run may take: past them it ends at the next batch boundary, "
                 "with what moved committed (a daemon: stops; 0: no deadline)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--prices", o.prices_file,
                 "A price file for the cost estimate (key = value lines; docs/tools.md); "
                 "default: S3 Standard, us-east-1, in-region (no transfer charge)");
  app.add_option("--horizon", o.horizon,
                 "Days over which cost-aware counts the storage a segment frees")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--stats-interval", o.stats_interval,
                 "When stderr is not a terminal (a log, a pipe), print a one-line status (phase, "
                 "percent, elapsed, ETA; a JSON object with --json) every this many seconds "
                 "while a pass runs (0: never). On a terminal one line is redrawn in place")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-v,--verbose", o.verbose,
               "Also print the utilization table after a real pass (a daemon: every check)");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing but errors");
  app.add_option("--metrics-file", o.metrics_file,
                 "Write Prometheus text-format metrics to this file (atomically: for "
                 "node_exporter's textfile collector) after each pass, and at the end of the run");
  app.add_option("--keep-history", o.history,
                 "Passes kept in the store's pass history (log-99999999-00000001, the cleaner's "
                 "namespace; shown by the history command; 0: keep none)")
      ->capture_default_str()
      ->check(tools::non_negative);
  // Commands beside the pass (the pass is what runs without one).
  app.fallthrough();
  app.require_subcommand(0, 1);
  auto* history_cmd = app.add_subcommand(
      "history", "Show the store's last passes, oldest first (real passes record themselves)");
  history_cmd->add_option("-n,--lines", o.history_lines, "Show this many passes at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auto* lease_cmd = app.add_subcommand(
      "lease", "Show whether a cleaner holds the store's lease: who, and for how long yet");
  auto* break_cmd = app.add_subcommand(
      "break-lease",
      "Remove the store's lease, left by a cleaner that crashed (only with --force: a running "
      "cleaner's lease keeps a second cleaner out)");
  break_cmd->add_flag("--force", o.force, "Remove the lease whoever holds it");
  auto* inspect_cmd = app.add_subcommand(
      "inspect",
      "Show how the store's bytes are spread: a utilization histogram and an age x utilization "
      "grid (changes nothing, takes no lease; the full table: --dry-run -v)");
  inspect_cmd->add_option("--csv", o.csv_file,
                          "Also write every segment (name, size, live, utilization, age) as CSV "
                          "to this file (-: stdout, in place of the view)");
  inspect_cmd->add_option("--svg", o.svg_file,
                          "Also write the histogram and age against utilization as an SVG plot "
                          "to this file (-: stdout, in place of the view)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return tools::report_parse_error(app, e);
  }
  if (!(o.target_utilization > 0 && o.target_utilization < 1))
    return tools::emit_error(fmt::format("--target-utilization must be between 0 and 1 "
                                         "(exclusive), not {:g} (see --help)",
                                         o.target_utilization),
                             tools::exit_usage);
  if (!o.prices_file.empty()) {
    std::ifstream in(o.prices_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto p = cloudlog::parse_price_table(text);
    if (!in || !p)
      return tools::emit_error("--prices " + o.prices_file +
                                   ": not a readable price file (key = value lines: "
                                   "storage_class, storage_gb_month.CLASS, put_list_per_1000, "
                                   "get_per_1000, delete_per_1000, transfer_out_gb; docs/tools.md)",
                               tools::exit_usage);
    o.prices = *p;
  }
  std::string why;
  auto policy = make_policy(o, why);
  if (!policy) return tools::emit_error(why + " (see --help)", tools::exit_usage);
  if (!tools::parse_bytes(o.cache_size))
    return tools::emit_error("--cache-size: not a byte count: " + o.cache_size + " (see --help)",
                             tools::exit_usage);
  if (o.daemon && (o.dry_run || o.delete_only))
    return tools::emit_error(std::string("--daemon and ") +
                                 (o.dry_run ? "--dry-run" : "--delete-only") +
                                 " do not go together (see --help)",
                             tools::exit_usage);
  o.cost_line = !o.prices_file.empty() || o.store.rfind("s3://", 0) == 0;
  if (o.deadline > 0) run_deadline = std::chrono::steady_clock::now() + to_ms(o.deadline);
  o.settings.tool = "bluesky_cleaner";
  // Progress: redrawn on a terminal, a status line every --stats-interval elsewhere;
  // erased before any report or error line.
  std::optional<tools::progress_reporter> progress;
  const bool terminal = ::isatty(2) && !o.json;
  if (!o.quiet && (terminal || o.stats_interval > 0)) {
    progress.emplace(terminal, o.stats_interval, o.json,
                     [] { return stop_flag.load() || past_deadline(); });
    reporter = &*progress;
    tools::before_error_line() = [] { reporter->idle(); };
  }
  auto store = tools::open_store(o.store, false, o.settings);
  if (!store) return tools::report_open(store.error(), o.store);
  o.context = store->context;
  if (history_cmd->parsed())
    return std::visit([&](auto& s) { return show_history(s, o); }, store->store);
  if (lease_cmd->parsed())
    return std::visit([&](auto& s) { return show_lease(s, o); }, store->store);
  if (break_cmd->parsed())
    return std::visit([&](auto& s) { return break_lease(s, o); }, store->store);
  if (inspect_cmd->parsed())
    return std::visit([&](auto& s) { return inspect(s, o, *policy); }, store->store);
  o.holder = cloudlog::unique_holder();

  std::optional<bs::cipher> cipher;
  if (o.key_file || std::getenv("BLUESKY_KEY")) {
    auto key = bs::load_master_key(o.key_file);
    if (!key) return tools::report(key.error(), "cannot load the key");
    auto c = bs::cipher::from_master(*key);
    cloudlog::cleanse(*key);
    if (!c) return tools::report(c.error(), "cannot use the key");
    cipher.emplace(std::move(*c));
  }
  const int code = std::visit(
      [&](auto& s) {
        if (cipher) {
          // The key first: a wrong one ends the run before any work (dry runs too).
          tools::key_check_result checked;
          if (const int bad = tools::check_key_first(s, *cipher, o.store, o.context, checked); bad)
            return bad;
          return with_cache(s, o, *policy, [&](cloudlog::byte_view item) {
            return cipher->verify(item) == cloudlog::tag_status::ok;
          });
        }
        return with_cache(s, o, *policy, cloudlog::accept_all{});
      },
      store->store);
  // After the run, so that a stalled endpoint costs one timeout, not two.
  if (!o.quiet && (code == tools::exit_ok || code == tools::exit_waiting))
    warn_if_versioned(store->store, store->context, o.store);
  metrics.store = o.store;
  metrics.exit_code = code;
  write_metrics(o);
  return code;
}

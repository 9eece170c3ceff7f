// SPDX-License-Identifier: BSL-1.0
// The cleaning daemon on a memory store with a test clock: it cleans while a
// writer keeps writing, holds off below its garbage threshold, stops between
// batches when asked (committed, lease released), defers to a live lease, and
// stops, deleting nothing, when its usage index disagrees with a full walk.
#include <catch2/catch.hpp>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/daemon.hpp"
#include "cloudlog/cleaner/usage_index.hpp"
#include "cloudlog/policy/policies.hpp"
#include "harness.hpp"
#include "support/archetypes.hpp"
#include "support/usage_index_damage.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

// Compile-only: the lease, every member, over the least store there is.
template class cloudlog::store_lease<cloudlog::test::store_archetype>;

namespace {

namespace bs = cloudlog::bluesky;
using fs_type = bs::filesystem<memory_store, bs::cipher>;

// A clock that moves only when the daemon sleeps; ON_SLEEP runs in every sleep
// (the proxy's activity between the daemon's checks).
struct test_clock {
  std::int64_t now = 1'700'000'000'000;
  std::function<void()> on_sleep;
  lease_clock clock() {
    return {[this] { return now; },
            [this](std::chrono::milliseconds d) {
              now += d.count();
              if (on_sleep) on_sleep();
            }};
  }
};

// BlueSky with 64 KiB output segments, so that a small store needs several batches.
struct small_segments : bs::format {
  static constexpr std::uint64_t segment_target = 64 * 1024;
};

daemon_options quick_options() {
  daemon_options o;
  o.interval = 1s;
  o.lease.holder = "daemon";
  o.lease.ttl = 30s;
  o.lease.settle = 100ms;
  return o;
}

// Every object of STORE but the usage index's records and the lease.
std::map<std::string, bytes, std::less<>> without_cleaner_state(const memory_store& store) {
  auto all = store.snapshot();
  const auto prefix = segment_prefix(usage_index_directory);
  const auto ranges = segment_prefix(usage_range_directory);
  std::erase_if(all, [&](const auto& kv) {
    return kv.first.rfind(prefix, 0) == 0 || kv.first.rfind(ranges, 0) == 0 ||
           kv.first == "log-99999999-00000000";
  });
  return all;
}

// Rewrites STORE's usage index with the right checksums but wrong summaries (every
// one a byte off), due for the cross-check at the next pass (check_every 6).
void corrupt_index_tree(memory_store& store) {
  const auto listed = store.list(usage_index_directory).value();
  REQUIRE(listed.size() == 1);
  REQUIRE(test::skew_usage_summaries(
      listed[0].name, store.read(listed[0].name, 0, whole_object).value(),
      [&](const std::string& n) { return store.read(n, 0, whole_object).value(); },
      [&](const std::string& n, const bytes& b) { REQUIRE(store.write(n, b)); }, 5));
}

}  // namespace

TEST_CASE("The daemon cleans while the proxy keeps writing and merging", "[cleaner][daemon]") {
  memory_store store;
  test::file_model model;
  test::workload w(11);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 12, 60'000);
  REQUIRE(fs.flush());
  test_clock tc;
  int sleeps = 0;
  // Every second of the daemon's sleep the proxy writes a little and merges the
  // cleaner's output, as a running proxy would.
  tc.on_sleep = [&] {
    if (++sleeps % 10 != 0) return;
    w.churn(fs, model, 6, 3, 30'000);
    REQUIRE(bs::merge_cleaner_output(fs));
  };
  auto o = quick_options();
  o.max_checks = 12;
  std::uint64_t seen_passes = 0;
  o.on_pass = [&](const clean_report& r) {
    ++seen_passes;
    CHECK(r.rejected.empty());
    // The lease is held during the pass.
    CHECK(
        decode_lease(store.read("log-99999999-00000000", 0, whole_object).value()).value().holder ==
        "daemon");
  };
  auto r = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(r);
  CHECK(r->checks == 12);
  CHECK(r->passes == seen_passes);
  CHECK(r->passes_cleaned >= 2);
  CHECK(r->items_relocated > 0);
  CHECK(r->bytes_freed > 0);
  CHECK_FALSE(r->stopped);
  // The lease is gone, and the proxy still reads every file.
  CHECK(store.read("log-99999999-00000000", 0, whole_object).error() ==
        make_error_code(errc::not_found));
  REQUIRE(bs::merge_cleaner_output(fs));
  test::check_reads(fs, model);
  test::check_reopen(store, model);
}

TEST_CASE("Below its garbage threshold the daemon only checks, until clean_every passes",
          "[cleaner][daemon]") {
  memory_store store;
  test::file_model model;
  test::workload w(5);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 8, 40'000);
  w.churn(fs, model, 10, 5, 20'000);
  test_clock tc;
  auto o = quick_options();
  o.garbage_threshold = 0.999;
  o.max_checks = 5;
  o.release_dead = false;  // the next case shows what a check does with dead segments
  const auto before = store.snapshot();
  auto r = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(r);
  CHECK(r->checks == 5);
  CHECK(r->passes == 0);
  CHECK(store.snapshot() == before);

  o.clean_every = 3s;
  auto t = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(t);
  CHECK(t->passes >= 1);
  CHECK(t->passes_cleaned >= 1);
  REQUIRE(bs::merge_cleaner_output(fs));
  test::check_reopen(store, model);
}

TEST_CASE("Below its threshold a check deletes what the writer released, and nothing else",
          "[cleaner][daemon]") {
  memory_store store;
  test::file_model model;
  test::workload w(5);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 8, 40'000);
  w.churn(fs, model, 10, 5, 20'000);
  // A pass, then the proxy's merge: the pass's victims are released, dead at once.
  REQUIRE(clean(bs::format{}, store, greedy_policy{}, {}, accept_all{}));
  REQUIRE(bs::merge_cleaner_output(fs));
  clean_options dry;
  dry.dry_run = true;
  const auto plan = clean(bs::format{}, store, greedy_policy{}, dry, accept_all{});
  REQUIRE(plan);
  REQUIRE(!plan->plan.deletions.empty());
  const auto before = store.snapshot();

  test_clock tc;
  auto o = quick_options();
  o.garbage_threshold = 0.999;
  o.max_checks = 3;
  std::vector<clean_report> seen;
  o.on_pass = [&](const clean_report& r) { seen.push_back(r); };
  auto r = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(r);
  CHECK(r->checks == 3);
  CHECK(r->passes == 0);
  CHECK(r->releases == 1);  // the later checks find nothing dead
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].stats.segments_written == 0);
  CHECK(r->segments_deleted == plan->plan.deletions.size());
  // Exactly the planned deletions are gone; nothing else changed or appeared.
  auto expected = before;
  for (const auto& d : plan->plan.deletions) expected.erase(d.name);
  CHECK(store.snapshot() == expected);
  REQUIRE(bs::merge_cleaner_output(fs));
  test::check_reopen(store, model);
}

TEST_CASE("A stop request ends the daemon between batches: committed, lease released",
          "[cleaner][daemon]") {
  memory_store store;
  test::file_model model;
  test::workload w(3);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 30, 100'000);
  w.churn(fs, model, 60, 2, 60'000);
  test_clock tc;
  bool stop = false;
  auto o = quick_options();
  o.stop_requested = [&] { return stop; };
  // Ask to stop after the first relocation batch (as SIGTERM would).
  o.clean.on_progress = [&](const clean_progress& p) {
    if (p.items_done > 0) stop = true;  // 64 KiB batches: several to go
  };
  clean_report last;
  o.on_pass = [&](const clean_report& r) { last = r; };
  auto r = run_daemon(small_segments{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(r);
  CHECK(r->stopped);
  CHECK(r->passes == 1);
  CHECK(last.status == clean_status::cleaned);
  CHECK(last.interrupted);
  CHECK_FALSE(last.written.empty());
  CHECK(store.read("log-99999999-00000000", 0, whole_object).error() ==
        make_error_code(errc::not_found));
  REQUIRE(bs::merge_cleaner_output(fs));
  test::check_reads(fs, model);
  test::check_reopen(store, model);
}

TEST_CASE("The daemon defers to another cleaner's live lease and writes nothing",
          "[cleaner][daemon]") {
  memory_store store;
  test::file_model model;
  test::workload w(9);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 8, 40'000);
  w.churn(fs, model, 10, 5, 20'000);
  test_clock tc;
  lease_options other;
  other.holder = "other";
  other.ttl = 60s;
  auto held = store_lease<memory_store>::acquire(store, other, tc.clock());
  REQUIRE(held);
  const auto before = store.snapshot();
  lease_record holder;
  auto o = quick_options();
  o.max_checks = 3;
  auto r =
      run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock(), &holder);
  REQUIRE_FALSE(r);
  CHECK(r.error() == make_error_code(errc::lease_held));
  CHECK(holder.holder == "other");
  CHECK(store.snapshot() == before);
  // Once that lease lapses (its holder crashed), the daemon runs.
  tc.now += 61'000;
  auto later = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(later);
  CHECK(later->passes >= 1);
}

TEST_CASE("keep_going lets the daemon ride out a failing check", "[cleaner][daemon]") {
  memory_store store;  // empty: no checkpoint, every check fails
  test_clock tc;
  auto o = quick_options();
  std::vector<error_info> seen;
  o.keep_going = [&](const error_info& e) {
    seen.push_back(e);
    return seen.size() < 3;
  };
  auto r = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE_FALSE(r);
  CHECK(seen.size() == 3);
  CHECK(r.error() == seen.back().code);
  CHECK(r.error() == make_error_code(errc::no_checkpoint));
  // Each failure reaches keep_going with its text (find_root's: why no root).
  for (const auto& e : seen) CHECK_FALSE(e.what.empty());
  // Even a failed daemon gives its lease up on the way out.
  CHECK(store.snapshot().empty());
}

TEST_CASE("The daemon and clean_under_lease instantiate with nothing but archetypes",
          "[cleaner][daemon][archetype]") {
  using namespace cloudlog::test;
  // Taking the address instantiates the whole body.
  auto* daemon =
      &run_daemon<format_archetype, store_archetype, store_archetype, policy_archetype, accept_all>;
  auto* pass = &clean_under_lease<format_archetype, store_archetype, store_archetype,
                                  policy_archetype, accept_all>;
  CHECK(daemon != nullptr);
  CHECK(pass != nullptr);
}

TEST_CASE("Watching the writer: the daemon cleans once it is idle and yields when it writes",
          "[cleaner][daemon]") {
  memory_store store;
  test::file_model model;
  test::workload w(21);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 30, 100'000);
  w.churn(fs, model, 60, 2, 60'000);
  test_clock tc;
  const auto start = tc.now;
  std::uint64_t writes = 0;
  // The writer is busy for the first 5 s; after the first pass it merges the
  // cleaner's output (a write too).
  std::vector<std::int64_t> pass_times;
  bool merged = false;
  tc.on_sleep = [&] {
    if (tc.now < start + 5'000) ++writes;
    if (pass_times.size() == 1 && !merged) {
      REQUIRE(bs::merge_cleaner_output(fs));
      ++writes;
      merged = true;
    }
  };
  auto o = quick_options();
  o.writer_activity = [&]() -> result<std::uint64_t> { return writes; };
  o.idle = 3s;
  o.yield_to_writer = true;
  o.max_checks = 20;
  // The writer writes once more during the first pass's first batch.
  bool bumped = false;
  o.clean.on_progress = [&](const clean_progress&) {
    if (!bumped) ++writes;
    bumped = true;
  };
  std::vector<bool> interrupted;
  o.on_pass = [&](const clean_report& r) {
    pass_times.push_back(tc.now);
    interrupted.push_back(r.interrupted);
  };
  auto r = run_daemon(small_segments{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
  REQUIRE(r);
  REQUIRE(pass_times.size() >= 2);
  CHECK(pass_times[0] >= start + 5'000 + 3'000);  // idle for 3 s after the last write
  CHECK(interrupted[0]);                          // it yielded to the write
  CHECK(r->yields == 1);
  CHECK(pass_times[1] >= pass_times[0] + 3'000);  // and waited for idle again after the merge
  CHECK_FALSE(interrupted[1]);
  REQUIRE(bs::merge_cleaner_output(fs));
  test::check_reads(fs, model);
  test::check_reopen(store, model);
}

TEST_CASE("A usage index that disagrees with a full walk stops the daemon, nothing deleted",
          "[cleaner][daemon][usage_index]") {
  memory_store store;
  test::file_model model;
  test::workload w(31);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 10, 40'000);
  w.churn(fs, model, 12, 3, 20'000);
  auto o = quick_options();
  o.clean.usage_index.enabled = true;
  o.clean.usage_index.check_every = 6;
  o.garbage_threshold = 0;
  o.max_checks = 4;
  REQUIRE(clean(bs::format{}, store, greedy_policy{}, o.clean, accept_all{}));
  REQUIRE(bs::merge_cleaner_output(fs));
  w.churn(fs, model, 6, 2, 20'000);
  std::vector<clean_report> passes, checks;
  o.on_pass = [&](const clean_report& r) { passes.push_back(r); };
  o.on_check = [&](const clean_report& r) { checks.push_back(r); };
  test_clock tc;

  SECTION("found by a check: no pass runs") {
    corrupt_index_tree(store);
    const auto before = without_cleaner_state(store);
    auto r = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
    REQUIRE(r);
    CHECK(r->index_mismatch);
    CHECK(r->checks == 1);
    CHECK(r->passes == 0);
    CHECK(r->releases == 0);
    CHECK(r->segments_deleted == 0);
    REQUIRE(checks.size() == 1);
    CHECK(checks[0].index.mismatch);
    CHECK(passes.empty());
    CHECK(without_cleaner_state(store) == before);
  }
  SECTION("found by a pass: it deletes nothing and is the last") {
    // The check reads a sound record; the pass after it reads the damaged one.
    std::map<std::string, bytes, std::less<>> before;
    o.on_check = [&](const clean_report& r) {
      checks.push_back(r);
      REQUIRE_FALSE(r.index.mismatch);
      REQUIRE_FALSE(r.plan.victims.empty());
      corrupt_index_tree(store);
      before = without_cleaner_state(store);
    };
    auto r = run_daemon(bs::format{}, store, store, greedy_policy{}, o, accept_all{}, tc.clock());
    REQUIRE(r);
    CHECK(r->index_mismatch);
    CHECK(r->checks == 1);
    CHECK(r->passes == 1);
    CHECK(r->segments_deleted == 0);
    CHECK(r->segments_written == 0);
    REQUIRE(passes.size() == 1);
    CHECK(passes[0].index.checked);
    CHECK(passes[0].index.mismatch);
    CHECK(passes[0].stats.segments_deleted == 0);
    CHECK(without_cleaner_state(store) == before);
  }
  // Either way the lease is released and the proxy reads every file.
  CHECK(store.read("log-99999999-00000000", 0, whole_object).error() ==
        make_error_code(errc::not_found));
  test::check_reopen(store, model);
}

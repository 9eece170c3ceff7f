// SPDX-License-Identifier: BSL-1.0
// Crash tests: the cleaner, and the proxy's merge, are stopped after every k-th store
// operation, for every k of a run. Each time a proxy restarted on the store reads
// every file back, and clean + merge rerun to convergence without losing anything.
#include <catch2/catch.hpp>

#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/policy/policies.hpp"
#include "harness.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

using fs_type = bs::filesystem<memory_store, bs::cipher>;

// A store with garbage and one merged cleaner generation, and its model.
void build(memory_store& store, test::file_model& model) {
  test::workload w(99);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 8, 80'000);
  REQUIRE(fs.flush());
  w.churn(fs, model, 20, 5, 30'000);
  REQUIRE(clean(bs::format{}, store, greedy_policy{}));
  REQUIRE(bs::merge_cleaner_output(fs));
  w.churn(fs, model, 20, 5, 30'000);
}

// Restarts the proxy on STORE, checks every file, then runs clean + merge until the
// cleaner has nothing to do, checking after every step.
void converge(memory_store& store, const test::file_model& model) {
  test::check_reopen(store, model);
  bool done = false;
  for (int i = 0; i < 8 && !done; ++i) {
    auto fs = fs_type::open(store, test::harness_cipher()).value();
    REQUIRE(bs::merge_cleaner_output(fs));
    test::check_reads(fs, model);
    auto r = clean(bs::format{}, store, greedy_policy{});
    REQUIRE(r);
    done = r->status == clean_status::nothing_to_do;
    test::check_reopen(store, model);
  }
  CHECK(done);
}

}  // namespace

TEST_CASE("A cleaner stopped after any store operation loses nothing, and a rerun converges",
          "[cleaner][bluesky][crash]") {
  memory_store base;
  test::file_model model;
  build(base, model);
  const auto snapshot = base.snapshot();

  std::uint64_t total = 0;
  {
    memory_store s;
    s.restore(snapshot);
    fault_injecting_store counted(s);
    auto r = clean(bs::format{}, counted, greedy_policy{});
    REQUIRE(r);
    REQUIRE(r->status == clean_status::cleaned);
    REQUIRE(r->stats.segments_deleted > 0);
    total = counted.calls();
  }
  REQUIRE(total > 5);
  for (std::uint64_t k = 0; k <= total; ++k) {
    INFO("crash after operation " << k << " of " << total);
    memory_store s;
    s.restore(snapshot);
    fault_injecting_store crashing(s);
    crashing.crash_after(k);
    auto r = clean(bs::format{}, crashing, greedy_policy{});
    CHECK(r.has_value() == (k >= total));
    converge(s, model);
  }
}

TEST_CASE("A merge stopped after any store operation loses nothing, and a rerun converges",
          "[cleaner][bluesky][crash]") {
  memory_store base;
  test::file_model model;
  build(base, model);
  REQUIRE(clean(bs::format{}, base, greedy_policy{}));  // an unmerged generation
  const auto snapshot = base.snapshot();

  std::uint64_t total = 0;
  {
    memory_store s;
    s.restore(snapshot);
    fault_injecting_store counted(s);
    auto fs = bs::filesystem<decltype(counted), bs::cipher>::open(counted, test::harness_cipher());
    REQUIRE(fs);
    auto m = bs::merge_cleaner_output(*fs);
    REQUIRE(m);
    REQUIRE(m->merged);
    total = counted.calls();
  }
  for (std::uint64_t k = 0; k <= total; ++k) {
    INFO("crash after operation " << k << " of " << total);
    memory_store s;
    s.restore(snapshot);
    fault_injecting_store crashing(s);
    crashing.crash_after(k);
    auto fs =
        bs::filesystem<decltype(crashing), bs::cipher>::open(crashing, test::harness_cipher());
    if (fs) {
      auto m = bs::merge_cleaner_output(*fs);
      CHECK(m.has_value() == (k >= total));
    }
    converge(s, model);
  }
}

// BlueSky with 64 KiB output segments, so that a small store needs several batches.
struct small_segments : bs::format {
  static constexpr std::uint64_t segment_target = 64 * 1024;
};

TEST_CASE(
    "A run asked to stop commits what it moved (nothing if nothing), and a rerun finishes the work",
    "[cleaner][bluesky][interrupt]") {
  memory_store store;
  test::file_model model;
  build(store, model);
  for (int stop_after = 0; stop_after < 3; ++stop_after) {
    INFO("stop after " << stop_after << " batch(es)");
    memory_store s;
    s.restore(store.snapshot());
    int asked = 0;
    std::vector<clean_progress> seen;
    clean_options o;
    o.target_utilization = 1.0;  // every victim greedy picks: three batches of work
    o.stop_requested = [&] { return asked++ >= stop_after; };
    o.on_progress = [&](const clean_progress& p) { seen.push_back(p); };
    auto r = clean(small_segments{}, s, greedy_policy{}, o);
    REQUIRE(r);
    CHECK(r->status == clean_status::cleaned);
    CHECK(r->interrupted);  // the store needs three batches
    CHECK(seen.size() == static_cast<std::size_t>(stop_after));
    for (std::size_t i = 1; i < seen.size(); ++i)
      CHECK(seen[i].bytes_done > seen[i - 1].bytes_done);
    for (const auto& p : seen) CHECK(p.bytes_done < p.bytes_total);
    if (stop_after == 0) {  // nothing moved, so nothing is committed for the writer to merge
      CHECK(r->stats.items_relocated == 0);
      CHECK(r->stats.segments_written == 0);
      CHECK(r->written.empty());
      // Only the segments already dead are gone (deleted as in any pass).
      auto before = store.snapshot();
      for (const auto& d : r->plan.deletions) CHECK(before.erase(d.name) == 1);
      CHECK(s.snapshot() == before);
    }
    converge(s, model);
  }
}

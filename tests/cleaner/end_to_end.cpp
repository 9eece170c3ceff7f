// SPDX-License-Identifier: BSL-1.0
// End to end, for every policy: workload, clean, merge, clean, ... for many seeded
// rounds. After each round every file reads back identically (from the running
// proxy and from a proxy restarted on the store), nothing still referenced was
// ever deleted, and at the end repeated clean+merge converges.
#include <catch2/catch.hpp>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/policies.hpp"
#include "harness.hpp"
#include "support/error_text.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

constexpr std::uint64_t budget_read = 512 * 1024, budget_write = 128 * 1024;

struct setup {
  const char* name;
  any_policy policy;
  relocation_mode mode;
};

std::vector<setup> setups() {
  return {{"threshold", threshold_policy{}, relocation_mode::live_items},
          {"threshold whole-file", threshold_policy{0.6, {}, age_placement{1}},
           relocation_mode::whole_parent},
          {"greedy", greedy_policy{}, relocation_mode::live_items},
          {"cost-benefit", cost_benefit_policy{}, relocation_mode::live_items},
          {"age-threshold", age_threshold_policy{2, 0.9}, relocation_mode::live_items},
          {"greedy with budgets",
           greedy_policy{{budget_read, budget_write, cleaning_budget::unlimited}},
           relocation_mode::live_items}};
}

}  // namespace

TEST_CASE("Workload, clean, merge, repeat: every file reads back under every policy",
          "[cleaner][bluesky][property]") {
  for (const auto& s : setups()) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      INFO(s.name << ", seed " << seed);
      memory_store store;
      test::file_model model;
      test::workload w(seed * 7919 + 1);
      auto fs =
          bs::filesystem<memory_store, bs::cipher>::open(store, test::harness_cipher()).value();
      w.populate(fs, model, 12, 100'000);
      REQUIRE(fs.flush());
      clean_options options;
      options.mode = s.mode;
      std::uint64_t cleaned_runs = 0, freed = 0;
      for (int round = 0; round < 6; ++round) {
        w.churn(fs, model, 25, 7, 40'000);
        auto r = clean(bs::format{}, store, s.policy, options);
        REQUIRE(r);
        REQUIRE(r->rejected.empty());
        if (r->status == clean_status::cleaned) ++cleaned_runs;
        std::uint64_t victim_bytes = 0, victim_live = 0;
        for (const auto& v : r->plan.victims) {
          victim_bytes += v.size;
          victim_live += v.live;
        }
        if (std::string_view(s.name) == "greedy with budgets") {
          CHECK(victim_bytes <= budget_read);
          CHECK(victim_live <= budget_write);
        }
        freed += r->stats.bytes_freed;
        test::check_reads(fs, model);      // the running proxy's view survived the deletions
        test::check_reopen(store, model);  // and so did the durable one
        auto m = bs::merge_cleaner_output(fs);
        INFO(test::error_text(m));
        REQUIRE(m);
        CHECK(m->merged == (r->status == clean_status::cleaned));
        test::check_reads(fs, model);
        test::check_reopen(store, model);
      }
      CHECK(cleaned_runs > 0);
      // Without new writes, clean + merge converges to nothing to do.
      bool converged = false;
      for (int i = 0; i < 12 && !converged; ++i) {
        auto r = clean(bs::format{}, store, s.policy, options);
        REQUIRE(r);
        freed += r->stats.bytes_freed;
        converged = r->status == clean_status::nothing_to_do;
        REQUIRE(bs::merge_cleaner_output(fs));
      }
      CHECK(converged);
      CHECK(freed > 0);
      test::check_reopen(store, model);
    }
  }
}

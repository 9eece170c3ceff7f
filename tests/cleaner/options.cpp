// SPDX-License-Identifier: BSL-1.0
// cleaner/options.hpp: each option does what its contract says, on a pass over the
// in-tree tree format: dry_run and delete_only write nothing, stop_requested
// interrupts and still commits, on_phase names the phases in order, a target of 1
// keeps every victim; item_verifier and accept_all.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/cleaner/options.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

using namespace cloudlog;

namespace {
void fill(memory_store& store, tree::writer& w, int rounds) {
  std::mt19937 rng(5);
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 10; ++k) {
      bytes data(300 + rng() % 1200);
      for (auto& b : data) b = static_cast<std::byte>(rng());
      w.put(rng() % 4, rng() % 8, std::move(data));
    }
    REQUIRE(w.commit(store));
  }
}
struct refuses_all {
  bool operator()(byte_view) const { return false; }
};
struct takes_text {
  bool operator()(const std::string&) const { return true; }
};
}  // namespace

TEST_CASE("item_verifier: predicates on an item's bytes; accept_all accepts every item",
          "[cleaner][options]") {
  STATIC_REQUIRE(item_verifier<accept_all>);
  STATIC_REQUIRE(item_verifier<refuses_all>);
  STATIC_REQUIRE_FALSE(item_verifier<takes_text>);
  STATIC_REQUIRE_FALSE(item_verifier<int>);
  CHECK(accept_all{}(byte_view{}));
  const clean_options d;
  CHECK_FALSE(d.dry_run);
  CHECK(d.mode == relocation_mode::live_items);
  CHECK(d.target_utilization == default_target_utilization);
}

TEST_CASE("dry_run plans and writes nothing; delete_only chooses no victim and writes nothing",
          "[cleaner][options]") {
  memory_store store;
  tree::writer w{4, 8};
  fill(store, w, 8);
  const auto before = store.snapshot();
  clean_options dry;
  dry.dry_run = true;
  auto plan = clean(tree::format{}, store, greedy_policy{}, dry);
  REQUIRE(plan);
  CHECK(!plan->plan.victims.empty());
  CHECK(plan->written.empty());
  CHECK(store.snapshot() == before);

  clean_options only_delete;
  only_delete.delete_only = true;
  auto del = clean(tree::format{}, store, greedy_policy{}, only_delete);
  REQUIRE(del);
  CHECK(del->plan.victims.empty());
  CHECK(del->written.empty());
  CHECK(del->status != clean_status::cleaned);
}

TEST_CASE("on_phase names the phases in order; stop_requested interrupts and still commits",
          "[cleaner][options]") {
  memory_store store;
  tree::writer w{4, 8};
  fill(store, w, 8);
  std::vector<std::string> phases;
  int asked = 0;
  clean_options o;
  o.on_phase = [&](const clean_progress& p) { phases.push_back(p.phase); };
  o.stop_requested = [&] { return ++asked > 1; };  // stop after the first batch
  o.target_utilization = 1;
  auto r = clean(tree::format{}, store, greedy_policy{}, o);
  REQUIRE(r);
  REQUIRE(asked >= 1);  // asked before every batch
  CHECK(r->interrupted == (asked > 1));
  REQUIRE(!r->written.empty());  // what moved is committed, with a new root
  CHECK(tree::read_tree(store).value() == w.expected());
  REQUIRE(phases.size() >= 4);
  CHECK(phases.front() == std::string("load"));
  CHECK(std::find(phases.begin(), phases.end(), "relocate") != phases.end());
  CHECK(std::find(phases.begin(), phases.end(), "commit") != phases.end());
  const auto at = [&](const char* name) {
    return std::find(phases.begin(), phases.end(), std::string(name)) - phases.begin();
  };
  CHECK(at("load") < at("walk"));
  CHECK(at("walk") < at("relocate"));
  CHECK(at("relocate") < at("commit"));
}

TEST_CASE("target_utilization 1 keeps every victim the policy chose; lower cuts them",
          "[cleaner][options]") {
  memory_store store;
  tree::writer w{4, 8};
  fill(store, w, 10);
  clean_options all;
  all.dry_run = true;
  all.target_utilization = 1;
  clean_options some = all;
  some.target_utilization = 0.5;
  auto a = clean(tree::format{}, store, greedy_policy{}, all);
  auto s = clean(tree::format{}, store, greedy_policy{}, some);
  REQUIRE(a);
  REQUIRE(s);
  CHECK(a->plan.victims.size() == greedy_policy{}.select(a->plan.table).size());
  CHECK(s->plan.victims.size() <= a->plan.victims.size());
}

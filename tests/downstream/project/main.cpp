// SPDX-License-Identifier: BSL-1.0
// A downstream user's format ("tree", in tests/support/tree/) cleaned by the installed cloudlog's
// generic engine with library policies: everything reachable stays intact, and
// garbage segments are deleted once the writer has adopted the cleaner's output.
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/policy/policies.hpp"
#include "tree/format.hpp"
#include "tree/writer.hpp"

namespace {

int failures = 0;
#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

std::set<std::string> names(cloudlog::memory_store& store) {
  std::set<std::string> out;
  for (const auto& [name, data] : store.snapshot()) out.insert(name);
  return out;
}

// Rounds of commits that overwrite random blobs: garbage in every older segment.
void churn(tree::writer& w, cloudlog::memory_store& store, std::mt19937& rng, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 10; ++k) {
      cloudlog::bytes data(200 + rng() % 1500);
      for (auto& b : data) b = static_cast<std::byte>(rng());
      w.put(rng() % 4, rng() % 8, std::move(data));
    }
    if (!w.commit(store)) ++failures;
  }
}

// One cycle: clean, check the writer is waited for, adopt, clean again, check deletions.
template <class Policy>
void cycle(tree::writer& w, cloudlog::memory_store& store, const Policy& policy) {
  EXPECT(tree::read_tree(store).value() == w.expected());
  auto first = cloudlog::clean(tree::format{}, store, policy);
  EXPECT(first && first->status == cloudlog::clean_status::cleaned);
  if (!first) return;
  EXPECT(!first->plan.victims.empty());
  EXPECT(first->stats.items_relocated > 0);
  EXPECT(!first->written.empty());
  // Untouched by the cleaner: the writer still reads its own root.
  EXPECT(tree::read_tree(store).value() == w.expected());

  // Until the writer adopts the output nothing is relocated again, and no victim goes.
  auto waiting = cloudlog::clean(tree::format{}, store, policy);
  EXPECT(waiting && waiting->status == cloudlog::clean_status::waiting_for_writer);
  EXPECT(waiting && waiting->written.empty());
  const auto present = names(store);
  for (const auto& v : first->plan.victims)
    EXPECT(present.count(cloudlog::segment_name(v.id).value()) == 1);

  EXPECT(w.adopt(store).value());
  EXPECT(tree::read_tree(store).value() == w.expected());

  auto after = cloudlog::clean(tree::format{}, store, policy);
  EXPECT(after.has_value());
  if (!after) return;
  EXPECT(after->stats.segments_deleted >= first->plan.victims.size());
  const auto left = names(store);
  for (const auto& v : first->plan.victims)
    EXPECT(left.count(cloudlog::segment_name(v.id).value()) == 0);  // garbage deleted
  EXPECT(after->stats.bytes_freed > 0);
  // Whatever the last run wrote, the writer's tree is intact and a further adoption
  // keeps it so.
  EXPECT(tree::read_tree(store).value() == w.expected());
  (void)w.adopt(store);
  EXPECT(tree::read_tree(store).value() == w.expected());
}

// Crash safety with a foreign format: a run stopped after its K-th store call, for
// every K, leaves a store the writer reads intact, and a rerun converges.
void crashes(tree::writer& w, cloudlog::memory_store& store) {
  const auto before = store.snapshot();
  std::uint64_t calls = 0;
  {
    cloudlog::fault_injecting_store<cloudlog::memory_store&> counted(store);
    EXPECT(cloudlog::clean(tree::format{}, counted, cloudlog::greedy_policy{}).has_value());
    calls = counted.calls();
  }
  EXPECT(calls > 3);
  std::printf("crash points: %llu store calls, each one the last\n",
              static_cast<unsigned long long>(calls));
  for (std::uint64_t k = 0; k < calls; ++k) {
    store.restore(before);
    cloudlog::fault_injecting_store<cloudlog::memory_store&> dying(store);
    dying.crash_after(k);
    EXPECT(!cloudlog::clean(tree::format{}, dying, cloudlog::greedy_policy{}).has_value());
    EXPECT(tree::read_tree(store).value() == w.expected());
    auto rerun = cloudlog::clean(tree::format{}, store, cloudlog::greedy_policy{});
    EXPECT(rerun.has_value());
    EXPECT(tree::read_tree(store).value() == w.expected());
  }
  // The last rerun's output is adopted like any other.
  auto adopted = w;
  EXPECT(adopted.adopt(store).value());
  EXPECT(tree::read_tree(store).value() == adopted.expected());
  store.restore(before);
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  cloudlog::memory_store store;
  tree::writer w(4, 8);
  churn(w, store, rng, 8);
  crashes(w, store);
  cycle(w, store, cloudlog::greedy_policy{});
  churn(w, store, rng, 6);
  cycle(w, store, cloudlog::cost_benefit_policy{});
  churn(w, store, rng, 6);
  cycle(w, store, cloudlog::threshold_policy{0.9});
  std::printf("%s: %zu slots intact, %zu objects left\n", failures ? "FAILED" : "ok",
              w.expected().size(), names(store).size());
  return failures == 0 ? 0 : 1;
}

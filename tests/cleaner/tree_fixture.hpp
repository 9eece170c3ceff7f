// SPDX-License-Identifier: BSL-1.0
// What the engine's tests share (tests/cleaner/engine.cpp and the tests of
// cleaner/detail/): a tree store (tests/support/tree) with garbage in it, what its
// root reaches read item by item through the format's own reader (never through the
// engine's walk), a pass's state walked and tabulated by the engine's own phases,
// and a memory store with slow, recorded writes.
#ifndef CLOUDLOG_TESTS_CLEANER_TREE_FIXTURE_HPP
#define CLOUDLOG_TESTS_CLEANER_TREE_FIXTURE_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/cleaner/detail/phases.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

namespace cloudlog::test {

// A tree store with garbage in every older writer segment: ROUNDS commits that each
// overwrite ten random blobs of a 4 x 8 tree.
struct tree_store {
  cloudlog::memory_store store;
  tree::writer writer{4, 8};

  explicit tree_store(int rounds, unsigned seed = 7) {
    std::mt19937 rng(seed);
    for (int r = 0; r < rounds; ++r) {
      for (int k = 0; k < 10; ++k) {
        cloudlog::bytes data(200 + rng() % 1500);
        for (auto& b : data) b = static_cast<std::byte>(rng());
        writer.put(rng() % 4, rng() % 8, std::move(data));
      }
      REQUIRE(writer.commit(store));
    }
  }

  // Writes the writer's segments into TO (through memory_store's own write, past
  // any recording or slowing a test store adds).
  void copy_into(cloudlog::memory_store& to) {
    const auto listed = store.list(tree::writer_directory).value();
    for (const auto& seg : listed)
      REQUIRE(to.memory_store::write(seg.name,
                                     store.read(seg.name, 0, cloudlog::whole_object).value()));
  }
};

// Every location reachable from the writer's root, read item by item through the
// format's reader (independently of the engine's walk): root, directories, blobs.
struct reachable {
  location root;
  std::vector<location> directories, blobs;
};
inline reachable read_reachable(cloudlog::memory_store& store) {
  reachable r;
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  r.root = ctx->root();
  auto root = tree::read_item(store, r.root, tree::item_type::root);
  REQUIRE(root);
  for (const auto& dl : root->links) {
    r.directories.push_back(*dl.where);
    auto dir = tree::read_item(store, *dl.where, tree::item_type::directory, dl.id);
    REQUIRE(dir);
    for (const auto& bl : dir->links)
      if (!bl.is_null()) r.blobs.push_back(*bl.where);
  }
  return r;
}

// A store's pass state up to its usage table, built by the engine's phases as a
// pass builds it: the context loaded (tree::format::load), the live graph walked
// with a local read planner (detail::walk), its usage tabulated (detail::tabulate).
struct walked_state {
  tree::format::context ctx;
  cloudlog::detail::live_graph live;
  cloudlog::detail::usage_tally usage;
};
inline walked_state walk_and_tabulate(cloudlog::memory_store& store) {
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, store, ctx->root(), planner);
  REQUIRE(live);
  auto usage = cloudlog::detail::tabulate(*ctx, *live);
  return {std::move(*ctx), std::move(*live), std::move(usage)};
}

inline std::uint64_t total_size(const std::vector<location>& ls) {
  std::uint64_t n = 0;
  for (const auto& l : ls) n += l.size;
  return n;
}

// How many calls run at once (between enter and leave), and the most that ever did.
struct concurrency_meter {
  std::atomic<int> running{0}, most{0};
  void enter() {
    const int now = ++running;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
  }
  void leave() { --running; }
};

// A memory store whose writes take DELAY (20 ms unless set) and that records how
// many run at once and the order in which they start and finish.
struct slow_store : cloudlog::memory_store, concurrency_meter {
  std::chrono::milliseconds delay{20};
  std::mutex order_mutex;
  std::vector<std::string> started, finished;
  cloudlog::result<void> write(std::string_view name, cloudlog::byte_view data) {
    {
      std::lock_guard lock(order_mutex);
      started.emplace_back(name);
    }
    enter();
    std::this_thread::sleep_for(delay);
    auto r = memory_store::write(name, data);
    leave();
    std::lock_guard lock(order_mutex);
    finished.emplace_back(name);
    return r;
  }
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_CLEANER_TREE_FIXTURE_HPP

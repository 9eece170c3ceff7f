// SPDX-License-Identifier: BSL-1.0
// lfs_disk under concurrency: foreground writer threads and the background idle
// cleaner on the real clock (also built with ThreadSanitizer: test_lfs_tsan).
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lfs/clock.hpp"
#include "lfs/disk.hpp"
#include "lfs/file_system.hpp"
#include "lfs/helpers.hpp"
#include "lfs/idle_cleaner.hpp"

using namespace lfs;
using namespace std::chrono_literals;

TEST_CASE("Writer threads and the background cleaner thread keep every file intact",
          "[lfs][threads]") {
  memory_disk disk;
  auto geometry = test::small_disk();
  geometry.segment_count = 14;
  REQUIRE(mkfs(disk, geometry));
  steady_clock_source clock;
  using fs_type = file_system<memory_disk, cloudlog::greedy_policy, steady_clock_source>;
  auto fs = fs_type::mount(disk, {}, clock).value();
  idle_cleaner cleaner(*fs, clock, idle_options{2ms, 1000, 1ms});
  cleaner.start();

  // Catch2 assertions are not thread-safe: workers record problems, the main
  // thread checks them after the join.
  constexpr int writers = 3;
  std::vector<test::model> models(writers);
  std::vector<std::vector<std::string>> problems(writers);
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      auto& m = models[t];
      auto problem = [&](std::string what) { problems[t].push_back(std::move(what)); };
      for (int i = 0; i < 150; ++i) {
        const auto name = "t" + std::to_string(t) + "-" + std::to_string(rng() % 2);
        const auto roll = rng() % 10;
        if (roll < 6) {
          const auto offset = rng() % 6000;
          const auto data = test::random_bytes(rng, 1 + rng() % 2500);
          if (auto r = fs->write(name, offset, data))
            test::model_write(m, name, offset, data);
          else if (r.error() != errc::disk_full)
            problem("write " + name + ": " + r.error().message());
        } else if (roll < 7) {
          if (fs->remove(name)) m.erase(name);
        } else if (roll < 9) {
          if (auto r = fs->sync(); !r) problem("sync: " + r.error().message());
        } else if (m.count(name)) {
          auto r = fs->read(name);
          if (!r || *r != m.at(name)) problem("read " + name + " differs from the model");
        }
        if (i % 15 == 14) std::this_thread::sleep_for(8ms);  // quiet: the idle cleaner runs
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& p : problems) CHECK(p == std::vector<std::string>{});
  std::this_thread::sleep_for(20ms);
  cleaner.stop();
  CHECK(cleaner.last_error() == std::error_code());

  test::model all;
  for (const auto& m : models) all.insert(m.begin(), m.end());
  CHECK(test::contents(*fs) == all);
  const auto s = fs->status().stats;
  WARN("idle sessions " << s.idle_sessions << ", yields " << s.idle_yields << ", cleaned "
                        << s.segments_cleaned << ", reclaimed " << s.segments_reclaimed
                        << ", forced " << s.forced_cleanings);
  CHECK(s.idle_sessions >= 1);
  CHECK(s.forced_cleanings >= 1);
  CHECK(s.segments_cleaned + s.segments_reclaimed >= 1);
  REQUIRE(fs->sync());
  fs.reset();
  CHECK(test::contents(*fs_type::mount(disk, {}, clock).value()) == all);
}

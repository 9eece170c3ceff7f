// SPDX-License-Identifier: BSL-1.0
// lfs_disk scheduling on a test clock: cleaning starts only after 2 s without a
// read or write, and a session yields after the segment during which a user
// started waiting.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <thread>

#include "lfs/clock.hpp"
#include "lfs/disk.hpp"
#include "lfs/file_system.hpp"
#include "lfs/helpers.hpp"
#include "lfs/idle_cleaner.hpp"

using namespace lfs;
using namespace std::chrono_literals;

namespace {

using fs_type = file_system<memory_disk, cloudlog::greedy_policy, manual_clock>;

// Files whose first versions fill several segments, then half of each overwritten:
// several partly live segments for the cleaner.
test::model fragment(fs_type& fs, std::mt19937_64& rng) {
  test::model m;
  for (int i = 0; i < 5; ++i) {
    const auto name = "f" + std::to_string(i);
    const auto data = test::random_bytes(rng, 14 * 512);
    REQUIRE(fs.write(name, 0, data));
    test::model_write(m, name, 0, data);
    REQUIRE(fs.sync());
  }
  for (int i = 0; i < 5; ++i) {
    const auto name = "f" + std::to_string(i);
    const auto data = test::random_bytes(rng, 7 * 512);
    REQUIRE(fs.write(name, 0, data));
    test::model_write(m, name, 0, data);
  }
  REQUIRE(fs.sync());
  return m;
}

std::size_t partly_live(fs_type& fs) {
  std::size_t n = 0;
  for (const auto& u : fs.status().usage) n += u.live > 0 && u.live < u.size;
  return n;
}

}  // namespace

TEST_CASE("The idle cleaner starts only after 2 s without reads or writes", "[lfs][scheduling]") {
  std::mt19937_64 rng(21);
  manual_clock clock;
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = fs_type::mount(disk, {}, clock).value();
  const auto m = fragment(*fs, rng);
  REQUIRE(partly_live(*fs) >= 2);
  idle_cleaner cleaner(*fs, clock);  // the default: 2 s

  CHECK(cleaner.step() == idle_step::waiting);
  clock.advance(1999ms);
  CHECK(cleaner.step() == idle_step::waiting);
  REQUIRE(fs->read("f0"));  // a read resets the timer (t = 1.999 s)
  clock.advance(1999ms);
  CHECK(cleaner.step() == idle_step::waiting);
  REQUIRE(fs->write("f1", 0, m.at("f1")));  // so does a write (t = 3.998 s)
  clock.advance(1999ms);
  CHECK(cleaner.step() == idle_step::waiting);
  CHECK(fs->status().stats.idle_sessions == 0);
  CHECK(fs->status().stats.segments_cleaned == 0);

  clock.advance(1ms);  // 2 s of quiet
  CHECK(cleaner.step() == idle_step::cleaned);
  const auto s = fs->status().stats;
  CHECK(s.idle_sessions == 1);
  CHECK(s.segments_cleaned >= 1);
  CHECK(s.idle_yields == 0);
  // Nothing happened since: no new session, however long the quiet lasts.
  clock.advance(10s);
  CHECK(cleaner.step() == idle_step::quiet);
  CHECK(fs->status().stats.idle_sessions == 1);
  CHECK(test::contents(*fs) == m);
}

TEST_CASE("An idle session yields within one segment when a writer waits", "[lfs][scheduling]") {
  std::mt19937_64 rng(22);
  manual_clock clock;
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = fs_type::mount(disk, {}, clock).value();
  auto m = fragment(*fs, rng);
  REQUIRE(partly_live(*fs) >= 2);  // more than one segment to clean

  const auto data = test::random_bytes(rng, 700);
  std::thread writer;
  cloudlog::result<void> written = cloudlog::fail(std::errc::operation_in_progress);  // not yet
  std::vector<std::uint32_t> cleaned;
  bool armed = true;
  fs->on_segment_cleaned([&](std::uint32_t seg) {
    cleaned.push_back(seg);
    if (!armed) return;
    armed = false;
    writer = std::thread([&] { written = fs->write("late", 0, data); });
    while (fs->waiters() == 0) std::this_thread::yield();  // the writer now waits for the lock
  });
  idle_cleaner cleaner(*fs, clock);
  clock.advance(2s);
  CHECK(cleaner.step() == idle_step::yielded);
  writer.join();
  REQUIRE(written);
  test::model_write(m, "late", 0, data);
  CHECK(cleaned.size() == 1);  // gave up the lock right after the first segment
  cleaned.clear();
  const auto s = fs->status().stats;
  CHECK(s.idle_yields == 1);
  CHECK(s.segments_cleaned == 1);
  CHECK(partly_live(*fs) >= 1);  // work was left for later
  // The writer's access reset the timer: the next session waits 2 s again.
  CHECK(cleaner.step() == idle_step::waiting);
  clock.advance(2s);
  CHECK(cleaner.step() == idle_step::cleaned);
  CHECK(cleaned.size() >= 1);
  CHECK(test::contents(*fs) == m);
}

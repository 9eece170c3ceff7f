// SPDX-License-Identifier: BSL-1.0
// lfs_disk property test: random writes, overwrites and deletes against a model,
// under space pressure (forced cleaning), with crashes at random bytes of random
// writes; every remount must read back a state the model allows.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "lfs/disk.hpp"
#include "lfs/file_system.hpp"
#include "lfs/helpers.hpp"

using namespace lfs;

namespace {

enum class op { write, remove, sync, check };

}  // namespace

TEST_CASE("Random writes, overwrites and deletes survive crashes at any byte of any write",
          "[lfs][crash][property]") {
  const auto seed = GENERATE(11u, 12u, 13u);
  std::mt19937_64 rng(seed);
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  using crashing = crashing_disk<memory_disk&>;

  const auto geo = test::small_disk();
  const std::uint64_t bs = geo.block_size, first_segment = 3;  // docs/lfs_disk.md, worked example
  test::model current, durable;
  fs_stats total;
  int crashes = 0, mid_op_crashes = 0;
  // Where crashes struck: inside a checkpoint slot, a summary, or data blocks.
  int torn_slot = 0, torn_summary = 0, torn_data = 0;
  for (int cycle = 0; cycle < 40; ++cycle) {
    // Half the crashes strike at a random byte of the whole stream, half at a
    // random byte of a random write (so small writes, the checkpoint slot and the
    // summaries, are struck as often as big ones).
    crashing cd(disk, std::uniform_int_distribution<std::uint64_t>(0, 250'000)(rng));
    if (cycle % 2 == 1)
      cd.crash_at(std::uniform_int_distribution<std::uint64_t>(1, 120)(rng),
                  std::uniform_int_distribution<std::uint32_t>(0, 999)(rng));
    std::vector<test::model> allowed;
    {
      auto fs = file_system<crashing>::mount(cd).value();
      REQUIRE(test::contents(*fs) == current);
      for (int step = 0; step < 150 && allowed.empty(); ++step) {
        const auto pre = current;
        const auto checkpoint = fs->status().checkpoint;
        const auto roll = std::uniform_int_distribution<int>(0, 99)(rng);
        const op o = roll < 60   ? op::write
                     : roll < 72 ? op::remove
                     : roll < 87 ? op::sync
                                 : op::check;
        const auto name = "f" + std::to_string(std::uniform_int_distribution<int>(0, 5)(rng));
        cloudlog::result<void> r;
        if (o == op::write) {
          const auto offset = std::uniform_int_distribution<std::uint64_t>(0, 8000)(rng);
          const auto data =
              test::random_bytes(rng, std::uniform_int_distribution<std::size_t>(1, 3000)(rng));
          r = fs->write(name, offset, data);
          if (r) test::model_write(current, name, offset, data);
        } else if (o == op::remove) {
          r = fs->remove(name);
          if (r) current.erase(name);
          if (!r && r.error() == std::errc::no_such_file_or_directory) {
            CHECK(!pre.count(name));
            r = {};
          }
        } else if (o == op::sync) {
          r = fs->sync();
        } else {
          auto got = fs->read(name);
          if (got) CHECK(*got == current.at(name));
          if (!got && got.error() == std::errc::no_such_file_or_directory)
            CHECK(!current.count(name));
          if (!got && got.error() != std::errc::no_such_file_or_directory)
            r = cloudlog::fail(got.error());
        }
        if (!r && r.error() == errc::disk_full) {
          CHECK(current == pre);  // a refused write changes nothing
          r = {};
        }
        if (!r) {
          REQUIRE(r.error() == cloudlog::errc::injected_fault);
          // Crashed mid-operation: the last durable state, or the state before this
          // operation (a forced cleaning checkpoints first), or after it for a sync.
          allowed = {durable, pre};
          if (o == op::sync) allowed.push_back(current);
          ++mid_op_crashes;
          break;
        }
        if (fs->status().checkpoint != checkpoint) durable = o == op::sync ? current : pre;
      }
      const auto s = fs->status().stats;
      total.forced_cleanings += s.forced_cleanings;
      total.segments_cleaned += s.segments_cleaned;
      total.segments_reclaimed += s.segments_reclaimed;
      if (allowed.empty()) allowed = {durable};  // the process dies between operations
      ++crashes;
      if (cd.crashed()) {
        const auto block = cd.torn().first / bs;
        if (block < first_segment)
          ++torn_slot;
        else if ((block - first_segment) % geo.blocks_per_segment < 2)
          ++torn_summary;
        else
          ++torn_data;
      }
    }
    auto fs = file_system<memory_disk>::mount(disk).value();
    const auto got = test::contents(*fs);
    INFO("seed " << seed << " cycle " << cycle);
    REQUIRE(std::find(allowed.begin(), allowed.end(), got) != allowed.end());
    current = durable = got;
  }
  CHECK(crashes == 40);
  CHECK(mid_op_crashes >= 5);
  CHECK(torn_slot + torn_summary + torn_data == mid_op_crashes);
  CHECK(torn_slot >= 1);
  CHECK(torn_summary >= 1);
  CHECK(torn_data >= 1);
  CHECK(total.forced_cleanings >= 1);
  CHECK(total.segments_cleaned >= 1);
}

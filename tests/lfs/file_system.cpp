// SPDX-License-Identifier: BSL-1.0
// lfs_disk: layout, files across remounts, cleaning with each library policy, disk full.
#include <catch2/catch.hpp>

#include <random>

#include "cloudlog/policy/policies.hpp"
#include "lfs/any_policy.hpp"
#include "lfs/disk.hpp"
#include "lfs/file_system.hpp"
#include "lfs/helpers.hpp"

using namespace lfs;
using cloudlog::bytes;

namespace {

template <class Policy = cloudlog::greedy_policy>
std::unique_ptr<file_system<memory_disk, Policy>> mount_small(memory_disk& disk, Policy p = {}) {
  return file_system<memory_disk, Policy>::mount(disk, std::move(p)).value();
}

// Writes files, syncs, overwrites half of each and removes one: segments with
// partly live blocks, and segments with none.
template <class FileSystem>
test::model fragment(FileSystem& fs, std::mt19937_64& rng) {
  test::model m;
  for (int i = 0; i < 6; ++i) {
    const auto name = "file" + std::to_string(i);
    const auto data = test::random_bytes(rng, 3000 + 500 * static_cast<std::size_t>(i));
    REQUIRE(fs.write(name, 0, data));
    test::model_write(m, name, 0, data);
  }
  REQUIRE(fs.sync());
  for (int i = 0; i < 6; ++i) {
    const auto name = "file" + std::to_string(i);
    const auto data = test::random_bytes(rng, 1500);
    REQUIRE(fs.write(name, 512, data));
    test::model_write(m, name, 512, data);
    REQUIRE(fs.sync());
  }
  REQUIRE(fs.remove("file5"));
  m.erase("file5");
  REQUIRE(fs.sync());
  return m;
}

}  // namespace

TEST_CASE("On-disk structures have the sizes docs/lfs_disk.md gives", "[lfs][layout]") {
  STATIC_REQUIRE(cloudlog::packed_size_v<superblock> == 48);
  STATIC_REQUIRE(cloudlog::packed_size_v<ifile_header> == 56);
  STATIC_REQUIRE(cloudlog::packed_size_v<summary_header> == 32);
  STATIC_REQUIRE(cloudlog::packed_size_v<summary_entry> == 16);
  STATIC_REQUIRE(cloudlog::packed_size_v<inode_record> == 76);
  STATIC_REQUIRE(cloudlog::packed_size_v<dir_entry> == 32);
  STATIC_REQUIRE(cloudlog::packed_offset_v<inode_record, 5> == 72);  // indirect after 12 direct
}

TEST_CASE("mkfs writes the superblock fields little-endian at their documented offsets",
          "[lfs][layout]") {
  memory_disk disk;
  const auto g = mkfs(disk, test::small_disk()).value();
  bytes sb(48);
  REQUIRE(disk.read(0, sb));
  CHECK(cloudlog::as_chars(byte_view(sb).first(8)) == "LFSDISK1");
  CHECK(cloudlog::load_le<std::uint32_t>(sb.data() + 12) == 20);   // segment_count
  CHECK(cloudlog::load_le<std::uint32_t>(sb.data() + 16) == 16);   // blocks_per_segment
  CHECK(cloudlog::load_le<std::uint32_t>(sb.data() + 20) == 512);  // block_size
  CHECK(cloudlog::load_le<std::uint32_t>(sb.data() + 24) == g.first_segment_block);
  CHECK(g.first_segment_block == 1 + 2 * g.slot_blocks);
  CHECK(disk.size() == g.image_size());
}

TEST_CASE("mkfs refuses geometries outside the documented domain", "[lfs][layout]") {
  memory_disk disk;
  auto o = test::small_disk();
  o.block_size = 500;
  CHECK(mkfs(disk, o).error() == cloudlog::errc::invalid_argument);
  o = test::small_disk();
  o.blocks_per_segment = 64;  // 62 summary entries do not fit in 512 bytes
  CHECK(mkfs(disk, o).error() == cloudlog::errc::invalid_argument);
  o = test::small_disk();
  o.segment_count = 4;
  CHECK(mkfs(disk, o).error() == cloudlog::errc::invalid_argument);
}

TEST_CASE("Mounting something that is not an image fails as corrupt", "[lfs][mount]") {
  memory_disk disk;
  REQUIRE(disk.write(0, bytes(4096, std::byte{7})));
  CHECK(file_system<memory_disk>::mount(disk).error() == errc::corrupt_image);
  memory_disk short_disk;
  REQUIRE(short_disk.write(0, bytes(10)));
  CHECK(file_system<memory_disk>::mount(short_disk).error() == errc::corrupt_image);
  memory_disk empty;
  CHECK(file_system<memory_disk>::mount(empty).error() == errc::corrupt_image);
}

TEST_CASE("Synced files read back after a remount; unsynced changes are gone", "[lfs][mount]") {
  std::mt19937_64 rng(1);
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  const auto big = test::random_bytes(rng, 20 * 512 + 100);  // needs the indirect block
  const auto small = test::random_bytes(rng, 10);
  {
    auto fs = mount_small(disk);
    CHECK(fs->list().empty());
    REQUIRE(fs->write("big", 0, big));
    REQUIRE(fs->write("small", 0, small));
    CHECK(fs->read("big").value() == big);
    REQUIRE(fs->sync());
    REQUIRE(fs->write("lost", 0, small));
    REQUIRE(fs->write("small", 5000, small));
  }
  auto fs = mount_small(disk);
  CHECK(fs->list() == std::vector<std::string>{"big", "small"});
  CHECK(fs->read("big").value() == big);
  CHECK(fs->read("small").value() == small);
  CHECK(fs->read("lost").error() == std::errc::no_such_file_or_directory);
}

TEST_CASE("A write past the end leaves a hole of zeros", "[lfs][files]") {
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = mount_small(disk);
  REQUIRE(fs->write("f", 0, cloudlog::to_bytes("abc")));
  REQUIRE(fs->write("f", 2000, cloudlog::to_bytes("z")));
  const auto r = fs->read("f").value();
  REQUIRE(r.size() == 2001);
  CHECK(cloudlog::as_chars(byte_view(r).first(3)) == "abc");
  CHECK(
      std::all_of(r.begin() + 3, r.begin() + 2000, [](std::byte b) { return b == std::byte{0}; }));
  CHECK(r[2000] == std::byte{'z'});
}

TEST_CASE("Names longer than a directory entry holds are refused", "[lfs][files]") {
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = mount_small(disk);
  CHECK(fs->write(std::string(28, 'x'), 0, bytes(1)).error() == cloudlog::errc::invalid_argument);
  CHECK(fs->write("", 0, bytes(1)).error() == cloudlog::errc::invalid_argument);
  CHECK(fs->write("f", 0, bytes((12 + 128) * 512 + 1)).error() == errc::file_too_large);
}

TEMPLATE_TEST_CASE("Each library policy plugs in unchanged and cleaning keeps every file",
                   "[lfs][cleaning]", cloudlog::threshold_policy, cloudlog::greedy_policy,
                   cloudlog::cost_benefit_policy) {
  std::mt19937_64 rng(2);
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = mount_small<TestType>(disk, TestType{});
  const auto m = fragment(*fs, rng);
  const auto before = fs->status();
  // The table the policy sees holds only partly live segments, built from the summaries.
  bool partly_live = false;
  for (const auto& u : before.usage) partly_live = partly_live || (u.live > 0 && u.live < u.size);
  REQUIRE(partly_live);

  const auto n = fs->clean(before.geo.segment_count).value();
  const auto after = fs->status();
  CHECK(n >= 1);
  CHECK(after.stats.segments_cleaned >= 1);
  CHECK(after.stats.blocks_relocated >= 1);
  CHECK(after.clean > before.clean);
  CHECK(test::contents(*fs) == m);
  fs.reset();
  auto again = mount_small<TestType>(disk, TestType{});
  CHECK(test::contents(*again) == m);
}

TEST_CASE("The CLI's run-time policy (any_policy) holds a library policy unchanged",
          "[lfs][cleaning]") {
  std::mt19937_64 rng(3);
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = mount_small(disk, any_policy(cloudlog::cost_benefit_policy{}));
  const auto m = fragment(*fs, rng);
  CHECK(fs->clean(100).value() >= 1);
  CHECK(test::contents(*fs) == m);
}

TEST_CASE("A segment whose blocks all died is freed without copying", "[lfs][cleaning]") {
  std::mt19937_64 rng(4);
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = mount_small(disk);
  REQUIRE(fs->write("a", 0, test::random_bytes(rng, 14 * 512)));
  REQUIRE(fs->sync());
  REQUIRE(fs->remove("a"));
  REQUIRE(fs->sync());
  const auto before = fs->status();
  fs->clean(10).value();
  const auto after = fs->status();
  CHECK(after.stats.segments_reclaimed >= 1);
  CHECK(after.stats.blocks_relocated == 0);
  CHECK(after.clean > before.clean);
}

TEST_CASE("When no segment can be freed a write fails with 'disk full' and changes nothing",
          "[lfs][cleaning]") {
  std::mt19937_64 rng(5);
  memory_disk disk;
  REQUIRE(mkfs(disk, test::small_disk()));
  auto fs = mount_small(disk);
  test::model m;
  std::error_code full;
  for (int i = 0; i < 30 && !full; ++i) {
    const auto name = "f" + std::to_string(i);
    const auto data = test::random_bytes(rng, 12 * 512);
    if (auto r = fs->write(name, 0, data)) {
      test::model_write(m, name, 0, data);
    } else {
      full = r.error();
    }
  }
  REQUIRE(full == errc::disk_full);
  CHECK(full.message() == "disk full: no segment can be freed");
  CHECK(fs->status().stats.forced_cleanings >= 1);
  CHECK(test::contents(*fs) == m);
  // Deleting makes room again (the cleaner reclaims the dead blocks).
  REQUIRE(fs->remove("f0"));
  REQUIRE(fs->remove("f1"));
  m.erase("f0");
  m.erase("f1");
  const auto data = test::random_bytes(rng, 6 * 512);
  REQUIRE(fs->write("again", 0, data));
  test::model_write(m, "again", 0, data);
  REQUIRE(fs->sync());
  CHECK(test::contents(*fs) == m);
  fs.reset();
  CHECK(test::contents(*mount_small(disk)) == m);
}

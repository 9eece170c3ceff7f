// SPDX-License-Identifier: BSL-1.0
// lfs_disk's block_disk laws, run against every model, and the crash wrapper's tearing.
#include <catch2/catch.hpp>

#include "lfs/disk.hpp"
#include "support/fixtures.hpp"

using namespace lfs;
using cloudlog::bytes;

namespace {

// The block_disk laws (lfs/disk.hpp). DISK must start empty.
template <block_disk Disk>
void check_block_disk_laws(Disk& disk) {
  const auto a = cloudlog::to_bytes("abcdefgh");
  REQUIRE(disk.write(4, a));  // grows the image; bytes before are zero
  bytes back(12);
  REQUIRE(disk.read(0, back));
  CHECK(cloudlog::as_chars(back) == std::string("\0\0\0\0abcdefgh", 12));
  REQUIRE(disk.write(6, cloudlog::to_bytes("XY")));  // overwrite in place
  bytes mid(4);
  REQUIRE(disk.read(5, mid));
  CHECK(cloudlog::as_chars(mid) == "bXYe");
  bytes past(4);
  CHECK(disk.read(10, past).error() == cloudlog::errc::out_of_range);
  CHECK(disk.read(100, past).error() == cloudlog::errc::out_of_range);
  CHECK(disk.sync());
}

}  // namespace

TEST_CASE("Every block_disk model obeys the laws", "[lfs][disk]") {
  SECTION("memory_disk") {
    memory_disk d;
    check_block_disk_laws(d);
  }
  SECTION("file_disk") {
    cloudlog::test::temp_dir dir;
    auto d = file_disk::open(dir.path() / "img", true).value();
    check_block_disk_laws(d);
  }
  SECTION("crashing_disk that never crashes") {
    memory_disk inner;
    crashing_disk<memory_disk&> d(inner);
    check_block_disk_laws(d);
    CHECK_FALSE(d.crashed());
  }
}

TEST_CASE("crashing_disk tears the write that crosses its budget and fails every later one",
          "[lfs][disk]") {
  memory_disk inner;
  crashing_disk<memory_disk&> d(inner, 10);
  REQUIRE(d.write(0, cloudlog::to_bytes("0123456")));
  CHECK(d.write(7, cloudlog::to_bytes("789abc")).error() == cloudlog::errc::injected_fault);
  CHECK(d.crashed());
  CHECK(d.torn() == std::pair<std::uint64_t, std::uint64_t>{7, 3});
  CHECK(inner.size() == 10);  // only "789" of the torn write reached the disk
  CHECK(d.write(20, cloudlog::to_bytes("z")).error() == cloudlog::errc::injected_fault);
  CHECK(d.sync().error() == cloudlog::errc::injected_fault);
  bytes back(10);
  REQUIRE(d.read(0, back));  // reads still work
  CHECK(cloudlog::as_chars(back) == "0123456789");
}

TEST_CASE("crashing_disk can strike a chosen write at a chosen fraction", "[lfs][disk]") {
  memory_disk inner;
  crashing_disk<memory_disk&> d(inner);
  d.crash_at(2, 500);
  REQUIRE(d.write(0, bytes(8)));
  CHECK(d.write(8, bytes(8, std::byte{1})).error() == cloudlog::errc::injected_fault);
  CHECK(d.torn() == std::pair<std::uint64_t, std::uint64_t>{8, 4});
  CHECK(inner.size() == 12);
}
